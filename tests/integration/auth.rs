use std::time::Duration;

use backoffice::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, field_message, spawn_app, spawn_app_with};

const WRONG: &str = "Email or password is wrong.";

#[tokio::test]
async fn sign_in_right_and_wrong() {
    let app = spawn_app().await;
    let client = app.client();

    let (status, body) = client.sign_in("finance@sandbox.test", "not-the-password").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["Refused"], WRONG);
    let (status, body) = client.sign_in("nobody@sandbox.test", "not-the-password").await;
    assert_eq!(
        (status, body["Refused"].as_str()),
        (StatusCode::CONFLICT, Some(WRONG)),
        "unknown email answers the same"
    );
    let (status, body) = client.sign_in("not an email", "x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "email").is_some());
    assert_eq!(client.whoami().await, None);

    let (status, body) = client.sign_in("  Finance@Sandbox.TEST ", "sandbox-finance").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "Done": { "next": "/" } }));
    assert_eq!(client.whoami().await.as_deref(), Some("finance@sandbox.test"));

    let failure = app.last_audit("auth.sign_in").await.unwrap();
    assert_eq!(failure.outcome, "success");
    let failures: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in' AND outcome = 'failure'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(failures, 2);
}

#[tokio::test]
async fn next_page_is_kept_but_only_on_this_site() {
    let app = spawn_app().await;
    let client = app.client();
    let args = |next: &str| json!({ "email": "admin@sandbox.test", "password": "sandbox-admin", "next": next });
    let (_, body) = client.call("auth/sign_in", args("/audit?action=auth")).await;
    assert_eq!(body["Done"]["next"], "/audit?action=auth");
    // What reaches the server after the query string is decoded: browsers drop tabs and newlines
    // and read `\` as `/`, so each of these would have been `//evil.example` (ASVS 5.0 V3.4.1).
    for foreign in [
        "https://evil.example/",
        "//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "\\/evil.example",
    ] {
        let (_, body) = client.call("auth/sign_in", args(foreign)).await;
        assert_eq!(body["Done"]["next"], "/", "{foreign:?}");
    }
}

#[tokio::test]
async fn five_failures_in_a_row_lock_the_account_for_everyone_alike() {
    let app = spawn_app().await;
    let client = app.client();
    for email in ["onboarding@sandbox.test", "ghost@sandbox.test"] {
        for _ in 0..5 {
            let (status, _) = client.sign_in(email, "wrong-password-123").await;
            assert_eq!(status, StatusCode::CONFLICT);
        }
    }
    let (status, body) = client.sign_in("onboarding@sandbox.test", "sandbox-onboarding").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["TooManyAttempts"].as_str().unwrap().contains("locked"));
    let (status, ghost) = client.sign_in("ghost@sandbox.test", "whatever-password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        ghost["TooManyAttempts"], body["TooManyAttempts"],
        "an unknown email locks the same way"
    );
    assert_eq!(client.whoami().await, None);
    assert_eq!(app.last_audit("auth.sign_in").await.unwrap().outcome, "denied");

    // Hammering a locked account is counted on the lock, not written row by row.
    let rows = app.audit_count().await;
    for _ in 0..10 {
        let (status, _) = client.sign_in("onboarding@sandbox.test", "sandbox-onboarding").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(app.audit_count().await, rows, "no audit row per refused attempt");
    let refused: i64 =
        sqlx::query_scalar("SELECT refused FROM sign_in_throttle WHERE scope = 'email' AND subject = $1")
            .bind("onboarding@sandbox.test")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(refused, 11, "the first refusal (audited) and ten more, counted");

    // Other accounts are unaffected.
    app.signed_in(Role::Viewer).await;
}

#[tokio::test]
async fn one_address_is_limited_after_many_failures() {
    let app = spawn_app().await;
    let client = app.client();
    for i in 0..20 {
        let (status, _) = client
            .sign_in(&format!("guess{i}@sandbox.test"), "wrong-password-123")
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
    let (status, body) = client.sign_in("admin@sandbox.test", "sandbox-admin").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["TooManyAttempts"].as_str().unwrap().contains("network"));
}

/// The `Set-Cookie` header of a fresh sign-in, lower-cased.
async fn sign_in_set_cookie(app: &crate::helpers::TestApp) -> String {
    let response = app
        .client()
        .http
        .post(app.url("/api/auth/sign_in"))
        .json(&json!({ "email": "viewer@sandbox.test", "password": "sandbox-viewer", "next": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.headers()["set-cookie"].to_str().unwrap().to_lowercase()
}

#[tokio::test]
async fn session_cookie_is_http_only_and_strict() {
    let cookie = sign_in_set_cookie(&spawn_app().await).await;
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("secure"), "plain http must not set Secure: {cookie}");

    let https = spawn_app_with(&[("PUBLIC_URL", "https://backoffice.example.com")]).await;
    let cookie = sign_in_set_cookie(&https).await;
    assert!(cookie.contains("secure"), "{cookie}");
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = spawn_app_with(&[("SESSION_IDLE_TIMEOUT", "2s")]).await;
    let client = app.signed_in(Role::Admin).await;
    assert!(client.whoami().await.is_some());
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let (status, body) = client.call("staff/list", json!({})).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")));
}

#[tokio::test]
async fn sessions_end_after_their_maximum_age_even_when_used() {
    // Headroom for a loaded machine: signing in (argon2) and two reads took over 3 s once in CI.
    let app = spawn_app_with(&[("SESSION_MAX_AGE", "6s")]).await;
    let client = app.signed_in(Role::Admin).await;
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(client.whoami().await.is_some());
    }
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert_eq!(client.whoami().await, None);
}

#[tokio::test]
async fn expired_sessions_land_on_sign_in_and_come_back() {
    let app = spawn_app().await;
    let response = app.client().get("/audit?action=staff.").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        "/sign-in?next=%2Faudit%3Faction%3Dstaff%2E"
    );
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    let client = app.signed_in(Role::Compliance).await;
    let (status, _) = client.call("auth/sign_out", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(client.whoami().await, None);
    let row = app.last_audit("auth.sign_out").await.unwrap();
    assert_eq!(row.staff_email.as_deref(), Some("compliance@sandbox.test"));
    let (status, _) = client.call("auth/sign_out", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_sign_in_page_sends_signed_in_members_on() {
    let app = spawn_app().await;
    let client = app.signed_in(Role::Viewer).await;
    let response = client.get("/sign-in?next=%2Faudit").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/audit");
    assert_eq!(app.client().get("/sign-in").await.status(), StatusCode::OK);
}

/// A sign-in attempt arriving through a proxy that says the client is `forwarded`.
async fn sign_in_from(app: &TestApp, forwarded: &str, email: &str, password: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.url("/api/auth/sign_in"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({ "email": email, "password": password, "next": null }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_limited_alone() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).await;
    // Twenty failures from one client behind the proxy lock that client only.
    for i in 0..20 {
        let status = sign_in_from(
            &app,
            "203.0.113.7",
            &format!("guess{i}@sandbox.test"),
            "wrong-password-123",
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
    let status = sign_in_from(&app, "203.0.113.7", "admin@sandbox.test", "sandbox-admin").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "that client is locked");
    // Its own claim left of the proxy's entry is worth nothing.
    let status = sign_in_from(&app, "198.51.100.1, 203.0.113.7", "admin@sandbox.test", "sandbox-admin").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let status = sign_in_from(&app, "198.51.100.2", "admin@sandbox.test", "sandbox-admin").await;
    assert_eq!(status, StatusCode::OK, "everyone else behind the same proxy signs in");
    let row = app.last_audit("auth.sign_in").await.unwrap();
    assert_eq!(
        row.ip.as_deref(),
        Some("198.51.100.2"),
        "the audit names the real client"
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_address_is_ignored() {
    let app = spawn_app().await;
    for i in 0..20 {
        let forged = format!("203.0.113.{i}");
        let status = sign_in_from(&app, &forged, &format!("guess{i}@sandbox.test"), "wrong-password-123").await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
    let status = sign_in_from(&app, "198.51.100.2", "admin@sandbox.test", "sandbox-admin").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged header does not escape the limit"
    );
    assert_eq!(
        app.last_audit("auth.sign_in").await.unwrap().ip.as_deref(),
        Some("127.0.0.1")
    );
}
