use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use backoffice::domain::Role;
use backoffice::domain::staff::{DEMO_STAFF, demo_credentials};
use backoffice::sandbox::control::{self, Fault, Settings};
use backoffice::server::{self, config::Config, db::Db, state::AppState};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub db_url: String,
    _dir: tempfile::TempDir,
}

/// Starts the app in sandbox mode on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra configuration variables (on top of a fresh database).
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = fresh_database(&dir).await;
    spawn_on(dir, db_url, vars).await
}

/// The URL of a new, empty database for one test: a SQLite file in `dir`, or, when
/// `TEST_POSTGRES_URL` names a PostgreSQL server (scripts/with-postgres.sh), a new database on it.
pub async fn fresh_database(dir: &tempfile::TempDir) -> String {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let Some(server) = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        return format!("sqlite://{}", dir.path().join("test.db").display());
    };
    let name = format!(
        "backoffice_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(&server).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

pub async fn spawn_on(dir: tempfile::TempDir, db_url: String, vars: &[(&str, &str)]) -> TestApp {
    // The server's errors show under a failing test (captured otherwise).
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error,tower_http=off")
        .with_test_writer()
        .try_init();
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env.insert("DATABASE_URL".into(), db_url.clone());
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let (state, router) = server::build(config, server::leptos_options(), addr)
        .await
        .expect("app builds");
    tokio::spawn(server::serve(listener, router));
    TestApp {
        addr,
        state,
        db_url,
        _dir: dir,
    }
}

impl TestApp {
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A browser-like client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> Client {
        Client {
            // A request that never finishes fails its test with a clear message instead of
            // holding the whole suite until CI's limit.
            http: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(120))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.url(""),
        }
    }

    /// A client signed in as the (first) demo member of `role`.
    pub async fn signed_in(&self, role: Role) -> Client {
        self.signed_in_with(demo_credentials(role)).await
    }

    /// A client signed in as the demo member `handle` (`compliance2`, ...).
    pub async fn signed_in_as(&self, handle: &str) -> Client {
        let member = DEMO_STAFF.iter().find(|m| m.handle == handle).expect("a demo member");
        self.signed_in_with(member.credentials()).await
    }

    async fn signed_in_with(&self, (email, password): (String, String)) -> Client {
        let client = self.client();
        let (status, body) = client.sign_in(&email, &password).await;
        assert_eq!(status, StatusCode::OK, "sign-in as {email} failed: {body}");
        client
    }

    /// The token P100 (here, the sandbox) sends with every webhook.
    pub fn webhook_token(&self) -> String {
        use secrecy::ExposeSecret;
        self.state
            .config
            .webhook_secret
            .as_ref()
            .expect("a webhook token")
            .expose_secret()
            .to_owned()
    }

    /// Number of audit rows.
    pub async fn audit_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(self.db())
            .await
            .unwrap()
    }

    /// The newest audit row matching `action`, as JSON-ish text fields.
    pub async fn last_audit(&self, action: &str) -> Option<AuditRow> {
        sqlx::query_as(
            "SELECT staff_email, target_id, outcome, reason, request_id, ip, before_data, after_data
             FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(action)
        .fetch_optional(self.db())
        .await
        .unwrap()
    }
}

/// Appends `count` audit rows at once, spread over `pools` in turn; their distinct sequence numbers.
pub async fn append_at_once(pools: &[&Db], count: usize) -> Vec<i64> {
    use backoffice::domain::audit::Outcome;
    use backoffice::server::audit::{self, Event, RequestMeta, Who};
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let db = pools[i % pools.len()].clone();
            tokio::spawn(async move {
                let event = Event::new("test.concurrent", Outcome::Success).reason(format!("{i}"));
                audit::record_alone(&db, &Who::system(), &RequestMeta::default(), event)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort();
    seqs.dedup();
    seqs
}

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub staff_email: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub before_data: Option<String>,
    pub after_data: Option<String>,
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    /// The same browser (its cookie jar) talking to another app instance, as a load balancer
    /// would send its next request there.
    pub fn on(&self, app: &TestApp) -> Client {
        Client {
            http: self.http.clone(),
            base: app.url(""),
        }
    }

    /// Calls the server function at `/api/{endpoint}` with JSON arguments.
    pub async fn call(&self, endpoint: &str, args: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .json(&args)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A GET as a browser navigation makes it (accepting HTML).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            "auth/sign_in",
            json!({ "email": email, "password": password, "next": null }),
        )
        .await
    }

    /// The signed-in member's email, or `None`.
    pub async fn whoami(&self) -> Option<String> {
        let (status, body) = self.call("auth/session", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["me"]["email"].as_str().map(str::to_owned)
    }
}

/// The message a server function returned for `field`, if it refused the input.
pub fn field_message<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body["Invalid"]
        .as_array()?
        .iter()
        .find(|pair| pair[0] == field)
        .and_then(|pair| pair[1].as_str())
}

// ---- Driving the sandbox ----------------------------------------------------------------

pub fn sandbox(app: &TestApp) -> &backoffice::sandbox::Sandbox {
    app.state.sandbox.as_deref().expect("sandbox mode")
}

/// Makes the sandbox's clock and webhook retries fast for a test.
pub async fn quick(app: &TestApp) {
    let settings = Settings {
        settle_ms: Some(150),
        webhook_retry_base_ms: Some(100),
        timeout_ms: Some(3_000),
        ..Default::default()
    };
    control::apply_settings(sandbox(app), &settings).await.unwrap();
}

pub async fn fault(app: &TestApp, endpoint: &str, f: impl FnOnce(&mut Fault)) {
    let mut fault = Fault {
        endpoint: endpoint.into(),
        latency_ms: 0,
        http_status: None,
        timeout: false,
        p_code: None,
        applied: None,
        malformed: false,
        reset: false,
        count: 1,
    };
    f(&mut fault);
    control::arm_fault(sandbox(app), &fault).await.unwrap();
}

/// Polls `check` until it returns `Some`, for up to 10 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// What the sandbox holds for `owner` in `currency`, exactly.
pub async fn upstream_balance(app: &TestApp, owner: &str, currency: &str) -> rust_decimal::Decimal {
    let text: String = sqlx::query_scalar("SELECT amount FROM sandbox_balances WHERE owner = $1 AND currency = $2")
        .bind(owner)
        .bind(currency)
        .fetch_one(app.db())
        .await
        .unwrap();
    text.parse().unwrap()
}
