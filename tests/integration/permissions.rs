//! Every server function and guarded route against every role: allowed, or 403 with nothing changed.

use backoffice::domain::{Need, Permission, Permissions, Role};
use backoffice::server::http::routes::{self, Access, Declared};
use reqwest::StatusCode;
use serde_json::{Value, json};

use backoffice::sandbox::control::{self, Settings};

use crate::helpers::{Client, TestApp, sandbox, spawn_app};

/// Who may call what. `None`: open to anyone (sign-in and the session probe). `Some(&[])`: any
/// signed-in member. A server function missing from this table fails `every_server_function_is_known`.
fn endpoints(target: &str) -> Vec<(&'static str, Option<Need<'static>>, Value)> {
    use Need::{All, Any};
    use Permission::*;
    vec![
        ("auth/session", None, json!({})),
        (
            "auth/sign_in",
            None,
            json!({ "email": "nobody@sandbox.test", "password": "wrong-password", "next": null }),
        ),
        ("auth/code", None, json!({ "code": "123456" })),
        ("auth/enrol", None, json!({ "code": "123456" })),
        ("account/two_factor", Some(All(&[])), json!({})),
        ("account/enrol_begin", Some(All(&[])), json!({})),
        ("account/enrol_confirm", Some(All(&[])), json!({ "code": "123456" })),
        (
            "staff/reset_two_factor",
            Some(All(&[StaffManage])),
            json!({ "id": target, "code": null }),
        ),
        ("settings/two_factor_roles", Some(All(&[SettingsManage])), json!({})),
        (
            "settings/update_two_factor_roles",
            Some(All(&[SettingsManage])),
            json!({ "roles": [], "code": null }),
        ),
        ("staff/list", Some(All(&[StaffManage])), json!({})),
        (
            "staff/create",
            Some(All(&[StaffManage])),
            json!({ "input": { "email": format!("new-{}@sandbox.test", uuid()), "name": "New", "password": "a-long-password", "roles": ["viewer"] } }),
        ),
        (
            "staff/set_roles",
            Some(All(&[StaffManage])),
            json!({ "id": target, "roles": ["viewer", "finance"] }),
        ),
        (
            "staff/set_disabled",
            Some(All(&[StaffManage])),
            json!({ "id": target, "disabled": false }),
        ),
        (
            "staff/reset_password",
            Some(All(&[StaffManage])),
            json!({ "id": target, "password": "another-long-password" }),
        ),
        (
            "audit/page",
            Some(All(&[AuditRead])),
            json!({ "filter": {}, "before": null }),
        ),
        ("sandbox/overview", Some(All(&[SandboxControl])), json!({})),
        (
            "sandbox/arm_fault",
            Some(All(&[SandboxControl])),
            json!({ "fault": { "endpoint": "partner.balances", "latencyMs": 1, "httpStatus": null, "timeout": false, "pCode": null, "count": 1 } }),
        ),
        ("sandbox/clear_faults", Some(All(&[SandboxControl])), json!({})),
        (
            "sandbox/kyc_next",
            Some(All(&[SandboxControl])),
            json!({ "outcome": "approve" }),
        ),
        (
            "sandbox/history_shape",
            Some(All(&[SandboxControl])),
            json!({ "shape": "plain" }),
        ),
        (
            "sandbox/delivery",
            Some(All(&[SandboxControl])),
            json!({ "mode": "base_url" }),
        ),
        (
            "sandbox/force",
            Some(All(&[SandboxControl])),
            json!({ "id": "no-such-movement", "complete": true }),
        ),
        (
            "sandbox/sepa_deposit",
            Some(All(&[SandboxControl])),
            json!({ "input": { "holder": "partner", "amount": "not-an-amount" } }),
        ),
        (
            "users/search",
            Some(All(&[UsersRead])),
            json!({ "query": { "q": "anna" } }),
        ),
        ("users/detail", Some(All(&[UsersRead])), json!({ "id": USER })),
        ("users/reveal", Some(All(&[UsersRead, PiiView])), json!({ "id": USER })),
        ("users/cards", Some(All(&[UsersRead])), json!({ "id": USER })),
        ("find/quick", Some(All(&[])), json!({ "term": USER })),
        (
            "users/add_note",
            Some(All(&[UsersRead, UsersNote])),
            json!({ "id": USER, "note": "checked by phone" }),
        ),
        ("users/new_form", Some(All(&[UsersCreate])), json!({})),
        (
            "users/create",
            Some(All(&[UsersCreate])),
            json!({ "input": crate::users::new_user_json(&format!("perm-{}", uuid())) }),
        ),
        (
            "users/update_contact",
            Some(All(&[UsersUpdate, PiiView])),
            json!({ "id": USER, "input": { "email": format!("{}@example.com", uuid()), "phone": "+48600000001", "street": "Main", "house_number": "1", "city": "Warszawa", "post_code": "00-001" } }),
        ),
        ("users/start_hosted_kyc", Some(All(&[KycSubmit])), json!({ "id": USER })),
        ("users/hosted_kyc_link", Some(All(&[KycSubmit])), json!({ "id": USER })),
        (
            "users/add_verification",
            Some(All(&[KycSubmit])),
            json!({ "id": USER, "kind": "PASSPORT", "number": "AB123456" }),
        ),
        (
            "users/refresh_kyc",
            Some(Any(&[KycReview, KycSubmit])),
            json!({ "id": USER }),
        ),
        ("users/kyc_queue", Some(All(&[KycReview])), json!({})),
        ("users/refresh_queue", Some(All(&[KycReview])), json!({})),
        (
            "users/bulk_suspend",
            Some(All(&[UsersSuspend])),
            json!({ "ids": [USER], "input": { "reason": "compliance_review", "note": "matrix" } }),
        ),
        (
            "users/suspend",
            Some(All(&[UsersSuspend])),
            json!({ "id": USER, "input": { "reason": "fraud_alert", "note": "matrix" } }),
        ),
        (
            "users/unsuspend",
            Some(All(&[UsersSuspend])),
            json!({ "id": USER, "note": "matrix" }),
        ),
        (
            "users/request_delete",
            Some(All(&[UsersDelete])),
            json!({ "id": USER, "input": { "confirm_email": "not-the-email@example.com", "note": "matrix" } }),
        ),
        ("approvals/inbox", Some(All(&[ApprovalsDecide])), json!({ "query": {} })),
        (
            "approvals/get",
            Some(All(&[ApprovalsDecide])),
            json!({ "id": "no-such-request" }),
        ),
        (
            "approvals/decide",
            Some(All(&[ApprovalsDecide])),
            json!({ "id": "no-such-request", "decision": { "Approve": { "payload_hash": "00" } } }),
        ),
        (
            "approvals/withdraw",
            Some(All(&[ApprovalsDecide])),
            json!({ "id": "no-such-request" }),
        ),
        (
            "balances/sheet",
            Some(All(&[BalancesRead])),
            json!({ "holder": "Partner" }),
        ),
        (
            "balances/history",
            Some(All(&[BalancesRead])),
            json!({ "holder": { "User": USER }, "filter": { "kind": "exchange" } }),
        ),
        (
            "balances/create_wallet",
            Some(All(&[BalancesRead, ExchangesCreate])),
            json!({ "currency": "eurt" }),
        ),
        (
            "exchanges/quote",
            Some(All(&[BalancesRead, ExchangesCreate])),
            json!({ "input": { "holder": "Partner", "from": "eur", "to": "btc", "amount": "100" } }),
        ),
        (
            "exchanges/lock",
            Some(All(&[BalancesRead, ExchangesCreate])),
            json!({ "input": { "holder": "Partner", "from": "eur", "to": "btc", "amount": "100" } }),
        ),
        (
            "exchanges/finalize",
            Some(All(&[BalancesRead, ExchangesCreate])),
            json!({ "id": "no-such-exchange" }),
        ),
        (
            "exchanges/get",
            Some(All(&[BalancesRead])),
            json!({ "id": "no-such-exchange" }),
        ),
        ("exchanges/list", Some(All(&[BalancesRead])), json!({ "filter": {} })),
        (
            "payouts/context",
            Some(All(&[BalancesRead])),
            json!({ "holder": "Partner" }),
        ),
        (
            "payouts/review",
            Some(All(&[BalancesRead, PayoutsCreate])),
            json!({ "input": { "Sepa": sepa_input() } }),
        ),
        (
            "payouts/review",
            Some(All(&[BalancesRead, TransfersCreate])),
            json!({ "input": { "Transfer": { "user": USER, "direction": "to_user", "currency": "eur", "amount": "1", "note": "matrix" } } }),
        ),
        (
            "payouts/submit",
            Some(All(&[BalancesRead, PayoutsCreate])),
            json!({ "input": { "Sepa": sepa_input() }, "key": "not-a-key" }),
        ),
        (
            "payouts/submit",
            Some(All(&[BalancesRead, TransfersCreate])),
            json!({ "input": { "Transfer": { "user": USER, "direction": "to_user", "currency": "eur", "amount": "0", "note": "matrix" } }, "key": "not-a-key" }),
        ),
        (
            "payouts/get",
            Some(All(&[BalancesRead])),
            json!({ "id": "no-such-movement" }),
        ),
        ("payouts/list", Some(All(&[BalancesRead])), json!({ "filter": {} })),
        ("deposits/list", Some(All(&[BalancesRead])), json!({ "filter": {} })),
        ("collections/rates", Some(All(&[CollectionsRead])), json!({})),
        (
            "collections/lock_order",
            Some(All(&[CollectionsRead, CollectionsCreate])),
            json!({ "input": { "amount": "100", "asset": "usdc:polygon" } }),
        ),
        (
            "collections/create_order",
            Some(All(&[CollectionsRead, CollectionsCreate])),
            json!({ "id": "no-such-collection" }),
        ),
        (
            "collections/create_link",
            Some(All(&[CollectionsRead, CollectionsCreate])),
            json!({ "input": { "kind": "payment_link", "amount": "25" } }),
        ),
        (
            "collections/get",
            Some(All(&[CollectionsRead])),
            json!({ "id": "no-such-collection" }),
        ),
        (
            "collections/list",
            Some(All(&[CollectionsRead])),
            json!({ "filter": {} }),
        ),
        (
            "sandbox/pay",
            Some(All(&[SandboxControl])),
            json!({ "id": "no-such-movement", "payment": "exact" }),
        ),
        ("deposits/of_user", Some(All(&[BalancesRead])), json!({ "id": USER })),
        (
            "payouts/resolve",
            Some(All(&[BalancesRead, PayoutsResolve])),
            json!({ "input": { "subject": "movement", "id": "no-such-movement", "upstream_id": null, "note": "" } }),
        ),
        ("payouts/waiting_deposits", Some(All(&[TravelRuleSubmit])), json!({})),
        (
            "payouts/travel_rule",
            Some(All(&[TravelRuleSubmit])),
            json!({ "input": { "deposit_id": "", "name": "", "wallet_type": "", "sender_type": "" } }),
        ),
        ("settings/thresholds", Some(All(&[SettingsManage])), json!({})),
        (
            "settings/update_thresholds",
            Some(All(&[SettingsManage])),
            json!({ "thresholds": [{ "currency": "eur", "amount": "1000" }] }),
        ),
        ("settings/grace", Some(All(&[SettingsManage])), json!({})),
        (
            "settings/update_grace",
            Some(All(&[SettingsManage])),
            json!({ "minutes": "15" }),
        ),
        (
            "reconciliation/report",
            Some(All(&[ReconciliationManage])),
            json!({ "filter": {} }),
        ),
        (
            "reconciliation/resolve",
            Some(All(&[ReconciliationManage])),
            json!({ "input": { "subject": "no-such-movement", "note": "matrix" } }),
        ),
        ("reconciliation/home", Some(All(&[ReconciliationManage])), json!({})),
        ("webhooks/list", Some(All(&[WebhooksRead])), json!({ "filter": {} })),
        (
            "webhooks/get",
            Some(All(&[WebhooksRead])),
            json!({ "id": "no-such-event" }),
        ),
        (
            "webhooks/reprocess",
            Some(All(&[WebhooksRead, ReconciliationManage])),
            json!({ "id": "no-such-event", "dry_run": false }),
        ),
        // Last: it ends the session the other calls use.
        ("auth/sign_out", Some(All(&[])), json!({})),
    ]
}

fn sepa_input() -> Value {
    json!({ "holder": "Partner", "beneficiary": "Matrix Test", "iban": "DE89 3704 0044 0532 0130 00", "bic": "", "amount": "1", "reference": "matrix" })
}

/// A seeded sandbox user the user calls act on.
const USER: &str = "demo-0002";

fn uuid() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn every_server_function_is_known_and_mutates_only_by_post() {
    let known: Vec<String> = endpoints("x")
        .iter()
        .map(|(path, _, _)| format!("/api/{path}"))
        .collect();
    let registered: Vec<(&str, _)> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(!registered.is_empty());
    for (path, method) in &registered {
        assert!(
            known.iter().any(|k| k == path),
            "server function {path} is not in the permission matrix"
        );
        assert_eq!(
            *method,
            leptos::server_fn::http_export::Method::POST,
            "{path} must be POST"
        );
    }
    for path in &known {
        assert!(
            registered.iter().any(|(p, _)| p == path),
            "{path} is in the matrix but not registered"
        );
    }
}

/// A snapshot of everything a refused call must leave alone.
async fn state_of(app: &TestApp) -> Value {
    let staff: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, email, password_hash || COALESCE(totp_secret, ''), CASE WHEN disabled THEN 1 ELSE 0 END, session_generation FROM staff ORDER BY id",
    )
            .fetch_all(app.db())
            .await
            .unwrap();
    let roles: Vec<(String, String)> = sqlx::query_as("SELECT staff_id, role FROM staff_roles ORDER BY staff_id, role")
        .fetch_all(app.db())
        .await
        .unwrap();
    let sandbox: Vec<(String, String)> = sqlx::query_as(
        "SELECT 'fault', endpoint || remaining FROM sandbox_faults UNION ALL SELECT key, value FROM sandbox_settings ORDER BY 1, 2",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    // What staff calls change; KYC and account states also move on by themselves (sandbox webhooks).
    let users: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT external_user_id, email, kyc_method FROM users ORDER BY external_user_id")
            .fetch_all(app.db())
            .await
            .unwrap();
    let notes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_notes")
        .fetch_one(app.db())
        .await
        .unwrap();
    let approvals: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM approvals ORDER BY id")
        .fetch_all(app.db())
        .await
        .unwrap();
    let exchanges: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM exchanges ORDER BY id")
        .fetch_all(app.db())
        .await
        .unwrap();
    let wallets: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT currency, wallet FROM sandbox_balances WHERE owner = 'partner' ORDER BY currency")
            .fetch_all(app.db())
            .await
            .unwrap();
    let movements: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM movements ORDER BY id")
        .fetch_all(app.db())
        .await
        .unwrap();
    let resolutions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reconciliation_resolutions")
        .fetch_one(app.db())
        .await
        .unwrap();
    // The background check moves its own cursor through the users while the test runs.
    let settings: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM settings WHERE key <> 'reconciliation.user_cursor' ORDER BY key")
            .fetch_all(app.db())
            .await
            .unwrap();
    json!({
        "movements": format!("{movements:?}"), "settings": format!("{settings:?}"), "resolutions": resolutions,
        "staff": format!("{staff:?}"), "roles": format!("{roles:?}"), "sandbox": format!("{sandbox:?}"),
        "users": format!("{users:?}"), "notes": notes, "approvals": format!("{approvals:?}"),
        "exchanges": format!("{exchanges:?}"), "wallets": format!("{wallets:?}"),
    })
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let app = spawn_app().await;
    // The simulation stands still during the test: a KYC attempt started by one call settling in
    // the middle of another would change the sandbox's state (it consumes `kyc_next`) and look
    // like a refused call that changed something.
    let frozen = Settings {
        settle_ms: Some(3_600_000),
        webhook_retry_base_ms: None,
        timeout_ms: None,
        ..Default::default()
    };
    control::apply_settings(sandbox(&app), &frozen).await.unwrap();
    let admin = app.signed_in(Role::Admin).await;
    let (_, target) = admin
        .call("staff/create", json!({ "input": { "email": "target@sandbox.test", "name": "Target", "password": "a-long-password", "roles": ["viewer"] } }))
        .await;
    let target = target["id"].as_str().expect("target created").to_owned();

    let anonymous = app.client();
    for route in routes::ALL {
        let (status, _) = request(&anonymous, &app, route).await;
        match route.access {
            Access::Anyone => assert!(status.is_success(), "{} {} is open: {status}", route.method, route.path),
            Access::WebhookToken => assert_eq!(status, StatusCode::UNAUTHORIZED, "{} without the token", route.path),
            Access::Members(_) => assert!(
                status == StatusCode::UNAUTHORIZED || status.is_redirection(),
                "{} {} without a session: {status}",
                route.method,
                route.path
            ),
        }
    }
    for (path, required, args) in endpoints(&target) {
        let (status, _) = anonymous.call(path, args).await;
        match required {
            None => assert_ne!(status, StatusCode::UNAUTHORIZED, "{path} is open to everyone"),
            Some(_) => assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} without a session"),
        }
    }

    for role in Role::ALL.iter().copied() {
        let client = app.signed_in(role).await;
        let held = Permissions::of_roles(&[role]);
        for (path, required, args) in endpoints(&target) {
            let allowed = required.is_none_or(|r| held.meets(r));
            check(&app, role, path, allowed, || client.call(path, args.clone())).await;
        }
        let client = app.signed_in(role).await;
        for route in routes::ALL {
            let Access::Members(required) = route.access else {
                continue;
            };
            let allowed = held.has_all(required);
            check(&app, role, route.probe, allowed, || request(&client, &app, route)).await;
        }
    }
}

/// The route's probe request, as `client` (a GET, or a POST with no body).
async fn request(client: &Client, app: &TestApp, route: &Declared) -> (StatusCode, Value) {
    let url = app.url(route.probe);
    let request = match route.method {
        "GET" => client.http.get(url),
        _ => client.http.post(url),
    };
    (request.send().await.unwrap().status(), Value::Null)
}

async fn check<F, Fut>(app: &TestApp, role: Role, path: &str, allowed: bool, call: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    let before = state_of(app).await;
    let audit_before = app.audit_count().await;
    let (status, body) = call().await;
    if allowed {
        assert!(
            status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
            "{role} should be allowed {path}, got {status}: {body}"
        );
    } else {
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} must be refused {path}: {body}");
        assert_eq!(
            state_of(app).await,
            before,
            "{role} was refused {path} but something changed"
        );
        assert_eq!(app.audit_count().await, audit_before + 1, "the refusal is audited once");
        let row = app.last_audit("access.denied").await.unwrap();
        assert_eq!(row.outcome, "denied");
        assert!(row.target_id.unwrap().ends_with(path), "denial names {path}");
    }
}
