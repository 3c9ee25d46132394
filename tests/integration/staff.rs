use backoffice::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, field_message, spawn_app};

/// The id of the member with `email`, read from the staff list as `admin`.
async fn staff_id(admin: &Client, email: &str) -> Value {
    let (_, list) = admin.call("staff/list", json!({})).await;
    let member = list.as_array().unwrap().iter().find(|m| m["email"] == email);
    member.unwrap_or_else(|| panic!("{email} is not in {list}"))["id"].clone()
}

fn new_member(email: &str, roles: &[&str]) -> Value {
    json!({ "input": { "email": email, "name": "Sam Staff", "password": "a-long-password", "roles": roles } })
}

#[tokio::test]
async fn creating_staff_checks_every_field_and_audits() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;

    let (status, body) = admin
        .call(
            "staff/create",
            json!({ "input": { "email": "x", "name": "", "password": "short", "roles": [] } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["email", "name", "password", "roles"] {
        assert!(field_message(&body, field).is_some(), "no message for {field}: {body}");
    }

    let (status, body) = admin
        .call(
            "staff/create",
            new_member("Sam@Example.com", &["finance", "onboarding"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "sam@example.com");
    assert_eq!(body["roles"], json!(["onboarding", "finance"]));

    let (status, body) = admin
        .call("staff/create", new_member("sam@example.com", &["viewer"]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "email").unwrap().contains("already exists"));

    let row = app.last_audit("staff.create").await.unwrap();
    assert_eq!(row.staff_email.as_deref(), Some("admin@sandbox.test"));
    assert!(row.after_data.unwrap().contains("sam@example.com"));
    assert!(row.request_id.is_some_and(|id| !id.is_empty()));
    assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));

    let member = app.client();
    assert_eq!(
        member.sign_in("sam@example.com", "a-long-password").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn nobody_removes_the_last_admin() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let admin_id = staff_id(&admin, "admin@sandbox.test").await;
    // The sandbox's second demo admin is disabled first: then this one is the only admin.
    let demo_second = staff_id(&admin, "admin2@sandbox.test").await;
    let (status, body) = admin
        .call("staff/set_disabled", json!({ "id": demo_second, "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = admin
        .call("staff/set_roles", json!({ "id": admin_id, "roles": ["viewer"] }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["Refused"].as_str().unwrap().contains("no enabled admin"));
    let (status, _) = admin
        .call("staff/set_disabled", json!({ "id": admin_id, "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nobody disables themselves");

    let (_, second) = admin
        .call("staff/create", new_member("second-admin@example.com", &["admin"]))
        .await;
    let (status, body) = admin
        .call("staff/set_roles", json!({ "id": admin_id, "roles": ["viewer"] }))
        .await;
    assert_eq!(status, StatusCode::OK, "with a second admin it works: {body}");
    // The second admin is now the only one: it may neither disable itself nor drop its admin role.
    let other = app.client();
    assert_eq!(
        other.sign_in("second-admin@example.com", "a-long-password").await.0,
        StatusCode::OK
    );
    let (status, _) = other
        .call("staff/set_disabled", json!({ "id": second["id"], "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = other
        .call("staff/set_roles", json!({ "id": second["id"], "roles": ["finance"] }))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the last admin cannot drop their own admin role"
    );
}

#[tokio::test]
async fn disabling_ends_sessions_at_once_and_blocks_sign_in() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let finance = app.signed_in(Role::Finance).await;
    assert!(finance.whoami().await.is_some());
    let id = staff_id(&admin, "finance@sandbox.test").await;

    let (status, body) = admin
        .call("staff/set_disabled", json!({ "id": id, "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["disabled"], true);
    assert_eq!(finance.whoami().await, None, "the open session ended");
    let (status, body) = app.client().sign_in("finance@sandbox.test", "sandbox-finance").await;
    assert_eq!(
        (status, body["Refused"].as_str()),
        (StatusCode::CONFLICT, Some("Email or password is wrong."))
    );
    let row = app.last_audit("staff.disable").await.unwrap();
    assert_eq!(row.before_data.as_deref(), Some(r#"{"disabled":false}"#));

    let (status, _) = admin
        .call("staff/set_disabled", json!({ "id": id, "disabled": false }))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.signed_in(Role::Finance).await;
}

#[tokio::test]
async fn password_reset_ends_sessions_and_never_reaches_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let viewer = app.signed_in(Role::Viewer).await;
    let id = staff_id(&admin, "viewer@sandbox.test").await;

    let (status, body) = admin
        .call("staff/reset_password", json!({ "id": id, "password": "short" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "password").is_some());
    let (status, _) = admin
        .call(
            "staff/reset_password",
            json!({ "id": id, "password": "brand-new-secret-42" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(viewer.whoami().await, None);
    assert_eq!(
        app.client().sign_in("viewer@sandbox.test", "sandbox-viewer").await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.client()
            .sign_in("viewer@sandbox.test", "brand-new-secret-42")
            .await
            .0,
        StatusCode::OK
    );

    let leaked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE COALESCE(before_data, '') || COALESCE(after_data, '') || COALESCE(reason, '') LIKE '%secret-42%'",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(leaked, 0);
    assert!(app.last_audit("staff.reset_password").await.is_some());
}

#[tokio::test]
async fn unknown_members_are_not_found() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let (status, body) = admin
        .call("staff/set_disabled", json!({ "id": "no-such-id", "disabled": true }))
        .await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!("NotFound")));
}
