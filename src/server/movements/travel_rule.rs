//! Crypto deposits P100 holds in `WAITING_FOR_TR_DATA` until the partner sends the sender's travel
//! rule data. P100 has no list of deposits: the crypto deposit webhooks are the index.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::plan::choice;
use crate::domain::audit::Outcome;
use crate::domain::movements::{TravelRuleInput, WaitingDeposit};
use crate::domain::{AppError, FieldErrors, required_text};
use crate::p100::types::{ReceiverType, TravelRuleUpdate, WalletType};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db;
use crate::server::state::AppState;

const WAITING: &str = "WAITING_FOR_TR_DATA";
/// How many deposit events are read to find the waiting ones.
const EVENTS_READ: i64 = 1000;

/// Deposits whose latest event says they wait for travel rule data and for which none was sent yet.
pub async fn waiting(state: &AppState) -> Result<Vec<WaitingDeposit>, AppError> {
    let events = db::webhooks::of_kind(&state.db, "crypto_deposit", EVENTS_READ).await?;
    // Newest first: the first event seen for a deposit is its latest.
    let mut latest: BTreeMap<String, (Value, db::Timestamp)> = BTreeMap::new();
    for event in events {
        let Ok(payload) = serde_json::from_str::<Value>(&event.payload) else {
            continue;
        };
        if let Some(id) = payload.get("cryptoDepositId").and_then(Value::as_str) {
            latest.entry(id.to_owned()).or_insert((payload, event.received_at));
        }
    }
    latest.retain(|_, (p, _)| p.get("status").and_then(Value::as_str) == Some(WAITING));
    let ids: Vec<&str> = latest.keys().map(String::as_str).collect();
    let sent: Vec<String> = if ids.is_empty() {
        Vec::new()
    } else {
        db::audit::about(&state.db, &ids, 10_000)
            .await?
            .into_iter()
            .filter(|r| r.action == "travel_rule.submit" && r.outcome == Outcome::Success.as_str())
            .filter_map(|r| r.target_id)
            .collect()
    };
    let text = |p: &Value, k: &str| match p.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    Ok(latest
        .into_iter()
        .filter(|(id, _)| !sent.contains(id))
        .map(|(id, (p, at))| WaitingDeposit {
            user: p.get("externalUserId").and_then(Value::as_str).map(str::to_owned),
            currency: text(&p, "currency").to_uppercase(),
            amount: text(&p, "amount"),
            received_at: at.into(),
            id,
        })
        .collect())
}

/// Sends the sender's data for a held deposit (audited, with P100's answer).
pub async fn submit(state: &AppState, actor: &Actor, input: &TravelRuleInput) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let deposit = input.deposit_id.trim();
    if deposit.is_empty() {
        errors.add("deposit_id", "Enter the deposit's id.");
    }
    let name = errors.check(
        "name",
        required_text(&input.name, "Enter the sender's full name or company name.", 140),
    );
    let wallet_type = errors.check(
        "wallet_type",
        choice(
            &input.wallet_type,
            WalletType::known,
            "Choose the kind of wallet it came from.",
        ),
    );
    let receiver_type = errors.check(
        "sender_type",
        choice(&input.sender_type, ReceiverType::known, "Choose a person or a company."),
    );
    let (Some(name), Some(wallet_type), Some(receiver_type)) = (name, wallet_type, receiver_type) else {
        return Err(AppError::Invalid(errors));
    };
    errors.into_result(|| ())?;
    let request = TravelRuleUpdate {
        crypto_deposit_id: deposit.to_owned(),
        name,
        wallet_type,
        receiver_type,
    };
    let event = Event::new("travel_rule.submit", Outcome::Success)
        .target("crypto_deposit", deposit)
        .change(None, Some(json!(request)));
    match state.p100.update_travel_rule(&request).await {
        Ok(reply) => {
            let event = event.upstream(&reply.call).reason("P100 accepted the sender's data");
            audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await?;
            Ok(())
        }
        Err(failure) => Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await),
    }
}
