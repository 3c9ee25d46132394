//! Users and KYC: creating and changing users, KYC attempts (taken to their outcome by the
//! clock), proof of address, activation, suspension and deletion.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Answer, Shared, active_user, begin, body, live_user, new_movement, ok};
use crate::kernel::db::{Timestamp, Tx};
use crate::p100::error::PCode;
use crate::p100::types::*;
use crate::sandbox::store::{self, UserRow};
use crate::sandbox::{MOUNT, Refusal, Sandbox, clock, control, ledger, seed};

fn validate_user(request: &CreateUserRequest) -> Result<(), Refusal> {
    let mut problems = Vec::new();
    let required = [
        ("externalUserId", &request.external_user_id),
        ("email", &request.email),
        ("phone", &request.phone),
        ("firstName", &request.first_name),
        ("lastName", &request.last_name),
        ("street", &request.street),
        ("number", &request.number),
        ("city", &request.city),
        ("postCode", &request.post_code),
        ("userIdentificationNumber", &request.user_identification_number),
    ];
    for (name, value) in required {
        if value.trim().is_empty() {
            problems.push(format!("{name} should not be empty"));
        }
    }
    if !request.email.contains('@') {
        problems.push("email must be an email".into());
    }
    if !request.phone.chars().all(|c| c.is_ascii_digit()) || !(8..=15).contains(&request.phone.len()) {
        problems.push("phone must contain 8 to 15 digits with the country code and no +".into());
    }
    for (name, value) in [
        ("country", &request.country),
        ("citizenship", &request.citizenship),
        ("nationality", &request.nationality),
        ("birthCountry", &request.birth_country),
    ] {
        if value.len() != 2 || !value.chars().all(|c| c.is_ascii_uppercase()) {
            problems.push(format!("{name} must be an ISO 3166-1 alpha-2 code"));
        }
    }
    if time::Date::parse(
        &request.birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        problems.push("birthDate must be a date as YYYY-MM-DD".into());
    }
    if !request.has_accepted_p100_tc {
        problems.push("hasAcceptedP100Tc must be true".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Refusal::invalid(problems.join(". ")))
    }
}

pub(super) async fn create_user(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: CreateUserRequest = body(&bytes)?;
    validate_user(&request)?;
    let mut tx = begin(&sandbox).await?;
    if store::user(&mut tx, &request.external_user_id).await?.is_some() {
        return Err(Refusal::code(PCode::P411, "user-exists", "User already exists"));
    }
    let now = Timestamp::now();
    let user = UserRow {
        external_user_id: request.external_user_id.clone(),
        user_id: uuid::Uuid::new_v4().to_string(),
        profile: serde_json::to_string(&request).map_err(Refusal::internal)?,
        status: "WAITING_FOR_ACTIVATION".into(),
        verification_status: "NOT_VERIFIED".into(),
        attempt_status: None,
        rejection_reason: None,
        poa_status: None,
        created_at: now,
        updated_at: now,
    };
    // No balances yet: they open with Add User Verification (REFERENCE §0 C2).
    store::insert_user(&mut tx, &user).await?;
    tx.commit().await?;
    ok(UserCreated {
        user_id: user.user_id,
        poa_required_for_extended: false,
    })
}

/// Starts (or restarts) a KYC attempt; the clock takes it to its outcome.
async fn start_attempt(sandbox: &Sandbox, tx: &mut Tx, user: &mut UserRow) -> Result<(), Refusal> {
    user.attempt_status = Some("PENDING".into());
    user.rejection_reason = None;
    user.updated_at = Timestamp::now();
    store::update_user(tx, user).await?;
    let id = format!("kyc:{}:{}", user.external_user_id, uuid::Uuid::new_v4());
    new_movement(
        tx,
        &id,
        "kyc",
        &user.external_user_id,
        "PENDING",
        &json!({}),
        Some(sandbox.settle_at().await),
    )
    .await?;
    let event = clock::kyc_event(user);
    clock::webhook(tx, clock::Route::KycStatus, &event).await?;
    Ok(())
}

pub(super) async fn kyc_file(
    State(sandbox): Shared,
    Path(user): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("multipart/form-data") || bytes.is_empty() {
        return Err(Refusal::invalid("files must be sent as multipart/form-data"));
    }
    let text = String::from_utf8_lossy(&bytes);
    if !text.contains("name=\"front\"") && !text.contains("name=\"selfie\"") {
        return Err(Refusal::invalid("front and selfie images are required"));
    }
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &user).await?;
    start_attempt(&sandbox, &mut tx, &mut user).await?;
    tx.commit().await?;
    ok(json!({}))
}

pub(super) async fn create_kyc(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: KycVerificationRequest = body(&bytes)?;
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &request.external_user_id).await?;
    start_attempt(&sandbox, &mut tx, &mut user).await?;
    tx.commit().await?;
    ok(KycVerification {
        id: user.user_id,
        url: Some(hosted_kyc_url(&sandbox, &user.external_user_id)),
    })
}

fn hosted_kyc_url(sandbox: &Sandbox, external_user_id: &str) -> String {
    let mut url = sandbox.webhook_base.clone();
    url.set_path(&format!("{}/hosted-kyc/{}", MOUNT, external_user_id));
    url.to_string()
}

pub(super) async fn kyc_redirect(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let user = live_user(&mut tx, &user).await?;
    tx.commit().await?;
    if user.attempt_status.is_none() {
        return Err(Refusal::code(PCode::P445, "kyc-not-found", "KYC not found"));
    }
    let url = hosted_kyc_url(&sandbox, &user.external_user_id);
    if control::redirect_as_json(&sandbox).await? {
        return ok(KycRedirect { url });
    }
    // As P100 answers (REFERENCE §0 C1): a page that sends the browser on by embedded logic.
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>Redirecting to verification</title></head><body><script>window.location.replace(\"{url}\");</script></body></html>"
    );
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

pub(super) async fn kyc_status(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let user = live_user(&mut tx, &user).await?;
    tx.commit().await?;
    if user.attempt_status.is_none() && user.verification_status != "VERIFIED" {
        return Err(Refusal::code(PCode::P445, "kyc-not-found", "KYC not found"));
    }
    ok(clock::kyc_event(&user))
}

pub(super) async fn add_verification(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: AddVerificationRequest = body(&bytes)?;
    if request.document_number.trim().is_empty() {
        return Err(Refusal::invalid("documentNumber should not be empty"));
    }
    if let DocumentType::Unknown(kind) = &request.document_type {
        return Err(Refusal::invalid(format!(
            "documentType must be one of the following values: ID_CARD, PASSPORT, RESIDENCE_PERMIT (got {kind})"
        )));
    }
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &request.external_user_id).await?;
    if user.verification_status != "VERIFIED" {
        return Err(Refusal::code(PCode::P459, "user-not-verified", "User not verified"));
    }
    if user.status == "WAITING_FOR_ACTIVATION" {
        user.status = "ACTIVE".into();
        user.updated_at = Timestamp::now();
        store::update_user(&mut tx, &user).await?;
        let event = json!({ "externalUserId": user.external_user_id, "status": "ACTIVE" });
        clock::webhook(&mut tx, clock::Route::UserStatus, &event).await?;
        open_balances(&mut tx, &user.external_user_id).await?;
    }
    tx.commit().await?;
    ok(json!({}))
}

/// Add User Verification generates the user's balances (REFERENCE §0 C2), the EUR account with
/// its IBAN, and P100 announces them with the User Balance Generation webhook (body INFERRED:
/// `externalUserId` and the balances as Get User Balances gives them).
async fn open_balances(tx: &mut Tx, external_user_id: &str) -> Result<(), Refusal> {
    if store::balances(tx, external_user_id).await?.is_empty() {
        ledger::open_balances(tx, external_user_id).await?;
    }
    let mut eur = store::balance(tx, external_user_id, "eur")
        .await?
        .ok_or_else(|| Refusal::internal("no EUR balance"))?;
    eur.iban = Some(seed::iban_for(external_user_id));
    eur.status = "ACTIVE".into();
    store::update_balance(tx, &eur).await?;
    let balances = super::balances::balances_in(tx, external_user_id).await?;
    let mut event = serde_json::to_value(balances).map_err(Refusal::internal)?;
    event["externalUserId"] = json!(external_user_id);
    clock::webhook(tx, clock::Route::UserBalanceGeneration, &event).await
}

pub(super) async fn poa_file(
    State(sandbox): Shared,
    Path(user): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("multipart/form-data") || bytes.is_empty() {
        return Err(Refusal::invalid("file must be sent as multipart/form-data"));
    }
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &user).await?;
    user.poa_status = Some("WAITING".into());
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    let id = format!("poa:{}:{}", user.external_user_id, uuid::Uuid::new_v4());
    new_movement(
        &mut tx,
        &id,
        "poa",
        &user.external_user_id,
        "WAITING",
        &json!({}),
        Some(sandbox.settle_at().await),
    )
    .await?;
    let event = json!({ "externalUserId": user.external_user_id, "status": "WAITING" });
    clock::webhook(&mut tx, clock::Route::PoaStatus, &event).await?;
    tx.commit().await?;
    ok(json!({}))
}

pub(super) async fn update_user(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: UpdateUserRequest = body(&bytes)?;
    let mut tx = begin(&sandbox).await?;
    let mut user = live_user(&mut tx, &request.external_user_id).await?;
    let mut profile: Value = serde_json::from_str(&user.profile).map_err(Refusal::internal)?;
    let changes = serde_json::to_value(&request).map_err(Refusal::internal)?;
    if let (Some(profile), Some(changes)) = (profile.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            if key != "externalUserId" {
                profile.insert(key.clone(), value.clone());
            }
        }
    }
    if profile
        .get("email")
        .and_then(Value::as_str)
        .is_some_and(|e| !e.contains('@'))
    {
        return Err(Refusal::invalid("email must be an email"));
    }
    user.profile = profile.to_string();
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    tx.commit().await?;
    ok(json!({}))
}

pub(super) async fn delete_user(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let mut user = live_user(&mut tx, &user).await?;
    let funded = store::balances(&mut tx, &user.external_user_id)
        .await?
        .into_iter()
        .any(|b| Decimal::from_str(&b.amount).is_ok_and(|a| !a.is_zero()));
    if funded {
        return Err(Refusal::invalid(
            "the user still holds funds; withdraw every balance before deleting",
        ));
    }
    user.status = "DELETED".into();
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    tx.commit().await?;
    ok(json!({}))
}

pub(super) async fn suspend_user(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    set_suspended(&sandbox, &user, true).await
}

pub(super) async fn unsuspend_user(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    set_suspended(&sandbox, &user, false).await
}

async fn set_suspended(sandbox: &Sandbox, external_user_id: &str, suspend: bool) -> Answer {
    let mut tx = begin(sandbox).await?;
    let mut user = live_user(&mut tx, external_user_id).await?;
    let next = match (suspend, user.verification_status.as_str()) {
        (true, _) => "SUSPENDED",
        (false, "VERIFIED") => "ACTIVE",
        (false, _) => "WAITING_FOR_ACTIVATION",
    };
    if suspend && user.status == "SUSPENDED" || !suspend && user.status != "SUSPENDED" {
        tx.commit().await?;
        return ok(json!({}));
    }
    user.status = next.into();
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    let event = json!({ "externalUserId": user.external_user_id, "status": next });
    clock::webhook(&mut tx, clock::Route::UserStatus, &event).await?;
    tx.commit().await?;
    ok(json!({}))
}
