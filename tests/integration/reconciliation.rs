//! Reconciliation over HTTP against the sandbox: each kind of mismatch made to happen at P100 and
//! found in the queue, resolving with a note, the CSV exports, the webhook log's re-process and its
//! dry run, and the finance home's counts.

use backoffice::domain::Role;
use backoffice::domain::money::{Amount, Currency};
use backoffice::p100::types::SepaTransferRequest;
use backoffice::sandbox::control::{self, Amendment};
use backoffice::server::reconciliation::check;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, eventually, fault, field_message, quick, sandbox, spawn_app};
use crate::payouts::{send, sepa, until};

/// A payout sent and completed at P100, its webhook stored: (our id, P100's id).
async fn completed_payout(app: &TestApp, finance: &Client, amount: &str) -> (String, String) {
    let (id, upstream) = completed_without_webhook(app, finance, amount).await;
    eventually("the payout's webhook", || async {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE subject = $1")
            .bind(&upstream)
            .fetch_one(app.db())
            .await
            .unwrap();
        (stored > 0).then_some(())
    })
    .await;
    (id, upstream)
}

async fn completed_without_webhook(app: &TestApp, finance: &Client, amount: &str) -> (String, String) {
    let (_, detail) = send(finance, &sepa(amount)).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let upstream = detail["movement"]["upstream_id"].as_str().unwrap().to_owned();
    control::force(sandbox(app), &upstream, true).await.unwrap();
    until(finance, &id, "completed").await;
    (id, upstream)
}

async fn report(client: &Client, filter: Value) -> Value {
    let (status, report) = client.call("reconciliation/report", json!({ "filter": filter })).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

fn row<'a>(report: &'a Value, subject: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == subject)
        .unwrap_or_else(|| panic!("no row {subject} in {report}"))
}

fn mismatches(row: &Value) -> Vec<String> {
    row["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["mismatch"].as_str().unwrap().to_owned())
        .collect()
}

/// Reads P100 for every movement due, as the background does, until none is left unchecked.
async fn check_all(app: &TestApp) {
    for _ in 0..5 {
        check::round(&app.state).await.unwrap();
    }
}

async fn set_grace(app: &TestApp, minutes: &str) {
    let admin = app.signed_in(Role::Admin).await;
    let (status, body) = admin.call("settings/update_grace", json!({ "minutes": minutes })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A case's row as the report must show it: (case, subject, its mismatches, other fields and their values).
type ExpectedRow<'a> = (&'a str, &'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

#[tokio::test]
async fn each_kind_of_mismatch_reaches_the_queue_and_a_note_resolves_it() {
    let app = spawn_app().await;
    quick(&app).await;
    set_grace(&app, "0").await;
    let finance = app.signed_in(Role::Finance).await;

    let (matched, _) = completed_payout(&app, &finance, "101.00").await;

    // A webhook lost: P100 finishes the payout but its webhook never comes; the follower still
    // learns the outcome from the details endpoint.
    control::lose_webhooks(sandbox(&app), 1).await.unwrap();
    let (lost_webhook, _) = completed_without_webhook(&app, &finance, "102.00").await;

    // An upstream failure after our record: P100 answers 503, so the outcome is unknown.
    fault(&app, "partner.sepa_transfer", |f| f.http_status = Some(503)).await;
    let (_, detail) = send(&finance, &sepa("103.00")).await;
    let unanswered = detail["movement"]["id"].as_str().unwrap().to_owned();
    assert_eq!(detail["movement"]["status"], "unknown");

    // P100 changes its record afterwards: another amount, another status, or no record at all.
    let (amount_changed, upstream) = completed_payout(&app, &finance, "104.00").await;
    let amend = Amendment {
        amount: Some("140.00".into()),
        status: None,
    };
    control::amend(sandbox(&app), &upstream, &amend).await.unwrap();
    let (state_changed, upstream) = completed_payout(&app, &finance, "105.00").await;
    let amend = Amendment {
        amount: None,
        status: Some("FAILED".into()),
    };
    control::amend(sandbox(&app), &upstream, &amend).await.unwrap();
    let (forgotten, upstream) = completed_payout(&app, &finance, "106.00").await;
    control::forget(sandbox(&app), &upstream).await.unwrap();

    // A payout made at P100 by another system with our key: in the partner's history, not ours.
    let foreign = app
        .state
        .p100
        .sepa_transfer(&SepaTransferRequest {
            source_external_user_id: None,
            amount: Amount("107.00".parse().unwrap()),
            currency: Currency::Eur,
            destination_iban: "DE89370400440532013000".into(),
            transfer_title: "made elsewhere".into(),
            receiver_type: None,
            receiver_first_name: None,
            receiver_last_name: None,
            company_name: None,
        })
        .await
        .unwrap()
        .value
        .transfer_id;

    // P100 writes it to the partner's history when it settles.
    let all = eventually("the foreign payout in the report", || async {
        check_all(&app).await;
        let all = report(&finance, json!({})).await;
        let listed = all["rows"].as_array().unwrap().iter().any(|r| r["subject"] == foreign);
        listed.then_some(all)
    })
    .await;
    let cases: [ExpectedRow; 7] = [
        (
            "a matched payout",
            &matched,
            &[],
            &[("verdict", "matched"), ("upstream", "SUCCESSFUL")],
        ),
        ("a webhook lost", &lost_webhook, &["no_webhook"], &[]),
        ("no answer from P100", &unanswered, &["upstream_missing"], &[]),
        ("P100 changed the amount", &amount_changed, &["amount_differs"], &[]),
        ("P100 changed the status", &state_changed, &["state_differs"], &[]),
        (
            "P100 has no record",
            &forgotten,
            &["upstream_missing"],
            &[("upstream", "not found")],
        ),
        // Its amount as the history shows it: with P100's 1.00 fee.
        (
            "made at P100 by another system",
            &foreign,
            &["never_started"],
            &[("kind", "foreign"), ("amount", "108.00")],
        ),
    ];
    for (case, subject, expected, fields) in cases {
        let row = row(&all, subject);
        assert_eq!(mismatches(row), expected, "{case}: {row}");
        for (field, value) in fields {
            assert_eq!(row[field], *value, "{case}: {field} in {row}");
        }
    }
    let changed = row(&all, &amount_changed);
    assert!(
        changed["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("P100 says 140"),
        "P100 changed the amount: {changed}"
    );
    assert_eq!(all["mismatched"], 6);
    assert_eq!(all["matching"], 7, "all seven rows fit one page");
    assert_eq!(all["rows"].as_array().unwrap().len(), 7);

    // Totals per currency and status: seven EUR movements of ours, one of them unknown.
    let totals = all["totals"].as_array().unwrap();
    let total = |status: &str| {
        totals
            .iter()
            .find(|t| t["currency"] == "EUR" && t["status"] == status)
            .unwrap_or_else(|| panic!("no EUR total {status} in {totals:?}"))
    };
    assert_eq!(total("completed")["count"], 5);
    for (status, amount, why) in [
        ("completed", "518.00", "101 + 102 + 104 + 105 + 106"),
        ("unknown", "103.00", "the unanswered payout"),
        ("never started here", "108.00", "the foreign payout"),
    ] {
        assert_eq!(total(status)["amount"], amount, "EUR {status}: {why}");
    }

    // The queue alone.
    let queue = report(&finance, json!({ "view": "mismatch" })).await;
    assert_eq!(queue["rows"].as_array().unwrap().len(), 6);
    assert!(
        queue["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["verdict"] == "mismatch")
    );

    // Resolving: a note is required; it is audited and stays on the row with who wrote it.
    let (status, body) = finance
        .call(
            "reconciliation/resolve",
            json!({ "input": { "subject": amount_changed, "note": "  " } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(field_message(&body, "note").is_some(), "{body}");
    let note = "P100 corrected the amount; the beneficiary bank confirmed 140.00 arrived. Refund asked.";
    let (status, resolved) = finance
        .call(
            "reconciliation/resolve",
            json!({ "input": { "subject": amount_changed, "note": note } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["verdict"], "resolved");
    assert_eq!(resolved["resolution"]["note"], note);
    assert_eq!(resolved["resolution"]["mismatches"], json!(["amount_differs"]));
    let audit = app.last_audit("reconciliation.resolve").await.unwrap();
    assert_eq!(audit.target_id.as_deref(), Some(amount_changed.as_str()));
    assert_eq!(audit.reason.as_deref(), Some(note));
    assert!(audit.staff_email.unwrap().starts_with("finance"));
    let after = report(&finance, json!({})).await;
    assert_eq!(after["mismatched"], 5);
    assert_eq!(after["resolved"], 1);
    assert!(row(&after, &amount_changed)["resolution"]["by"].is_string());

    // Nothing to resolve on a matched or already resolved row; other roles may not.
    for (case, subject) in [("a matched row", &matched), ("a resolved row", &amount_changed)] {
        let (status, body) = finance
            .call(
                "reconciliation/resolve",
                json!({ "input": { "subject": subject, "note": "again" } }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{case}: {body}");
    }
    let compliance = app.signed_in(Role::Compliance).await;
    let (status, _) = compliance
        .call(
            "reconciliation/resolve",
            json!({ "input": { "subject": forgotten, "note": "not mine" } }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A P100-only movement can be resolved too.
    let (status, body) = finance
        .call(
            "reconciliation/resolve",
            json!({ "input": { "subject": foreign, "note": "made by the treasury system" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verdict"], "resolved");

    // A later, different mismatch puts a resolved row back in the queue.
    let amend = Amendment {
        amount: None,
        status: Some("FAILED".into()),
    };
    let upstream = row(&after, &amount_changed)["upstream_id"].as_str().unwrap().to_owned();
    control::amend(sandbox(&app), &upstream, &amend).await.unwrap();
    sqlx::query("UPDATE reconciliation_checks SET checked_at = '2000-01-01T00:00:00.000Z'")
        .execute(app.db())
        .await
        .unwrap();
    check_all(&app).await;
    let again = report(&finance, json!({})).await;
    let reopened = row(&again, &amount_changed);
    assert_eq!(
        reopened["verdict"], "mismatch",
        "a resolved row changed again: {reopened}"
    );
    assert_eq!(
        mismatches(reopened),
        ["state_differs", "amount_differs"],
        "a resolved row changed again: {reopened}"
    );

    // Filters are checked on their fields.
    let (status, body) = finance
        .call(
            "reconciliation/report",
            json!({ "filter": { "from": "2026-13-01", "view": "green" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "from").is_some() && field_message(&body, "view").is_some(),
        "{body}"
    );
}

#[tokio::test]
async fn the_report_and_the_queue_export_as_csv() {
    let app = spawn_app().await;
    quick(&app).await;
    set_grace(&app, "0").await;
    let finance = app.signed_in(Role::Finance).await;
    let (matched, _) = completed_payout(&app, &finance, "120.00").await;
    fault(&app, "partner.sepa_transfer", |f| f.http_status = Some(503)).await;
    let (_, detail) = send(&finance, &sepa("130.00")).await;
    let unknown = detail["movement"]["id"].as_str().unwrap().to_owned();
    check_all(&app).await;

    let response = finance.get("/exports/reconciliation.csv?view=mismatch").await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains("reconciliation-mismatches-"), "{disposition}");
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("made_at,kind,id,holder,currency,amount,our_status,p100_id"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].contains(&unknown) && lines[1].contains("130.00") && lines[1].contains("upstream_missing"));

    let text = finance.get("/exports/reconciliation.csv").await.text().await.unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    let matched_line = text.lines().find(|l| l.contains(&matched)).unwrap();
    assert!(matched_line.contains(",matched,"), "{matched_line}");
    assert!(matched_line.contains(",SUCCESSFUL,"), "{matched_line}");
    let audit = app.last_audit("reconciliation.export").await.unwrap();
    assert!(audit.reason.unwrap().contains(" to "), "the range exported is audited");

    // Export needs both permissions; the viewer has exports but not reconciliation.
    let viewer = app.signed_in(Role::Viewer).await;
    assert_eq!(
        viewer.get("/exports/reconciliation.csv").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_export_holds_every_row_however_many() {
    let app = spawn_app().await;
    // More P100 movements not started here than one report on the page holds, over two days.
    let many = backoffice::server::reconciliation::REPORT_LIMIT + 1;
    let today = time::OffsetDateTime::now_utc().date();
    let mut tx = app.db().begin().await.unwrap();
    for n in 0..many {
        let day = if n % 2 == 0 {
            today
        } else {
            today.previous_day().unwrap()
        };
        sqlx::query(
            "INSERT INTO reconciliation_foreign (upstream_id, kind, currency, amount, status, created_at, seen_at)
             VALUES ($1, 'SEPA_TRANSFER', 'eur', '12.50', 'SUCCESSFUL', $2, $2)",
        )
        .bind(format!("foreign-{n:05}"))
        .bind(format!("{day}T10:00:00.000Z"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let finance = app.signed_in(Role::Finance).await;
    let (_, report) = finance.call("reconciliation/report", json!({ "filter": {} })).await;
    assert_eq!(report["truncated"], true, "the page says it holds only part");

    let text = finance.get("/exports/reconciliation.csv").await.text().await.unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len() as i64, many, "every row, none cut at the page's limit");
    let days: Vec<&str> = rows.iter().map(|r| &r[..10]).collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "newest day first");
}

pub async fn post_webhook(app: &TestApp, route: &str, body: &Value, token: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(app.url(&format!("/webhooks/p100/{route}")))
        .json(body);
    if let Some(token) = token {
        request = request.header("authorization", token);
    }
    request.send().await.unwrap().status()
}

async fn events_about(client: &Client, subject: &str) -> Vec<Value> {
    let (status, list) = client
        .call("webhooks/list", json!({ "filter": { "subject": subject } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["rows"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_webhook_is_processed_again_after_a_dry_run_that_changes_nothing() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let token = app.webhook_token();

    // A payout P100 completes, whose webhook is lost; an earlier event about it (sent while it was
    // still moving) is in the log.
    control::apply_settings(
        sandbox(&app),
        &control::Settings {
            settle_ms: Some(600_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (_, detail) = send(&finance, &sepa("150.00")).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let upstream = detail["movement"]["upstream_id"].as_str().unwrap().to_owned();
    let early = json!({ "id": upstream, "status": "PROCESSING", "transferTitle": "Invoice 2026/11" });
    assert_eq!(
        post_webhook(&app, "webhook/sepa-transfer", &early, Some(&token)).await,
        StatusCode::OK
    );
    let event = eventually("the early event processed", || async {
        let rows = events_about(&finance, &upstream).await;
        rows.into_iter().find(|e| e["status"] != "received")
    })
    .await;
    assert_eq!(event["status"], "processed", "{event}");
    assert_eq!(event["authenticated"], true);
    let event_id = event["id"].as_str().unwrap().to_owned();
    control::lose_webhooks(sandbox(&app), 1).await.unwrap();
    control::force(sandbox(&app), &upstream, true).await.unwrap();

    // The dry run reads P100 and says what would change; nothing is written.
    let audit_rows = app.audit_count().await;
    let (status, dry) = finance
        .call("webhooks/reprocess", json!({ "id": event_id, "dry_run": true }))
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        dry["changes"][0],
        json!({ "target": format!("payout {id}"), "field": "status", "before": "pending", "after": "completed" })
    );
    let status_now: String = sqlx::query_scalar("SELECT status FROM movements WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(status_now, "pending", "a dry run writes nothing");
    assert_eq!(app.audit_count().await, audit_rows);
    assert_eq!(dry["event"]["reprocessed"], 0);

    // The real run applies it, once, audited.
    let (status, done) = finance
        .call("webhooks/reprocess", json!({ "id": event_id, "dry_run": false }))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["event"]["status"], "processed");
    assert_eq!(done["event"]["reprocessed"], 1);
    let status_now: String = sqlx::query_scalar("SELECT status FROM movements WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(status_now, "completed");
    let audit = app.last_audit("webhooks.reprocess").await.unwrap();
    assert_eq!(audit.target_id.as_deref(), Some(event_id.as_str()));
    let after: Value = serde_json::from_str(&audit.after_data.unwrap()).unwrap();
    assert_eq!(after["status"], "processed");
    assert_eq!(after["changes"], dry["changes"].as_array().unwrap().len());

    // Again: nothing left to change, and the dry run says so.
    let (_, dry) = finance
        .call("webhooks/reprocess", json!({ "id": event_id, "dry_run": true }))
        .await;
    assert!(dry["changes"].as_array().unwrap().is_empty());
    assert!(dry["summary"].as_str().unwrap().contains("already completed"), "{dry}");

    // The detail shows the raw payload; a delivery without our token is refused, never stored.
    let (_, shown) = finance.call("webhooks/get", json!({ "id": event_id })).await;
    assert!(shown["payload"].as_str().unwrap().contains(&upstream));
    let forged = json!({ "id": upstream, "status": "FAILED", "transferTitle": "x" });
    assert_eq!(
        post_webhook(&app, "webhook/sepa-transfer", &forged, Some("wrong")).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        events_about(&finance, &upstream)
            .await
            .iter()
            .all(|e| e["authenticated"] == true),
        "a refused delivery is not stored"
    );

    // Filters are checked; the log is finance's and admin's.
    let (status, body) = finance
        .call("webhooks/list", json!({ "filter": { "status": "lost" } }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status").is_some());
    for role in [Role::Viewer, Role::Compliance] {
        let client = app.signed_in(role).await;
        let (status, _) = client.call("webhooks/list", json!({ "filter": {} })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
}

async fn home(client: &Client) -> Value {
    let (status, home) = client.call("reconciliation/home", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{home}");
    home
}

#[tokio::test]
async fn the_finance_home_counts_what_waits() {
    let app = spawn_app().await;
    quick(&app).await;
    // The grace is the admin's: whole minutes, checked on its field, audited.
    let admin = app.signed_in(Role::Admin).await;
    for bad in ["soon", "-1", "1441"] {
        let (status, body) = admin.call("settings/update_grace", json!({ "minutes": bad })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(field_message(&body, "grace_minutes").is_some(), "{body}");
    }
    set_grace(&app, "0").await;
    let audit = app.last_audit("settings.update").await.unwrap();
    assert_eq!(audit.target_id.as_deref(), Some("reconciliation.grace_minutes"));
    assert_eq!(audit.before_data.as_deref(), Some(r#"{"minutes":15}"#));
    assert_eq!(audit.after_data.as_deref(), Some(r#"{"minutes":0}"#));
    let finance = app.signed_in(Role::Finance).await;
    let finance2 = app.signed_in_as("finance2").await;

    let before = home(&finance2).await;
    // Above the threshold: waits for finance2. (To another IBAN: the payouts below, to the usual
    // one, would otherwise count with it against the threshold.)
    let mut above = sepa("1500.00");
    above["Sepa"]["iban"] = json!("DE75 5121 0800 1245 1261 99");
    send(&finance, &above).await;
    // No answer from P100: stuck and a mismatch.
    fault(&app, "partner.sepa_transfer", |f| f.http_status = Some(503)).await;
    send(&finance, &sepa("160.00")).await;
    completed_payout(&app, &finance, "170.00").await;

    let after = home(&finance2).await;
    assert_eq!(
        after["pending_approvals"],
        before["pending_approvals"].as_i64().unwrap() + 1
    );
    assert_eq!(
        home(&finance).await["pending_approvals"],
        before["pending_approvals"],
        "not the maker's to decide"
    );
    assert!(after["stuck"].as_i64().unwrap() >= 1, "{after}");
    assert!(after["open_mismatches"].as_i64().unwrap() >= 1, "{after}");
    let eur = after["today"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "EUR")
        .cloned()
        .unwrap();
    assert_eq!(eur["amount"], "170.00");
    assert!(
        after["last_webhook"].is_string(),
        "the completed payout's webhook arrived"
    );

    let onboarding = app.signed_in(Role::Onboarding).await;
    let (status, _) = onboarding.call("reconciliation/home", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// "Never started here" reads known users' histories too: a user's transfer to the partner made at
/// P100 by someone else is found in that user's history, named with its holder.
#[tokio::test]
async fn a_users_movement_not_started_here_is_found_in_their_history() {
    use backoffice::p100::types::InternalTransferRequest;
    let app = spawn_app().await;
    quick(&app).await;
    set_grace(&app, "0").await;
    let finance = app.signed_in(Role::Finance).await;
    let user = "demo-0025";
    let foreign = app
        .state
        .p100
        .internal_transfer(&InternalTransferRequest {
            source_external_user_id: Some(user.into()),
            destination_external_user_id: None,
            currency: Currency::Eur,
            amount: Amount("7.00".parse().unwrap()),
        })
        .await
        .unwrap()
        .value
        .transfer_id;
    let all = eventually("the user's foreign transfer in the report", || async {
        check_all(&app).await;
        let all = report(&finance, json!({})).await;
        let listed = all["rows"].as_array().unwrap().iter().any(|r| r["subject"] == foreign);
        listed.then_some(all)
    })
    .await;
    let found = row(&all, &foreign);
    assert_eq!(found["holder"], format!("User {user}"), "{found}");
    assert_eq!(mismatches(found), ["never_started"]);
    assert!(
        found["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("user {user}")),
        "{found}"
    );
}
