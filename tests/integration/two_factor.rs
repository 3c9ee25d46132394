//! Two-factor sign-in and step-up, over HTTP against the real server: enrolment, password then
//! code, codes used once, recovery codes, the lockout shared with passwords, a role that requires
//! it, an admin's reset, and the fresh code asked before a sensitive action.

use backoffice::domain::Role;
use backoffice::domain::staff::{DEMO_TOTP_SECRET, demo_credentials};
use reqwest::StatusCode;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{Client, TestApp, field_message, spawn_app, spawn_app_with};

/// The code an authenticator app holding `secret` shows `steps` steps of 30 s from now.
pub fn code(secret: &str, steps: i64) -> String {
    let bytes = Secret::Encoded(secret.replace(' ', "")).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "test".into()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp.generate((now + steps * 30) as u64)
}

/// Enrols the signed-in member from their account page; returns the secret and recovery codes.
async fn enrol(client: &Client) -> (String, Vec<String>) {
    let (status, enrolment) = client.call("account/enrol_begin", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap().replace(' ', "");
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    let (status, body) = client
        .call("account/enrol_confirm", json!({ "code": code(&secret, 0) }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<String> = serde_json::from_value(body["codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn password_step(client: &Client, role: Role) -> Value {
    let (email, password) = demo_credentials(role);
    let (status, step) = client.sign_in(&email, &password).await;
    assert_eq!(status, StatusCode::OK, "{step}");
    step
}

async fn audit_rows(app: &TestApp, action: &str) -> Vec<(Option<String>, Option<String>)> {
    sqlx::query_as("SELECT reason, after_data FROM audit_log WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_enrolled_member_signs_in_with_password_then_code_and_no_code_works_twice() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let (secret, _) = enrol(&finance).await;
    let (_, account) = finance.call("account/two_factor", json!({})).await;
    assert_eq!(account["recovery_codes_left"], 10);
    assert!(account["enrolled_at"].is_string());
    // Besides the sandbox's demo member, enrolled at start-up with its published secret.
    let enrolments = audit_rows(&app, "auth.two_factor.enrol").await;
    assert_eq!(
        enrolments.iter().filter(|(reason, _)| reason.is_none()).count(),
        1,
        "{enrolments:?}"
    );

    let client = app.client();
    assert_eq!(password_step(&client, Role::Finance).await, json!("Code"));
    // The password alone signs nobody in.
    assert_eq!(client.whoami().await, None);
    let (status, _) = client.call("account/two_factor", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The code that confirmed the enrolment was used: it is refused, as is an earlier one.
    for used in [code(&secret, 0), code(&secret, -1)] {
        let (status, body) = client.call("auth/code", json!({ "code": used })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(field_message(&body, "code").unwrap().contains("not right"));
    }
    let next = code(&secret, 1);
    let (status, body) = client.call("auth/code", json!({ "code": next })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "Done": { "next": "/" } }));
    assert_eq!(client.whoami().await.as_deref(), Some("finance@sandbox.test"));

    // The same code again, in another sign-in: refused (RFC 6238 §5.2, ASVS 5.0 V6.5.1).
    let again = app.client();
    password_step(&again, Role::Finance).await;
    let (status, _) = again.call("auth/code", json!({ "code": next })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let reasons: Vec<String> = audit_rows(&app, "auth.sign_in")
        .await
        .into_iter()
        .filter_map(|(reason, _)| reason)
        .collect();
    assert!(
        reasons.iter().any(|r| r == "password and authenticator code"),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r == "wrong or used second-factor code"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let (_, codes) = enrol(&app.signed_in(Role::Compliance).await).await;

    let client = app.client();
    password_step(&client, Role::Compliance).await;
    // Typed as people type them: lower case, a space for the dash.
    let typed = codes[3].to_lowercase().replace('-', " ");
    let (status, body) = client.call("auth/code", json!({ "code": typed })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, account) = client.call("account/two_factor", json!({})).await;
    assert_eq!(account["recovery_codes_left"], 9);

    let again = app.client();
    password_step(&again, Role::Compliance).await;
    let (status, _) = again.call("auth/code", json!({ "code": codes[3] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let reasons: Vec<Option<String>> = audit_rows(&app, "auth.sign_in")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert!(
        reasons.contains(&Some("password and recovery code (9 left)".into())),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn wrong_codes_lock_the_account_as_wrong_passwords_do() {
    let app = spawn_app().await;
    let (secret, _) = enrol(&app.signed_in(Role::Onboarding).await).await;
    let client = app.client();
    password_step(&client, Role::Onboarding).await;
    for _ in 0..5 {
        let (status, _) = client.call("auth/code", json!({ "code": "000000" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Locked now: the right code, and the password too, are refused until the lockout passes.
    let (status, body) = client.call("auth/code", json!({ "code": code(&secret, 1) })).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (email, password) = demo_credentials(Role::Onboarding);
    let (status, _) = app.client().sign_in(&email, &password).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A right password does not clear the count the wrong codes made.
    let failures: i64 =
        sqlx::query_scalar("SELECT failures FROM sign_in_throttle WHERE scope = 'email' AND subject = $1")
            .bind(&email)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(failures, 5);
}

#[tokio::test]
async fn a_role_that_requires_two_factor_sets_it_up_at_its_next_sign_in() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let (status, body) = admin
        .call("settings/update_two_factor_roles", json!({ "roles": ["viewer"] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, roles) = admin.call("settings/two_factor_roles", json!({})).await;
    assert_eq!(roles, json!(["viewer"]));

    let viewer = app.client();
    let step = password_step(&viewer, Role::Viewer).await;
    let secret = step["Enrol"]["secret"].as_str().expect("an enrolment").replace(' ', "");
    assert_eq!(viewer.whoami().await, None);
    let (status, body) = viewer.call("auth/enrol", json!({ "code": "123" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = viewer.call("auth/enrol", json!({ "code": code(&secret, 0) })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["codes"].as_array().unwrap().len(), 10);
    assert_eq!(viewer.whoami().await.as_deref(), Some("viewer@sandbox.test"));

    // Members of other roles still sign in with their password alone in the sandbox.
    assert_eq!(password_step(&app.client(), Role::Finance).await["Done"]["next"], "/");
    let (_, after) = &audit_rows(&app, "settings.two_factor_roles").await[0];
    assert!(after.as_deref().unwrap().contains("not stepped up"), "{after:?}");
}

#[tokio::test]
async fn an_admin_reset_removes_the_enrolment_and_ends_the_members_sessions() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    enrol(&finance).await;
    let admin = app.signed_in(Role::Admin).await;
    let (_, staff) = admin.call("staff/list", json!({})).await;
    let member = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "finance@sandbox.test")
        .unwrap();
    assert!(member["two_factor_since"].is_string());
    let (status, body) = admin
        .call("staff/reset_two_factor", json!({ "id": member["id"] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(finance.whoami().await, None, "the member's session ended");
    assert_eq!(audit_rows(&app, "staff.reset_two_factor").await.len(), 1);
    // Not required in the sandbox: the password alone signs them in again.
    assert_eq!(password_step(&app.client(), Role::Finance).await["Done"]["next"], "/");
    // A second reset has nothing to remove.
    let (status, _) = admin
        .call("staff/reset_two_factor", json!({ "id": member["id"] }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn approving_and_changing_roles_ask_for_a_fresh_code_and_the_audit_row_says_so() {
    let app = spawn_app_with(&[("STEP_UP_WINDOW", "2s")]).await;
    // A request for admin2 to approve, made by admin (not enrolled: the sandbox lets them).
    let maker = app.signed_in(Role::Admin).await;
    let thresholds = json!([{ "currency": "eur", "amount": "900" }]);
    let (status, page) = maker
        .call("settings/update_thresholds", json!({ "thresholds": thresholds }))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let approval_id = page["pending"]["id"].as_str().unwrap().to_owned();

    let checker = app.signed_in_as("admin2").await;
    let (secret, _) = enrol(&checker).await;
    let (_, request) = checker.call("approvals/get", json!({ "id": approval_id })).await;
    let decide = |code: Option<String>| json!({ "id": approval_id, "decision": { "Approve": { "payload_hash": request["payload_hash"] } }, "code": code });
    // The enrolment's code is fresh for two seconds; after that a new one is asked for.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, body) = checker.call("approvals/decide", decide(None)).await;
    assert_eq!(status.as_u16(), 428, "{body}");
    assert_eq!(body, json!("StepUpRequired"));
    let (status, body) = checker.call("approvals/decide", decide(Some("111111".into()))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = checker.call("approvals/decide", decide(Some(code(&secret, 1)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "executed", "{body}");
    let (_, after) = &audit_rows(&app, "approvals.approve").await[0];
    assert!(
        after
            .as_deref()
            .unwrap()
            .contains("stepped up: authenticator code entered for this action"),
        "{after:?}"
    );

    // Within the window no code is asked again, and the row says how recent the last one was.
    let (_, staff) = checker.call("staff/list", json!({})).await;
    let viewer = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "viewer@sandbox.test")
        .unwrap();
    let (status, body) = checker
        .call(
            "staff/set_roles",
            json!({ "id": viewer["id"], "roles": ["viewer", "onboarding"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = &audit_rows(&app, "staff.set_roles").await[0];
    assert!(
        after.as_deref().unwrap().contains("stepped up: code given"),
        "{after:?}"
    );
    // Past the window, the next role change asks again.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, body) = checker
        .call("staff/set_roles", json!({ "id": viewer["id"], "roles": ["viewer"] }))
        .await;
    assert_eq!(status.as_u16(), 428, "{body}");
}

#[tokio::test]
async fn the_sandbox_demo_member_shows_two_factor_with_the_code_on_the_sign_in_page() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, session) = client.call("auth/session", json!({})).await;
    let shown = session["demo_code"].as_str().expect("the demo code").to_owned();
    assert_eq!(shown, code(DEMO_TOTP_SECRET, 0));
    let (status, step) = client.sign_in("finance-2fa@sandbox.test", "sandbox-finance-2fa").await;
    assert_eq!((status, step), (StatusCode::OK, json!("Code")));
    let (status, body) = client.call("auth/code", json!({ "code": shown })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Signed in, the probe shows no code.
    let (_, session) = client.call("auth/session", json!({})).await;
    assert_eq!(session["demo_code"], Value::Null);
}

#[tokio::test]
async fn a_code_without_a_password_first_is_refused() {
    let app = spawn_app().await;
    let (status, body) = app.client().call("auth/code", json!({ "code": "123456" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("expired"), "{body}");
}

#[tokio::test]
async fn the_command_line_removes_an_enrolment_when_no_admin_can_sign_in() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    enrol(&admin).await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(["reset-two-factor", "--email", " Admin@Sandbox.test "])
        .env("DATABASE_URL", &app.db_url)
        .env("LOG_LEVEL", "warn")
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(admin.whoami().await, None, "the admin's sessions ended");
    let row = app.last_audit("staff.reset_two_factor").await.expect("audited");
    assert_eq!(row.staff_email, None, "done by the system, from the command line");
    assert_eq!(password_step(&app.client(), Role::Admin).await["Done"]["next"], "/");
}
