//! Money that arrives: a SEPA deposit made with the sandbox's control reaches the back office by
//! webhook and shows on the Deposits list, the user page's data and the CSV export with its exact
//! amount; the list's filters; crypto deposits with their travel rule state; and deposit events
//! applied twice, or late, changing nothing.

use backoffice::domain::Role;
use backoffice::p100::webhooks::{Event, Route};
use backoffice::server::state::AppState;
use backoffice::server::users::kyc::Applied;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, eventually, field_message, quick, spawn_app, upstream_balance};
use crate::reconciliation::post_webhook;

/// An active seeded user with an EUR account (see `sandbox::seed`).
const FUNDED: &str = "demo-0025";

async fn deposits(client: &Client, filter: Value) -> (StatusCode, Value) {
    client.call("deposits/list", json!({ "filter": filter })).await
}

/// The deposit with P100's id `id` once its webhook has been applied.
async fn listed(client: &Client, filter: Value, id: &str) -> Value {
    eventually(&format!("deposit {id} on the list"), || async {
        let (status, list) = deposits(client, filter.clone()).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["upstream_id"] == id)
            .cloned()
    })
    .await
}

async fn ids(client: &Client, filter: Value) -> Vec<String> {
    let (status, list) = deposits(client, filter).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["upstream_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn sepa_deposit(admin: &Client, holder: &str, amount: &str) -> String {
    let (status, id) = admin
        .call(
            "sandbox/sepa_deposit",
            json!({ "input": { "holder": holder, "amount": amount } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{id}");
    id.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_sandbox_sepa_deposit_reaches_the_list_the_user_page_and_the_export() {
    let app = spawn_app().await;
    quick(&app).await;
    let admin = app.signed_in(Role::Admin).await;
    let finance = app.signed_in(Role::Finance).await;
    let before = upstream_balance(&app, FUNDED, "eur").await;

    let id = sepa_deposit(&admin, FUNDED, "1234.56").await;
    let row = listed(&finance, json!({ "user": FUNDED }), &id).await;
    assert_eq!(row["amount"], "1234.56");
    assert_eq!(row["currency"], "EUR");
    assert_eq!(row["kind"], "sepa");
    assert_eq!(row["status"], "SUCCESSFUL");
    assert_eq!(row["user"], FUNDED);
    assert!(row["travel_rule"].is_null());
    assert!(row["sender"].as_str().unwrap().contains(" · "), "{row}");
    assert_eq!(
        upstream_balance(&app, FUNDED, "eur").await,
        before + Decimal::new(123_456, 2),
        "P100 credited exactly the deposit"
    );

    // The user page's data: the deposit, and the IBAN status that approved the payer.
    let page = eventually("the IBAN status on the user page", || async {
        let (status, page) = finance.call("deposits/of_user", json!({ "id": FUNDED })).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        (!page["ibans"].as_array().unwrap().is_empty()).then_some(page)
    })
    .await;
    assert_eq!(page["ibans"][0]["status"], "APPROVED");
    assert!(
        row["sender"]
            .as_str()
            .unwrap()
            .ends_with(page["ibans"][0]["iban"].as_str().unwrap())
    );
    let mine: Vec<&Value> = page["deposits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["upstream_id"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["amount"], "1234.56");

    // The partner's own, an amount at the smallest unit.
    let partner = sepa_deposit(&admin, "partner", "0.01").await;
    let row = listed(&finance, json!({ "user": "partner" }), &partner).await;
    assert_eq!(row["amount"], "0.01");
    assert_eq!(row["holder"], "Partner");
    assert!(!ids(&finance, json!({ "user": "partner" })).await.contains(&id));

    // Filters: kind, status, currency, holder, days.
    let today = row["received_at"].as_str().unwrap()[..10].to_owned();
    assert!(
        ids(
            &finance,
            json!({ "kind": "sepa", "status": "successful", "currency": "eur", "from": today, "to": today })
        )
        .await
        .contains(&id)
    );
    assert!(!ids(&finance, json!({ "kind": "crypto" })).await.contains(&id));
    assert!(!ids(&finance, json!({ "currency": "btc" })).await.contains(&id));
    assert!(
        !ids(&finance, json!({ "status": "WAITING_FOR_TR_DATA" }))
            .await
            .contains(&id)
    );
    assert!(!ids(&finance, json!({ "to": "2000-01-01" })).await.contains(&id));
    for (filter, field) in [
        (json!({ "kind": "cash" }), "kind"),
        (json!({ "currency": "xyz" }), "currency"),
        (json!({ "from": "yesterday" }), "from"),
        (json!({ "from": "2026-02-02", "to": "2026-02-01" }), "to"),
    ] {
        let (status, body) = deposits(&finance, filter).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(field_message(&body, field).is_some(), "{field}: {body}");
    }

    // A bad amount or an unknown holder is answered on its field, and nothing arrives.
    for (input, field) in [
        (json!({ "holder": FUNDED, "amount": "12.345" }), "amount"),
        (json!({ "holder": "no-such-user", "amount": "1" }), "holder"),
    ] {
        let (status, body) = admin.call("sandbox/sepa_deposit", json!({ "input": input })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(field_message(&body, field).is_some(), "{field}: {body}");
    }

    // The export: the same rows, amounts as plain exact numbers.
    let response = finance
        .get(&format!("/exports/deposits.csv?user={FUNDED}&kind=sepa"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,received_at,kind,holder,currency,amount,sender,status,travel_rule,tx_hash,updated_at")
    );
    let line = lines.find(|l| l.starts_with(&id)).expect("the deposit is exported");
    let cells: Vec<&str> = line.split(',').collect();
    assert_eq!(&cells[2..6], ["sepa", FUNDED, "eur", "1234.56"]);
    assert_eq!(cells[7], "SUCCESSFUL");
    assert!(app.last_audit("deposits.export").await.is_some());
    let (status, _) = finance.call("deposits/of_user", json!({ "id": "no-such-user" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn crypto_deposits_carry_their_travel_rule_state() {
    let app = spawn_app().await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    // The seeded deposits held for travel rule data arrive by their webhook.
    let held = eventually("the seeded held deposits", || async {
        let (_, list) = deposits(&finance, json!({ "kind": "crypto", "status": "WAITING_FOR_TR_DATA" })).await;
        list["rows"].as_array().and_then(|rows| rows.first().cloned())
    })
    .await;
    assert_eq!(held["travel_rule"], "needed");
    assert_eq!(held["currency"], "ETH");
    assert_eq!(held["amount"], "0.01500000");

    // One delivered over HTTP, its amount a JSON number.
    let event = json!({ "externalUserId": FUNDED, "cryptoDepositId": "dep-http-1", "amount": 0.001, "currency": "eth",
        "status": "WAITING_FOR_VERIFICATION", "transactionHash": "0xabc", "createdAt": "2026-03-20T11:34:37.646Z" });
    let token = app.webhook_token();
    assert_eq!(
        post_webhook(&app, Route::CryptoDeposit.path(), &event, Some(&token)).await,
        StatusCode::OK
    );
    let row = listed(&finance, json!({ "kind": "crypto", "user": FUNDED }), "dep-http-1").await;
    assert_eq!(row["amount"], "0.00100000");
    assert_eq!(row["tx_hash"], "0xabc");
    assert!(row["travel_rule"].is_null(), "not asked: {row}");
    assert_eq!(row["received_at"], "2026-03-20T11:34:37.646Z");
}

/// The row as the list shows it, by P100's id.
async fn stored(app: &TestApp, id: &str) -> (String, Option<String>, String) {
    sqlx::query_as("SELECT status, travel_rule, updated_at FROM deposits WHERE upstream_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_same_event_twice_or_an_older_one_late_changes_nothing() {
    let app = spawn_app().await;
    let event = |status: &str| json!({ "cryptoDepositId": "dep-late-1", "amount": "0.05", "currency": "btc", "status": status });
    let apply = |payload: Value| {
        let state = app.state.clone();
        async move { applied(&state, Route::CryptoDeposit, &payload).await.unwrap() }
    };
    apply(event("WAITING_FOR_TR_DATA")).await;
    let held = stored(&app, "dep-late-1").await;
    assert_eq!(
        (held.0.as_str(), held.1.as_deref()),
        ("WAITING_FOR_TR_DATA", Some("needed"))
    );
    apply(event("WAITING_FOR_TR_DATA")).await;
    assert_eq!(
        stored(&app, "dep-late-1").await,
        held,
        "the same event again changes nothing"
    );

    apply(event("SUCCESSFUL")).await;
    let done = stored(&app, "dep-late-1").await;
    assert_eq!((done.0.as_str(), done.1.as_deref()), ("SUCCESSFUL", Some("needed")));
    for late in [
        "WAITING_FOR_VERIFICATION",
        "WAITING_FOR_TR_DATA",
        "UNSUCCESSFUL",
        "SUCCESSFUL",
    ] {
        apply(event(late)).await;
        assert_eq!(stored(&app, "dep-late-1").await, done, "{late} after SUCCESSFUL");
    }
    let amount: String = sqlx::query_scalar("SELECT amount FROM deposits WHERE upstream_id = 'dep-late-1'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(amount, "0.05000000");

    // An IBAN status: approved stays approved; an event about a user the registry lacks is ignored.
    let iban = |status: &str| json!({ "externalUserId": FUNDED, "iban": "DE89370400440532013000", "status": status });
    for status in ["PENDING", "APPROVED", "PENDING", "APPROVED"] {
        applied(&app.state, Route::IbanStatus, &iban(status)).await.unwrap();
    }
    let checks: Vec<(String, String)> =
        sqlx::query_as("SELECT iban, status FROM iban_checks WHERE external_user_id = $1")
            .bind(FUNDED)
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(checks, [("DE89370400440532013000".to_owned(), "APPROVED".to_owned())]);
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_events WHERE external_user_id = $1 AND kind = 'iban'")
            .bind(FUNDED)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(events, 2, "PENDING, then APPROVED; the rest changed nothing");
    let stranger = json!({ "externalUserId": "not-ours", "iban": "DE89", "status": "APPROVED" });
    assert!(matches!(
        applied(&app.state, Route::IbanStatus, &stranger).await,
        Ok(Applied::Ignored(_))
    ));
}

/// The event applied as the webhook worker applies it: read as its route says, then dispatched.
async fn applied(state: &AppState, route: Route, payload: &Value) -> Result<Applied, String> {
    backoffice::server::webhooks::apply(state, Event::read(route, payload)?).await
}
