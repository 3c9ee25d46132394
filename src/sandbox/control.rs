//! Scenario and fault controls: what the Sandbox page and the tests use to steer the simulation.
//! The same functions serve the page's server functions and the JSON endpoint the app mounts at
//! `CONTROL_PATH`, behind an admin's session and audited (`server::http::sandbox_control`): the
//! control changes what "P100" does, so it is a staff action like any other.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::clock::{self, Outcome};
use super::store::{self, FaultRow, PARTNER};
use super::{
    CARDS_ON, HISTORY_SHAPE, KYC_NEXT, KYC_REDIRECT_JSON, LOCK_TTL_MS, LOSE_WEBHOOKS, Refusal, SETTLE_MS, Sandbox,
    TIMEOUT_MS, WEBHOOK_AGAIN_AFTER_S, WEBHOOK_HOLD, WEBHOOK_RETRY_BASE_MS, WEBHOOK_ROUTES, WEBHOOK_TWICE, ledger,
    seed,
};
use crate::domain::money::{Currency, parse_amount};
pub use crate::domain::sandbox::{
    Amendment, DeliveryMode, Fault, HistoryShape, Overview, SepaDepositInput, Settings, WebhookDelivery,
};
use crate::kernel::db::{self, Timestamp};
use crate::p100::endpoints;
use crate::p100::error::PCode;
use crate::p100::types::Num;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    Invalid(String),
    #[error("no movement with id {0}")]
    NoMovement(String),
    /// A value of the control's form that cannot be used, and why (shown next to that field).
    #[error("{1}")]
    Field(&'static str, String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<Refusal> for ControlError {
    fn from(refusal: Refusal) -> Self {
        ControlError::Invalid(refusal.body.to_string())
    }
}

pub async fn arm_fault(sandbox: &Sandbox, fault: &Fault) -> Result<(), ControlError> {
    if !endpoints::ALL.iter().any(|e| e.name == fault.endpoint) {
        return Err(ControlError::Invalid(format!("no endpoint named {}", fault.endpoint)));
    }
    if fault.count == 0 || fault.count > 1000 {
        return Err(ControlError::Invalid("count must be between 1 and 1000".into()));
    }
    // Any P and three digits: P100 may answer with a code nobody has documented yet.
    if let Some(code) = &fault.p_code
        && !(code.len() == 4 && code.starts_with('P') && code[1..].chars().all(|c| c.is_ascii_digit()))
    {
        return Err(ControlError::Invalid(format!(
            "{code} is not a P-code (P and three digits)"
        )));
    }
    if let Some(status) = fault.http_status
        && !(status == 400 || status == 429 || (500..600).contains(&status))
    {
        return Err(ControlError::Invalid(
            "httpStatus must be 400 (with a P-code), 429 or a 5xx status".into(),
        ));
    }
    let row = FaultRow {
        endpoint: fault.endpoint.clone(),
        latency_ms: i64::from(fault.latency_ms.min(60_000)),
        http_status: fault.http_status.map(i64::from),
        timeout: fault.timeout,
        p_code: fault.p_code.clone(),
        applied: fault.applied.map(i64::from),
        malformed: i64::from(fault.malformed),
        reset: i64::from(fault.reset),
        remaining: i64::from(fault.count),
    };
    Ok(store::set_fault(&sandbox.db, &row).await?)
}

pub async fn clear_faults(sandbox: &Sandbox) -> Result<(), ControlError> {
    Ok(store::clear_faults(&sandbox.db).await?)
}

/// Sets the outcome of the next KYC attempt to finish: `approve`, or `reject:<reason>`.
pub async fn set_kyc_next(sandbox: &Sandbox, outcome: &str) -> Result<(), ControlError> {
    if outcome != "approve" && !outcome.starts_with("reject") {
        return Err(ControlError::Invalid(
            "outcome must be approve or reject:<REASON>".into(),
        ));
    }
    let mut tx = db::begin_write(&sandbox.db).await?;
    store::set_setting(&mut tx, KYC_NEXT, outcome).await?;
    tx.commit().await?;
    Ok(())
}

/// From now on history entries are written in `shape`.
pub async fn set_history_shape(sandbox: &Sandbox, shape: HistoryShape) -> Result<(), ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    store::set_setting(&mut tx, HISTORY_SHAPE, shape.as_str()).await?;
    tx.commit().await?;
    Ok(())
}

/// How webhooks are delivered from now on, or what happens to the next one (`DeliveryMode`).
pub async fn set_delivery(sandbox: &Sandbox, mode: DeliveryMode) -> Result<(), ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    match mode {
        DeliveryMode::BaseUrl => {
            store::take_setting(&mut tx, WEBHOOK_ROUTES).await?;
        }
        DeliveryMode::Routes => store::set_setting(&mut tx, WEBHOOK_ROUTES, "1").await?,
        DeliveryMode::NextTwice => store::set_setting(&mut tx, WEBHOOK_TWICE, "1").await?,
        DeliveryMode::NextOutOfOrder => store::set_setting(&mut tx, WEBHOOK_HOLD, "next").await?,
        DeliveryMode::NextAgainInAnHour => store::set_setting(&mut tx, WEBHOOK_AGAIN_AFTER_S, "3600").await?,
    }
    tx.commit().await?;
    Ok(())
}

/// How history entries are written now.
pub async fn history_shape(sandbox: &Sandbox) -> Result<HistoryShape, sqlx::Error> {
    Ok(store::setting(&sandbox.db, HISTORY_SHAPE)
        .await?
        .and_then(|s| HistoryShape::parse(&s))
        .unwrap_or(HistoryShape::Plain))
}

/// Whether Method B answers with a JSON `{url}` instead of P100's HTML page.
pub async fn redirect_as_json(sandbox: &Sandbox) -> Result<bool, sqlx::Error> {
    Ok(store::setting(&sandbox.db, KYC_REDIRECT_JSON).await?.as_deref() == Some("true"))
}

/// Whether P100's card module is on (the sandbox keeps it suspended, as P100 does, unless told).
pub async fn cards_on(sandbox: &Sandbox) -> Result<bool, sqlx::Error> {
    Ok(store::setting(&sandbox.db, CARDS_ON).await?.as_deref() == Some("true"))
}

pub async fn apply_settings(sandbox: &Sandbox, settings: &Settings) -> Result<(), ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    for (key, flag) in [
        (KYC_REDIRECT_JSON, settings.kyc_redirect_json),
        (CARDS_ON, settings.cards_on),
    ] {
        if let Some(flag) = flag {
            store::set_setting(&mut tx, key, &flag.to_string()).await?;
        }
    }
    for (key, value) in [
        (SETTLE_MS, settings.settle_ms),
        (WEBHOOK_RETRY_BASE_MS, settings.webhook_retry_base_ms),
        (TIMEOUT_MS, settings.timeout_ms),
        (LOCK_TTL_MS, settings.lock_ttl_ms),
    ] {
        if let Some(value) = value {
            store::set_setting(&mut tx, key, &value.to_string()).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The next `count` webhooks the sandbox owes are lost, as a delivery P100 never makes.
pub async fn lose_webhooks(sandbox: &Sandbox, count: u32) -> Result<(), ControlError> {
    if count > 1000 {
        return Err(ControlError::Invalid("count must be at most 1000".into()));
    }
    let mut tx = db::begin_write(&sandbox.db).await?;
    store::set_setting(&mut tx, LOSE_WEBHOOKS, &count.to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// P100 changes its own record of a movement after the fact (amount and/or status in its details),
/// with no balance moved and no webhook: what reconciliation exists to catch.
pub async fn amend(sandbox: &Sandbox, id: &str, amendment: &Amendment) -> Result<String, ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    let mut movement = store::movement(&mut tx, id)
        .await?
        .ok_or_else(|| ControlError::NoMovement(id.to_owned()))?;
    let mut details: serde_json::Value = serde_json::from_str(&movement.details)
        .map_err(|e| ControlError::Invalid(format!("stored details unreadable: {e}")))?;
    if let Some(amount) = &amendment.amount {
        amount
            .parse::<rust_decimal::Decimal>()
            .map_err(|_| ControlError::Invalid(format!("{amount} is not an amount")))?;
        let key = if details.get("amountFrom").is_some() {
            "amountFrom"
        } else {
            "amount"
        };
        details[key] = json!(amount);
    }
    if let Some(status) = &amendment.status {
        details["status"] = json!(status);
        movement.status.clone_from(status);
        movement.settle_at = None;
    }
    movement.details = details.to_string();
    movement.updated_at = Timestamp::now();
    store::update_movement(&mut tx, &movement).await?;
    tx.commit().await?;
    Ok(movement.status)
}

/// P100 has no record of the movement any more.
pub async fn forget(sandbox: &Sandbox, id: &str) -> Result<(), ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    if !store::delete_movement(&mut tx, id).await? {
        return Err(ControlError::NoMovement(id.to_owned()));
    }
    tx.commit().await?;
    Ok(())
}

/// Completes or fails a movement now, whatever step it is at.
pub async fn force(sandbox: &Sandbox, id: &str, complete: bool) -> Result<String, ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    let movement = store::movement(&mut tx, id)
        .await?
        .ok_or_else(|| ControlError::NoMovement(id.to_owned()))?;
    let outcome = if complete { Outcome::Complete } else { Outcome::Fail };
    clock::step(sandbox, &mut tx, movement, outcome).await?;
    let mut after = store::movement(&mut tx, id)
        .await?
        .ok_or_else(|| ControlError::NoMovement(id.to_owned()))?;
    // An order completes through several steps; take them all.
    while complete && after.settle_at.is_some() {
        clock::step(sandbox, &mut tx, after, Outcome::Complete).await?;
        after = store::movement(&mut tx, id)
            .await?
            .ok_or_else(|| ControlError::NoMovement(id.to_owned()))?;
    }
    tx.commit().await?;
    Ok(after.status)
}

/// Who pays the partner in a simulated SEPA deposit.
const PARTNER_PAYER: &str = "Sandbox Payer GmbH";

/// A SEPA deposit of `input.amount` EUR arrives for the partner or a user: their EUR balance is
/// credited (a `sepa_deposit` line in their history), P100 keeps the deposit, and the SEPA Deposit
/// webhook follows (REFERENCE.md §0 C5; body INFERRED), for a user after the IBAN Status webhook
/// that approves the payer (WEBHOOKS.md §4.2: the payer is the user, by name). Returns P100's id.
pub async fn sepa_deposit(sandbox: &Sandbox, input: &SepaDepositInput) -> Result<String, ControlError> {
    let amount = parse_amount(&input.amount, &Currency::Eur).map_err(|m| ControlError::Field("amount", m))?;
    let holder = input.holder.trim();
    let mut tx = db::begin_write(&sandbox.db).await?;
    let (owner, user, payer, payer_iban) = if holder.is_empty() || holder == PARTNER {
        (
            PARTNER.to_owned(),
            None,
            PARTNER_PAYER.to_owned(),
            seed::iban_for("sandbox-payer"),
        )
    } else {
        let user = store::user(&mut tx, holder)
            .await?
            .ok_or_else(|| ControlError::Field("holder", format!("P100 has no user {holder}.")))?;
        let profile: serde_json::Value = serde_json::from_str(&user.profile).unwrap_or_default();
        let name = ["firstName", "lastName"]
            .map(|k| profile[k].as_str().unwrap_or_default())
            .join(" ");
        let iban = seed::iban_for(&format!("{holder}-own"));
        (holder.to_owned(), Some(user.external_user_id), name, iban)
    };
    let account = store::balance(&mut tx, &owner, Currency::Eur.code()).await?;
    if account.is_none_or(|a| a.iban.is_none()) {
        return Err(ControlError::Field(
            "holder",
            format!("{holder} has no active EUR account (IBAN) to receive a SEPA deposit."),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = Timestamp::now();
    ledger::adjust(&mut tx, &owner, &Currency::Eur, amount.get(), "sepa_deposit", &id).await?;
    // The amount as a JSON number, as P100 writes amounts in its webhooks' examples.
    let mut event = json!({
        "sepaDepositId": id, "amount": Num(amount), "currency": "eur", "senderIban": payer_iban,
        "senderName": payer, "status": "SUCCESSFUL", "createdAt": now.to_text(),
    });
    if let Some(user) = &user {
        event["externalUserId"] = json!(user);
        let check = json!({
            "externalUserId": user, "iban": payer_iban, "amount": Num(amount), "currency": "eur",
            "status": "APPROVED", "createdAt": now.to_text(),
        });
        clock::webhook(&mut tx, clock::Route::IbanStatus, &check).await?;
    }
    let row = store::MovementRow {
        id: id.clone(),
        kind: "sepa_deposit".into(),
        owner,
        status: "SUCCESSFUL".into(),
        details: event.to_string(),
        settle_at: None,
        created_at: now,
        updated_at: now,
    };
    store::insert_movement(&mut tx, &row).await?;
    clock::webhook(&mut tx, clock::Route::SepaDeposit, &event).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn overview(sandbox: &Sandbox) -> Result<Overview, ControlError> {
    let faults = store::faults(&sandbox.db)
        .await?
        .into_iter()
        .map(|f| Fault {
            endpoint: f.endpoint,
            latency_ms: f.latency_ms as u32,
            http_status: f.http_status.map(|s| s as u16),
            timeout: f.timeout,
            p_code: f.p_code,
            applied: f.applied.map(|a| a != 0),
            malformed: f.malformed != 0,
            reset: f.reset != 0,
            count: f.remaining as u32,
        })
        .collect();
    let webhooks = store::webhooks(&sandbox.db)
        .await?
        .into_iter()
        .map(|w| WebhookDelivery {
            route: w.route,
            attempts: w.attempts,
            last_status: w.last_status,
            delivered_at: w.delivered_at.map(Into::into),
            next_attempt_at: w.next_attempt_at.map(Into::into),
            created_at: w.created_at.into(),
        })
        .collect();
    Ok(Overview {
        users: store::user_count(&sandbox.db).await?,
        faults,
        kyc_next: store::setting(&sandbox.db, KYC_NEXT)
            .await?
            .unwrap_or_else(|| "approve".into()),
        history_shape: history_shape(sandbox).await?,
        webhooks_to_routes: store::setting(&sandbox.db, WEBHOOK_ROUTES).await?.is_some(),
        webhooks,
        endpoints: endpoints::ALL.iter().map(|e| e.name.to_owned()).collect(),
        p_codes: PCode::DOCUMENTED.iter().map(|c| c.as_str().to_owned()).collect(),
    })
}

// ---- The JSON control endpoint --------------------------------------------------------------

/// Where the app mounts `router`.
pub const CONTROL_PATH: &str = "/sandbox/p100/_control";

/// The JSON control endpoint, relative to `CONTROL_PATH`; the app guards and audits it.
pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/faults", post(http_arm_fault))
        .route("/faults", delete(http_clear_faults))
        .route("/kyc-next", post(http_kyc_next))
        .route("/settings", post(http_settings))
        .route("/movements/{id}/complete", post(http_complete))
        .route("/movements/{id}/fail", post(http_fail))
        .route("/movements/{id}/amend", post(http_amend))
        .route("/movements/{id}", delete(http_forget))
        .route("/lose-webhooks", post(http_lose_webhooks))
        .route("/sepa-deposits", post(http_sepa_deposit))
        .route("/state", get(http_overview))
        .with_state(sandbox)
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            ControlError::Invalid(_) | ControlError::Field(..) => StatusCode::BAD_REQUEST,
            ControlError::NoMovement(_) => StatusCode::NOT_FOUND,
            ControlError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

type Shared = State<Arc<Sandbox>>;

async fn http_arm_fault(State(sandbox): Shared, Json(fault): Json<Fault>) -> Result<StatusCode, ControlError> {
    arm_fault(&sandbox, &fault).await.map(|()| StatusCode::NO_CONTENT)
}

async fn http_clear_faults(State(sandbox): Shared) -> Result<StatusCode, ControlError> {
    clear_faults(&sandbox).await.map(|()| StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct KycNext {
    outcome: String,
}

async fn http_kyc_next(State(sandbox): Shared, Json(next): Json<KycNext>) -> Result<StatusCode, ControlError> {
    set_kyc_next(&sandbox, &next.outcome)
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

async fn http_settings(State(sandbox): Shared, Json(settings): Json<Settings>) -> Result<StatusCode, ControlError> {
    apply_settings(&sandbox, &settings)
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

async fn http_complete(
    State(sandbox): Shared,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ControlError> {
    force(&sandbox, &id, true)
        .await
        .map(|status| Json(json!({ "status": status })))
}

async fn http_fail(State(sandbox): Shared, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ControlError> {
    force(&sandbox, &id, false)
        .await
        .map(|status| Json(json!({ "status": status })))
}

async fn http_amend(
    State(sandbox): Shared,
    Path(id): Path<String>,
    Json(amendment): Json<Amendment>,
) -> Result<Json<serde_json::Value>, ControlError> {
    amend(&sandbox, &id, &amendment)
        .await
        .map(|status| Json(json!({ "status": status })))
}

async fn http_forget(State(sandbox): Shared, Path(id): Path<String>) -> Result<StatusCode, ControlError> {
    forget(&sandbox, &id).await.map(|()| StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Count {
    count: u32,
}

async fn http_lose_webhooks(State(sandbox): Shared, Json(lose): Json<Count>) -> Result<StatusCode, ControlError> {
    lose_webhooks(&sandbox, lose.count)
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

async fn http_overview(State(sandbox): Shared) -> Result<Json<Overview>, ControlError> {
    overview(&sandbox).await.map(Json)
}

async fn http_sepa_deposit(
    State(sandbox): Shared,
    Json(input): Json<SepaDepositInput>,
) -> Result<Json<serde_json::Value>, ControlError> {
    sepa_deposit(&sandbox, &input)
        .await
        .map(|id| Json(json!({ "sepaDepositId": id })))
}
