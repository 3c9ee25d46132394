//! SEPA payouts, crypto withdrawals and internal transfers over HTTP against the sandbox: each end
//! to end with exact amounts, refusals on their fields with nothing sent, duplicate submissions,
//! four-eyes above the threshold, and no answer / 5xx / a crash mid-call never paying twice.

use std::str::FromStr;

use backoffice::domain::Role;
use backoffice::sandbox::movement_count;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{
    Client, TestApp, eventually, fault, field_message, quick, spawn_app, spawn_app_with, upstream_balance,
};

/// An active seeded user with EUR, BTC and USDC (see `sandbox::seed`).
const FUNDED: &str = "demo-0025";
const IBAN: &str = "DE89 3704 0044 0532 0130 00";
const BTC_ADDRESS: &str = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx";

pub fn sepa(amount: &str) -> Value {
    json!({ "Sepa": { "holder": "Partner", "beneficiary": "Anna Nowak", "iban": IBAN, "bic": "COBADEFFXXX", "amount": amount, "reference": "Invoice 2026/11" } })
}

fn crypto(amount: &str, address: &str) -> Value {
    json!({ "Crypto": { "holder": "Partner", "currency": "btc", "network": "btc", "address": address, "amount": amount, "memo": "", "beneficiary": "Anna Nowak", "wallet_type": "NON_CUSTODIAL", "receiver_type": "NATURAL" } })
}

fn transfer(direction: &str, amount: &str) -> Value {
    json!({ "Transfer": { "user": FUNDED, "direction": direction, "currency": "eur", "amount": amount, "note": "monthly bonus" } })
}

/// Reviews `input` and submits it under the review's key: (status, movement detail).
pub async fn send(client: &Client, input: &Value) -> (Value, Value) {
    let (status, review) = client.call("payouts/review", json!({ "input": input })).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let (status, detail) = client
        .call("payouts/submit", json!({ "input": input, "key": review["key"] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    (review, detail)
}

async fn status_of(client: &Client, id: &str) -> Value {
    let (status, detail) = client.call("payouts/get", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail
}

/// A payout above the threshold whose approval committed (finance2's, long ago) just before the
/// server stopped, so it was never run: (movement id, approval id).
pub async fn approved_before_a_restart(app: &TestApp, maker: &Client) -> (String, String) {
    let (_, detail) = send(maker, &sepa("3000")).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let approval = detail["movement"]["approval"]["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "UPDATE approvals SET status = 'approved', approved_hash = payload_hash, decided_at = '2000-01-01T00:00:00.000Z',
             checker_id = (SELECT id FROM staff WHERE email = 'finance2@sandbox.test') WHERE id = $1",
    )
    .bind(&approval)
    .execute(app.db())
    .await
    .unwrap();
    (id, approval)
}

pub async fn until(client: &Client, id: &str, want: &str) -> Value {
    eventually(&format!("movement {id} {want}"), || async {
        let detail = status_of(client, id).await;
        (detail["movement"]["status"] == want).then_some(detail)
    })
    .await
}

/// Waits for the movement's recorded status without reading P100 (`payouts/get` would follow it
/// from the details endpoint, and the background follower leaves fresh movements alone for 15 s):
/// only a webhook can move it.
async fn until_webhook_moves(app: &TestApp, id: &str, want: &str) {
    eventually(&format!("the webhook to make {id} {want}"), || async {
        let status: String = sqlx::query_scalar("SELECT status FROM movements WHERE id = $1")
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
        (status == want).then_some(())
    })
    .await
}

fn actions(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_sepa_payout_below_the_threshold_is_sent_once_and_completes() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let before = upstream_balance(&app, "partner", "eur").await;
    let count = movement_count(app.db(), "sepa").await.unwrap();

    let (review, detail) = send(&finance, &sepa("250.00")).await;
    assert_eq!(
        review["approval_above"],
        Value::Null,
        "250 EUR is under the 1,000 EUR threshold"
    );
    let lines: Vec<(String, String)> = serde_json::from_value(review["lines"].clone()).unwrap();
    assert!(
        lines.contains(&("IBAN".into(), "DE89 3704 0044 0532 0130 00".into())),
        "{lines:?}"
    );
    assert!(lines.contains(&("Fee (P100 standard, estimated)".into(), "1.00 EUR".into())));
    assert!(lines.contains(&("Taken from the balance".into(), "251.00 EUR".into())));
    let request: Value = serde_json::from_str(review["request"].as_str().unwrap()).unwrap();
    assert_eq!(
        request,
        json!({ "amount": "250.00", "currency": "eur", "destinationIban": "DE89370400440532013000", "transferTitle": "Invoice 2026/11" }),
        "closed loop: no receiver names are sent"
    );
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    assert_eq!(detail["movement"]["status"], "pending");
    assert!(detail["movement"]["upstream_id"].is_string());

    // The same review submitted again (a double click, a browser retry) is the same movement.
    let (status, again) = finance
        .call(
            "payouts/submit",
            json!({ "input": sepa("250.00"), "key": review["key"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["movement"]["id"], id.as_str());
    // Another member cannot reuse someone else's review.
    let other = app.signed_in_as("finance2").await;
    let (status, body) = other
        .call(
            "payouts/submit",
            json!({ "input": sepa("250.00"), "key": review["key"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The SEPA webhook completes it; P100 took the amount and its fee, once.
    until_webhook_moves(&app, &id, "completed").await;
    let done = status_of(&finance, &id).await;
    assert_eq!(movement_count(app.db(), "sepa").await.unwrap(), count + 1);
    assert_eq!(
        upstream_balance(&app, "partner", "eur").await,
        before - Decimal::from_str("251.00").unwrap()
    );
    assert_eq!(done["movement"]["fee"], "1.00 EUR");
    assert_eq!(done["movement"]["upstream_status"], "SUCCESSFUL");
    assert_eq!(
        actions(&done),
        ["payouts.submit", "payouts.send", "payouts.status"],
        "every step audited"
    );
    let submit = &done["timeline"][0];
    assert_eq!(submit["staff_email"], "finance@sandbox.test");
    assert_eq!(
        done["timeline"][2]["staff_email"],
        Value::Null,
        "the status change is the system's"
    );

    // Listed with its filters.
    let (_, list) = finance
        .call(
            "payouts/list",
            json!({ "filter": { "kind": "sepa", "status": "completed", "currency": "eur" } }),
        )
        .await;
    assert!(
        list["rows"].as_array().unwrap().iter().any(|r| r["id"] == id.as_str()),
        "{list}"
    );
    let (_, list) = finance
        .call("payouts/list", json!({ "filter": { "kind": "crypto" } }))
        .await;
    assert!(list["rows"].as_array().unwrap().iter().all(|r| r["kind"] == "crypto"));
    let (status, body) = finance
        .call(
            "payouts/list",
            json!({ "filter": { "status": "paid", "from": "yesterday" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status").is_some() && field_message(&body, "from").is_some());
}

#[tokio::test]
async fn two_submissions_of_one_review_at_once_record_and_send_one_movement() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let count = movement_count(app.db(), "sepa").await.unwrap();
    let (_, review) = finance.call("payouts/review", json!({ "input": sepa("40") })).await;
    let args = json!({ "input": sepa("40"), "key": review["key"] });
    let (a, b) = tokio::join!(
        finance.call("payouts/submit", args.clone()),
        finance.call("payouts/submit", args.clone())
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{} {}", a.1, b.1);
    assert_eq!(a.1["movement"]["id"], b.1["movement"]["id"]);
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM movements")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(recorded, 1);
    assert_eq!(movement_count(app.db(), "sepa").await.unwrap(), count + 1);
}

#[tokio::test]
async fn bad_input_is_refused_on_its_field_and_nothing_is_sent() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let counts = || async {
        (
            movement_count(app.db(), "sepa").await.unwrap(),
            movement_count(app.db(), "crypto_withdrawal").await.unwrap(),
            movement_count(app.db(), "transfer").await.unwrap(),
        )
    };
    let before = counts().await;
    let refused = |input: Value, field: &'static str, words: &'static str| {
        let finance = &finance;
        async move {
            for endpoint in ["payouts/review", "payouts/submit"] {
                let args = json!({ "input": input, "key": "0193c5a0-0000-7000-8000-000000000000" });
                let (status, body) = finance.call(endpoint, args).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint} {input}: {body}");
                let message = field_message(&body, field).unwrap_or_else(|| panic!("{field} in {body}"));
                assert!(message.contains(words), "{field}: {message}");
            }
        }
    };
    let mut wrong = sepa("10");
    wrong["Sepa"]["iban"] = json!("DE89 3704 0044 0532 0130 01");
    refused(wrong, "iban", "check digits").await;
    let mut wrong = sepa("10");
    wrong["Sepa"]["iban"] = json!("DE89 3704 0044 0532 0130");
    refused(wrong, "iban", "DE").await;
    let mut wrong = sepa("10");
    wrong["Sepa"]["bic"] = json!("COBA1EFF");
    refused(wrong, "bic", "country").await;
    let mut wrong = sepa("10");
    wrong["Sepa"]["reference"] = json!("Zahlung für März");
    refused(wrong, "reference", "SEPA carries").await;
    refused(sepa("10.001"), "amount", "2 decimal places").await;
    refused(sepa("0"), "amount", "more than zero").await;
    refused(sepa("999999"), "amount", "available").await;
    refused(
        crypto("0.01", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsy"),
        "address",
        "checksum",
    )
    .await;
    refused(
        crypto("0.01", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
        "address",
        "Bitcoin",
    )
    .await;
    refused(crypto("0.0001", BTC_ADDRESS), "amount", "minimum").await;
    refused(crypto("100", BTC_ADDRESS), "amount", "available").await;
    let mut wrong = crypto("0.01", BTC_ADDRESS);
    wrong["Crypto"]["network"] = json!("polygon");
    refused(wrong, "network", "not withdrawn on polygon").await;
    let mut wrong = transfer("to_user", "10");
    wrong["Transfer"]["note"] = json!(" ");
    refused(wrong, "note", "what the transfer is for").await;
    let mut wrong = transfer("to_user", "10");
    wrong["Transfer"]["user"] = json!("nobody-here");
    refused(wrong, "user", "No user").await;
    refused(transfer("user_to_user", "10"), "direction", "direction").await;
    // A suspended user's money does not move: said before anything is sent.
    sqlx::query("UPDATE users SET account_status = 'SUSPENDED' WHERE external_user_id = $1")
        .bind(FUNDED)
        .execute(app.db())
        .await
        .unwrap();
    refused(transfer("to_user", "10"), "user", "suspended").await;
    let mut from_user = sepa("10");
    from_user["Sepa"]["holder"] = json!({ "User": FUNDED });
    let (status, body) = finance.call("payouts/review", json!({ "input": from_user })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("suspended"), "{body}");

    assert_eq!(counts().await, before, "nothing reached P100");
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM movements")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(recorded, 0, "nothing was recorded");
}

#[tokio::test]
async fn above_the_threshold_a_second_member_approves_that_exact_payload() {
    let app = spawn_app().await;
    quick(&app).await;
    let maker = app.signed_in(Role::Finance).await;
    let checker = app.signed_in_as("finance2").await;
    let compliance = app.signed_in(Role::Compliance).await;
    let count = movement_count(app.db(), "sepa").await.unwrap();

    let (review, detail) = send(&maker, &sepa("1500")).await;
    assert_eq!(review["approval_above"], "1,000.00 EUR");
    let movement = &detail["movement"];
    assert_eq!(movement["status"], "awaiting_approval");
    assert_eq!(
        movement_count(app.db(), "sepa").await.unwrap(),
        count,
        "nothing sent yet"
    );
    let id = movement["id"].as_str().unwrap().to_owned();
    let approval = movement["approval"]["id"].as_str().unwrap().to_owned();

    // The checker sees amount, destination, fee and the maker, and approves that payload's hash.
    let (status, request) = checker.call("approvals/get", json!({ "id": approval })).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    assert_eq!(request["action"], "payouts.send");
    assert_eq!(request["maker"], "Finn Finance");
    let review: Vec<(String, String)> = serde_json::from_value(request["review"].clone()).unwrap();
    for line in [
        ("Amount", "1,500.00 EUR"),
        ("Fee (P100 standard, estimated)", "1.50 EUR"),
        ("IBAN", "DE89 3704 0044 0532 0130 00"),
        ("Beneficiary", "Anna Nowak"),
    ] {
        assert!(
            review.contains(&(line.0.into(), line.1.into())),
            "{line:?} in {review:?}"
        );
    }
    assert!(request["upstream"].as_str().unwrap().contains("DE89370400440532013000"));
    let hash = request["payload_hash"].clone();
    let approve = json!({ "id": approval, "decision": { "Approve": { "payload_hash": hash } } });

    let (status, body) = maker.call("approvals/decide", approve.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "the maker cannot approve: {body}");
    let (status, _) = compliance.call("approvals/decide", approve.clone()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "compliance does not hold payouts.approve"
    );
    let wrong = json!({ "id": approval, "decision": { "Approve": { "payload_hash": "00" } } });
    let (status, _) = checker.call("approvals/decide", wrong).await;
    assert_eq!(status, StatusCode::CONFLICT, "approving another payload is refused");
    assert_eq!(movement_count(app.db(), "sepa").await.unwrap(), count);

    let (status, decided) = checker.call("approvals/decide", approve.clone()).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "executed");
    let (status, _) = checker.call("approvals/decide", approve).await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let done = until(&maker, &id, "completed").await;
    assert_eq!(movement_count(app.db(), "sepa").await.unwrap(), count + 1, "sent once");
    assert_eq!(done["movement"]["approval"]["checker"], "Fay Finance");
    let steps = actions(&done);
    for step in [
        "payouts.submit",
        "approvals.request",
        "approvals.approve",
        "payouts.approved",
        "payouts.send",
    ] {
        assert!(steps.iter().any(|s| s == step), "{step} in {steps:?}");
    }

    // A rejected one is never sent.
    let (_, detail) = send(&maker, &sepa("2000")).await;
    let approval = detail["movement"]["approval"]["id"].clone();
    let reject = json!({ "id": approval, "decision": { "Reject": { "reason": "not on the payment run" } } });
    let (status, _) = checker.call("approvals/decide", reject).await;
    assert_eq!(status, StatusCode::OK);
    let id = detail["movement"]["id"].as_str().unwrap();
    let cancelled = status_of(&maker, id).await;
    assert_eq!(cancelled["movement"]["status"], "cancelled");
    assert!(actions(&cancelled).contains(&"payouts.cancel".to_owned()));
    assert_eq!(movement_count(app.db(), "sepa").await.unwrap(), count + 1);
}

#[tokio::test]
async fn a_crypto_withdrawal_takes_the_amount_and_both_fees_exactly() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let before = upstream_balance(&app, "partner", "btc").await;
    let (review, detail) = send(&finance, &crypto("0.01", BTC_ADDRESS)).await;
    let lines: Vec<(String, String)> = serde_json::from_value(review["lines"].clone()).unwrap();
    let line = |label: &str| {
        let text = &lines.iter().find(|l| l.0 == label).unwrap().1;
        Decimal::from_str(text.trim_end_matches(" BTC")).unwrap()
    };
    assert_eq!(line("Arrives at the address"), Decimal::from_str("0.01").unwrap());
    assert_eq!(line("P100 service fee"), Decimal::from_str("0.0003").unwrap());
    let network_fee = line("Network fee (live)");
    assert!(network_fee > Decimal::ZERO);
    let request: Value = serde_json::from_str(review["request"].as_str().unwrap()).unwrap();
    assert_eq!(request["walletAddress"], BTC_ADDRESS);
    assert_eq!(request["name"], "Anna Nowak");
    assert_eq!(request.get("network"), None, "only USDC and USDT name a network");

    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    until_webhook_moves(&app, &id, "completed").await;
    let done = status_of(&finance, &id).await;
    let taken = before - upstream_balance(&app, "partner", "btc").await;
    assert_eq!(
        taken,
        line("Taken from the balance"),
        "what the review said left the balance"
    );
    assert_eq!(
        taken,
        Decimal::from_str("0.0103").unwrap() + network_fee,
        "amount + service fee + network fee"
    );
    assert_eq!(done["movement"]["to"], BTC_ADDRESS);
}

#[tokio::test]
async fn transfers_fund_a_user_and_collect_from_one() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let (partner, user) = (
        upstream_balance(&app, "partner", "eur").await,
        upstream_balance(&app, FUNDED, "eur").await,
    );
    let (_, funding) = send(&finance, &transfer("to_user", "75.50")).await;
    let id = funding["movement"]["id"].as_str().unwrap().to_owned();
    until_webhook_moves(&app, &id, "completed").await;
    let done = status_of(&finance, &id).await;
    assert_eq!(done["movement"]["from"], "Partner");
    assert_eq!(done["movement"]["to"], format!("User {FUNDED}"));
    let (_, collection) = send(&finance, &transfer("to_partner", "20.25")).await;
    let id = collection["movement"]["id"].as_str().unwrap().to_owned();
    until_webhook_moves(&app, &id, "completed").await;
    let net = Decimal::from_str("55.25").unwrap();
    assert_eq!(upstream_balance(&app, "partner", "eur").await, partner - net);
    assert_eq!(upstream_balance(&app, FUNDED, "eur").await, user + net);
    // The transfer webhook (INFERRED) moved them: the events are stored and processed.
    let processed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE kind = 'transfer' AND status = 'processed'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(processed, 2);
}

#[tokio::test]
async fn no_answer_a_5xx_or_a_crash_never_pays_twice() {
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let count = movement_count(app.db(), "sepa").await.unwrap();

    // The answer never comes, but P100 did make the payout: found in the history, not re-sent.
    fault(&app, "partner.sepa_transfer", |f| f.timeout = true).await;
    let (_, detail) = send(&finance, &sepa("61")).await;
    assert_eq!(detail["movement"]["status"], "unknown");
    assert!(detail["movement"]["failure"].as_str().unwrap().contains("(timeout)"));
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let done = until(&finance, &id, "completed").await;
    assert!(
        actions(&done).contains(&"payouts.recover".to_owned()),
        "{:?}",
        actions(&done)
    );
    assert_eq!(
        movement_count(app.db(), "sepa").await.unwrap(),
        count + 1,
        "one payout at P100"
    );

    // A 5xx before P100 did anything: unknown, looked for, and never sent again.
    fault(&app, "partner.sepa_transfer", |f| f.http_status = Some(503)).await;
    let (_, detail) = send(&finance, &sepa("62")).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    assert_eq!(detail["movement"]["status"], "unknown");
    backoffice::server::movements::follow_due(&app.state).await.unwrap();
    assert_eq!(status_of(&finance, &id).await["movement"]["status"], "unknown");
    assert_eq!(
        movement_count(app.db(), "sepa").await.unwrap(),
        count + 1,
        "nothing re-sent"
    );

    // A crash after P100 made the payout and before its answer was recorded: the follower takes
    // the stale `submitting` record to `unknown` and finds the payout in the history.
    let (_, detail) = send(&finance, &transfer("to_user", "12")).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let transfers = movement_count(app.db(), "transfer").await.unwrap();
    sqlx::query(
        "UPDATE movements SET status = 'submitting', upstream_id = NULL, submitted_at = $2,
             updated_at = '2000-01-01T00:00:00.000Z' WHERE id = $1",
    )
    .bind(&id)
    .bind(detail["movement"]["submitted_at"].as_str().unwrap())
    .execute(app.db())
    .await
    .unwrap();
    backoffice::server::movements::follow_due(&app.state).await.unwrap();
    let done = until(&finance, &id, "completed").await;
    let steps = actions(&done);
    assert!(
        steps.ends_with(&[
            "payouts.status".into(),
            "payouts.recover".into(),
            "payouts.status".into()
        ]),
        "{steps:?}"
    );
    assert_eq!(
        movement_count(app.db(), "transfer").await.unwrap(),
        transfers,
        "not sent again"
    );

    // P100 refuses with a code: failed, in words with the code, nothing moved.
    fault(&app, "partner.crypto_withdrawal", |f| f.p_code = Some("P433".into())).await;
    let before = upstream_balance(&app, "partner", "btc").await;
    let (_, detail) = send(&finance, &crypto("0.01", BTC_ADDRESS)).await;
    assert_eq!(detail["movement"]["status"], "failed");
    assert!(
        detail["movement"]["failure"].as_str().unwrap().ends_with("(P433)"),
        "{detail}"
    );
    assert_eq!(upstream_balance(&app, "partner", "btc").await, before);
}

#[tokio::test]
async fn admins_set_the_thresholds_and_each_change_is_audited() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let (status, thresholds) = admin.call("settings/thresholds", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        thresholds["thresholds"][0],
        json!({ "currency": "eur", "amount": "1000" })
    );
    let (status, body) = admin
        .call(
            "settings/update_thresholds",
            json!({ "thresholds": [{ "currency": "eur", "amount": "12.345" }, { "currency": "btc", "amount": "abc" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "threshold.eur").is_some() && field_message(&body, "threshold.btc").is_some());
    let (status, saved) = admin
        .call(
            "settings/update_thresholds",
            json!({ "thresholds": [{ "currency": "eur", "amount": "100" }, { "currency": "btc", "amount": "" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    // Lowering the bar for four-eyes is itself four-eyes: nothing applies until a second admin approves.
    assert_eq!(saved["thresholds"][0]["amount"], "1000", "{saved}");
    let approval = saved["pending"]["id"].as_str().expect("a request").to_owned();
    assert!(app.last_audit("settings.update").await.is_none());
    let (_, request) = admin.call("approvals/get", json!({ "id": approval })).await;
    let review: Vec<(String, String)> = serde_json::from_value(request["review"].clone()).unwrap();
    assert!(
        review.contains(&("EUR".into(), "1,000.00 EUR → 100.00 EUR".into())),
        "{review:?}"
    );
    assert!(
        review.contains(&("BTC".into(), "0.02000000 BTC → every amount".into())),
        "{review:?}"
    );
    let approve = json!({ "id": approval, "decision": { "Approve": { "payload_hash": request["payload_hash"] } } });
    let (status, body) = admin.call("approvals/decide", approve.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "the maker cannot approve: {body}");
    let (status, body) = app.signed_in_as("admin2").await.call("approvals/decide", approve).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = app.last_audit("settings.update").await.unwrap();
    assert_eq!(row.staff_email.as_deref(), Some("admin2@sandbox.test"));
    let before: Value = serde_json::from_str(row.before_data.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(row.after_data.as_deref().unwrap()).unwrap();
    assert_eq!(
        before,
        json!({ "approval_threshold.btc": "0.02", "approval_threshold.eur": "1000" })
    );
    assert_eq!(
        after,
        json!({ "approval_threshold.btc": null, "approval_threshold.eur": "100" })
    );

    // Now 150 EUR needs a second member, and so does any BTC amount.
    let finance = app.signed_in(Role::Finance).await;
    let (_, review) = finance.call("payouts/review", json!({ "input": sepa("150") })).await;
    assert_eq!(review["approval_above"], "100.00 EUR");
    let (_, review) = finance
        .call("payouts/review", json!({ "input": crypto("0.001", BTC_ADDRESS) }))
        .await;
    assert!(
        review["approval_above"].as_str().unwrap().starts_with("any amount"),
        "{review}"
    );
}

#[tokio::test]
async fn travel_rule_data_releases_a_held_deposit() {
    let app = spawn_app().await;
    quick(&app).await;
    let compliance = app.signed_in(Role::Compliance).await;
    let waiting = eventually("the held deposits' webhooks", || async {
        let (status, list) = compliance.call("payouts/waiting_deposits", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        (!list.as_array().unwrap().is_empty()).then_some(list)
    })
    .await;
    let deposit = waiting[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = compliance
        .call(
            "payouts/travel_rule",
            json!({ "input": { "deposit_id": deposit, "name": "", "wallet_type": "", "sender_type": "" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "wallet_type", "sender_type"] {
        assert!(field_message(&body, field).is_some(), "{field}: {body}");
    }
    let input =
        json!({ "deposit_id": deposit, "name": "Jan Kowalski", "wallet_type": "CUSTODIAL", "sender_type": "NATURAL" });
    let (status, body) = compliance.call("payouts/travel_rule", json!({ "input": input })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let status: String = sqlx::query_scalar("SELECT status FROM sandbox_movements WHERE id = $1")
        .bind(&deposit)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_ne!(status, "WAITING_FOR_TR_DATA", "P100 released it");
    let row = app.last_audit("travel_rule.submit").await.unwrap();
    assert_eq!(row.target_id.as_deref(), Some(deposit.as_str()));
    let (_, list) = compliance.call("payouts/waiting_deposits", json!({})).await;
    assert!(list.as_array().unwrap().iter().all(|d| d["id"] != deposit.as_str()));
}

#[tokio::test]
async fn an_approval_granted_just_before_a_restart_is_sent_once_afterwards() {
    let app = spawn_app().await;
    quick(&app).await;
    let maker = app.signed_in(Role::Finance).await;
    let count = movement_count(app.db(), "sepa").await.unwrap();
    let (id, _) = approved_before_a_restart(&app, &maker).await;
    backoffice::server::movements::follow_due(&app.state).await.unwrap();
    backoffice::server::movements::follow_due(&app.state).await.unwrap();
    let done = until(&maker, &id, "completed").await;
    assert_eq!(movement_count(app.db(), "sepa").await.unwrap(), count + 1, "sent once");
    assert_eq!(done["movement"]["approval"]["status"], "executed");
    let steps = actions(&done);
    for step in [
        "approvals.resume",
        "payouts.approved",
        "payouts.send",
        "approvals.execute",
    ] {
        assert_eq!(
            steps.iter().filter(|s| *s == step).count(),
            1,
            "{step} once in {steps:?}"
        );
    }
    let send = done["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "payouts.send")
        .unwrap();
    assert_eq!(
        send["staff_email"], "finance2@sandbox.test",
        "run as its checker decided"
    );
}

/// Splitting a payment does not walk around four-eyes: movements to one destination within the
/// window count together against the threshold; another destination does not.
#[tokio::test]
async fn payouts_split_under_the_threshold_still_need_a_second_member() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let (_, detail) = send(&finance, &sepa("600")).await;
    assert_ne!(detail["movement"]["status"], "awaiting_approval", "{detail}");

    let (status, review) = finance.call("payouts/review", json!({ "input": sepa("500") })).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let above = review["approval_above"].as_str().unwrap_or_default();
    assert!(
        above.contains("1,000.00 EUR with the 1 earlier movement") && above.contains("1,100.00 EUR in all"),
        "{review}"
    );
    let (_, detail) = send(&finance, &sepa("500")).await;
    assert_eq!(detail["movement"]["status"], "awaiting_approval", "{detail}");

    let mut elsewhere = sepa("500");
    elsewhere["Sepa"]["iban"] = json!("DE75 5121 0800 1245 1261 99");
    elsewhere["Sepa"]["bic"] = json!("");
    let (status, review) = finance.call("payouts/review", json!({ "input": elsewhere })).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert!(review["approval_above"].is_null(), "{review}");
}

#[tokio::test]
async fn the_timeline_shows_client_addresses_only_to_auditors() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let (_, detail) = send(&finance, &sepa("15.00")).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let timeline = |detail: &Value| detail["timeline"].as_array().unwrap().clone();

    // Finance follows the payout (balances.read) but does not read the audit log.
    let (_, seen) = finance.call("payouts/get", json!({ "id": id })).await;
    let steps = timeline(&seen);
    assert!(!steps.is_empty(), "{seen}");
    assert!(
        steps
            .iter()
            .all(|s| s["staff_email"].is_string() || s["staff_email"].is_null())
    );
    assert!(
        steps
            .iter()
            .any(|s| s["action"].as_str().is_some_and(|a| a.starts_with("payouts.")))
    );
    assert!(
        steps.iter().all(|s| s["ip"].is_null() && s["user_agent"].is_null()),
        "{steps:?}"
    );

    // Compliance reads the audit log: the same timeline with the addresses behind each step.
    let compliance = app.signed_in(Role::Compliance).await;
    let (_, seen) = compliance.call("payouts/get", json!({ "id": id })).await;
    assert!(timeline(&seen).iter().any(|s| s["ip"].is_string()), "{seen}");
}
