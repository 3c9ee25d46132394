//! The webhook intake as P100 really delivers: to the registered base URL or any path below it,
//! events told apart by their status values, redeliveries, a crash between storing and applying,
//! floods without our token, and retention.

use std::time::Duration;

use backoffice::domain::sandbox::DeliveryMode;
use backoffice::sandbox::control;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, quick, sandbox, spawn_app, spawn_app_with};

/// Posts `body` to `path` under the app's origin with our token (or `token`): the answer's status.
async fn deliver(app: &TestApp, path: &str, body: &Value, token: Option<&str>) -> StatusCode {
    let token = token.map_or_else(|| app.webhook_token(), str::to_owned);
    reqwest::Client::new()
        .post(app.url(path))
        .header("authorization", token)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
}

/// `(kind, status, deliveries)` of every stored event but the crypto deposits the sandbox's seed
/// announces at start, oldest first.
async fn events(app: &TestApp) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "SELECT kind, status, deliveries FROM webhook_events WHERE kind <> 'crypto_deposit' ORDER BY received_at, id",
    )
    .fetch_all(app.db())
    .await
    .unwrap()
}

/// Every event applied (none left `received`): their count.
async fn all_applied(app: &TestApp) -> usize {
    eventually("every event applied", || async {
        let events = events(app).await;
        events.iter().all(|e| e.1 != "received").then_some(events.len())
    })
    .await
}

/// Moves every stored event `by` into the past: time passing, for the redelivery window and the
/// retention.
async fn age_events(app: &TestApp, by: Duration) {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, received_at FROM webhook_events")
        .fetch_all(app.db())
        .await
        .unwrap();
    for (id, at) in rows {
        let at = backoffice::server::db::Timestamp::parse(&at).unwrap() - by;
        sqlx::query("UPDATE webhook_events SET received_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(app.db())
            .await
            .unwrap();
    }
}

/// A registry user imported from the sandbox's seed, active now.
async fn active_user(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT external_user_id FROM users WHERE account_status = 'ACTIVE' ORDER BY external_user_id LIMIT 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap()
}

async fn account_status(app: &TestApp, user: &str) -> String {
    sqlx::query_scalar("SELECT account_status FROM users WHERE external_user_id = $1")
        .bind(user)
        .fetch_one(app.db())
        .await
        .unwrap()
}

/// `(kind, status, source)` of the user's status history, oldest first.
async fn history(app: &TestApp, user: &str) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT kind, status, source FROM user_events WHERE external_user_id = $1 ORDER BY at, id")
        .bind(user)
        .fetch_all(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_delivery_to_the_base_url_or_any_path_below_it_is_applied() {
    let app = spawn_app().await;
    let user = active_user(&app).await;
    // Each case: where P100 delivered, what, and the account status it leaves.
    let cases = [
        ("the base URL itself", "/webhooks/p100", "SUSPENDED"),
        ("the base URL with a slash", "/webhooks/p100/", "ACTIVE"),
        (
            "the user-status route",
            "/webhooks/p100/webhook/user/status",
            "SUSPENDED",
        ),
        ("a path P100 does not name", "/webhooks/p100/partner/events", "ACTIVE"),
    ];
    for (case, path, status) in cases {
        let body = json!({ "externalUserId": user, "status": status });
        assert_eq!(deliver(&app, path, &body, None).await, StatusCode::OK, "{case}");
        eventually(case, || async {
            (account_status(&app, &user).await == status).then_some(())
        })
        .await;
    }
    let kinds: Vec<String> = events(&app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds, ["user_status"; 4],
        "every delivery stored once, as a user status"
    );
    let changes = history(&app, &user)
        .await
        .into_iter()
        .filter(|e| e.2 == "webhook")
        .count();
    assert_eq!(changes, 4, "each moved the account once");

    // Something P100 sends that the table cannot place: kept, shown, answered 200, applied to nothing.
    let novel = json!({ "eventType": "card.frozen", "cardRef": "c-1" });
    assert_eq!(deliver(&app, "/webhooks/p100", &novel, None).await, StatusCode::OK);
    let not_json = reqwest::Client::new()
        .post(app.url("/webhooks/p100"))
        .header("authorization", app.webhook_token())
        .body("ping")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::OK, "a body that is not JSON is kept too");
    all_applied(&app).await;
    let unrecognised = events(&app).await.into_iter().filter(|e| e.0 == "unrecognised").count();
    assert_eq!(unrecognised, 2);
    let finance = app.signed_in(backoffice::domain::Role::Finance).await;
    let (_, home) = finance.call("reconciliation/home", json!({})).await;
    assert_eq!(home["unrecognised_webhooks"], 2, "{home}");
}

#[tokio::test]
async fn kyc_file_added_is_told_from_a_user_status_by_its_values() {
    let app = spawn_app().await;
    let user = active_user(&app).await;
    for status in ["ADDED", "ERROR"] {
        let body = json!({ "externalUserId": user, "status": status });
        assert_eq!(deliver(&app, "/webhooks/p100", &body, None).await, StatusCode::OK);
    }
    all_applied(&app).await;
    let kinds: Vec<String> = events(&app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, ["kyc_file_added", "kyc_file_added"]);
    assert_eq!(
        account_status(&app, &user).await,
        "ACTIVE",
        "never read as an account status"
    );
}

#[tokio::test]
async fn a_proof_of_address_rejected_twice_moves_the_state_twice() {
    let app = spawn_app().await;
    let user = active_user(&app).await;
    let poa = |status: &str| json!({ "externalUserId": user, "status": status });
    // Rejected, a new document uploaded (P100 says WAITING), rejected again: the second REJECTED is
    // the same body as the first, sent later than P100's retries would be.
    for (step, status) in ["REJECTED", "WAITING", "REJECTED"].into_iter().enumerate() {
        if step > 0 {
            age_events(&app, Duration::from_secs(15 * 60)).await;
        }
        assert_eq!(
            deliver(&app, "/webhooks/p100", &poa(status), None).await,
            StatusCode::OK
        );
        all_applied(&app).await;
    }
    let poa_history: Vec<String> = history(&app, &user)
        .await
        .into_iter()
        .filter(|e| e.0 == "poa")
        .map(|e| e.1)
        .collect();
    assert_eq!(poa_history, ["REJECTED", "WAITING", "REJECTED"]);
}

#[tokio::test]
async fn a_redelivery_within_the_retry_window_is_one_event_and_the_same_body_later_a_new_one() {
    let app = spawn_app().await;
    let user = active_user(&app).await;
    let body = json!({ "externalUserId": user, "status": "SUSPENDED" });
    for _ in 0..3 {
        assert_eq!(deliver(&app, "/webhooks/p100", &body, None).await, StatusCode::OK);
    }
    all_applied(&app).await;
    assert_eq!(events(&app).await, [("user_status".into(), "processed".into(), 3)]);
    // The same route and body an hour later: a new event (ACTIVE -> SUSPENDED -> ... -> SUSPENDED).
    age_events(&app, Duration::from_secs(3600)).await;
    assert_eq!(deliver(&app, "/webhooks/p100", &body, None).await, StatusCode::OK);
    assert_eq!(all_applied(&app).await, 2);
    // Applying is idempotent anyway: the account was already suspended, nothing moved twice.
    let suspended = history(&app, &user)
        .await
        .into_iter()
        .filter(|e| e.1 == "SUSPENDED")
        .count();
    assert_eq!(suspended, 1);
}

#[tokio::test]
async fn the_sandbox_delivers_twice_out_of_order_and_again_later_when_asked() {
    let app = spawn_app().await;
    quick(&app).await;
    // `(route, payload, next attempt, delivered)` of the sandbox's outbox, in the order queued.
    let outbox = || async {
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT route, payload, next_attempt_at, delivered_at FROM sandbox_webhooks ORDER BY created_at, id",
        )
        .fetch_all(app.db())
        .await
        .unwrap();
        rows
    };
    let p100 = &app.state.p100;
    let before = outbox().await.len();
    control::set_delivery(sandbox(&app), DeliveryMode::NextTwice)
        .await
        .unwrap();
    p100.suspend_user("demo-0001").await.unwrap();
    control::set_delivery(sandbox(&app), DeliveryMode::NextOutOfOrder)
        .await
        .unwrap();
    p100.unsuspend_user("demo-0001").await.unwrap();
    p100.suspend_user("demo-0001").await.unwrap();
    control::set_delivery(sandbox(&app), DeliveryMode::NextAgainInAnHour)
        .await
        .unwrap();
    p100.unsuspend_user("demo-0001").await.unwrap();
    let queued = outbox().await.split_off(before);
    let statuses: Vec<String> = queued
        .iter()
        .map(|(_, p, ..)| {
            serde_json::from_str::<Value>(p).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Unsuspending takes the account back to where it was (the seed's status).
    let back = statuses[2].as_str();
    assert_eq!(statuses, ["SUSPENDED", "SUSPENDED", back, "SUSPENDED", back, back]);
    assert!(
        queued.iter().all(|(route, ..)| route.is_empty()),
        "to the base URL by default"
    );
    // The held one goes out after the SUSPENDED queued behind it; the last one again an hour on.
    let later = (backoffice::server::db::Timestamp::now() + Duration::from_secs(3500)).to_text();
    assert!(
        queued[5].2.as_ref().is_some_and(|at| *at > later),
        "again later: {queued:?}"
    );
    let delivered = eventually("the held delivery", || async {
        let queued = outbox().await.split_off(before);
        queued[2].3.clone().zip(queued[3].3.clone())
    })
    .await;
    assert!(delivered.0 > delivered.1, "out of order: {delivered:?}");
    // The intake keeps the doubled delivery as one event.
    eventually("the deliveries", || async {
        let events = events(&app).await;
        events.iter().any(|e| e.2 == 2).then_some(())
    })
    .await;
    control::set_delivery(sandbox(&app), DeliveryMode::Routes)
        .await
        .unwrap();
    p100.suspend_user("demo-0001").await.unwrap();
    let routed = outbox().await.pop().unwrap();
    assert_eq!(routed.0, "webhook/user/status");
}

#[tokio::test]
async fn an_event_stored_when_the_server_dies_is_applied_once_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = crate::helpers::fresh_database(&dir).await;
    let token = "crash-test-token";
    let start = || {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
            .arg("serve")
            .env("DATABASE_URL", &db_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("P100_WEBHOOK_SECRET", token)
            .env("LOG_LEVEL", "warn")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        (child, format!("http://127.0.0.1:{port}"))
    };
    let ready = |base: String| async move {
        eventually("the server to be ready", || async {
            let ok = reqwest::get(format!("{base}/readyz"))
                .await
                .is_ok_and(|r| r.status().is_success());
            ok.then_some(())
        })
        .await
    };
    let (mut first, base) = start();
    ready(base.clone()).await;
    let db = backoffice::server::db::connect(&db_url).await.unwrap();
    let user: String = sqlx::query_scalar(
        "SELECT external_user_id FROM users WHERE account_status = 'ACTIVE' ORDER BY external_user_id LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let body = json!({ "externalUserId": user, "status": "SUSPENDED" });
    let stored = reqwest::Client::new()
        .post(format!("{base}/webhooks/p100"))
        .header("authorization", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
    // Killed the moment the event is stored: it may or may not have been applied yet.
    first.kill().await.unwrap();
    first.wait().await.unwrap();

    let (_second, base) = start();
    ready(base).await;
    let status = eventually("the event applied after the restart", || async {
        let row: (String, i64) = sqlx::query_as("SELECT status, attempts FROM webhook_events")
            .fetch_one(&db)
            .await
            .unwrap();
        (row.0 != "received").then_some(row)
    })
    .await;
    assert_eq!(status.0, "processed");
    // A few more worker rounds change nothing: it was applied exactly once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let suspended: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_events WHERE external_user_id = $1 AND status = 'SUSPENDED' AND source = 'webhook'",
    )
    .bind(&user)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(suspended, 1);
}

#[tokio::test]
async fn a_flood_without_our_token_stores_nothing_and_the_server_keeps_answering() {
    let app = spawn_app().await;
    let body = json!({ "externalUserId": "x", "status": "ACTIVE", "padding": "x".repeat(2000) });
    let client = reqwest::Client::new();
    let url = app.url("/webhooks/p100");
    // Eight connections, as bench/webhooks.sh loads the intake, 1,250 deliveries each.
    let answers = futures::future::join_all((0..8).map(|_| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move {
            let mut answers = Vec::with_capacity(1250);
            for _ in 0..1250 {
                let response = client
                    .post(&url)
                    .header("authorization", "forged")
                    .json(&body)
                    .send()
                    .await;
                answers.push(response.unwrap().status());
            }
            answers
        }
    }))
    .await
    .concat();
    assert_eq!(answers.len(), 10_000);
    assert!(
        answers
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "only 401 and 429"
    );
    assert!(
        answers.contains(&StatusCode::TOO_MANY_REQUESTS),
        "the source was limited"
    );
    assert!(events(&app).await.is_empty(), "no refused body is kept");
    let counted: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(refused), 0) AS BIGINT) FROM webhook_refusals")
        .fetch_one(app.db())
        .await
        .unwrap();
    let refused = answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count() as i64;
    assert_eq!(counted, refused, "each 401 counted by source, nothing else written");
    assert!(refused < 1_000, "the refused writes are bounded: {refused}");
    // The server still answers, and P100's next real delivery is taken once the source's burst passes.
    assert!(reqwest::get(app.url("/readyz")).await.unwrap().status().is_success());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let user = active_user(&app).await;
    let real = json!({ "externalUserId": user, "status": "SUSPENDED" });
    assert_eq!(deliver(&app, "/webhooks/p100", &real, None).await, StatusCode::OK);
}

#[tokio::test]
async fn events_older_than_the_retention_are_pruned_and_the_pruning_audited() {
    let app = spawn_app_with(&[("WEBHOOK_RETENTION", "1h")]).await;
    let user = active_user(&app).await;
    for status in ["SUSPENDED", "ACTIVE"] {
        let body = json!({ "externalUserId": user, "status": status });
        assert_eq!(deliver(&app, "/webhooks/p100", &body, None).await, StatusCode::OK);
        all_applied(&app).await;
        if status == "SUSPENDED" {
            age_events(&app, Duration::from_secs(2 * 3600)).await;
        }
    }
    eventually("the old event pruned", || async {
        (events(&app).await.len() == 1).then_some(())
    })
    .await;
    let kept: Vec<String> = events(&app).await.into_iter().map(|e| e.1).collect();
    assert_eq!(kept, ["processed"], "the newer event stays");
    let audit = app.last_audit("webhooks.prune").await.expect("the pruning is audited");
    let reason = audit.reason.unwrap_or_default();
    assert!(reason.ends_with("older than 1h deleted"), "{reason}");
}
