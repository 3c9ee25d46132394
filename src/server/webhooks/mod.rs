//! Webhook intake (WEBHOOKS.md, REFERENCE.md §0 C3-C7): deliveries to the registered base URL or
//! any path below it; a per-source rate limit; the token checked before anything is kept (a refused
//! delivery is only counted, by source and minute); the event stored once (a redelivery within
//! P100's retry schedule is the same event, the same body later is a new one) and answered 200 at
//! once. A worker (one instance at a time) then applies stored events in order, with retries and
//! backoff, and prunes them after the retention. Events are hints: handlers re-read details where
//! P100 has them, and every change they make is a forward-only conditional update, so applying an
//! event twice changes nothing the second time. `log` is the event log staff read.

pub mod log;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::audit::{self, Event, Who};
use super::db::exchanges::ExchangeRecord;
use super::db::movements::MovementRecord;
use super::db::webhooks::{Attempt, EventRow};
use super::db::{self, Timestamp};
use super::http::client::ClientAddr;
use super::money;
use super::state::AppState;
use super::users::kyc::Applied;
use crate::domain::AppError;
use crate::domain::audit::Outcome;
pub use crate::domain::reconciliation::UNRECOGNISED;
use crate::domain::reconciliation::{EventStatus, FieldChange};
use crate::kernel::constant_time_eq;
use crate::p100::webhooks::{Event as Delivered, Route, subject_of, unwrap_envelope};

/// Why such an event changes nothing.
const UNPLACED: &str = "an event the back office cannot place yet; it is kept for the log";
/// P100 retries over about two minutes (WEBHOOKS.md §3): the same route and body within this
/// window is a redelivery, later it is a new event.
pub const REDELIVERY_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How often the worker looks for events to apply, and how many it takes per round.
pub const WORK_EVERY: Duration = Duration::from_millis(500);
const WORK_BATCH: i64 = 50;
const WORK_BATCHES: u32 = 20;
/// How many P100 timeouts one attempt may take (a handler reads P100's details once, with the
/// client's retries) before the event is due again and another instance may take it over.
const ATTEMPT_LEASE_TIMEOUTS: u32 = 6;
/// Attempts before an event is `failed` for a person to look at (the log processes it again).
const MAX_ATTEMPTS: i64 = 6;
/// A received event waiting longer than this is "stuck" on the finance home.
pub const STUCK_AFTER: Duration = Duration::from_secs(10 * 60);

/// Per-source limits: every delivery, and (stricter) deliveries refused for their token, whose
/// count is written to the database. Beyond them the answer is 429 and nothing is written.
pub struct Limits {
    all: DefaultKeyedRateLimiter<IpAddr>,
    refused: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        let quota = |per_second: u32, burst: u32| {
            Quota::per_second(NonZeroU32::new(per_second).expect("non-zero"))
                .allow_burst(NonZeroU32::new(burst).expect("non-zero"))
        };
        Limits {
            // Far above what P100 sends (bench/webhooks.sh: the intake stores ~this many a second),
            // low enough that one source cannot fill the disk faster than the retention empties it.
            all: RateLimiter::keyed(quota(1000, 2000)),
            refused: RateLimiter::keyed(quota(2, 20)),
        }
    }
}

/// `GET|POST /webhooks/p100/webhook/health`: P100 may check that we are reachable.
pub async fn health() -> Json<Value> {
    Json(json!({}))
}

/// `POST /webhooks/p100`: the registered base URL itself.
pub async fn receive_at_base(
    state: State<AppState>,
    client: Extension<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(state, Path(String::new()), client, headers, body).await
}

/// `POST /webhooks/p100/{*route}`.
pub async fn receive(
    State(state): State<AppState>,
    Path(route): Path<String>,
    Extension(ClientAddr(source)): Extension<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.webhook_limits.all.check_key(&source).is_err() {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    if !authenticated(&state, &headers) {
        if state.webhook_limits.refused.check_key(&source).is_err() {
            return StatusCode::TOO_MANY_REQUESTS.into_response();
        }
        let minute = Timestamp::now().to_text()[..16].to_owned();
        if let Err(err) = db::webhooks::count_refusal(&state.db, &source.to_string(), &minute).await {
            tracing::error!(%err, "webhook refusal could not be counted");
        }
        tracing::warn!(%route, %source, "webhook refused: wrong or missing token");
        return (StatusCode::UNAUTHORIZED, Json(json!({}))).into_response();
    }
    // A body that is not JSON is still an event P100 sent: kept as received, unrecognised.
    let event = serde_json::from_slice::<Value>(&body).map(unwrap_envelope);
    let kind = match &event {
        Ok(event) => Route::classify(&route, event).map_or(UNRECOGNISED, Route::kind),
        Err(_) => UNRECOGNISED,
    };
    let row = EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        route: route.clone(),
        kind: kind.to_owned(),
        dedup_key: hex::encode(Sha256::digest([route.as_bytes(), b"\n", &body].concat())),
        payload: match &event {
            Ok(event) => event.to_string(),
            Err(_) => String::from_utf8_lossy(&body).into_owned(),
        },
        authenticated: true,
        status: EventStatus::Received,
        error: None,
        deliveries: 1,
        received_at: Timestamp::now(),
        processed_at: None,
        subject: event.as_ref().ok().and_then(subject_of),
        reprocessed: 0,
        attempts: 0,
        next_attempt_at: None,
    };
    match db::webhooks::store(&state.db, &row, row.received_at - REDELIVERY_WINDOW).await {
        Ok(true) => {}
        Ok(false) => tracing::info!(%route, kind, "webhook redelivered; already stored"),
        Err(err) => {
            // Not stored, so not acknowledged: P100 will deliver it again.
            tracing::error!(%err, %route, "webhook could not be stored");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    Json(json!({})).into_response()
}

fn authenticated(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = state.config.webhook_secret.as_ref() else {
        return false;
    };
    let Some(presented) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // The docs say only that the header contains the token: accept it bare or as a bearer token.
    let presented = presented.strip_prefix("Bearer ").unwrap_or(presented).trim();
    constant_time_eq(presented.as_bytes(), token.expose_secret().as_bytes())
}

/// One round of the worker: applies due events in the order received, each claimed for one
/// attempt (see `attempt`). Then prunes events older than the retention.
pub async fn work(state: AppState) -> Result<(), AppError> {
    // A full batch means more are waiting: take the next at once, a bounded number per round.
    for _ in 0..WORK_BATCHES {
        if apply_due(&state).await? < WORK_BATCH as usize {
            break;
        }
    }
    state.webhook_limits.all.retain_recent();
    state.webhook_limits.refused.retain_recent();
    prune(&state).await
}

/// Applies one batch of due events: how many were due. The batch is claimed in one statement and
/// its outcomes recorded in one transaction, so the worker takes the database's single writer
/// (SQLite) twice per batch, not twice per event: deliveries arriving meanwhile are stored without
/// waiting on it (bench/webhooks.sh).
async fn apply_due(state: &AppState) -> Result<usize, AppError> {
    let lease = state.config.p100_timeout * ATTEMPT_LEASE_TIMEOUTS;
    let now = Timestamp::now();
    let claimed = db::webhooks::claim_due(&state.db, now, now + lease, WORK_BATCH).await?;
    let mut outcomes = Vec::with_capacity(claimed.len());
    for event in &claimed {
        outcomes.push(handle(state, event).await);
    }
    let attempts: Vec<_> = claimed
        .iter()
        .zip(&outcomes)
        .map(|(event, outcome)| (event.id.as_str(), attempt(event, outcome)))
        .collect();
    db::webhooks::record_attempts(&state.db, &attempts, Timestamp::now()).await?;
    Ok(claimed.len())
}

/// What one attempt comes to: a failure is tried again after a doubling delay, and after
/// `MAX_ATTEMPTS` the event is `failed` with the reason.
fn attempt<'a>(event: &EventRow, outcome: &'a Result<Applied, String>) -> Attempt<'a> {
    match outcome {
        Err(error) if event.attempts < MAX_ATTEMPTS => {
            let delay = Duration::from_secs(2) * 2u32.pow(event.attempts as u32 - 1);
            tracing::warn!(id = %event.id, attempts = event.attempts, %error, "webhook not applied; tried again later");
            Attempt::Retry {
                error,
                at: Timestamp::now() + delay,
            }
        }
        _ => {
            let (status, error) = status_of(outcome);
            if let Some(error) = error {
                tracing::warn!(id = %event.id, %error, %status, "webhook not applied");
            }
            Attempt::Finished { status, error }
        }
    }
}

/// Deletes events older than the retention (audited with how many, as the system).
async fn prune(state: &AppState) -> Result<(), AppError> {
    let retention = state.config.webhook_retention;
    let mut tx = db::begin_write(&state.db).await?;
    let pruned = db::webhooks::prune(&mut tx, Timestamp::now() - retention).await?;
    if pruned > 0 {
        let event = Event::new("webhooks.prune", Outcome::Success)
            .target("webhook_event", "retention")
            .reason(format!(
                "{pruned} webhook event{} older than {} deleted",
                if pruned == 1 { "" } else { "s" },
                humantime::format_duration(retention)
            ));
        audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The event's status and error text after processing.
fn status_of(outcome: &Result<Applied, String>) -> (EventStatus, Option<&str>) {
    match outcome {
        Ok(Applied::Done) => (EventStatus::Processed, None),
        Ok(Applied::Ignored(reason)) => (EventStatus::Ignored, Some(reason.as_str())),
        Err(error) => (EventStatus::Failed, Some(error.as_str())),
    }
}

/// What processing an event would change, in words and field by field (the log's dry run). Each
/// handler previews with the same decisions it applies with.
pub struct Preview {
    pub summary: String,
    pub changes: Vec<FieldChange>,
}

impl Preview {
    pub fn new(summary: impl Into<String>) -> Self {
        Preview {
            summary: summary.into(),
            changes: Vec::new(),
        }
    }

    /// Nothing would change, and why.
    pub fn nothing(reason: impl Into<String>) -> Self {
        Preview::new(format!("Nothing would change: {}.", reason.into()))
    }

    pub fn change(mut self, target: &str, field: &str, before: &str, after: &str) -> Self {
        self.changes.push(FieldChange {
            target: target.to_owned(),
            field: field.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
        });
        self
    }
}

/// An error as the event log shows it: in words (an internal cause is in the log, under the
/// reference the words give).
pub fn in_words(error: impl Into<AppError>) -> String {
    error.into().to_string()
}

/// The event a stored row is, read as its route says; `None` for one the table could not place.
fn read(row: &EventRow) -> Result<Option<Delivered>, String> {
    let Some(route) = Route::of_kind(&row.kind) else {
        return Ok(None);
    };
    let payload: Value = serde_json::from_str(&row.payload).map_err(|e| format!("stored payload unreadable: {e}"))?;
    Delivered::read(route, &payload).map(Some)
}

/// What `handle` would do with the event now, without writing.
async fn preview(state: &AppState, row: &EventRow) -> Result<Preview, String> {
    if !row.authenticated {
        return Ok(Preview::nothing(
            "the delivery was not authenticated, so it is never processed",
        ));
    }
    let Some(event) = read(row)? else {
        return Ok(Preview::nothing(UNPLACED));
    };
    match event {
        Delivered::User(event) => super::users::kyc::preview_webhook(&state.db, &event).await,
        Delivered::BalancesOpened(opened) => super::balances::preview_webhook(state, &opened).await,
        Delivered::WalletCreated(_) => Ok(Preview::nothing(super::balances::WALLETS_READ_LIVE)),
        Delivered::Movement { upstream_id } => money::preview_webhook::<MovementRecord>(state, &upstream_id)
            .await
            .map_err(in_words),
        Delivered::Exchange { upstream_id } => money::preview_webhook::<ExchangeRecord>(state, &upstream_id)
            .await
            .map_err(in_words),
        Delivered::Deposit { route, deposit } => super::deposits::preview_webhook(state, route, deposit).await,
        Delivered::Iban(status) => super::deposits::preview_iban(state, &status).await,
        Delivered::Collection { upstream_id } => super::collections::preview_webhook(state, &upstream_id).await,
        Delivered::Unfollowed(_) => Ok(Preview::nothing(format!(
            "no area follows {} events; it is kept as received",
            row.kind
        ))),
    }
}

/// Applies a stored event (one the table could not place changes nothing).
async fn handle(state: &AppState, row: &EventRow) -> Result<Applied, String> {
    match read(row)? {
        Some(event) => apply(state, event).await,
        None => Ok(Applied::Ignored(UNPLACED.into())),
    }
}

/// What each kind of event changes. Kinds no area follows yet are marked processed.
pub async fn apply(state: &AppState, event: Delivered) -> Result<Applied, String> {
    match event {
        Delivered::User(event) => super::users::kyc::apply_webhook(&state.db, &event).await,
        Delivered::BalancesOpened(opened) => super::balances::apply_webhook(state, &opened).await,
        Delivered::WalletCreated(_) | Delivered::Unfollowed(_) => Ok(Applied::Done),
        Delivered::Movement { upstream_id } => money::apply_webhook::<MovementRecord>(state, &upstream_id)
            .await
            .map_err(in_words),
        Delivered::Exchange { upstream_id } => money::apply_webhook::<ExchangeRecord>(state, &upstream_id)
            .await
            .map_err(in_words),
        Delivered::Deposit { route, deposit } => super::deposits::apply_webhook(state, route, deposit).await,
        Delivered::Iban(status) => super::deposits::apply_iban(state, &status).await,
        Delivered::Collection { upstream_id } => super::collections::apply_webhook(state, &upstream_id).await,
    }
}
