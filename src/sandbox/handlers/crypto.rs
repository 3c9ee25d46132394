//! Crypto: network fees, withdrawals, and travel-rule data for held deposits.

use axum::body::Bytes;
use axum::extract::{Query, State};
use serde_json::{Value, json};

use super::{Answer, Shared, active_user, begin, body, known, new_movement, ok, positive};
use crate::domain::money::Currency;
use crate::kernel::db::Timestamp;
use crate::p100::error::PCode;
use crate::p100::types::*;
use crate::sandbox::store::{self, PARTNER};
use crate::sandbox::{Refusal, clock, ledger, market};

#[derive(serde::Deserialize)]
pub(super) struct FeeParams {
    currency: Option<String>,
    network: Option<String>,
}

/// The network key a withdrawal uses: given for USDC/USDT on Polygon, else the currency's first.
pub(super) fn network_of(currency: &Currency, network: Option<&str>) -> Result<&'static str, Refusal> {
    let networks = market::networks(currency);
    match network.map(str::to_ascii_lowercase) {
        None => networks
            .first()
            .map(|n| n.0)
            .ok_or_else(|| Refusal::code(PCode::P410, "invalid-currency", "Currency not found")),
        Some(name) => networks.iter().find(|n| n.0 == name).map(|n| n.0).ok_or_else(|| {
            Refusal::invalid(format!(
                "network must be one of: {}",
                networks.iter().map(|n| n.0).collect::<Vec<_>>().join(", ")
            ))
        }),
    }
}

pub(super) async fn network_fee(Query(params): Query<FeeParams>) -> Answer {
    let Some(currency) = params.currency else {
        return Err(Refusal::invalid("currency should not be empty"));
    };
    let currency = Currency::parse(&currency);
    known(&currency)?;
    let network = network_of(&currency, params.network.as_deref())?;
    ok(NetworkFee {
        network_fee: Num(market::network_fee(&currency, network).into()),
    })
}

pub(super) async fn crypto_withdrawal(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: CryptoWithdrawalRequest = body(&bytes)?;
    known(&request.currency)?;
    if request.currency.is_fiat() {
        return Err(Refusal::code(
            PCode::P410,
            "invalid-currency",
            "Currency not found: eur is not a crypto currency",
        ));
    }
    let network = network_of(&request.currency, request.network.as_deref())?;
    let amount = positive(request.amount.0, &request.currency, "amount")?;
    let (_, _, service_fee, minimum) = market::networks(&request.currency)
        .into_iter()
        .find(|n| n.0 == network)
        .expect("checked");
    if amount < minimum {
        return Err(Refusal::invalid(format!("amount must not be less than {minimum}")));
    }
    if request.wallet_address.trim().len() < 20 {
        return Err(Refusal::invalid("walletAddress must be a valid address"));
    }
    if request.name.trim().is_empty() {
        return Err(Refusal::invalid("name should not be empty"));
    }
    let network_fee = market::network_fee(&request.currency, network);
    let mut tx = begin(&sandbox).await?;
    let owner = match &request.source_external_user_id {
        Some(user) => active_user(&mut tx, user).await?.external_user_id,
        None => PARTNER.to_owned(),
    };
    let id = uuid::Uuid::new_v4().to_string();
    ledger::adjust(
        &mut tx,
        &owner,
        &request.currency,
        -(amount + service_fee + network_fee),
        "crypto_withdrawal",
        &id,
    )
    .await?;
    let details = WithdrawalDetails {
        id: id.clone(),
        status: MovementStatus::Pending,
        currency: request.currency,
        network: Some(network.to_owned()),
        amount: amount.into(),
        fee: Some((service_fee + network_fee).into()),
        wallet_address: request.wallet_address,
        transaction_hash: None,
        created_at: Some(Timestamp::now().to_text()),
    };
    new_movement(
        &mut tx,
        &id,
        "crypto_withdrawal",
        &owner,
        "PENDING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(WithdrawalCreated { withdrawal_id: id })
}

pub(super) async fn travel_rule(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: TravelRuleUpdate = body(&bytes)?;
    if request.name.trim().is_empty() {
        return Err(Refusal::invalid("name should not be empty"));
    }
    let mut tx = begin(&sandbox).await?;
    let deposit = store::movement(&mut tx, &request.crypto_deposit_id).await?;
    let mut deposit = match deposit {
        Some(d) if d.kind == "crypto_deposit" => d,
        _ => return Err(Refusal::invalid("cryptoDepositId does not name a crypto deposit")),
    };
    if deposit.status != "WAITING_FOR_TR_DATA" {
        return Err(Refusal::invalid(format!(
            "the deposit is {}, not WAITING_FOR_TR_DATA",
            deposit.status
        )));
    }
    deposit.status = "WAITING_FOR_VERIFICATION".into();
    deposit.settle_at = Some(sandbox.settle_at().await);
    deposit.updated_at = Timestamp::now();
    let mut details: Value = serde_json::from_str(&deposit.details).map_err(Refusal::internal)?;
    details["status"] = json!("WAITING_FOR_VERIFICATION");
    deposit.details = details.to_string();
    store::update_movement(&mut tx, &deposit).await?;
    clock::webhook(&mut tx, clock::Route::CryptoDeposit, &details).await?;
    tx.commit().await?;
    ok(json!({}))
}
