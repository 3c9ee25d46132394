//! The account lifecycle and four-eyes approvals over HTTP against the sandbox: suspend and
//! unsuspend with good and bad input, P100 refusals leaving nothing changed, bulk suspend with a
//! failing user, and deletion through approval (balance refusal, maker cannot approve, concurrent
//! approvals run once, a tampered payload is refused, expiry, one open request per user).

use backoffice::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, eventually, fault, field_message, quick, spawn_app, spawn_app_with};

/// Seeded sandbox users (see `sandbox::seed`): not verified, so they have no balances yet...
const UNFUNDED: [&str; 4] = ["demo-0011", "demo-0012", "demo-0021", "demo-0022"];
/// ...and active with money on the account.
const FUNDED: &str = "demo-0007";

async fn account(app: &TestApp, id: &str) -> (String, String) {
    let local: String = sqlx::query_scalar("SELECT account_status FROM users WHERE external_user_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    let upstream: String = sqlx::query_scalar("SELECT status FROM sandbox_users WHERE external_user_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    (local, upstream)
}

async fn audit_rows(app: &TestApp, action: &str, outcome: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = $2")
        .bind(action)
        .bind(outcome)
        .fetch_one(app.db())
        .await
        .unwrap()
}

async fn email_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE external_user_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap()
}

/// Takes a seeded unverified user through hosted KYC and Add User Verification, which opens their
/// balances (REFERENCE §0 C2), all at zero.
async fn open_balances(app: &TestApp, id: &str) {
    quick(app).await;
    let agent = app.signed_in(Role::Onboarding).await;
    let (status, body) = agent.call("users/start_hosted_kyc", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("KYC to pass", || async {
        let verified: String = sqlx::query_scalar("SELECT verification_status FROM users WHERE external_user_id = $1")
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
        (verified == "VERIFIED").then_some(())
    })
    .await;
    let verify = json!({ "id": id, "kind": "PASSPORT", "number": "ZX1234567" });
    let (status, body) = agent.call("users/add_verification", verify).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn request_delete(client: &Client, app: &TestApp, id: &str) -> (StatusCode, Value) {
    let email = email_of(app, id).await.to_uppercase();
    client
        .call(
            "users/request_delete",
            json!({ "id": id, "input": { "confirm_email": email, "note": "closing at the user's request" } }),
        )
        .await
}

async fn approve(client: &Client, id: &str, hash: &str) -> (StatusCode, Value) {
    client
        .call(
            "approvals/decide",
            json!({ "id": id, "decision": { "Approve": { "payload_hash": hash } } }),
        )
        .await
}

#[tokio::test]
async fn suspend_and_unsuspend_with_reasons_and_refusals() {
    let app = spawn_app().await;
    let compliance = app.signed_in(Role::Compliance).await;
    let user = FUNDED;

    // Bad input: both messages, nothing sent.
    let (status, body) = compliance
        .call(
            "users/suspend",
            json!({ "id": user, "input": { "reason": "", "note": "  " } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_message(&body, "reason"), Some("Choose a reason."));
    assert_eq!(field_message(&body, "note"), Some("Write what happened."));
    assert_eq!(account(&app, user).await, ("ACTIVE".into(), "ACTIVE".into()));

    // P100 refuses (active cards): the code in words, nothing local changes, the failure audited.
    fault(&app, "user.suspend", |f| f.p_code = Some("P454".into())).await;
    let input = json!({ "reason": "fraud_alert", "note": "card testing pattern on 3 merchants" });
    let (status, body) = compliance
        .call("users/suspend", json!({ "id": user, "input": input }))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["Upstream"]["code"], "P454", "{body}");
    assert_eq!(account(&app, user).await.0, "ACTIVE");
    assert_eq!(audit_rows(&app, "users.suspend", "failure").await, 1);

    // Suspended at once, with its reason in the history and the audit log.
    let (status, body) = compliance
        .call("users/suspend", json!({ "id": user, "input": input }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(account(&app, user).await, ("SUSPENDED".into(), "SUSPENDED".into()));
    let (_, detail) = compliance.call("users/detail", json!({ "id": user })).await;
    let last = detail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "SUSPENDED");
    assert_eq!(last["detail"], "Fraud alert: card testing pattern on 3 merchants");
    let row = app.last_audit("users.suspend").await.unwrap();
    assert_eq!(row.outcome, "success");
    assert_eq!(
        row.reason.as_deref(),
        Some("Fraud alert: card testing pattern on 3 merchants")
    );

    let (status, body) = compliance
        .call("users/suspend", json!({ "id": user, "input": input }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Unsuspend needs a review note; then the account is active again.
    let (status, body) = compliance
        .call("users/unsuspend", json!({ "id": user, "note": "" }))
        .await;
    assert_eq!(
        field_message(&body, "note"),
        Some("Write what the review found."),
        "{status} {body}"
    );
    let (status, body) = compliance
        .call(
            "users/unsuspend",
            json!({ "id": user, "note": "merchant confirmed the charges" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(account(&app, user).await, ("ACTIVE".into(), "ACTIVE".into()));
    assert_eq!(audit_rows(&app, "users.unsuspend", "success").await, 1);
}

#[tokio::test]
async fn bulk_suspend_reports_each_user() {
    let app = spawn_app().await;
    let compliance = app.signed_in(Role::Compliance).await;
    // P100 no longer knows one of them (deleted behind the registry's back): that one fails.
    sqlx::query("UPDATE sandbox_users SET status = 'DELETED' WHERE external_user_id = 'demo-0012'")
        .execute(app.db())
        .await
        .unwrap();
    let ids = ["demo-0011", "demo-0012", "demo-0017", "demo-0011"];
    let (status, body) = compliance
        .call(
            "users/bulk_suspend",
            json!({ "ids": ids, "input": { "reason": "compliance_review", "note": "sanctions list hit" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcomes = body.as_array().unwrap();
    assert_eq!(outcomes.len(), 3, "duplicates are suspended once: {body}");
    let by_id = |id: &str| outcomes.iter().find(|o| o["external_user_id"] == id).unwrap().clone();
    assert_eq!(by_id("demo-0011")["ok"], true);
    assert_eq!(by_id("demo-0017")["ok"], true);
    let failed = by_id("demo-0012");
    assert_eq!(failed["ok"], false);
    assert!(failed["message"].as_str().unwrap().contains("P412"), "{failed}");
    assert_eq!(account(&app, "demo-0011").await.0, "SUSPENDED");
    assert_eq!(account(&app, "demo-0017").await.0, "SUSPENDED");
    assert_ne!(account(&app, "demo-0012").await.0, "SUSPENDED");
    assert_eq!(audit_rows(&app, "users.suspend", "success").await, 2);
    assert_eq!(audit_rows(&app, "users.suspend", "failure").await, 1);

    let (status, body) = compliance
        .call(
            "users/bulk_suspend",
            json!({ "ids": [], "input": { "reason": "other", "note": "x" } }),
        )
        .await;
    assert_eq!(
        field_message(&body, "users"),
        Some("Select at least one user."),
        "{status}"
    );
}

#[tokio::test]
async fn delete_waits_for_a_second_person_and_runs_once() {
    let app = spawn_app().await;
    let maker = app.signed_in(Role::Compliance).await;
    let admin = app.signed_in(Role::Admin).await;
    let checker = app.signed_in_as("compliance2").await;
    let finance = app.signed_in(Role::Finance).await;
    let user = UNFUNDED[0];

    // Refused while the user holds money, and when the typed email is wrong.
    let (status, body) = request_delete(&maker, &app, FUNDED).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("EUR"), "{body}");
    let (status, body) = maker
        .call(
            "users/request_delete",
            json!({ "id": user, "input": { "confirm_email": "someone@else.test", "note": "" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "confirm_email").is_some() && field_message(&body, "note").is_some());

    // The request waits; nothing is sent upstream yet.
    let (status, request) = request_delete(&maker, &app, user).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    assert_eq!(request["status"], "pending");
    assert_eq!(account(&app, user).await.1, "WAITING_FOR_ACTIVATION");
    let id = request["id"].as_str().unwrap().to_owned();
    let hash = request["payload_hash"].as_str().unwrap().to_owned();

    // A second request for the same user is refused with a link to the open one.
    let (status, body) = request_delete(&admin, &app, user).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["AlreadyPending"]["approval_id"], id.as_str());

    // The maker cannot approve their own request; finance may not decide deletions at all.
    let (status, body) = approve(&maker, &id, &hash).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = approve(&finance, &id, &hash).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(audit_rows(&app, "approvals.approve", "denied").await, 2);

    // The sidebar counts it for checkers, not for its maker.
    for (client, count) in [(&checker, 1), (&maker, 0), (&finance, 0)] {
        let (_, session) = client.call("auth/session", json!({})).await;
        assert_eq!(session["awaiting_decision"], count, "{session}");
    }

    // The checker sees what they approve.
    let (_, seen) = checker.call("approvals/get", json!({ "id": id })).await;
    assert_eq!(seen["may_decide"], true);
    assert!(seen["upstream"].as_str().unwrap().contains(user));
    let (_, inbox) = checker.call("approvals/inbox", json!({ "query": {} })).await;
    assert!(inbox["open"].as_array().unwrap().iter().any(|r| r["id"] == id.as_str()));

    // Two approvers at the same moment: one runs it, the other is told it was decided.
    let (a, b) = tokio::join!(approve(&checker, &id, &hash), approve(&admin, &id, &hash));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let done = if a.0 == StatusCode::OK { a.1 } else { b.1 };
    assert_eq!(done["status"], "executed", "{done}");
    assert_eq!(audit_rows(&app, "approvals.execute", "success").await, 1);
    assert_eq!(audit_rows(&app, "users.delete", "success").await, 1);
    assert_eq!(account(&app, user).await, ("DELETED".into(), "DELETED".into()));

    // The record stays with its P100 id and history; the personal data is gone.
    let (email, name, p100): (String, String, Option<String>) =
        sqlx::query_as("SELECT email, first_name, p100_user_id FROM users WHERE external_user_id = $1")
            .bind(user)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!((email.as_str(), name.as_str()), ("", ""));
    assert!(p100.is_some());
    let (_, detail) = maker.call("users/detail", json!({ "id": user })).await;
    assert_eq!(detail["summary"]["account_status"], "DELETED");
    assert!(detail["pending_delete"].is_null());

    // Deciding again changes nothing.
    let (status, _) = approve(&checker, &id, &hash).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(audit_rows(&app, "approvals.execute", "success").await, 1);
}

#[tokio::test]
async fn a_tampered_payload_is_refused_and_rejection_needs_a_reason() {
    let app = spawn_app().await;
    let maker = app.signed_in(Role::Compliance).await;
    let checker = app.signed_in_as("compliance2").await;
    let (_, request) = request_delete(&maker, &app, UNFUNDED[2]).await;
    let id = request["id"].as_str().unwrap().to_owned();
    let hash = request["payload_hash"].as_str().unwrap().to_owned();

    // Someone edits the stored payload behind the app's back to delete another user.
    sqlx::query("UPDATE approvals SET payload = replace(payload, $1, $2) WHERE id = $3")
        .bind(UNFUNDED[2])
        .bind(UNFUNDED[3])
        .bind(&id)
        .execute(app.db())
        .await
        .unwrap();
    let (status, body) = approve(&checker, &id, &hash).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("payload changed"), "{body}");
    assert_eq!(account(&app, UNFUNDED[3]).await.1, "WAITING_FOR_ACTIVATION");
    assert_eq!(account(&app, UNFUNDED[2]).await.1, "WAITING_FOR_ACTIVATION");

    // Rejecting needs a reason; then the request is closed and a new one may be made.
    let reject = |reason: &str| json!({ "id": id, "decision": { "Reject": { "reason": reason } } });
    let (status, body) = checker.call("approvals/decide", reject(" ")).await;
    assert_eq!(
        field_message(&body, "reason"),
        Some("Say why it is rejected."),
        "{status}"
    );
    let (status, body) = checker.call("approvals/decide", reject("payload looks wrong")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["decision_reason"], "payload looks wrong");
    let (status, body) = request_delete(&maker, &app, UNFUNDED[2]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The maker may withdraw their own open request; nobody else may.
    let again = body["id"].as_str().unwrap();
    let (status, _) = checker.call("approvals/withdraw", json!({ "id": again })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = maker.call("approvals/withdraw", json!({ "id": again })).await;
    assert_eq!(body["status"], "withdrawn", "{status} {body}");

    // Holding every permission changes nothing: an admin cannot approve their own request either.
    let admin = app.signed_in(Role::Admin).await;
    let (_, own) = request_delete(&admin, &app, UNFUNDED[3]).await;
    let (status, body) = approve(
        &admin,
        own["id"].as_str().unwrap(),
        own["payload_hash"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("second person"), "{body}");
}

#[tokio::test]
async fn requests_expire_and_cannot_be_approved_after() {
    let app = spawn_app_with(&[("APPROVAL_TTL", "1s")]).await;
    let maker = app.signed_in(Role::Compliance).await;
    let checker = app.signed_in_as("compliance2").await;
    let (_, request) = request_delete(&maker, &app, UNFUNDED[1]).await;
    let id = request["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let (status, body) = approve(&checker, &id, request["payload_hash"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("expired"), "{body}");
    assert_eq!(audit_rows(&app, "approvals.expire", "success").await, 1);
    assert_eq!(account(&app, UNFUNDED[1]).await.1, "WAITING_FOR_ACTIVATION");
    let (_, inbox) = checker.call("approvals/inbox", json!({ "query": {} })).await;
    let decided = inbox["decided"].as_array().unwrap();
    assert!(
        decided
            .iter()
            .any(|r| r["id"] == id.as_str() && r["status"] == "expired")
    );
    // An expired request no longer blocks a new one.
    let (status, body) = request_delete(&maker, &app, UNFUNDED[1]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_deletion_p100_refuses_fails_in_words_and_erases_nothing() {
    let app = spawn_app().await;
    let maker = app.signed_in(Role::Compliance).await;
    let checker = app.signed_in_as("compliance2").await;
    let user = UNFUNDED[0];
    let (_, request) = request_delete(&maker, &app, user).await;
    fault(&app, "user.delete", |f| f.p_code = Some("P412".into())).await;
    let (status, body) = approve(
        &checker,
        request["id"].as_str().unwrap(),
        request["payload_hash"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "failed");
    assert!(body["failure"].as_str().unwrap().contains("P412"), "{body}");
    assert_eq!(
        account(&app, user).await,
        ("WAITING_FOR_ACTIVATION".into(), "WAITING_FOR_ACTIVATION".into())
    );
    assert!(
        !email_of(&app, user).await.is_empty(),
        "nothing is erased when P100 refused"
    );
    assert_eq!(audit_rows(&app, "users.delete", "failure").await, 1);
    assert_eq!(audit_rows(&app, "approvals.execute", "failure").await, 1);
}

/// Deleting a user cannot strand money: refused while a movement of theirs is not final, and no new
/// movement starts while their deletion waits for approval.
#[tokio::test]
async fn a_user_whose_money_is_moving_is_not_deleted_and_one_being_deleted_moves_none() {
    let app = spawn_app().await;
    let maker = app.signed_in(Role::Compliance).await;
    let finance = app.signed_in(Role::Finance).await;
    let transfer = |user: &str| json!({ "input": { "Transfer": { "user": user, "direction": "to_user", "currency": "eur", "amount": "5", "note": "bonus" } } });
    open_balances(&app, UNFUNDED[0]).await;

    // A transfer to the user whose outcome P100 left unclear: the user's money may be moving.
    fault(&app, "transfer.create", |f| {
        f.p_code = Some("P500".into());
        f.applied = Some(false);
    })
    .await;
    let (status, review) = finance.call("payouts/review", transfer(UNFUNDED[0])).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let mut submit = transfer(UNFUNDED[0]);
    submit["key"] = review["key"].clone();
    let (status, detail) = finance.call("payouts/submit", submit).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["movement"]["status"], "unknown", "{detail}");
    let (status, body) = request_delete(&maker, &app, UNFUNDED[0]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("still moving"), "{body}");

    // A user waiting to be deleted: no new movement or exchange is even reviewed.
    let (status, request) = request_delete(&maker, &app, UNFUNDED[1]).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    let (status, body) = finance.call("payouts/review", transfer(UNFUNDED[1])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        field_message(&body, "user").is_some_and(|m| m.contains("waiting to be deleted")),
        "{body}"
    );
    let (status, body) = finance
        .call(
            "exchanges/quote",
            json!({ "input": { "holder": { "User": UNFUNDED[1] }, "from": "eur", "to": "btc", "amount": "5" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("waiting to be deleted"), "{body}");
}
