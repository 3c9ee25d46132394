use backoffice::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, spawn_on};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let client = app.client();
    let health = client.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(client.get("/readyz").await.status(), StatusCode::OK);

    app.db().close().await;
    assert_eq!(client.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(client.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_carry_security_headers_with_a_fresh_nonce() {
    let app = spawn_app().await;
    let client = app.client();
    let page = client.get("/sign-in").await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    let html = page.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "hydration scripts carry the nonce"
    );
    assert!(html.contains("SANDBOX"), "every page says SANDBOX in sandbox mode");

    let again = client.get("/sign-in").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a nonce per response"
    );

    let api = client.call("auth/session", json!({})).await;
    assert_eq!(api.0, StatusCode::OK);
    let raw = client
        .http
        .post(app.url("/api/auth/session"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn cross_site_mutations_are_refused() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let before = app.audit_count().await;
    let create = json!({ "input": { "email": "csrf@example.com", "name": "C", "password": "a-long-password", "roles": ["viewer"] } });
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let response = admin
            .http
            .post(app.url("/api/staff/create"))
            .header(header, value)
            .json(&create)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    assert_eq!(app.audit_count().await, before, "nothing happened");

    let same_origin = admin
        .http
        .post(app.url("/api/staff/create"))
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_answer_with_their_status() {
    let app = spawn_app().await;
    let viewer = app.signed_in(Role::Viewer).await;
    let forbidden = viewer.get("/staff").await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert!(forbidden.text().await.unwrap().contains("Not available to your role"));
    let missing = viewer.get("/no-such-page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let home = viewer.get("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Vera Viewer") && html.contains("Audit log") && !html.contains("href=\"/staff\""));
    let audit = viewer.get("/audit").await;
    assert_eq!(audit.status(), StatusCode::OK);
}

/// A page reads its data once: the users page searched by a whole email is one audited search,
/// and the browser gets the session and the list once each (a page built inside a `<Suspense>`
/// waiting for the session was built, and searched, twice).
#[tokio::test]
async fn a_page_reads_and_sends_its_data_once() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE external_user_id = 'demo-0042'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let searches = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'users.search'")
            .fetch_one(app.db())
            .await
            .unwrap();
        n
    };
    let before = searches().await;
    let page = finance.get(&format!("/users?q={email}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("demo-0042"), "the page lists the user");
    assert_eq!(searches().await, before + 1, "one search, audited once");
    assert_eq!(
        html.matches("__RESOLVED_RESOURCES[").count(),
        2,
        "the session and the list, once each"
    );
}

#[tokio::test]
async fn internal_errors_name_the_request_and_hide_the_cause() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    sqlx::query("DROP TABLE staff_roles").execute(app.db()).await.unwrap();
    let response = admin
        .http
        .post(app.url("/api/staff/list"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "Internal": { "reference": id } }));
}

#[tokio::test]
async fn outside_the_sandbox_nobody_exists_until_create_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = crate::helpers::fresh_database(&dir).await;
    let key = "a".repeat(88);
    let live = [
        ("P100_BASE_URL", "https://partner-api-stage.p100.io"),
        ("P100_API_KEY", "test-key-not-real"),
        ("SESSION_KEY", key.as_str()),
        ("P100_WEBHOOK_SECRET", "test-webhook-token"),
        ("ALLOW_INSECURE_HTTP", "1"),
        ("AUDIT_KEY", "dGVzdC1hdWRpdC1rZXktbm90LXJlYWwtMzItYnl0ZXMhIQ=="),
    ];
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(["create-admin", "--email", "Root@Example.com", "--name", "Root Admin"])
        .envs(live.iter().copied())
        .env("DATABASE_URL", &db_url)
        .env("LOG_LEVEL", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"root-password-1234\n")
        .await
        .unwrap();
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));

    let app = spawn_on(dir, db_url, &live).await;
    let staff: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(staff, 1, "no demo accounts outside the sandbox");
    let client = app.client();
    assert_eq!(
        client.sign_in("admin@sandbox.test", "sandbox-admin").await.0,
        StatusCode::CONFLICT
    );
    // Outside the sandbox two-factor is required: the first sign-in sets it up.
    let (status, step) = client.sign_in("root@example.com", "root-password-1234").await;
    assert_eq!(status, StatusCode::OK, "{step}");
    let secret = step["Enrol"]["secret"].as_str().expect("an enrolment").replace(' ', "");
    assert_eq!(client.whoami().await, None);
    let first_code = crate::two_factor::code(&secret, 0);
    let (status, body) = client.call("auth/enrol", json!({ "code": first_code })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, session) = client.call("auth/session", json!({})).await;
    assert_eq!(session["sandbox"], false);
    assert_eq!(session["me"]["roles"], json!(["admin"]));
    assert!(!client.get("/").await.text().await.unwrap().contains("SANDBOX"));
    assert_eq!(
        client.get("/sandbox").await.status(),
        StatusCode::FORBIDDEN,
        "no sandbox controls on the real API"
    );
    // The command line and the server key the audit chain alike.
    let rows = app.audit_count().await;
    assert_eq!(
        backoffice::server::audit::verify(app.db(), &app.state.config.audit_key)
            .await
            .unwrap(),
        backoffice::server::audit::Verdict::Intact { rows }
    );
}

#[tokio::test]
async fn a_bad_setting_stops_start_up_and_names_itself() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .arg("serve")
        .env("SESSION_IDLE_TIMEOUT", "forever")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SESSION_IDLE_TIMEOUT"), "{stderr}");
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .arg("serve")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("term.db").display()),
        )
        .env("LOG_LEVEL", "warn")
        .spawn()
        .unwrap();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(&ready).await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not become ready");
    let pid = server.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), server.wait())
        .await
        .expect("exits")
        .unwrap();
    assert!(status.success(), "a clean exit after SIGTERM: {status:?}");
}

#[tokio::test]
async fn served_over_tls_browsers_are_told_to_stay_on_it() {
    let hsts = |response: &reqwest::Response| response.headers().get("strict-transport-security").cloned();
    let plain = spawn_app().await;
    let response = reqwest::get(plain.url("/healthz")).await.unwrap();
    assert_eq!(hsts(&response), None, "not over plain http");

    let tls = spawn_app_with(&[("PUBLIC_URL", "https://backoffice.example.com")]).await;
    let response = reqwest::get(tls.url("/sign-in")).await.unwrap();
    assert_eq!(hsts(&response).unwrap(), "max-age=31536000; includeSubDomains");
}

#[tokio::test]
async fn outside_the_sandbox_plain_http_is_refused_at_start() {
    let key = "a".repeat(88);
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .arg("serve")
        .env("P100_BASE_URL", "https://partner-api-stage.p100.io")
        .env("P100_API_KEY", "test-key-not-real")
        .env("P100_WEBHOOK_SECRET", "test-webhook-token")
        .env("SESSION_KEY", &key)
        .env("PUBLIC_URL", "http://backoffice.example.com")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PUBLIC_URL") && stderr.contains("https://"), "{stderr}");
}

/// Builds an app on `db_url` with `vars` (no listener): the start-up error, if any, in words.
async fn start_error(db_url: &str, vars: &[(&str, &str)]) -> Option<String> {
    let mut env: std::collections::HashMap<String, String> =
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env.insert("DATABASE_URL".into(), db_url.to_owned());
    let config = backoffice::server::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let addr = "127.0.0.1:9".parse().unwrap();
    backoffice::server::build(config, backoffice::server::leptos_options(), addr)
        .await
        .err()
        .map(|e| e.to_string())
}

#[tokio::test]
async fn a_database_keeps_the_mode_and_the_p100_it_was_made_for() {
    let key = "a".repeat(88);
    let live = |base_url: &'static str| {
        vec![
            ("P100_BASE_URL", base_url),
            ("P100_API_KEY", "test-key-not-real"),
            ("SESSION_KEY", key.as_str()),
            ("P100_WEBHOOK_SECRET", "test-webhook-token"),
            ("ALLOW_INSECURE_HTTP", "1"),
            ("AUDIT_KEY", "dGVzdC1hdWRpdC1rZXktbm90LXJlYWwtMzItYnl0ZXMhIQ=="),
        ]
    };
    let stage = "https://partner-api-stage.p100.io";

    // A live database: never the sandbox, never another P100.
    let dir = tempfile::tempdir().unwrap();
    let db_url = crate::helpers::fresh_database(&dir).await;
    assert_eq!(start_error(&db_url, &live(stage)).await, None);
    let refused = start_error(&db_url, &[]).await.expect("the sandbox on a live database");
    assert!(refused.contains("created in live mode"), "{refused}");
    let refused = start_error(&db_url, &live("https://partner-api.p100.io"))
        .await
        .expect("another P100");
    assert!(
        refused.contains("belongs to the P100 at https://partner-api-stage.p100.io"),
        "{refused}"
    );
    assert_eq!(start_error(&db_url, &live(stage)).await, None, "the same P100 again");

    // A sandbox database (with its demo accounts): never live.
    let sandbox = spawn_app().await;
    let refused = start_error(&sandbox.db_url, &live(stage))
        .await
        .expect("live on a sandbox database");
    assert!(refused.contains("demo account"), "{refused}");
    sqlx::query("DELETE FROM staff_roles")
        .execute(sandbox.db())
        .await
        .unwrap();
    sqlx::query("DELETE FROM staff").execute(sandbox.db()).await.unwrap();
    let refused = start_error(&sandbox.db_url, &live(stage))
        .await
        .expect("still a sandbox database");
    assert!(refused.contains("created in sandbox mode"), "{refused}");
}

#[tokio::test]
async fn a_production_build_that_falls_into_the_sandbox_says_so_on_every_page() {
    let unchosen = spawn_app_with(&[("LEPTOS_ENV", "PROD")]).await;
    let (_, session) = unchosen.client().call("auth/session", json!({})).await;
    assert_eq!(
        (session["sandbox"].clone(), session["sandbox_unchosen"].clone()),
        (json!(true), json!(true))
    );
    // The page reads the session as it renders; once, on a loaded test machine, it rendered without
    // the banner (the session read did not come back in time), so the page is asked again.
    let client = unchosen.client();
    crate::helpers::eventually("the warning on the page", || async {
        let page = client.get("/sign-in").await.text().await.unwrap();
        page.contains("SANDBOX IN A PRODUCTION BUILD").then_some(())
    })
    .await;

    let chosen = spawn_app_with(&[("LEPTOS_ENV", "PROD"), ("P100_MODE", "sandbox")]).await;
    let (_, session) = chosen.client().call("auth/session", json!({})).await;
    assert_eq!(session["sandbox_unchosen"], false);
}

/// Pages render while another router is built in the same process (the tests build one per app):
/// Leptos lists the pages by rendering the app with every resource load switched off process-wide,
/// and a page rendered meanwhile waited forever (a test failed about once a run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_another_router_is_built() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let sessions = backoffice::server::http::sessions::Sessions::open(&app.db_url)
        .await
        .unwrap();
    let state = app.state.clone();
    let builder = std::thread::spawn(move || {
        for _ in 0..300 {
            drop(backoffice::server::http::router(state.clone(), sessions.clone()));
        }
    });
    let mut pages = 0;
    while !builder.is_finished() || pages < 20 {
        for path in ["/users", "/reconciliation", "/staff", "/"] {
            let page = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                let response = admin.get(path).await;
                (response.status(), response.text().await.map(|body| body.len()))
            })
            .await;
            assert!(matches!(page, Ok((StatusCode::OK, Ok(_)))), "{path}: {page:?}");
            pages += 1;
        }
    }
    builder.join().unwrap();
}
