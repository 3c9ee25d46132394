//! Exchanges: the rate sheet, rate locks, and exchanges executed at a lock's rates (`market`).

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{Answer, Shared, active_user, begin, body, known, new_movement, now_unix, ok, positive};
use crate::kernel::db::Timestamp;
use crate::p100::error::PCode;
use crate::p100::types::*;
use crate::sandbox::store::{self, LockRow, PARTNER};
use crate::sandbox::{Refusal, Sandbox, ledger, market};

pub(super) async fn exchange_rates() -> Answer {
    ok(market::rates(now_unix()))
}

async fn create_lock(sandbox: &Sandbox, owner: &str) -> Answer {
    let mut tx = begin(sandbox).await?;
    if owner != PARTNER {
        active_user(&mut tx, owner).await?;
    }
    let now = Timestamp::now();
    let valid_until = now + sandbox.lock_ttl().await;
    let lock = RateLock {
        id: uuid::Uuid::new_v4().to_string(),
        rates: market::rates(now_unix()),
        fee_percentage: Num(market::EXCHANGE_FEE_PERCENT.into()),
        created_at: now.to_text(),
        valid_until: valid_until.to_text(),
    };
    let row = LockRow {
        id: lock.id.clone(),
        owner: owner.to_owned(),
        kind: "exchange".into(),
        payload: serde_json::to_string(&lock).map_err(Refusal::internal)?,
        valid_until,
        used_at: None,
    };
    store::insert_lock(&mut tx, &row).await?;
    tx.commit().await?;
    ok(lock)
}

pub(super) async fn partner_lock(State(sandbox): Shared) -> Answer {
    create_lock(&sandbox, PARTNER).await
}

pub(super) async fn user_lock(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    create_lock(&sandbox, &user).await
}

pub(super) async fn exchange(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: ExchangeRequest = body(&bytes)?;
    known(&request.currency_from)?;
    known(&request.currency_to)?;
    if request.currency_from == request.currency_to {
        return Err(Refusal::invalid("currencyFrom and currencyTo must differ"));
    }
    let amount = positive(request.amount.0, &request.currency_from, "amount")?;
    let mut tx = begin(&sandbox).await?;
    let owner = match &request.source_external_user_id {
        Some(user) => active_user(&mut tx, user).await?.external_user_id,
        None => PARTNER.to_owned(),
    };
    let lock = store::lock(&mut tx, &request.lock_id).await?;
    let lock = match lock {
        Some(lock) if lock.owner == owner && lock.kind == "exchange" => lock,
        _ => return Err(Refusal::invalid("lockId does not name a rate lock of this account")),
    };
    if lock.used_at.is_some() {
        return Err(Refusal::invalid("lockId was already used; create a new lock"));
    }
    if lock.valid_until < Timestamp::now() {
        return Err(Refusal::invalid("lockId has expired; create a new lock"));
    }
    let locked: RateLock = serde_json::from_str(&lock.payload).map_err(Refusal::internal)?;
    let Some(market::Fill { rate, fee, proceeds }) = market::execute(
        amount,
        &locked.rates,
        &request.currency_from,
        &request.currency_to,
        locked.fee_percentage.0.get(),
    ) else {
        return Err(Refusal::code(PCode::P410, "invalid-currency", "No rate for this pair"));
    };

    let id = uuid::Uuid::new_v4().to_string();
    // Funds are reserved at once (P433 if short); the proceeds arrive when the exchange settles.
    ledger::adjust(&mut tx, &owner, &request.currency_from, -amount, "exchange", &id).await?;
    store::use_lock(&mut tx, &lock.id, Timestamp::now()).await?;
    let details = ExchangeDetails {
        id: id.clone(),
        status: MovementStatus::Pending,
        currency_from: request.currency_from,
        currency_to: request.currency_to,
        amount_from: amount.into(),
        amount_to: proceeds.into(),
        rate: Num(rate.round_dp(8).normalize().into()),
        fee: fee.into(),
        created_at: Timestamp::now().to_text(),
    };
    new_movement(
        &mut tx,
        &id,
        "exchange",
        &owner,
        "PENDING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(ExchangeCreated { exchange_id: id })
}
