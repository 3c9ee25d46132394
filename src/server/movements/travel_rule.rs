//! Crypto deposits P100 holds in `WAITING_FOR_TR_DATA` until the partner sends the sender's travel
//! rule data. P100 has no list of deposits: the deposits index (`server::deposits`, kept by the
//! crypto deposit webhooks) is where they are found.

use serde_json::json;

use super::plan::choice;
use crate::domain::audit::Outcome;
use crate::domain::movements::{TravelRuleInput, WaitingDeposit};
use crate::domain::{AppError, FieldErrors, required_text};
use crate::p100::types::{ReceiverType, TravelRuleUpdate, WalletType};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db::{self, Timestamp};
use crate::server::state::AppState;

/// How many held deposits the page lists.
const LIMIT: i64 = 1000;

/// Deposits whose latest event says they wait for travel rule data and for which none was sent yet.
pub async fn waiting(state: &AppState) -> Result<Vec<WaitingDeposit>, AppError> {
    Ok(db::deposits::waiting_for_travel_rule(&state.db, LIMIT)
        .await?
        .into_iter()
        .map(|d| WaitingDeposit {
            id: d.upstream_id,
            user: d.external_user_id,
            currency: d.currency.to_uppercase(),
            amount: d.amount,
            received_at: d.received_at.into(),
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
            db::deposits::set_travel_rule_sent(&state.db, deposit, Timestamp::now()).await?;
            Ok(())
        }
        Err(failure) => Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await),
    }
}
