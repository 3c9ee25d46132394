//! Crypto orders (a locked EUR amount paid in crypto) and payment links.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use rust_decimal::RoundingStrategy;
use serde_json::{Value, json};

use super::crypto::network_of;
use super::{Answer, Shared, begin, body, known, new_movement, now_unix, ok, positive};
use crate::domain::money::{Amount, Currency};
use crate::kernel::db::Timestamp;
use crate::p100::types::*;
use crate::sandbox::store::{self, LockRow, PARTNER};
use crate::sandbox::{MOUNT, Refusal, clock, market};

pub(super) async fn order_lock(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: OrderLockRequest = body(&bytes)?;
    known(&request.currency)?;
    if request.currency.is_fiat() {
        return Err(Refusal::invalid("currency must be a crypto currency"));
    }
    let eur = positive(request.amount, &Currency::Eur, "amount")?;
    let network = network_of(&request.currency, request.network.as_deref())?;
    let rate = market::rate(&request.currency, now_unix());
    let crypto = (eur / rate).round_dp_with_strategy(request.currency.scale(), RoundingStrategy::AwayFromZero);
    let now = Timestamp::now();
    let valid_until = now + sandbox.order_lock_ttl().await;
    let lock = OrderLock {
        lock_id: uuid::Uuid::new_v4().to_string(),
        amount: Num(crypto.normalize().into()),
        // EUR per unit of the crypto, as REFERENCE §2.6.2's example (346.59 EUR for 412.607142 USDC at 0.84).
        rate: rate.round_dp(8).normalize().into(),
        expires_at: valid_until.to_text(),
        currency: request.currency,
        destination_currency: Some(Currency::Eur),
        network: Some(network.to_owned()),
    };
    let mut tx = begin(&sandbox).await?;
    let row = LockRow {
        id: lock.lock_id.clone(),
        owner: PARTNER.into(),
        kind: "order".into(),
        payload: serde_json::to_string(&json!({ "lock": lock, "eur": eur.to_string() })).map_err(Refusal::internal)?,
        valid_until,
        used_at: None,
    };
    store::insert_lock(&mut tx, &row).await?;
    tx.commit().await?;
    ok(lock)
}

pub(super) async fn create_order(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: OrderRequest = body(&bytes)?;
    let mut tx = begin(&sandbox).await?;
    let lock = match store::lock(&mut tx, &request.lock_id).await? {
        Some(lock) if lock.kind == "order" && lock.used_at.is_none() && lock.valid_until >= Timestamp::now() => lock,
        _ => return Err(Refusal::invalid("lockId does not name a live order lock")),
    };
    let saved: Value = serde_json::from_str(&lock.payload).map_err(Refusal::internal)?;
    let locked: OrderLock = serde_json::from_value(saved["lock"].clone()).map_err(Refusal::internal)?;
    store::use_lock(&mut tx, &lock.id, Timestamp::now()).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let details = OrderDetails {
        order_id: id.clone(),
        lock_id: lock.id,
        status: OrderStatus::WaitingForWalletAddress,
        created_at: Timestamp::now().to_text(),
        expires_at: None,
        confirmations: 0,
        required_confirmations: 3,
        received_amount: Some(Num(Amount::ZERO)),
        total_amount_required: locked.amount,
        cryptocurrency: locked.currency,
        wallet_address: None,
        transaction_hash: None,
        network: locked.network.map(|n| n.to_ascii_uppercase()),
    };
    new_movement(
        &mut tx,
        &id,
        "order",
        PARTNER,
        "WAITING_FOR_WALLET_ADDRESS",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(OrderCreated { order_id: id })
}

pub(super) async fn payment_link(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: PaymentLinkRequest = body(&bytes)?;
    known(&request.currency)?;
    let amount = positive(request.amount, &request.currency, "amount")?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut url = sandbox.webhook_base.clone();
    url.set_path(&format!("{}/pay/{id}", MOUNT));
    let expires_at = match &request.expires_at {
        Some(text) => Timestamp::parse_rfc3339(text)
            .ok()
            .filter(|at| *at > Timestamp::now())
            .ok_or_else(|| Refusal::invalid("expiresAt must be a date-time in the future"))?,
        None => Timestamp::now() + Duration::from_secs(24 * 3600),
    };
    let details = PaymentLink {
        id: id.clone(),
        status: "PENDING".into(),
        amount: amount.into(),
        currency: request.currency,
        url: url.to_string(),
        expires_at: Some(expires_at.to_text()),
        description: request.description,
        reference: request.reference,
        transactions: vec![],
    };
    let mut tx = begin(&sandbox).await?;
    // The clock expires it at `expiresAt` unless the payer (`sandbox::payer`) paid it in full.
    new_movement(
        &mut tx,
        &id,
        "payment_link",
        PARTNER,
        "PENDING",
        &details,
        Some(expires_at),
    )
    .await?;
    let event = json!({ "paymentLinkId": id, "status": "PENDING" });
    clock::webhook(&mut tx, clock::Route::PaymentLink, &event).await?;
    tx.commit().await?;
    ok(PaymentLinkCreated {
        id,
        url: url.to_string(),
        expires_at: Some(expires_at.to_text()),
    })
}
