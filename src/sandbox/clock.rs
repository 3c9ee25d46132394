//! The sandbox's clock: moves every scheduled movement one step along its documented state
//! machine when it is due, and delivers owed webhooks with P100's retry schedule.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Value, json};

use super::store::{self, MovementRow, PARTNER, UserRow};
use super::{
    KYC_NEXT, LOSE_WEBHOOKS, Refusal, Sandbox, WEBHOOK_AGAIN_AFTER_S, WEBHOOK_HOLD, WEBHOOK_RETRY_BASE_MS,
    WEBHOOK_ROUTES, WEBHOOK_TWICE, ledger, payer,
};
use crate::domain::money::Currency;
use crate::domain::sandbox::Payment;
use crate::kernel::db::{self, Timestamp, Tx};

pub use crate::p100::webhooks::Route;

/// P100 tries a webhook five times in all.
const WEBHOOK_ATTEMPTS: i64 = 5;
const TICK: Duration = Duration::from_millis(250);
/// How long a claimed delivery attempt may take before another instance may try it again.
const DELIVERY_LEASE: Duration = Duration::from_secs(30);

pub fn spawn(sandbox: Arc<Sandbox>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            if let Err(err) = settle_due(&sandbox).await {
                tracing::warn!(error = ?err, "sandbox clock: settling failed");
            }
            if let Err(err) = deliver_due(&sandbox).await {
                tracing::warn!(%err, "sandbox clock: webhook delivery failed");
            }
        }
    });
}

/// Queues a webhook to the app, sent by the clock (in the caller's transaction): to the registered
/// base URL itself, or to the event's route when so set; lost, doubled, held back or repeated later
/// when the Sandbox page asked for it.
pub async fn webhook<T: Serialize>(tx: &mut Tx, route: Route, payload: &T) -> Result<(), Refusal> {
    let payload = serde_json::to_string(payload).map_err(Refusal::internal)?;
    if take_one(tx, LOSE_WEBHOOKS).await? {
        tracing::info!(route = route.path(), "sandbox: webhook lost on purpose");
        return Ok(());
    }
    let path = match store::setting_on(tx, WEBHOOK_ROUTES).await? {
        Some(_) => route.path(),
        None => "",
    };
    let now = Timestamp::now();
    let id = store::enqueue_webhook(tx, path, &payload, now).await?;
    if take_one(tx, WEBHOOK_TWICE).await? {
        store::enqueue_webhook(tx, path, &payload, now).await?;
    }
    match store::take_setting(tx, WEBHOOK_HOLD).await?.as_deref() {
        // Asked for: this one waits until the next is queued.
        Some("next") => {
            store::reschedule_webhook(tx, &id, now + Duration::from_secs(365 * 24 * 3600)).await?;
            store::set_setting(tx, WEBHOOK_HOLD, &id).await?;
        }
        // The one held goes out just after this one.
        Some(held) => store::reschedule_webhook(tx, held, now + Duration::from_secs(1)).await?,
        None => {}
    }
    if let Some(seconds) = store::take_setting(tx, WEBHOOK_AGAIN_AFTER_S).await?
        && let Ok(seconds) = seconds.parse::<u64>()
    {
        let again = store::enqueue_webhook(tx, path, &payload, now).await?;
        store::reschedule_webhook(tx, &again, now + Duration::from_secs(seconds)).await?;
    }
    Ok(())
}

/// Takes one from the count kept under `key`: whether there was one.
async fn take_one(tx: &mut Tx, key: &str) -> Result<bool, sqlx::Error> {
    let left = store::take_setting(tx, key)
        .await?
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    if left > 1 {
        store::set_setting(tx, key, &(left - 1).to_string()).await?;
    }
    Ok(left > 0)
}

/// The KYC verification status event and Get KYC Status answer for `user`.
pub fn kyc_event(user: &UserRow) -> Value {
    json!({
        "externalUserId": user.external_user_id,
        "verificationStatus": user.verification_status,
        "attemptStatus": user.attempt_status,
        "rejectionReason": user.rejection_reason,
    })
}

async fn settle_due(sandbox: &Sandbox) -> Result<(), Refusal> {
    for id in store::due_movements(&sandbox.db, Timestamp::now(), 100).await? {
        let mut tx = db::begin_write(&sandbox.db).await?;
        if let Some(movement) = store::movement(&mut tx, &id).await?
            && movement.settle_at.is_some_and(|at| at <= Timestamp::now())
        {
            step(sandbox, &mut tx, movement, Outcome::AsPlanned).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// How a step ends: by the simulation's plan, or forced by a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    AsPlanned,
    Complete,
    Fail,
}

/// Moves `movement` one step on. A forced outcome goes straight to the final state.
pub async fn step(sandbox: &Sandbox, tx: &mut Tx, mut movement: MovementRow, outcome: Outcome) -> Result<(), Refusal> {
    let mut details: Value = serde_json::from_str(&movement.details).map_err(Refusal::internal)?;
    let next_step = sandbox.settle_at().await;
    let (status, settle_at) = match movement.kind.as_str() {
        "exchange" => {
            let result = finish(tx, &movement, &mut details, outcome, "COMPLETED").await?;
            webhook(
                tx,
                Route::Exchange,
                &json!({ "exchangeId": movement.id, "status": details["status"] }),
            )
            .await?;
            result
        }
        "transfer" => {
            let result = finish(tx, &movement, &mut details, outcome, "SUCCESSFUL").await?;
            webhook(
                tx,
                Route::Transfer,
                &json!({ "transferId": movement.id, "status": details["status"] }),
            )
            .await?;
            result
        }
        "crypto_withdrawal" => {
            let result = finish(tx, &movement, &mut details, outcome, "SUCCESSFUL").await?;
            webhook(tx, Route::CryptoWithdrawal, &details).await?;
            result
        }
        "sepa" => {
            let result = settle_sepa(tx, &movement, &mut details, outcome).await?;
            let event = if result.0 == "FAILED" {
                json!({ "id": movement.id, "status": "FAILED", "error": details["error"] })
            } else {
                details.clone()
            };
            webhook(tx, Route::SepaTransfer, &event).await?;
            result
        }
        "crypto_deposit" => {
            let result = if outcome == Outcome::Fail {
                ("UNSUCCESSFUL".to_owned(), None)
            } else {
                let currency = Currency::parse(details["currency"].as_str().unwrap_or_default());
                let amount = decimal(&details["amount"])?;
                ledger::adjust(tx, &movement.owner, &currency, amount, "crypto_deposit", &movement.id).await?;
                ("SUCCESSFUL".to_owned(), None)
            };
            details["status"] = json!(result.0);
            webhook(tx, Route::CryptoDeposit, &details).await?;
            result
        }
        "wallet" => create_wallet(tx, &movement, &details).await?,
        "order" => {
            let result = step_order(tx, &mut movement, &mut details, outcome, next_step).await?;
            webhook(
                tx,
                Route::Order,
                &json!({ "orderId": movement.id, "status": details["status"] }),
            )
            .await?;
            result
        }
        "payment_link" => step_link(tx, &mut movement, &mut details, outcome).await?,
        "kyc" => step_kyc(tx, &movement, outcome, next_step).await?,
        "poa" => {
            let status = if outcome == Outcome::Fail {
                "REJECTED"
            } else {
                "APPROVED"
            };
            if let Some(mut user) = store::user(tx, &movement.owner).await? {
                user.poa_status = Some(status.into());
                user.updated_at = Timestamp::now();
                store::update_user(tx, &user).await?;
            }
            webhook(
                tx,
                Route::PoaStatus,
                &json!({ "externalUserId": movement.owner, "status": status }),
            )
            .await?;
            (status.to_owned(), None)
        }
        _ => (movement.status.clone(), None),
    };
    movement.status = status;
    movement.settle_at = settle_at;
    movement.details = details.to_string();
    movement.updated_at = Timestamp::now();
    Ok(store::update_movement(tx, &movement).await?)
}

/// The address Create Wallet answered without, and the wallet created webhook that brings it.
async fn create_wallet(
    tx: &mut Tx,
    movement: &MovementRow,
    details: &Value,
) -> Result<(String, Option<Timestamp>), Refusal> {
    let currency = Currency::parse(details["currency"].as_str().unwrap_or_default());
    if let Some(mut row) = store::balance(tx, &movement.owner, currency.code()).await? {
        let wallet = row
            .wallet
            .clone()
            .unwrap_or_else(|| ledger::wallet_address(&currency, &row.id));
        row.wallet = Some(wallet.clone());
        store::update_balance(tx, &row).await?;
        let event = json!({ "currency": currency, "network": details["network"], "wallet": wallet });
        webhook(tx, Route::WalletCreated, &event).await?;
    }
    Ok(("CREATED".to_owned(), None))
}

fn decimal(value: &Value) -> Result<Decimal, Refusal> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Decimal::from_str(&text).map_err(Refusal::internal)
}

/// Exchanges, withdrawals and internal transfers reserved their funds when created: success
/// delivers the proceeds, failure gives the reservation back.
async fn finish(
    tx: &mut Tx,
    movement: &MovementRow,
    details: &mut Value,
    outcome: Outcome,
    success: &str,
) -> Result<(String, Option<Timestamp>), Refusal> {
    let failed = outcome == Outcome::Fail;
    match (movement.kind.as_str(), failed) {
        ("exchange", false) => {
            let currency = Currency::parse(details["currencyTo"].as_str().unwrap_or_default());
            ledger::adjust(
                tx,
                &movement.owner,
                &currency,
                decimal(&details["amountTo"])?,
                "exchange",
                &movement.id,
            )
            .await?;
        }
        ("exchange", true) => {
            let currency = Currency::parse(details["currencyFrom"].as_str().unwrap_or_default());
            let back = decimal(&details["amountFrom"])?;
            ledger::adjust(tx, &movement.owner, &currency, back, "exchange_refund", &movement.id).await?;
        }
        ("transfer", false) => {
            let currency = Currency::parse(details["currency"].as_str().unwrap_or_default());
            let to = details["destinationExternalUserId"]
                .as_str()
                .unwrap_or(PARTNER)
                .to_owned();
            ledger::adjust(
                tx,
                &to,
                &currency,
                decimal(&details["amount"])?,
                "internal_transfer_in",
                &movement.id,
            )
            .await?;
        }
        ("transfer", true) => {
            let currency = Currency::parse(details["currency"].as_str().unwrap_or_default());
            let back = decimal(&details["amount"])?;
            ledger::adjust(
                tx,
                &movement.owner,
                &currency,
                back,
                "internal_transfer_refund",
                &movement.id,
            )
            .await?;
            details["error"] = json!({ "description": "Failed by the sandbox", "status": "FAILED" });
        }
        ("crypto_withdrawal", false) => {
            details["transactionHash"] = json!(format!("0x{}", movement.id.replace('-', "")));
        }
        ("crypto_withdrawal", true) => {
            let currency = Currency::parse(details["currency"].as_str().unwrap_or_default());
            let back = decimal(&details["amount"])? + decimal(&details["fee"]).unwrap_or_default();
            ledger::adjust(
                tx,
                &movement.owner,
                &currency,
                back,
                "crypto_withdrawal_refund",
                &movement.id,
            )
            .await?;
        }
        _ => {}
    }
    let status = if failed { "FAILED" } else { success };
    details["status"] = json!(status);
    Ok((status.to_owned(), None))
}

/// SEPA checks funds only now, as P100 does: a payout the balance cannot cover fails here.
async fn settle_sepa(
    tx: &mut Tx,
    movement: &MovementRow,
    details: &mut Value,
    outcome: Outcome,
) -> Result<(String, Option<Timestamp>), Refusal> {
    let total = decimal(&details["amount"])? + decimal(&details["fee"]).unwrap_or_default();
    let paid = match outcome {
        Outcome::Fail => Err("Failed by the sandbox"),
        _ => match ledger::adjust(
            tx,
            &movement.owner,
            &Currency::Eur,
            -total,
            "sepa_transfer",
            &movement.id,
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(_) => Err("Insufficient funds"),
        },
    };
    match paid {
        Ok(()) => {
            details["status"] = json!("SUCCESSFUL");
            Ok(("SUCCESSFUL".into(), None))
        }
        Err(reason) => {
            details["status"] = json!("FAILED");
            let code = if reason.starts_with("Insufficient") {
                "INSUFFICIENT_FUNDS"
            } else {
                "FAILED"
            };
            details["error"] = json!({ "description": reason, "status": code });
            Ok(("FAILED".into(), None))
        }
    }
}

async fn step_order(
    tx: &mut Tx,
    movement: &mut MovementRow,
    details: &mut Value,
    outcome: Outcome,
    next_step: Timestamp,
) -> Result<(String, Option<Timestamp>), Refusal> {
    if outcome == Outcome::Fail {
        details["status"] = json!("EXPIRED");
        return Ok(("EXPIRED".into(), None));
    }
    let (status, settle_at) = match (movement.status.as_str(), outcome) {
        ("WAITING_FOR_WALLET_ADDRESS", _) => {
            let currency = Currency::parse(details["cryptocurrency"].as_str().unwrap_or_default());
            let expires_at = Timestamp::now() + Duration::from_secs(30 * 60);
            details["walletAddress"] = json!(ledger::wallet_address(&currency, &movement.id));
            details["expiresAt"] = json!(expires_at.to_text());
            // It waits for the payer (`payer::pay`) until it expires; forced, the next step pays.
            let wake = if outcome == Outcome::Complete {
                next_step
            } else {
                expires_at
            };
            ("WAITING_FOR_PAYMENT", Some(wake))
        }
        ("WAITING_FOR_PAYMENT", Outcome::Complete) => {
            payer::pay_order(tx, movement, details, Payment::Exact, next_step).await?;
            return Ok((movement.status.clone(), movement.settle_at));
        }
        // Nobody paid (all of it) before `expiresAt`.
        ("WAITING_FOR_PAYMENT", _) => ("EXPIRED", None),
        _ => {
            let required = details["requiredConfirmations"].as_u64().unwrap_or(3);
            let seen = details["confirmations"].as_u64().unwrap_or(0) + 1;
            if outcome == Outcome::AsPlanned && seen < required {
                details["confirmations"] = json!(seen);
                details["status"] = json!("WAITING_FOR_CONFIRMATION");
                return Ok(("WAITING_FOR_CONFIRMATION".into(), Some(next_step)));
            }
            details["confirmations"] = json!(required);
            // Settlement in EUR on the partner balance, at the locked amount.
            let lock = store::lock(tx, details["lockId"].as_str().unwrap_or_default()).await?;
            let eur = lock
                .and_then(|l| serde_json::from_str::<Value>(&l.payload).ok())
                .and_then(|p| p["eur"].as_str().and_then(|e| Decimal::from_str(e).ok()))
                .unwrap_or_default();
            ledger::adjust(tx, PARTNER, &Currency::Eur, eur, "order_settlement", &movement.id).await?;
            ("COMPLETED", None)
        }
    };
    details["status"] = json!(status);
    Ok((status.to_owned(), settle_at))
}

/// A payment link at its expiry (or forced): unpaid, it expires; forced complete, the payer pays
/// what is due.
async fn step_link(
    tx: &mut Tx,
    movement: &mut MovementRow,
    details: &mut Value,
    outcome: Outcome,
) -> Result<(String, Option<Timestamp>), Refusal> {
    if !matches!(movement.status.as_str(), "PENDING" | "AWAITING_COMPLETION") {
        return Ok((movement.status.clone(), None));
    }
    if outcome == Outcome::Complete {
        payer::pay_link(tx, movement, details, Payment::Exact).await?;
        return Ok((movement.status.clone(), None));
    }
    details["status"] = json!("EXPIRED");
    let event = json!({ "paymentLinkId": movement.id, "status": "EXPIRED" });
    webhook(tx, Route::PaymentLink, &event).await?;
    Ok(("EXPIRED".into(), None))
}

/// A KYC attempt: PENDING, then VERIFICATION, then the planned (or forced) outcome.
async fn step_kyc(
    tx: &mut Tx,
    movement: &MovementRow,
    outcome: Outcome,
    next_step: Timestamp,
) -> Result<(String, Option<Timestamp>), Refusal> {
    let Some(mut user) = store::user(tx, &movement.owner).await? else {
        return Ok(("DONE".into(), None));
    };
    let (status, settle_at) = if movement.status == "PENDING" && outcome == Outcome::AsPlanned {
        user.attempt_status = Some("VERIFICATION".into());
        ("VERIFICATION", Some(next_step))
    } else {
        let planned = store::take_setting(tx, KYC_NEXT)
            .await?
            .unwrap_or_else(|| "approve".into());
        let approve = match outcome {
            Outcome::Complete => true,
            Outcome::Fail => false,
            Outcome::AsPlanned => !planned.starts_with("reject"),
        };
        if approve {
            user.attempt_status = Some("SUCCESSFUL".into());
            user.verification_status = "VERIFIED".into();
        } else {
            user.attempt_status = Some("REJECTED_BY_PROVIDER".into());
            let reason = planned
                .strip_prefix("reject:")
                .filter(|r| !r.is_empty())
                .unwrap_or("NO_FACE_FOUND");
            user.rejection_reason = Some(reason.to_owned());
        }
        (if approve { "SUCCESSFUL" } else { "REJECTED_BY_PROVIDER" }, None)
    };
    user.updated_at = Timestamp::now();
    store::update_user(tx, &user).await?;
    webhook(tx, Route::KycStatus, &kyc_event(&user)).await?;
    Ok((status.to_owned(), settle_at))
}

async fn deliver_due(sandbox: &Sandbox) -> Result<(), sqlx::Error> {
    let base = sandbox.millis(WEBHOOK_RETRY_BASE_MS, 8_000).await;
    for hook in store::due_webhooks(&sandbox.db, Timestamp::now()).await? {
        if !store::claim_webhook(&sandbox.db, &hook, Timestamp::now() + DELIVERY_LEASE).await? {
            continue;
        }
        let app = sandbox.webhook_base.as_str().trim_end_matches('/');
        let url = match hook.route.as_str() {
            "" => app.to_owned(),
            route => format!("{app}/{route}"),
        };
        let response = sandbox
            .http
            .post(&url)
            .header("authorization", sandbox.webhook_token.expose_secret())
            .header("content-type", "application/json")
            .body(hook.payload.clone())
            .send()
            .await;
        let status = response.as_ref().ok().map(|r| r.status().as_u16());
        let now = Timestamp::now();
        if status.is_some_and(|s| (200..300).contains(&s)) {
            store::record_webhook_attempt(&sandbox.db, &hook.id, status, Some(now), None).await?;
        } else {
            // 2nd try ~8 s after the 1st, then 16, 32, 64; after the 5th P100 gives up.
            let tried = hook.attempts + 1;
            let next = (tried < WEBHOOK_ATTEMPTS).then(|| now + base * (1 << (tried - 1)) as u32);
            tracing::info!(route = %hook.route, ?status, tried, "sandbox webhook not accepted");
            store::record_webhook_attempt(&sandbox.db, &hook.id, status, None, next).await?;
        }
    }
    Ok(())
}
