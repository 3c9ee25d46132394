//! Collections against the sandbox over HTTP: an order's rate locked, the order created once, paid
//! by the sandbox's payer (less, exactly, more) and settled in EUR on the partner balance; payment
//! links and hosted checkouts paid in one or more transfers; the Order status and Payment Link
//! webhooks applied once; the list, its filters and its export.

use std::str::FromStr;

use backoffice::domain::Role;
use backoffice::sandbox::control::{self, Settings};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, eventually, field_message, quick, sandbox, spawn_app, upstream_balance};

async fn partner_eur(app: &TestApp) -> Decimal {
    upstream_balance(app, "partner", "eur").await
}

/// The collection's page data, read through the app (which reads P100's details).
async fn get(client: &Client, id: &str) -> Value {
    let (status, view) = client.call("collections/get", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

/// Reads the collection until it is `status`.
async fn until(client: &Client, id: &str, status: &str) -> Value {
    eventually(&format!("collection {id} to be {status}"), || async {
        let view = get(client, id).await;
        (view["status"] == status).then_some(view)
    })
    .await
}

/// The sandbox's payer sends `payment` to the collection; P100's status after.
async fn pay(admin: &Client, view: &Value, payment: &str) -> String {
    let id = view["upstream_id"].as_str().expect("P100 has it");
    let (status, body) = admin.call("sandbox/pay", json!({ "id": id, "payment": payment })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_str().unwrap().to_owned()
}

/// `(action, after)` of the audit rows about collection `id`, oldest first.
async fn audit_of(app: &TestApp, id: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT action, after_data FROM audit_log WHERE target_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(app.db())
        .await
        .unwrap()
}

/// Locks and creates an order for `eur` paid in USDC on Polygon, then waits for its address.
async fn order_awaiting_payment(finance: &Client, eur: &str) -> Value {
    let (status, locked) = finance
        .call(
            "collections/lock_order",
            json!({ "input": { "amount": eur, "asset": "usdc:polygon" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{locked}");
    assert_eq!(locked["status"], "locked");
    assert!(locked["seconds_left"].as_u64().unwrap() > 0);
    let id = locked["id"].as_str().unwrap().to_owned();
    let (status, created) = finance.call("collections/create_order", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert!(created["upstream_id"].is_string());
    let view = until(finance, &id, "awaiting_payment").await;
    assert!(view["wallet_address"].as_str().unwrap().starts_with("0x"));
    assert!(view["qr"].as_str().unwrap().contains("<svg"));
    view
}

#[tokio::test]
async fn an_order_is_locked_created_once_paid_and_settled_in_eur() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let admin = app.signed_in(Role::Admin).await;
    let before = partner_eur(&app).await;

    let view = order_awaiting_payment(&finance, "250.00").await;
    let id = view["id"].as_str().unwrap();
    assert_eq!(view["eur"], "250.00 EUR");
    // The exact crypto due is what the lock said, at USDC's six decimals.
    let due = view["due"].as_str().unwrap().to_owned();
    assert!(
        due.ends_with(" USDC") && due.split('.').nth(1).unwrap().len() == 6 + " USDC".len(),
        "{due}"
    );

    // A second create of the same lock is refused and sends nothing.
    let (status, again) = finance.call("collections/create_order", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(again.to_string().contains("not sent again"), "{again}");

    // Half first: underpaid, nothing settled.
    assert_eq!(pay(&admin, &view, "under").await, "WAITING_FOR_PAYMENT");
    let underpaid = until(&finance, id, "underpaid").await;
    assert_ne!(underpaid["received"], json!("0.000000 USDC"));
    assert_eq!(partner_eur(&app).await, before);

    // The rest: confirmations counted on the page, then paid and 250.00 EUR credited exactly.
    assert_eq!(pay(&admin, &view, "exact").await, "WAITING_FOR_CONFIRMATION");
    let paid = until(&finance, id, "paid").await;
    assert_eq!(paid["received"], paid["due"]);
    assert_eq!(paid["confirmations"], json!([3, 3]));
    assert_eq!(paid["upstream_status"], "COMPLETED");
    assert!(paid["qr"].is_null(), "nothing more to pay: no QR");
    assert_eq!(partner_eur(&app).await - before, Decimal::from_str("250.00").unwrap());

    // Locked, sent, created, and each status P100 moved it through: audited once each.
    let actions: Vec<String> = audit_of(&app, id).await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions.iter().filter(|a| *a == "collections.order.lock").count(), 1);
    assert!(actions.iter().filter(|a| *a == "collections.order.create").count() >= 3);
    let paid_rows = audit_of(&app, id)
        .await
        .into_iter()
        .filter(|(a, after)| a == "collections.status" && after.as_deref().is_some_and(|d| d.contains("\"paid\"")))
        .count();
    assert_eq!(
        paid_rows, 1,
        "the page, the follower and the webhook read it; one of them records it"
    );

    // Paying more than due: the order settles the locked amount, no more (INFERRED).
    let before = partner_eur(&app).await;
    let over = order_awaiting_payment(&finance, "40.00").await;
    pay(&admin, &over, "over").await;
    let paid = until(&finance, over["id"].as_str().unwrap(), "paid").await;
    assert_ne!(paid["received"], paid["due"]);
    assert_eq!(partner_eur(&app).await - before, Decimal::from_str("40.00").unwrap());
}

#[tokio::test]
async fn an_order_is_checked_before_anything_is_sent_and_a_lapsed_lock_creates_nothing() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let audited = app.audit_count().await;
    let (status, body) = finance
        .call(
            "collections/lock_order",
            json!({ "input": { "amount": "-5", "asset": "gold:moon" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "amount").is_some(), "{body}");
    assert_eq!(field_message(&body, "asset"), Some("Choose what the payer pays in."));
    assert_eq!(app.audit_count().await, audited, "nothing sent, nothing recorded");

    // A lock of one second, run out before the order is created.
    let settings = Settings {
        lock_ttl_ms: Some(1_000),
        ..Default::default()
    };
    control::apply_settings(sandbox(&app), &settings).await.unwrap();
    let (_, locked) = finance
        .call(
            "collections/lock_order",
            json!({ "input": { "amount": "10", "asset": "btc:btc" } }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let id = locked["id"].as_str().unwrap();
    let (status, body) = finance.call("collections/create_order", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("Lock a new rate"), "{body}");
    assert_eq!(get(&finance, id).await["status"], "lock_expired");
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_movements WHERE kind = 'order'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(orders, 0, "P100 was never asked");
}

#[tokio::test]
async fn payment_links_take_transfers_until_paid_and_settle_each_in_eur() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let admin = app.signed_in(Role::Admin).await;
    let before = partner_eur(&app).await;

    let input = json!({ "kind": "payment_link", "amount": "100", "description": "Invoice 7",
                        "reference": "INV-7", "expires_in_hours": "48" });
    let (status, link) = finance.call("collections/create_link", json!({ "input": input })).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["status"], "awaiting_payment");
    assert!(link["url"].as_str().unwrap().contains("/pay/"));
    assert!(link["qr"].as_str().unwrap().contains("<svg"));
    assert_eq!(link["reference"], "INV-7");
    let id = link["id"].as_str().unwrap();

    assert_eq!(pay(&admin, &link, "under").await, "AWAITING_COMPLETION");
    let underpaid = until(&finance, id, "underpaid").await;
    assert_eq!(underpaid["settled"], "50.00 EUR");
    assert_eq!(partner_eur(&app).await - before, Decimal::from(50));
    assert_eq!(pay(&admin, &link, "exact").await, "PAID");
    let paid = until(&finance, id, "paid").await;
    assert_eq!(paid["transfers"].as_array().unwrap().len(), 2);
    assert_eq!(paid["settled"], "100.00 EUR");
    assert_eq!(partner_eur(&app).await - before, Decimal::from(100));
    // Paid: the payer cannot pay it again.
    let (status, _) = admin
        .call("sandbox/pay", json!({ "id": link["upstream_id"], "payment": "exact" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A hosted checkout paid a fifth over: every transfer is converted and credited in full.
    let before = partner_eur(&app).await;
    let input = json!({ "kind": "hosted_checkout", "amount": "80.00" });
    let (_, checkout) = finance.call("collections/create_link", json!({ "input": input })).await;
    assert_eq!(checkout["kind"], "hosted_checkout");
    pay(&admin, &checkout, "over").await;
    let paid = until(&finance, checkout["id"].as_str().unwrap(), "paid").await;
    assert_eq!(paid["settled"], "96.00 EUR");
    assert_eq!(partner_eur(&app).await - before, Decimal::from(96));

    // The form's checks, before anything is sent.
    let bad = json!({ "kind": "order", "amount": "0", "reference": "x".repeat(65), "expires_in_hours": "0" });
    let (status, body) = finance.call("collections/create_link", json!({ "input": bad })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["kind", "amount", "reference", "expires_in_hours"] {
        assert!(field_message(&body, field).is_some(), "{field}: {body}");
    }
}

#[tokio::test]
async fn collection_webhooks_are_applied_once_and_kept_when_they_name_nothing_of_ours() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let admin = app.signed_in(Role::Admin).await;
    let input = json!({ "kind": "payment_link", "amount": "30" });
    let (_, link) = finance.call("collections/create_link", json!({ "input": input })).await;
    let id = link["id"].as_str().unwrap();
    let upstream = link["upstream_id"].as_str().unwrap();
    pay(&admin, &link, "exact").await;

    // Nobody opens the page: the Payment Link webhook (and the follower) bring the news.
    eventually("the link to be paid from its webhook", || async {
        let status: String = sqlx::query_scalar("SELECT status FROM collections WHERE id = $1")
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
        (status == "paid").then_some(())
    })
    .await;
    // The same event delivered again, at the base URL: stored, applied, nothing changes twice.
    let event = json!({ "paymentLinkId": upstream, "status": "PAID" });
    for _ in 0..2 {
        let answer = reqwest::Client::new()
            .post(app.url("/webhooks/p100"))
            .header("authorization", app.webhook_token())
            .json(&event)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
    let (processed, statuses): (i64, i64) = eventually("the deliveries applied", || async {
        let processed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_events WHERE kind = 'payment_link' AND status = 'processed'",
        )
        .fetch_one(app.db())
        .await
        .unwrap();
        let statuses: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'collections.status' AND target_id = $1")
                .bind(id)
                .fetch_one(app.db())
                .await
                .unwrap();
        (processed >= 2).then_some((processed, statuses))
    })
    .await;
    assert!(processed >= 2);
    assert_eq!(statuses, 1, "awaiting payment to paid, recorded once");

    // An order P100 names that was not created here: kept, marked as naming nothing of ours.
    let stranger = json!({ "orderId": "not-ours-1", "status": "COMPLETED" });
    let answer = reqwest::Client::new()
        .post(app.url("/webhooks/p100/webhook/order/status"))
        .header("authorization", app.webhook_token())
        .json(&stranger)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    eventually("the stranger's event to be ignored", || async {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM webhook_events WHERE kind = 'order' AND payload LIKE '%not-ours-1%'",
        )
        .fetch_optional(app.db())
        .await
        .unwrap();
        (status.as_deref() == Some("ignored")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_list_filters_and_exports_what_each_role_may_read() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    for (kind, amount) in [("payment_link", "12"), ("hosted_checkout", "13")] {
        let input = json!({ "kind": kind, "amount": amount, "reference": format!("ref-{kind}") });
        let (status, _) = finance.call("collections/create_link", json!({ "input": input })).await;
        assert_eq!(status, StatusCode::OK);
    }
    finance
        .call(
            "collections/lock_order",
            json!({ "input": { "amount": "14", "asset": "eth:ethereum" } }),
        )
        .await;

    let viewer = app.signed_in(Role::Viewer).await;
    let (status, all) = viewer.call("collections/list", json!({ "filter": {} })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["rows"].as_array().unwrap().len(), 3);
    let (_, links) = viewer
        .call("collections/list", json!({ "filter": { "kind": "hosted_checkout" } }))
        .await;
    assert_eq!(links["rows"][0]["reference"], "ref-hosted_checkout");
    assert_eq!(links["rows"].as_array().unwrap().len(), 1);
    let (_, eth) = viewer
        .call("collections/list", json!({ "filter": { "currency": "eth" } }))
        .await;
    assert_eq!(eth["rows"][0]["status"], "locked");
    let (status, body) = viewer
        .call(
            "collections/list",
            json!({ "filter": { "status": "nope", "from": "2026-13-01" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status").is_some() && field_message(&body, "from").is_some());

    let csv = viewer.get("/exports/collections.csv?kind=payment_link").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,created_at,kind,status,p100_id"));
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].contains(",payment_link,awaiting_payment,") && lines[1].contains(",12.00,eur,"));
    assert!(app.last_audit("collections.export").await.is_some());

    let onboarding = app.signed_in(Role::Onboarding).await;
    let (status, _) = onboarding.call("collections/list", json!({ "filter": {} })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reconciliation_sets_what_orders_and_links_settle_beside_p100s_history() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let admin = app.signed_in(Role::Admin).await;
    let order = order_awaiting_payment(&finance, "75.00").await;
    pay(&admin, &order, "exact").await;
    until(&finance, order["id"].as_str().unwrap(), "paid").await;
    let (_, link) = finance
        .call(
            "collections/create_link",
            json!({ "input": { "kind": "hosted_checkout", "amount": "50" } }),
        )
        .await;
    pay(&admin, &link, "over").await;
    until(&finance, link["id"].as_str().unwrap(), "paid").await;
    let (_, open) = finance
        .call(
            "collections/create_link",
            json!({ "input": { "kind": "payment_link", "amount": "20" } }),
        )
        .await;

    // A webhook applied after a round changes the row, which is "checking" again until the next
    // round reads P100 (on a loaded machine the open link's first webhook can land after one).
    let report = eventually("every collection read from P100 after its last change", || async {
        backoffice::server::reconciliation::check::round(&app.state)
            .await
            .unwrap();
        let (status, report) = finance.call("reconciliation/report", json!({ "filter": {} })).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let settled = [&order, &link, &open].iter().all(|view| {
            report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["subject"] == view["id"] && r["verdict"] != "checking")
        });
        settled.then_some(report)
    })
    .await;
    let row = |view: &Value| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == view["id"])
            .cloned()
            .unwrap_or_else(|| panic!("no row for {} in {report}", view["id"]))
    };
    // Paid in full: P100's history credits exactly the locked EUR.
    let paid = row(&order);
    assert_eq!(
        (paid["kind"].as_str(), paid["verdict"].as_str()),
        (Some("order"), Some("matched"))
    );
    assert_eq!(paid["upstream_amount"], "75.00");
    assert_eq!(paid["href"], format!("/collections/{}", order["id"].as_str().unwrap()));
    // Paid a fifth over: 60.00 EUR settled against 50.00, for finance to look at.
    let over = row(&link);
    assert_eq!(over["kind"], "payment_link");
    assert_eq!(over["verdict"], "mismatch", "{over}");
    assert_eq!(over["upstream_amount"], "60.00");
    assert_eq!(over["findings"][0]["mismatch"], "amount_differs");
    // Not paid yet: waiting on both sides, nothing to compare.
    let waiting = row(&open);
    assert_eq!(waiting["verdict"], "matched", "{waiting}");
    assert_eq!(waiting["upstream"], "PENDING");
}
