//! Two app instances on one database, as behind a load balancer (on PostgreSQL in the suite's
//! PostgreSQL run, on one SQLite file otherwise), raced against each other: a member's session and
//! lockout follow them from one to the other, and every money movement, approval, webhook and
//! audit row happens once, with the audit chain intact; shared background work runs on one
//! instance at a time.

use std::time::Duration;

use backoffice::domain::Role;
use backoffice::sandbox::movement_count;
use backoffice::server::audit::{self, Verdict};
use backoffice::server::db::{self, Timestamp};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Client, TestApp, append_at_once, eventually, quick, spawn_app_with, spawn_on};
use crate::payouts::{approved_before_a_restart, send, sepa, until};

/// Two instances sharing the database and the secrets every instance of a deployment shares.
async fn two_instances() -> (TestApp, TestApp) {
    let key = "k".repeat(88);
    let shared = [
        ("SESSION_KEY", key.as_str()),
        ("P100_WEBHOOK_SECRET", "webhook-token-shared-by-both"),
        ("SANDBOX_API_KEY", "sandbox-key-shared-by-both"),
    ];
    let a = spawn_app_with(&shared).await;
    let b = spawn_on(tempfile::tempdir().unwrap(), a.db_url.clone(), &shared).await;
    (a, b)
}

#[tokio::test]
async fn a_session_and_a_lockout_hold_on_every_instance() {
    let (a, b) = two_instances().await;
    let finance = a.signed_in(Role::Finance).await;
    let email = finance.whoami().await.expect("signed in on a");
    assert_eq!(
        finance.on(&b).whoami().await.as_deref(),
        Some(email.as_str()),
        "b knows the session"
    );
    let (status, _) = finance.on(&b).call("auth/sign_out", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(finance.whoami().await, None, "signed out on b is signed out on a");

    // Wrong passwords spread over both instances lock the account on both.
    let (viewer, password) = backoffice::domain::staff::demo_credentials(Role::Viewer);
    let client = a.client();
    for i in 0..backoffice::server::auth::sign_in::EMAIL_MAX_FAILURES {
        let instance = if i % 2 == 0 { &a } else { &b };
        let (status, body) = client.on(instance).sign_in(&viewer, "not the password").await;
        assert_ne!(status, StatusCode::OK, "attempt {i}: {body}");
    }
    for instance in [&a, &b] {
        let (status, body) = client.on(instance).sign_in(&viewer, &password).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(body.to_string().contains("locked"), "{body}");
    }
}

#[tokio::test]
async fn racing_instances_send_approve_log_and_process_each_thing_once() {
    let (a, b) = two_instances().await;
    quick(&a).await;
    let audit_before = a.audit_count().await;
    let sent_before = movement_count(a.db(), "sepa").await.unwrap();

    // One review submitted to both instances at once: one movement, sent once.
    let finance = a.signed_in(Role::Finance).await;
    let (status, review) = finance.call("payouts/review", json!({ "input": sepa("40") })).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let submit = json!({ "input": sepa("40"), "key": review["key"] });
    let finance_on_b = finance.on(&b);
    let (on_a, on_b) = tokio::join!(
        finance.call("payouts/submit", submit.clone()),
        finance_on_b.call("payouts/submit", submit.clone())
    );
    assert_eq!(
        (on_a.0, on_b.0),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        on_a.1,
        on_b.1
    );
    assert_eq!(on_a.1["movement"]["id"], on_b.1["movement"]["id"]);
    assert_eq!(
        movement_count(a.db(), "sepa").await.unwrap(),
        sent_before + 1,
        "sent once"
    );

    // Two checkers approve one request on two instances at once: it executes once.
    let (_, detail) = send(&finance, &sepa("1500")).await;
    let id = detail["movement"]["id"].as_str().unwrap().to_owned();
    let approval = detail["movement"]["approval"]["id"].clone();
    let checker_a = a.signed_in_as("finance2").await;
    let checker_b = b.signed_in(Role::Admin).await;
    let (_, request) = checker_a.call("approvals/get", json!({ "id": approval })).await;
    let approve = json!({ "id": approval, "decision": { "Approve": { "payload_hash": request["payload_hash"] } } });
    let (first, second) = tokio::join!(
        checker_a.call("approvals/decide", approve.clone()),
        checker_b.call("approvals/decide", approve.clone())
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} {}",
        first.1,
        second.1
    );
    let winner = if first.0 == StatusCode::OK { &first.1 } else { &second.1 };
    assert_eq!(winner["status"], "executed");
    until(&finance, &id, "completed").await;
    assert_eq!(
        movement_count(a.db(), "sepa").await.unwrap(),
        sent_before + 2,
        "the approved one sent once"
    );

    // One webhook delivered to both instances at once: stored once, counted twice, applied once.
    let token = a.webhook_token();
    let body = json!({ "externalUserId": "demo-0025", "status": "SUSPENDED" });
    let http = reqwest::Client::new();
    let deliver = |app: &TestApp| {
        http.post(app.url("/webhooks/p100/webhook/user/status"))
            .header("authorization", token.clone())
            .json(&body)
            .send()
    };
    let (to_a, to_b) = tokio::join!(deliver(&a), deliver(&b));
    assert_eq!(to_a.unwrap().status(), StatusCode::OK);
    assert_eq!(to_b.unwrap().status(), StatusCode::OK);
    // Processing follows the answer, in the background of the instance that stored it.
    let events = eventually("the webhook processed", || async {
        let events: Vec<(i64, String)> = sqlx::query_as(
            "SELECT deliveries, status FROM webhook_events WHERE route = 'webhook/user/status' AND subject = 'demo-0025'",
        )
        .fetch_all(a.db())
        .await
        .unwrap();
        events.iter().all(|e| e.1 != "received").then_some(events)
    })
    .await;
    assert_eq!(events, vec![(2, "processed".to_owned())]);
    let applied: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_events WHERE external_user_id = 'demo-0025' AND status = 'SUSPENDED'",
    )
    .fetch_one(b.db())
    .await
    .unwrap();
    assert_eq!(applied, 1);

    // Audit rows appended through both instances' pools at once: one chain, no fork.
    let seqs = append_at_once(&[a.db(), b.db()], 30).await;
    assert_eq!(seqs.len(), 30, "every append got its own place in the chain");
    let rows = a.audit_count().await;
    assert!(rows >= audit_before + 30);
    assert_eq!(
        audit::verify(b.db(), &b.state.config.audit_key).await.unwrap(),
        Verdict::Intact { rows }
    );
    // The refused approval is audited too, wherever it fell between the others.
    let mut actions: Vec<String> = sqlx::query_scalar(
        "SELECT action || ' ' || outcome FROM audit_log WHERE action IN ('payouts.send', 'approvals.approve')",
    )
    .fetch_all(a.db())
    .await
    .unwrap();
    actions.sort();
    assert_eq!(
        actions,
        [
            "approvals.approve denied",
            "approvals.approve success",
            "payouts.send success",
            "payouts.send success"
        ],
        "one send per payout, one approval"
    );
}

#[tokio::test]
async fn one_instance_at_a_time_holds_a_lease_and_resumes_an_approval() {
    let (a, b) = two_instances().await;
    quick(&a).await;

    // Asked at once, one instance gets the lease; its holder renews it; the other takes it only
    // once it lapses.
    let now = Timestamp::now();
    let minute = Duration::from_secs(60);
    let (on_a, on_b) = tokio::join!(
        db::leases::take(a.db(), "test.work", "a", now, now + minute),
        db::leases::take(b.db(), "test.work", "b", now, now + minute)
    );
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    assert!(on_a != on_b, "exactly one holds it: a {on_a}, b {on_b}");
    let (holder, other) = if on_a { ("a", "b") } else { ("b", "a") };
    let later = now + Duration::from_secs(30);
    assert!(
        db::leases::take(a.db(), "test.work", holder, later, later + minute)
            .await
            .unwrap()
    );
    assert!(
        !db::leases::take(b.db(), "test.work", other, later, later + minute)
            .await
            .unwrap()
    );
    let lapsed = later + minute;
    assert!(
        db::leases::take(b.db(), "test.work", other, lapsed, lapsed + minute)
            .await
            .unwrap()
    );

    // A payout approved just before a restart, resumed by both instances' followers at once: sent
    // once, executed (not failed by the one that came second), resumed once in the audit log.
    let maker = a.signed_in(Role::Finance).await;
    let count = movement_count(a.db(), "sepa").await.unwrap();
    let (id, approval) = approved_before_a_restart(&a, &maker).await;
    let (on_a, on_b) = tokio::join!(
        backoffice::server::movements::follow_due(&a.state),
        backoffice::server::movements::follow_due(&b.state)
    );
    on_a.unwrap();
    on_b.unwrap();
    let done = until(&maker, &id, "completed").await;
    assert_eq!(movement_count(a.db(), "sepa").await.unwrap(), count + 1, "sent once");
    assert_eq!(done["movement"]["approval"]["status"], "executed");
    let resumed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'approvals.resume' AND target_id = $1")
            .bind(&approval)
            .fetch_one(a.db())
            .await
            .unwrap();
    assert_eq!(resumed, 1);
}

/// How many users `query` finds, as `member` sees it.
async fn found(member: &Client, query: serde_json::Value) -> u64 {
    let (status, body) = member.call("users/search", json!({ "query": query })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_search_counts_what_any_instance_changed_at_once() {
    let (a, b) = two_instances().await;
    let on_a = a.signed_in(Role::Compliance).await;
    let on_b = on_a.on(&b);
    let suspended = json!({ "account": "SUSPENDED" });
    let before = found(&on_b, suspended.clone()).await;
    assert_eq!(found(&on_b, suspended.clone()).await, before, "asked again, the same");

    // Suspended through a: b counts it at its next search, without waiting for anything.
    let input = json!({ "reason": "fraud_alert", "note": "card testing pattern on 3 merchants" });
    let (status, body) = on_a
        .call("users/suspend", json!({ "id": "demo-0025", "input": input }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(found(&on_b, suspended.clone()).await, before + 1);
    assert_eq!(found(&on_a, suspended).await, before + 1);

    // A change made beside the app (an operator's fix in the database) is counted too.
    let austrian = json!({ "country": "at" });
    let before = found(&on_b, austrian.clone()).await;
    sqlx::query("UPDATE users SET country = 'AT' WHERE external_user_id = 'demo-0031' AND country <> 'AT'")
        .execute(a.db())
        .await
        .unwrap();
    assert_eq!(found(&on_b, austrian).await, before + 1);
}
