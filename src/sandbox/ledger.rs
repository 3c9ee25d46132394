//! Balances in the sandbox really move: every change goes through `adjust`, inside the caller's
//! transaction, and leaves a line in the owner's transaction history.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::Refusal;
use super::store::{self, BalanceRow, TransactionRow};
use crate::domain::money::Currency;
use crate::kernel::db::{Timestamp, Tx};

/// Adds `delta` (negative to take) to `owner`'s balance and writes a history line of `kind`.
/// Taking more than there is refuses with P433 and changes nothing.
pub async fn adjust(
    tx: &mut Tx,
    owner: &str,
    currency: &Currency,
    delta: Decimal,
    kind: &str,
    reference: &str,
) -> Result<Decimal, Refusal> {
    let mut row = store::balance(tx, owner, currency.code()).await?.ok_or_else(|| {
        Refusal::code(
            crate::p100::error::PCode::P410,
            "invalid-currency",
            "Currency not found",
        )
    })?;
    let current = Decimal::from_str(&row.amount).map_err(Refusal::internal)?;
    let mut next = current + delta;
    if next.is_sign_negative() && !next.is_zero() {
        return Err(Refusal::insufficient_funds());
    }
    next.rescale(currency.scale());
    row.amount = next.to_string();
    store::update_balance(tx, &row).await?;
    let mut shown = delta;
    shown.rescale(currency.scale());
    let line = TransactionRow {
        id: format!("{reference}:{kind}:{}", currency.code()),
        owner: owner.to_owned(),
        kind: kind.to_owned(),
        currency: currency.code().to_owned(),
        amount: shown.to_string(),
        status: "SUCCESSFUL".to_owned(),
        created_at: Timestamp::now(),
    };
    store::insert_transaction(tx, &line).await?;
    Ok(next)
}

/// Opens a zero balance in every known currency for a new owner.
pub async fn open_balances(tx: &mut Tx, owner: &str) -> Result<(), sqlx::Error> {
    for currency in Currency::KNOWN {
        let mut zero = Decimal::ZERO;
        zero.rescale(currency.scale());
        let row = BalanceRow {
            owner: owner.to_owned(),
            currency: currency.code().to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            amount: zero.to_string(),
            wallet: None,
            iban: None,
            status: if currency.is_fiat() {
                "WAITING_TO_BE_ACTIVATED"
            } else {
                "ACTIVE"
            }
            .to_owned(),
        };
        store::insert_balance(tx, &row).await?;
    }
    Ok(())
}

/// A deterministic-looking deposit address for a crypto balance.
pub fn wallet_address(currency: &Currency, seed: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(format!("{}:{seed}", currency.code())));
    match currency {
        Currency::Btc => format!("tb1q{}", &digest[..38]),
        Currency::Ltc => format!("tltc1q{}", &digest[..36]),
        Currency::Doge => format!("n{}", &digest[..33]),
        _ => format!("0x{}", &digest[..40]),
    }
}
