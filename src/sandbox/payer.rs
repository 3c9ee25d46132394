//! The sandbox plays the customer who pays an order or a payment link: one transfer on chain of
//! less than, exactly or more than what is still due. P100 documents the states (REFERENCE §2.6.4,
//! §2.7), not how a payment moves them through; what follows is INFERRED and kept in this one
//! place so it is easy to change:
//!
//! - an order waits for payment until its `expiresAt`; a transfer that covers the amount moves it to
//!   `WAITING_FOR_CONFIRMATION`, and the clock adds a confirmation per step up to the required
//!   number, then `COMPLETED`, crediting the partner the locked EUR amount (an overpayment is not
//!   settled: the crypto beyond the lock is P100's to return); less stays `WAITING_FOR_PAYMENT` with
//!   `receivedAmount` showing what came;
//! - a payment link converts each transfer to EUR at once and credits it (so an overpayment is
//!   credited in full); the link is `AWAITING_COMPLETION` until the EUR received covers its amount,
//!   then `PAID`. Each transfer names the EUR it settled (`settledAmount`, INFERRED).

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use super::clock::{self, Route};
use super::control::ControlError;
use super::store::{self, MovementRow, PARTNER};
use super::{Refusal, Sandbox, ledger, market};
use crate::domain::money::{Amount, Currency};
pub use crate::domain::sandbox::Payment;
use crate::kernel::db::{self, Timestamp, Tx};
use crate::p100::types::Num;

/// The payer's crypto for a payment link.
const LINK_CRYPTO: Currency = Currency::Usdc;
const LINK_NETWORK: &str = "polygon";

/// The payer sends `how` much to the order or payment link P100 knows as `id`; its status after.
pub async fn pay(sandbox: &Sandbox, id: &str, how: Payment) -> Result<String, ControlError> {
    let mut tx = db::begin_write(&sandbox.db).await?;
    let mut movement = store::movement(&mut tx, id)
        .await?
        .ok_or_else(|| ControlError::NoMovement(id.to_owned()))?;
    let mut details: Value = serde_json::from_str(&movement.details).map_err(Refusal::internal)?;
    match movement.kind.as_str() {
        "order" => {
            if movement.status != "WAITING_FOR_PAYMENT" {
                return Err(ControlError::Field(
                    "id",
                    format!("Order {id} is {}: it takes no payment now.", movement.status),
                ));
            }
            let next_step = sandbox.settle_at().await;
            pay_order(&mut tx, &mut movement, &mut details, how, next_step).await?;
        }
        "payment_link" => {
            if !matches!(movement.status.as_str(), "PENDING" | "AWAITING_COMPLETION") {
                return Err(ControlError::Field(
                    "id",
                    format!("Payment link {id} is {}: it takes no payment now.", movement.status),
                ));
            }
            pay_link(&mut tx, &mut movement, &mut details, how).await?;
        }
        _ => {
            return Err(ControlError::Field(
                "id",
                format!("{id} is not an order or a payment link."),
            ));
        }
    }
    movement.details = details.to_string();
    movement.updated_at = Timestamp::now();
    store::update_movement(&mut tx, &movement).await?;
    tx.commit().await?;
    Ok(movement.status)
}

/// Half of `due`, all of it, or a fifth more, at `scale` decimals.
fn portion(due: Decimal, how: Payment, scale: u32) -> Decimal {
    let share = match how {
        Payment::Under => dec!(0.5),
        Payment::Exact => Decimal::ONE,
        Payment::Over => dec!(1.2),
    };
    (due * share).round_dp_with_strategy(scale, RoundingStrategy::ToZero)
}

fn decimal(value: &Value) -> Decimal {
    match value {
        Value::String(s) => Decimal::from_str(s).unwrap_or_default(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

fn transaction_hash() -> String {
    format!("0x{}", uuid::Uuid::new_v4().simple())
}

/// A transfer reaches the order's wallet address. Also the forced "complete" of an order waiting
/// for payment (with `Payment::Exact`).
pub(super) async fn pay_order(
    tx: &mut Tx,
    movement: &mut MovementRow,
    details: &mut Value,
    how: Payment,
    next_step: Timestamp,
) -> Result<(), Refusal> {
    let currency = Currency::parse(details["cryptocurrency"].as_str().unwrap_or_default());
    let required = decimal(&details["totalAmountRequired"]);
    let received = decimal(&details["receivedAmount"]);
    let sent = portion((required - received).max(Decimal::ZERO), how, currency.scale());
    let received = received + sent;
    // A number, as the details document it.
    details["receivedAmount"] = json!(Num(Amount(received.normalize())));
    details["transactionHash"] = json!(transaction_hash());
    if received >= required {
        details["status"] = json!("WAITING_FOR_CONFIRMATION");
        details["confirmations"] = json!(0);
        movement.status = "WAITING_FOR_CONFIRMATION".into();
        movement.settle_at = Some(next_step);
    }
    let event = json!({ "orderId": movement.id, "status": movement.status });
    clock::webhook(tx, Route::Order, &event).await
}

/// A transfer reaches the link; converted to EUR and credited to the partner at once.
pub(super) async fn pay_link(
    tx: &mut Tx,
    movement: &mut MovementRow,
    details: &mut Value,
    how: Payment,
) -> Result<(), Refusal> {
    if Currency::parse(details["currency"].as_str().unwrap_or_default()) != Currency::Eur {
        return Err(Refusal::invalid("the sandbox's payer pays EUR payment links only"));
    }
    let amount = decimal(&details["amount"]);
    let transactions = details["transactions"].as_array().cloned().unwrap_or_default();
    let settled: Decimal = transactions.iter().map(|t| decimal(&t["settledAmount"])).sum();
    let eur = portion((amount - settled).max(Decimal::ZERO), how, 2);
    let rate = market::rate(&LINK_CRYPTO, Timestamp::now().get().unix_timestamp());
    let crypto = (eur / rate).round_dp_with_strategy(LINK_CRYPTO.scale(), RoundingStrategy::AwayFromZero);
    let mut transactions = transactions;
    transactions.push(json!({
        "transactionHash": transaction_hash(),
        "amount": crypto.normalize().to_string(),
        "currency": LINK_CRYPTO.code(),
        "network": LINK_NETWORK,
        "status": "CONFIRMED",
        "settledAmount": eur.to_string(),
    }));
    // One history line per transfer: `<link id>/<n>`.
    let reference = format!("{}/{}", movement.id, transactions.len());
    details["transactions"] = json!(transactions);
    ledger::adjust(tx, PARTNER, &Currency::Eur, eur, "payment_link_settlement", &reference).await?;
    let status = if settled + eur >= amount {
        movement.settle_at = None;
        "PAID"
    } else {
        "AWAITING_COMPLETION"
    };
    details["status"] = json!(status);
    movement.status = status.into();
    let event = json!({ "paymentLinkId": movement.id, "status": status });
    clock::webhook(tx, Route::PaymentLink, &event).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payer_sends_half_all_or_a_fifth_more_of_what_is_due() {
        assert_eq!(portion(dec!(412.607142), Payment::Under, 6), dec!(206.303571));
        assert_eq!(portion(dec!(412.607142), Payment::Exact, 6), dec!(412.607142));
        assert_eq!(portion(dec!(100.00), Payment::Over, 2), dec!(120.00));
        assert_eq!(portion(dec!(0.01), Payment::Under, 2), dec!(0.00));
    }
}
