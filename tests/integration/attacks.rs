//! The attacks a bank's auditor would try, as a table: each attempt, run over HTTP against one real
//! server (sandbox, behind a trusted proxy at 127.0.0.1, a keyed audit chain, a one-second step-up
//! window), with the refusal it must meet. The OWASP ASVS 5.0 requirement each one checks is named
//! beside it. Deeper tests of the same defences live with their areas (auth, two_factor, users,
//! webhooks, audit, permissions); this table is the one place that lists them all.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use backoffice::domain::Role;
use backoffice::domain::users::UserList;
use backoffice::server::audit::{self, Verdict};
use backoffice::server::db;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, spawn_app_with};
use crate::two_factor::code;

type Attempt = for<'a> fn(&'a TestApp) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

/// `(attack, ASVS 5.0 requirement, the attempt and its expected refusal)`, run in this order.
const ATTACKS: &[(&str, &str, Attempt)] = &[
    ("session fixation", "V7.2.4", |app| Box::pin(session_fixation(app))),
    ("CSRF from another origin on every server function", "V3.5.1", |app| {
        Box::pin(cross_site_requests(app))
    }),
    ("open redirect after sign-in", "V3.4.1 (was V5.1.5)", |app| {
        Box::pin(open_redirect(app))
    }),
    ("PII oracle through search counts", "V8.2.3", |app| {
        Box::pin(pii_oracle(app))
    }),
    (
        "brute force across addresses, behind the proxy",
        "V6.3.1, V6.1.1",
        |app| Box::pin(brute_force_behind_the_proxy(app)),
    ),
    ("TOTP replay", "V6.5.1", |app| Box::pin(totp_replay(app))),
    (
        "step-up bypass by calling the server function directly",
        "V6.8.4",
        |app| Box::pin(step_up_bypass(app)),
    ),
    ("role escalation by a member who may not grant", "V8.3.1", |app| {
        Box::pin(role_escalation(app))
    }),
    ("a disabled member's old session", "V7.4.2", |app| {
        Box::pin(disabled_session(app))
    }),
    ("forged webhook", "V4.1.5 (webhook authenticity)", |app| {
        Box::pin(forged_webhook(app))
    }),
    ("editing or wiping the audit log", "V16.4.2", |app| {
        Box::pin(audit_tampering(app))
    }),
    ("an audit chain re-written without the key", "V16.4.3", |app| {
        Box::pin(rechained_audit(app))
    }),
];

#[tokio::test]
async fn every_attack_in_the_table_is_refused() {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("STEP_UP_WINDOW", "1s"),
        ("AUDIT_KEY", key.as_str()),
    ])
    .await;
    for (attack, asvs, attempt) in ATTACKS {
        eprintln!("attack: {attack} ({asvs})");
        attempt(&app).await;
    }
}

/// A client whose requests say (through the trusted proxy) they come from `address`, so one
/// attack's failures do not lock the next attack out.
fn from(app: &TestApp, address: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().unwrap());
    Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: app.url(""),
    }
}

async fn signed_in_from(app: &TestApp, address: &str, role: Role) -> Client {
    let client = from(app, address);
    let (email, password) = backoffice::domain::staff::demo_credentials(role);
    let (status, body) = client.sign_in(&email, &password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    client
}

/// A session id planted before sign-in is worth nothing after it: sign-in issues a new one.
async fn session_fixation(app: &TestApp) {
    let http = reqwest::Client::new();
    let sign_in = |cookie: Option<&str>| {
        let mut request = http
            .post(app.url("/api/auth/sign_in"))
            .json(&json!({ "email": "viewer@sandbox.test", "password": "sandbox-viewer", "next": null }));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        async move {
            let response = request.send().await.unwrap();
            let cookie = response.headers().get("set-cookie").expect("a session cookie");
            cookie.to_str().unwrap().split(';').next().unwrap().to_owned()
        }
    };
    let planted = sign_in(None).await;
    let fresh = sign_in(Some(&planted)).await;
    assert_ne!(planted, fresh);
    let me = |cookie: String| {
        let request = http
            .post(app.url("/api/auth/session"))
            .header("cookie", cookie)
            .json(&json!({}));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap()["me"].clone() }
    };
    assert!(me(planted).await.is_null(), "the planted id is dead");
    assert_eq!(me(fresh).await["email"], "viewer@sandbox.test");
}

/// Every server function, called by a signed-in admin's browser from another site, is refused
/// before it runs: nothing is written.
async fn cross_site_requests(app: &TestApp) {
    let admin = signed_in_from(app, "198.51.100.1", Role::Admin).await;
    let before = app.audit_count().await;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
            let status = admin
                .http
                .post(app.url(path))
                .header(header, value)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} with {header}: {value}");
        }
    }
    assert_eq!(app.audit_count().await, before, "nothing ran");
}

async fn open_redirect(app: &TestApp) {
    for next in [
        "//evil.example",
        "/\t/evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%0a/x",
    ] {
        let (_, body) = from(app, "198.51.100.2")
            .call(
                "auth/sign_in",
                json!({ "email": "viewer@sandbox.test", "password": "sandbox-viewer", "next": next }),
            )
            .await;
        let landing = body["Done"]["next"].as_str().unwrap().to_owned();
        assert!(landing == "/" || landing == next, "{next:?} -> {landing:?}");
        assert!(
            !landing.starts_with("//") && !landing.contains("evil"),
            "{next:?} -> {landing:?}"
        );
    }
}

/// Without `pii.view`, an email's prefix finds nobody, so the result count cannot spell it out
/// one character at a time.
async fn pii_oracle(app: &TestApp) {
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE external_user_id = 'demo-0007'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let finance = signed_in_from(app, "198.51.100.3", Role::Finance).await;
    // From the `@` on, a prefix can only match the email (names and ids have none).
    for length in email.find('@').unwrap() + 1..email.len() {
        let (status, page) = finance
            .call("users/search", json!({ "query": { "q": &email[..length] } }))
            .await;
        assert_eq!(status, StatusCode::OK);
        let rows = serde_json::from_value::<UserList>(page).expect("a users list").rows;
        assert!(
            rows.iter().all(|r| r.external_user_id != "demo-0007"),
            "{} characters of the email found its owner",
            length
        );
    }
}

/// Guesses spread over many addresses still lock the account; one address's guesses lock that
/// address, not the next member behind the same proxy.
async fn brute_force_behind_the_proxy(app: &TestApp) {
    for i in 0..5 {
        let (status, _) = from(app, &format!("203.0.113.{i}"))
            .sign_in("compliance2@sandbox.test", "guess-the-password")
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
    let (status, _) = from(app, "203.0.113.99")
        .sign_in("compliance2@sandbox.test", "sandbox-compliance2")
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account is locked whoever asks"
    );

    let attacker = from(app, "203.0.113.200");
    for i in 0..20 {
        attacker.sign_in(&format!("nobody{i}@sandbox.test"), "guess").await;
    }
    let (status, _) = attacker.sign_in("finance@sandbox.test", "sandbox-finance").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the guessing address is stopped");
    let (status, _) = from(app, "203.0.113.201")
        .sign_in("finance@sandbox.test", "sandbox-finance")
        .await;
    assert_eq!(status, StatusCode::OK, "a colleague behind the same proxy is not");
    let ip: Option<String> =
        sqlx::query_scalar("SELECT ip FROM audit_log WHERE action = 'auth.sign_in' ORDER BY seq DESC LIMIT 1")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(ip.as_deref(), Some("203.0.113.201"));
}

/// Enrols the signed-in member; returns their secret.
async fn enrol(client: &Client) -> String {
    let (_, enrolment) = client.call("account/enrol_begin", json!({})).await;
    let secret = enrolment["secret"].as_str().unwrap().replace(' ', "");
    let (status, body) = client
        .call("account/enrol_confirm", json!({ "code": code(&secret, 0) }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    secret
}

/// A code seen once (over a shoulder, in a proxy log) does not sign in again.
async fn totp_replay(app: &TestApp) {
    let secret = enrol(&signed_in_from(app, "198.51.100.6", Role::Onboarding).await).await;
    let seen = code(&secret, 1);
    let victim = from(app, "198.51.100.6");
    victim.sign_in("onboarding@sandbox.test", "sandbox-onboarding").await;
    assert_eq!(
        victim.call("auth/code", json!({ "code": seen })).await.0,
        StatusCode::OK
    );
    let attacker = from(app, "198.51.100.7");
    attacker.sign_in("onboarding@sandbox.test", "sandbox-onboarding").await;
    let (status, _) = attacker.call("auth/code", json!({ "code": seen })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(attacker.whoami().await, None);
}

/// Calling a stepped-up server function directly, without a fresh code, changes nothing; nor
/// does a code that is not the member's.
async fn step_up_bypass(app: &TestApp) {
    let admin = signed_in_from(app, "198.51.100.8", Role::Admin).await;
    enrol(&admin).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (_, staff) = admin.call("staff/list", json!({})).await;
    let viewer = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "viewer@sandbox.test")
        .unwrap()
        .clone();
    let escalate = |code: Option<String>| json!({ "id": viewer["id"], "roles": ["admin"], "code": code });
    let (status, _) = admin.call("staff/set_roles", escalate(None)).await;
    assert_eq!(status.as_u16(), 428);
    let others = code("KRSXG5CUO5XUMYLDORXXEREFJVHSAU3B", 0);
    let (status, _) = admin.call("staff/set_roles", escalate(Some(others))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM staff_roles WHERE staff_id = $1")
        .bind(viewer["id"].as_str().unwrap())
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(roles, ["viewer"]);
}

/// A member without `staff.manage` cannot give themselves a role, nor create an admin.
async fn role_escalation(app: &TestApp) {
    let compliance = signed_in_from(app, "198.51.100.9", Role::Compliance).await;
    let (_, me) = compliance.call("auth/session", json!({})).await;
    let (status, _) = compliance
        .call("staff/set_roles", json!({ "id": me["me"]["id"], "roles": ["admin"] }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let new_admin = json!({ "input": { "email": "mine@sandbox.test", "name": "Mine", "password": "a-long-password", "roles": ["admin"] } });
    assert_eq!(
        compliance.call("staff/create", new_admin).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, after) = compliance.call("auth/session", json!({})).await;
    assert_eq!(after["me"]["roles"], json!(["compliance"]));
}

/// Disabling a member ends the sessions they already hold, at their next request.
async fn disabled_session(app: &TestApp) {
    let finance2 = from(app, "198.51.100.10");
    finance2.sign_in("finance2@sandbox.test", "sandbox-finance2").await;
    assert!(finance2.whoami().await.is_some());
    // admin2: the first admin set up two-factor in the step-up attack above.
    let admin = from(app, "198.51.100.11");
    admin.sign_in("admin2@sandbox.test", "sandbox-admin2").await;
    let id: String = sqlx::query_scalar("SELECT id FROM staff WHERE email = 'finance2@sandbox.test'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let (status, body) = admin
        .call("staff/set_disabled", json!({ "id": id, "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(finance2.whoami().await, None);
    assert_eq!(finance2.call("staff/list", json!({})).await.0, StatusCode::UNAUTHORIZED);
}

/// A delivery without our token, or with another, is refused and stores nothing.
async fn forged_webhook(app: &TestApp) {
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webhook_events")
            .fetch_one(app.db())
            .await
            .unwrap()
    };
    let before = stored().await;
    let body = json!({ "externalUserId": "demo-0001", "status": "SUSPENDED" });
    for token in [None, Some("not-our-token")] {
        let mut request = reqwest::Client::new().post(app.url("/webhooks/p100")).json(&body);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        assert_eq!(request.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(stored().await, before);
}

/// The log refuses edits and removal from anyone with the database's credentials.
async fn audit_tampering(app: &TestApp) {
    let mut attempts = vec![
        "UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
    ];
    if db::Backend::of(app.db()) == db::Backend::Postgres {
        attempts.push("TRUNCATE audit_log");
    }
    let rows = app.audit_count().await;
    for statement in attempts {
        assert!(
            sqlx::query(statement).execute(app.db()).await.is_err(),
            "{statement} was allowed"
        );
    }
    assert_eq!(app.audit_count().await, rows);
}

/// Someone with the database's credentials but not the key drops the triggers, removes the rows
/// from the third on and writes a consistent chain of their own in their place: the real key
/// names the first rewritten row. (Last in the table: it leaves the log forged.)
async fn rechained_audit(app: &TestApp) {
    use backoffice::domain::audit::Outcome;
    use backoffice::server::audit::{AuditKey, Event, RequestMeta, Who};
    let real = app.state.config.audit_key.clone();
    assert!(matches!(
        audit::verify(app.db(), &real).await.unwrap(),
        Verdict::Intact { .. }
    ));
    let drop = match db::Backend::of(app.db()) {
        db::Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_log_no_delete",
        db::Backend::Postgres => "DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log",
    };
    sqlx::query(drop).execute(app.db()).await.unwrap();
    let rewritten = app.audit_count().await - 2;
    sqlx::query("DELETE FROM audit_log WHERE seq >= 3")
        .execute(app.db())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2) WHERE id = 1")
        .execute(app.db())
        .await
        .unwrap();
    let forged = AuditKey::secret(vec![7u8; 32]);
    audit::use_key(app.db(), forged.clone());
    for _ in 0..rewritten {
        let event = Event::new("auth.sign_out", Outcome::Success).reason("nothing happened");
        audit::record_alone(app.db(), &Who::system(), &RequestMeta::default(), event)
            .await
            .unwrap();
    }
    audit::use_key(app.db(), real.clone());
    match audit::verify(app.db(), &real).await.unwrap() {
        Verdict::Broken { seq, .. } => assert_eq!(seq, 3),
        intact => panic!("a re-chained log verified: {intact:?}"),
    }
}
