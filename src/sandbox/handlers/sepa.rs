//! SEPA: deposit details, saved contacts, and payouts (funds are checked when the clock settles
//! them, as P100 does).

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::Value;

use super::{Answer, Shared, active_user, begin, body, live_user, new_movement, ok, positive};
use crate::domain::money::Currency;
use crate::kernel::db::Timestamp;
use crate::p100::error::PCode;
use crate::p100::types::*;
use crate::sandbox::store::{self, PARTNER};
use crate::sandbox::{Refusal, Sandbox, contacts_key, market};

fn deposit_info(reference: &str, iban: &str) -> SepaDepositInfo {
    SepaDepositInfo {
        title: reference.to_owned(),
        iban: iban.to_owned(),
        swift: "BZENLT22".into(),
        account_holder: "P100 sp. z o.o.".into(),
        address: "Połonińska 19".into(),
    }
}

pub(super) async fn partner_deposit_info(State(sandbox): Shared) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let eur = store::balance(&mut tx, PARTNER, "eur").await?;
    tx.commit().await?;
    let eur = eur.ok_or_else(|| Refusal::internal("partner has no EUR balance"))?;
    ok(deposit_info(&eur.id, eur.iban.as_deref().unwrap_or_default()))
}

pub(super) async fn user_deposit_info(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    live_user(&mut tx, &user).await?;
    let eur = store::balance(&mut tx, &user, "eur").await?;
    tx.commit().await?;
    match eur.and_then(|b| b.iban.map(|iban| (b.id, iban))) {
        Some((id, iban)) => ok(deposit_info(&id, &iban)),
        None => Err(Refusal::code(
            PCode::P459,
            "user-not-verified",
            "User not verified: no IBAN yet",
        )),
    }
}

async fn contacts(sandbox: &Sandbox, owner: &str) -> Answer {
    let list = store::setting(&sandbox.db, &contacts_key(owner)).await?;
    let contacts: Vec<SepaContact> = list.and_then(|l| serde_json::from_str(&l).ok()).unwrap_or_default();
    ok(contacts)
}

pub(super) async fn partner_contacts(State(sandbox): Shared) -> Answer {
    contacts(&sandbox, PARTNER).await
}

pub(super) async fn user_contacts(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    live_user(&mut tx, &user).await?;
    tx.commit().await?;
    contacts(&sandbox, &user).await
}

pub(super) async fn sepa_transfer(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: SepaTransferRequest = body(&bytes)?;
    let mut problems = Vec::new();
    if request.currency != Currency::Eur {
        problems.push("currency must be one of the following values: eur".to_owned());
    }
    let iban: String = request
        .destination_iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !(15..=34).contains(&iban.len()) || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems.push("destinationIban must be a valid IBAN".to_owned());
    }
    if request.transfer_title.trim().is_empty() {
        problems.push("transferTitle should not be empty".to_owned());
    }
    if request.receiver_type.is_some() || request.company_name.is_some() || request.receiver_first_name.is_some() {
        problems.push("receiverType and receiver names must not be sent by closed-loop partners".to_owned());
    }
    if !problems.is_empty() {
        return Err(Refusal::invalid(problems.join(". ")));
    }
    let amount = positive(request.amount, &Currency::Eur, "amount")?;
    let mut tx = begin(&sandbox).await?;
    let owner = match &request.source_external_user_id {
        Some(user) => active_user(&mut tx, user).await?.external_user_id,
        None => PARTNER.to_owned(),
    };
    let id = uuid::Uuid::new_v4().to_string();
    // Only the format is checked now; funds are checked when the transfer is processed (as P100 does).
    let details = SepaTransferDetails {
        id: id.clone(),
        kind: Some("external".into()),
        amount: amount.into(),
        transfer_title: Some(request.transfer_title),
        destination_iban: Some(iban),
        receiver_first_name: None,
        receiver_last_name: None,
        status: MovementStatus::Processing,
        currency: Currency::Eur,
        fee: Some(Num(market::sepa_fee(amount).into())),
        created_at: Some(Timestamp::now().to_text()),
        error: None,
    };
    new_movement(
        &mut tx,
        &id,
        "sepa",
        &owner,
        "PROCESSING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(TransferCreated { transfer_id: id })
}

pub(super) async fn sepa_details(State(sandbox): Shared, Path(id): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let movement = store::movement(&mut tx, &id).await?;
    tx.commit().await?;
    match movement {
        Some(m) if m.kind == "sepa" => ok(serde_json::from_str::<Value>(&m.details).map_err(Refusal::internal)?),
        _ => Err(Refusal::code(
            PCode::P428,
            "sepa-transfer-not-found",
            "Sepa transfer not found",
        )),
    }
}
