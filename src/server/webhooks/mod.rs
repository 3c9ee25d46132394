//! Webhook intake (WEBHOOKS.md): check the token, store the raw event once, answer 200 at once,
//! then process. A repeated delivery is acknowledged and not processed again; a processing error
//! is recorded on the event. Events are hints: handlers re-read details where P100 has them.
//! `log` is the event log staff read, with re-processing and its dry run.

pub mod log;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::db::exchanges::ExchangeRecord;
use super::db::movements::MovementRecord;
use super::db::{self, Timestamp, webhooks::EventRow};
use super::money;
use super::state::AppState;
use super::users::kyc::Applied;
use crate::domain::reconciliation::{EventStatus, FieldChange};
use crate::kernel::constant_time_eq;
use crate::p100::webhooks::{Route, subject_of, unwrap_envelope};

/// Where P100 is told to send events (the partner registers this base with P100).
pub const BASE_PATH: &str = "/webhooks/p100";
/// The kind stored for a delivery the route table cannot place: kept, shown, counted, answered 2xx.
pub const UNRECOGNISED: &str = "unrecognised";

/// `GET|POST /webhooks/p100/webhook/health`: P100 may check that we are reachable.
pub async fn health() -> Json<Value> {
    Json(json!({}))
}

/// `POST /webhooks/p100`: the registered base URL itself.
pub async fn receive_at_base(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(state, Path(String::new()), headers, body).await
}

/// `POST /webhooks/p100/{*route}`.
pub async fn receive(
    State(state): State<AppState>,
    Path(route): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authenticated = authenticated(&state, &headers);
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        tracing::warn!(%route, "webhook body is not JSON");
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "body must be JSON" }))).into_response();
    };
    let event = unwrap_envelope(payload);
    let kind = Route::classify(&route, &event).map_or(UNRECOGNISED, Route::kind);
    // Rejected deliveries are kept for the log under a key of their own, so they can never
    // shadow the real event that may follow.
    let dedup_key = if authenticated {
        hex::encode(Sha256::digest([route.as_bytes(), b"\n", &body].concat()))
    } else {
        format!("rejected:{}", uuid::Uuid::new_v4())
    };
    let row = EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        route: route.clone(),
        kind: kind.to_owned(),
        dedup_key,
        payload: event.to_string(),
        authenticated,
        status: if authenticated {
            EventStatus::Received
        } else {
            EventStatus::Rejected
        },
        error: (!authenticated).then(|| "missing or wrong Authorization token".to_owned()),
        deliveries: 1,
        received_at: Timestamp::now(),
        processed_at: None,
        subject: subject_of(&event),
        reprocessed: 0,
    };
    let new = match db::webhooks::insert_once(&state.db, &row).await {
        Ok(new) => new,
        Err(err) => {
            // Not stored, so not acknowledged: P100 will deliver it again.
            tracing::error!(%err, %route, "webhook could not be stored");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    if !authenticated {
        tracing::warn!(%route, "webhook refused: wrong or missing token");
        return (StatusCode::UNAUTHORIZED, Json(json!({}))).into_response();
    }
    if new {
        tokio::spawn(process(state, row.id));
    } else {
        tracing::info!(%route, kind, "webhook redelivered; already stored");
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

/// Processes a stored event after the answer went out; the outcome is recorded on the event.
async fn process(state: AppState, id: String) {
    let outcome = match db::webhooks::event(&state.db, &id).await {
        Ok(Some(event)) => handle(&state, &event).await,
        Ok(None) => Err("the event vanished before it was processed".into()),
        Err(err) => Err(format!("database: {err}")),
    };
    let (status, error) = status_of(&outcome);
    if let Some(error) = error {
        tracing::warn!(%id, %error, %status, "webhook not applied");
    }
    if let Err(err) = db::webhooks::finish(&state.db, &id, status, error, Timestamp::now(), false).await {
        tracing::error!(%err, %id, "webhook outcome could not be recorded");
    }
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
fn words<T>(result: Result<T, crate::domain::AppError>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

fn payload_of(event: &EventRow) -> Result<Value, String> {
    serde_json::from_str(&event.payload).map_err(|e| format!("stored payload unreadable: {e}"))
}

/// What `handle` would do with the event now, without writing.
async fn preview(state: &AppState, event: &EventRow) -> Result<Preview, String> {
    if !event.authenticated {
        return Ok(Preview::nothing(
            "the delivery was not authenticated, so it is never processed",
        ));
    }
    let payload = payload_of(event)?;
    match Route::of_kind(&event.kind) {
        Some(route @ (Route::KycStatus | Route::PoaStatus | Route::UserStatus)) => {
            super::users::kyc::preview_webhook(&state.db, route, &payload).await
        }
        Some(Route::Exchange) => words(money::preview_webhook::<ExchangeRecord>(state, &payload).await),
        Some(Route::SepaTransfer | Route::CryptoWithdrawal | Route::Transfer) => {
            words(money::preview_webhook::<MovementRecord>(state, &payload).await)
        }
        Some(route @ (Route::SepaDeposit | Route::CryptoDeposit | Route::IbanStatus)) => {
            super::deposits::preview_webhook(state, route, &payload).await
        }
        _ => Ok(Preview::nothing(format!(
            "no area follows {} events; it is kept as received",
            event.kind
        ))),
    }
}

/// What each kind of event changes. Kinds no area follows yet are stored and marked processed.
async fn handle(state: &AppState, event: &EventRow) -> Result<Applied, String> {
    let payload = payload_of(event)?;
    match Route::of_kind(&event.kind) {
        Some(route @ (Route::KycStatus | Route::PoaStatus | Route::UserStatus)) => {
            super::users::kyc::apply_webhook(&state.db, route, &payload).await
        }
        Some(Route::Exchange) => words(money::apply_webhook::<ExchangeRecord>(state, &payload).await),
        Some(Route::SepaTransfer | Route::CryptoWithdrawal | Route::Transfer) => {
            words(money::apply_webhook::<MovementRecord>(state, &payload).await)
        }
        Some(route @ (Route::SepaDeposit | Route::CryptoDeposit | Route::IbanStatus)) => {
            super::deposits::apply_webhook(state, route, &payload).await
        }
        _ => Ok(Applied::Done),
    }
}
