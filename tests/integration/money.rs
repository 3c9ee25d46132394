//! Balances, history, its CSV export and currency exchange over HTTP against the sandbox: amounts
//! exact to the last decimal, filters and pages, quote/lock/finalize, expiry, double finalize,
//! P100's refusals with their code, and the outcome followed through the exchange webhook.

use std::str::FromStr;
use std::time::Duration;

use backoffice::domain::Role;
use backoffice::domain::sandbox::Settings;
use backoffice::sandbox::control;
use backoffice::sandbox::movement_count;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, fault, field_message, quick, sandbox, spawn_app, upstream_balance};

/// An active seeded user with EUR, BTC and USDC (see `sandbox::seed`).
const FUNDED: &str = "demo-0025";

async fn local_status(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM exchanges WHERE id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap()
}

fn partner_exchange(from: &str, to: &str, amount: &str) -> Value {
    json!({ "input": { "holder": "Partner", "from": from, "to": to, "amount": amount } })
}

#[tokio::test]
async fn balances_are_exact_and_a_missing_wallet_can_be_created() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let (status, sheet) = finance.call("balances/sheet", json!({ "holder": "Partner" })).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let lines = sheet["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 9, "every currency the partner holds");
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT currency, amount FROM sandbox_balances WHERE owner = 'partner'")
            .fetch_all(app.db())
            .await
            .unwrap();
    for (currency, amount) in stored {
        let line = lines.iter().find(|l| l["currency"] == currency.as_str()).unwrap();
        assert_eq!(line["amount"], amount.as_str(), "{currency} exact to the last decimal");
    }
    let eur = lines.iter().find(|l| l["currency"] == "eur").unwrap();
    assert_eq!(eur["shown"], "250,000.00 EUR");
    assert_eq!(eur["eur"], "250,000.00 EUR");
    let btc = lines.iter().find(|l| l["currency"] == "btc").unwrap();
    assert_eq!(btc["shown"], "3.50000000 BTC");
    assert!(btc["rate"].as_str().unwrap().starts_with("1 BTC = "), "{btc}");
    assert_eq!(sheet["without_wallet"], json!(["eurt"]));

    let (status, body) = finance
        .call("balances/create_wallet", json!({ "currency": "eur" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(field_message(&body, "currency").is_some());
    let (status, sheet) = finance
        .call("balances/create_wallet", json!({ "currency": "eurt" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["without_wallet"], json!([]));
    let eurt = sheet["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "eurt")
        .unwrap()
        .clone();
    // P100 may answer before the wallet exists: it is shown as being created until the wallet
    // created webhook has come and P100's balances name the address.
    assert_eq!(eurt["status"], "wallet being created", "{eurt}");
    assert_eq!(
        app.last_audit("balances.create_wallet").await.unwrap().outcome,
        "success"
    );
    eventually("the wallet created webhook", || async {
        let kind: Option<String> =
            sqlx::query_scalar("SELECT status FROM webhook_events WHERE kind = 'wallet_created'")
                .fetch_optional(app.db())
                .await
                .unwrap();
        (kind.as_deref() == Some("processed")).then_some(())
    })
    .await;
    let (_, sheet) = finance.call("balances/sheet", json!({ "holder": "Partner" })).await;
    let eurt = sheet["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "eurt")
        .unwrap();
    assert!(eurt["account"].as_str().unwrap().starts_with("0x"), "{eurt}");

    // A user's balances come from P100 the same way; a user we do not know is not asked for.
    let (status, user) = finance
        .call("balances/sheet", json!({ "holder": { "User": FUNDED } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let eur = user["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "eur")
        .unwrap()
        .clone();
    assert_eq!(
        eur["amount"],
        upstream_balance(&app, FUNDED, "eur").await.to_string().as_str()
    );
    let (status, _) = finance
        .call("balances/sheet", json!({ "holder": { "User": "nobody-here" } }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn history_filters_pages_and_exports_exactly() {
    let app = spawn_app().await;
    let viewer = app.signed_in(Role::Viewer).await;
    // What the filter should find, computed from the sandbox's own rows with exact decimals.
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, currency, amount, status FROM sandbox_transactions WHERE owner = 'partner' ORDER BY created_at DESC",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    let (min, max) = (Decimal::from(100), Decimal::from(2500));
    let expected: Vec<(String, String)> = rows
        .into_iter()
        .filter(|(_, currency, amount, status)| {
            let size = Decimal::from_str(amount).unwrap().abs();
            currency == "eur" && status == "SUCCESSFUL" && size >= min && size <= max
        })
        .map(|(id, _, amount, _)| (id, amount))
        .collect();
    assert!(
        expected.len() > 25,
        "the seed gives more than a page: {}",
        expected.len()
    );

    let filter = json!({ "currency": "eur", "status": "successful", "min": "100", "max": "2,500.00" });
    let mut seen = Vec::new();
    for page in 1.. {
        let mut filter = filter.clone();
        filter["page"] = json!(page);
        let (status, body) = viewer
            .call("balances/history", json!({ "holder": "Partner", "filter": filter }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rows = body["rows"].as_array().unwrap();
        assert!(rows.len() <= 25);
        seen.extend(rows.iter().map(|r| {
            assert!(
                !r["fields"].as_array().unwrap().is_empty(),
                "the drawer has every field"
            );
            (
                r["id"].as_str().unwrap().to_owned(),
                r["amount"].as_str().unwrap().to_owned(),
            )
        }));
        if body["has_next"] == false {
            break;
        }
    }
    assert_eq!(seen, expected, "every match once, in P100's order, amounts exact");

    let (status, body) = viewer
        .call(
            "balances/history",
            json!({ "holder": "Partner", "filter": { "min": "lots", "from": "2026-05-02", "to": "2026-05-01" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "min").is_some());
    assert!(field_message(&body, "to").unwrap().contains("before"));

    let response = viewer
        .get("/exports/transactions.csv?currency=eur&status=successful&min=100&max=2500")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("transactions-partner")
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,created_at,type,status,currency,amount"));
    let exported: Vec<(String, String)> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            // A debit is a number a spreadsheet sums, not text behind the formula guard `'`.
            (cells[0].to_owned(), cells[5].to_owned())
        })
        .collect();
    assert_eq!(exported, expected);
    let row = app.last_audit("transactions.export").await.unwrap();
    assert_eq!(row.target_id.as_deref(), Some("partner"));
    assert!(row.reason.unwrap().contains("\"currency\":\"eur\""));
}

#[tokio::test]
async fn an_exchange_is_quoted_locked_finalized_and_followed_by_its_webhook() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let (eur_before, btc_before) = (
        upstream_balance(&app, "partner", "eur").await,
        upstream_balance(&app, "partner", "btc").await,
    );

    let audit_before = app.audit_count().await;
    let (status, quote) = finance
        .call("exchanges/quote", partner_exchange("eur", "btc", "1,000.00"))
        .await;
    assert_eq!(status, StatusCode::OK, "{quote}");
    assert!(quote["rate"].as_str().unwrap().starts_with("1 EUR = 0.0000"), "{quote}");
    assert!(quote["receive"].as_str().unwrap().ends_with(" BTC"));
    assert_eq!(quote["available"], "250,000.00 EUR");
    assert_eq!(app.audit_count().await, audit_before, "a quote changes nothing");

    let (status, locked) = finance
        .call("exchanges/lock", partner_exchange("eur", "btc", "1000"))
        .await;
    assert_eq!(status, StatusCode::OK, "{locked}");
    assert_eq!(locked["status"], "locked");
    let left = locked["seconds_left"].as_u64().unwrap();
    assert!((35..=40).contains(&left), "P100 locks for 40 s: {left}");
    assert_eq!(locked["amount_from"], "1,000.00 EUR");
    let id = locked["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.last_audit("exchanges.lock").await.unwrap().target_id.as_deref(),
        Some(id.as_str())
    );

    let (status, pending) = finance.call("exchanges/finalize", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    assert_eq!(pending["status"], "pending");
    assert!(pending["upstream_id"].is_string());
    assert_eq!(
        upstream_balance(&app, "partner", "eur").await,
        eur_before - Decimal::from(1000),
        "P100 reserved exactly the amount"
    );

    // Nobody asks: the exchange webhook alone brings the outcome.
    eventually("the webhook completes the exchange", || async {
        (local_status(&app, &id).await == "completed").then_some(())
    })
    .await;
    let amount_to: String = sqlx::query_scalar("SELECT amount_to FROM exchanges WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        upstream_balance(&app, "partner", "btc").await,
        btc_before + Decimal::from_str(&amount_to).unwrap(),
        "the BTC received is exactly what the exchange records"
    );
    let row = app.last_audit("exchanges.status").await.unwrap();
    assert_eq!(row.staff_email, None, "recorded as the system");

    let (status, list) = finance
        .call("exchanges/list", json!({ "filter": { "status": "completed" } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["rows"].as_array().unwrap().len(), 1);
    assert_eq!(list["rows"][0]["started_by"], "Finn Finance");
    let (_, none) = finance
        .call("exchanges/list", json!({ "filter": { "holder": FUNDED } }))
        .await;
    assert_eq!(none["rows"], json!([]));
}

#[tokio::test]
async fn a_double_finalize_exchanges_once() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let input = json!({ "input": { "holder": { "User": FUNDED }, "from": "eur", "to": "usdc", "amount": "10.50" } });
    let (status, locked) = finance.call("exchanges/lock", input).await;
    assert_eq!(status, StatusCode::OK, "{locked}");
    let id = locked["id"].as_str().unwrap();
    let before = movement_count(app.db(), "exchange").await.unwrap();
    let args = json!({ "id": id });
    let (a, b) = tokio::join!(
        finance.call("exchanges/finalize", args.clone()),
        finance.call("exchanges/finalize", args.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let refused = if a.0 == StatusCode::CONFLICT { a.1 } else { b.1 };
    assert!(
        refused["Refused"].as_str().unwrap().contains("already finalized"),
        "{refused}"
    );
    assert_eq!(
        movement_count(app.db(), "exchange").await.unwrap(),
        before + 1,
        "one exchange at P100"
    );
    let (status, again) = finance.call("exchanges/finalize", args).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(movement_count(app.db(), "exchange").await.unwrap(), before + 1);
}

#[tokio::test]
async fn after_the_lock_expires_nothing_is_sent() {
    let app = spawn_app().await;
    let settings = Settings {
        lock_ttl_ms: Some(1_000),
        ..Default::default()
    };
    control::apply_settings(sandbox(&app), &settings).await.unwrap();
    let finance = app.signed_in(Role::Finance).await;
    let (_, locked) = finance
        .call("exchanges/lock", partner_exchange("btc", "eur", "0.01"))
        .await;
    let id = locked["id"].as_str().expect("locked").to_owned();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, shown) = finance.call("exchanges/get", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shown["status"], "expired",
        "the page shows it expired before anyone tries"
    );
    assert_eq!(shown["seconds_left"], 0);
    let (_, list) = finance
        .call("exchanges/list", json!({ "filter": { "status": "expired" } }))
        .await;
    assert_eq!(list["rows"][0]["id"], shown["id"], "the list records the expiry");
    assert_eq!(
        app.last_audit("exchanges.expire").await.unwrap().target_id.as_deref(),
        Some(id.as_str())
    );
    let before = movement_count(app.db(), "exchange").await.unwrap();
    let (status, body) = finance.call("exchanges/finalize", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("expired"), "{body}");
    assert_eq!(
        movement_count(app.db(), "exchange").await.unwrap(),
        before,
        "nothing sent"
    );
    assert_eq!(local_status(&app, &id).await, "expired");
    assert_eq!(app.last_audit("exchanges.finalize").await.unwrap().outcome, "failure");
    // The page's "lock a new rate" asks for the same exchange again.
    let (status, fresh) = finance.call("exchanges/lock", json!({ "input": shown["again"] })).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_ne!(fresh["id"], shown["id"]);
}

#[tokio::test]
async fn bad_input_is_refused_on_its_field_and_p100_refusals_keep_their_code() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    for (args, field, words) in [
        (partner_exchange("eur", "btc", "0"), "amount", "more than zero"),
        (partner_exchange("eur", "btc", "1.005"), "amount", "2 decimal places"),
        (partner_exchange("btc", "btc", "1"), "to", "other than"),
        (partner_exchange("", "btc", "1"), "from", "Choose"),
        (partner_exchange("xrp", "btc", "1"), "from", "not a currency"),
        (
            partner_exchange("eur", "btc", "250000.01"),
            "amount",
            "available 250,000.00 EUR",
        ),
        (partner_exchange("btc", "eur", "0.00000001"), "amount", "Too small"),
    ] {
        for endpoint in ["exchanges/quote", "exchanges/lock"] {
            let (status, body) = finance.call(endpoint, args.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint} {args}: {body}");
            let message = field_message(&body, field).unwrap_or_default();
            assert!(message.contains(words), "{endpoint} {args}: {body}");
        }
    }
    let locks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_locks")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(locks, 0, "nothing reached P100");

    // P100 says the balance is too low at finalize (it moved since the lock): its code is shown,
    // the exchange is failed here, and nothing moved there.
    let (_, locked) = finance
        .call("exchanges/lock", partner_exchange("eur", "eth", "500"))
        .await;
    let id = locked["id"].as_str().expect("locked").to_owned();
    fault(&app, "partner.exchange", |f| f.p_code = Some("P433".into())).await;
    let before = movement_count(app.db(), "exchange").await.unwrap();
    let (status, body) = finance.call("exchanges/finalize", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["Upstream"]["code"], "P433");
    assert!(
        body["Upstream"]["message"]
            .as_str()
            .unwrap()
            .contains("balance is too low")
    );
    assert_eq!(movement_count(app.db(), "exchange").await.unwrap(), before);
    assert_eq!(local_status(&app, &id).await, "failed");
    let (_, shown) = finance.call("exchanges/get", json!({ "id": id })).await;
    assert!(shown["failure"].as_str().unwrap().contains("P433"), "{shown}");
    assert_eq!(app.last_audit("exchanges.finalize").await.unwrap().outcome, "failure");
}

#[tokio::test]
async fn a_finalize_cut_off_by_a_crash_becomes_unknown_and_is_never_resent() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let (_, locked) = finance
        .call("exchanges/lock", partner_exchange("eur", "ltc", "200"))
        .await;
    let id = locked["id"].as_str().expect("locked").to_owned();
    // The server stopped after recording the finalize and before P100 answered.
    sqlx::query("UPDATE exchanges SET status = 'submitting', updated_at = '2000-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(&id)
        .execute(app.db())
        .await
        .unwrap();
    let before = movement_count(app.db(), "exchange").await.unwrap();
    backoffice::server::exchanges::follow_due(&app.state).await.unwrap();
    assert_eq!(local_status(&app, &id).await, "unknown");
    assert_eq!(
        movement_count(app.db(), "exchange").await.unwrap(),
        before,
        "nothing re-sent"
    );
    let (status, body) = finance.call("exchanges/finalize", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(movement_count(app.db(), "exchange").await.unwrap(), before);
    assert_eq!(app.last_audit("exchanges.status").await.unwrap().outcome, "failure");
}
