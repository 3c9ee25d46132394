//! A stateful simulator of the P100 Partner API, mounted at `/sandbox/p100` when no P100
//! credentials are configured. The app's client talks to it over real HTTP exactly as it would to
//! P100: same paths (from `p100::endpoints`), same JSON, same P-codes and state machines. State
//! lives in its own `sandbox_*` tables of the app's database (`store`), its prices come from its
//! own market model (`market`), and a clock moves movements, KYC and orders on and delivers
//! webhooks. It is a black box: it stands on `kernel` only and imports nothing from `server`
//! (`boundaries` checks both ways).

mod clock;
pub mod control;
mod handlers;
mod ledger;
pub mod market;
pub mod payer;
pub mod seed;
mod store;

/// How many movements of a kind P100 holds: tests count what reached it with this.
pub use store::movement_count;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::kernel::db::{Db, Timestamp};
use crate::p100::error::PCode;

/// Where the sandbox lives on the app's own server.
pub const MOUNT: &str = "/sandbox/p100";

// ---- Setting keys (rows of `sandbox_settings`) --------------------------------------------

/// How long a movement waits before its next step (ms).
const SETTLE_MS: &str = "settle_ms";
/// The first webhook retry delay (ms); P100 waits ~8 s, doubling.
const WEBHOOK_RETRY_BASE_MS: &str = "webhook_retry_base_ms";
/// How long an injected timeout holds the answer (ms).
const TIMEOUT_MS: &str = "timeout_ms";
/// How long a rate lock lasts (ms); P100's is 40 s.
const LOCK_TTL_MS: &str = "lock_ttl_ms";
/// The next KYC outcome: `approve` or `reject:<reason>`.
const KYC_NEXT: &str = "kyc_next";
/// How many of the next webhooks are lost (never delivered).
const LOSE_WEBHOOKS: &str = "lose_webhooks";
/// Set: webhooks go to the route P100 names for each event; unset, to the base URL itself.
const WEBHOOK_ROUTES: &str = "webhook_routes";
/// How many of the next webhooks are delivered twice.
const WEBHOOK_TWICE: &str = "webhook_twice";
/// Set: the next webhook is held back until the one after it was queued (out of order); then the
/// id of the one held.
const WEBHOOK_HOLD: &str = "webhook_hold";
/// The next webhook is delivered again this many seconds later (the same body, a new event).
const WEBHOOK_AGAIN_AFTER_S: &str = "webhook_again_after_s";
/// How history entries are written (`HistoryShape`).
const HISTORY_SHAPE: &str = "history_shape";
/// `true`: Method B answers with a JSON `{url}` rather than P100's HTML page.
const KYC_REDIRECT_JSON: &str = "kyc_redirect_json";
/// `true`: P100's virtual card module is on (it is suspended at P100).
const CARDS_ON: &str = "cards_on";
/// When the demo world was seeded (present once it was).
const SEEDED: &str = "seeded";

/// The SEPA contacts (a JSON list) of `owner`.
fn contacts_key(owner: &str) -> String {
    format!("contacts:{owner}")
}

pub struct Sandbox {
    db: Db,
    api_key: SecretString,
    /// The app's webhook base (`.../webhooks/p100`) and the token P100 would send.
    webhook_base: Url,
    webhook_token: SecretString,
    http: reqwest::Client,
}

impl Sandbox {
    pub fn new(db: Db, api_key: SecretString, webhook_base: Url, webhook_token: SecretString) -> Arc<Self> {
        let http = crate::kernel::http_client()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a plain HTTP client builds");
        Arc::new(Sandbox {
            db,
            api_key,
            webhook_base,
            webhook_token,
            http,
        })
    }

    /// Seeds demo data on first start, then starts the clock.
    pub async fn start(self: &Arc<Self>) -> Result<(), sqlx::Error> {
        seed::seed(&self.db).await?;
        clock::spawn(self.clone());
        Ok(())
    }

    /// The users P100 holds, for the registry to import at start (see `seed::users`).
    pub async fn seeded_users(&self) -> Result<Vec<seed::SeededUser>, sqlx::Error> {
        seed::users(&self.db).await
    }

    /// P100's API as the simulator serves it (the control endpoint is `control::router`).
    pub fn router(self: &Arc<Self>) -> Router {
        handlers::router(self.clone())
    }

    fn key_matches(&self, presented: &str) -> bool {
        crate::kernel::constant_time_eq(presented.as_bytes(), self.api_key.expose_secret().as_bytes())
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The key the sandbox expects in `x-api-key` (made up at each start).
    pub fn api_key(&self) -> &SecretString {
        &self.api_key
    }

    /// A tunable of the simulation (see `control::Settings`), in milliseconds.
    async fn millis(&self, key: &str, default: u64) -> Duration {
        let value = store::setting(&self.db, key)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok());
        Duration::from_millis(value.unwrap_or(default))
    }

    async fn settle_delay(&self) -> Duration {
        self.millis(SETTLE_MS, 2_000).await
    }

    /// How long a rate lock lasts: 40 s, as P100 documents.
    async fn lock_ttl(&self) -> Duration {
        self.millis(LOCK_TTL_MS, 40_000).await
    }

    /// How long an order's rate lock lasts: undocumented (only `expiresAt` is), 15 minutes here
    /// unless the lock setting says otherwise.
    async fn order_lock_ttl(&self) -> Duration {
        self.millis(LOCK_TTL_MS, 15 * 60_000).await
    }

    async fn settle_at(&self) -> Timestamp {
        Timestamp::now() + self.settle_delay().await
    }
}

/// A refusal in P100's shape: a P-code body (400, or 404 for the look-ups P100 answers so), or
/// the 401 text.
#[derive(Debug)]
pub struct Refusal {
    pub(crate) status: StatusCode,
    body: Value,
}

impl Refusal {
    pub fn code(code: PCode, name: &str, message: impl Into<String>) -> Self {
        let status = match code {
            PCode::P428 | PCode::P445 => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        Refusal {
            status,
            body: json!({ "errorCode": code.as_str(), "errorName": name, "errorMessage": message.into() }),
        }
    }

    /// P403: the request failed validation. No `errorName`, as P100 sends it.
    pub fn invalid(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "errorCode": "P403", "errorMessage": message.into() }),
        }
    }

    /// A look-up of an id P100 does not hold, where no P-code is documented: a bare 404 (INFERRED).
    pub fn not_found(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::NOT_FOUND,
            body: json!({ "errorMessage": message.into() }),
        }
    }

    pub fn no_user(external_user_id: &str) -> Self {
        Refusal::code(
            PCode::P412,
            "invalid-user",
            format!("User not exist: {external_user_id}"),
        )
    }

    pub fn insufficient_funds() -> Self {
        Refusal::code(PCode::P433, "insufficient-funds", "Insufficient funds")
    }

    fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "sandbox failure");
        Refusal::code(PCode::P500, "unknown-exception", "Unknown exception")
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(err: sqlx::Error) -> Self {
        Refusal::internal(err)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}
