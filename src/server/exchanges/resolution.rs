//! A person decides what became of an exchange whose finalize P100 answered unclearly and the
//! machine could not settle: "this is P100's exchange X" (one of the candidates shown) or "P100
//! never received it". A second member approves (four-eyes, bound to the payload's hash). The
//! checks on the decision are the movements' own (`recovery::check_decision`).

use serde_json::json;

use super::{adopt, sought, store};
use crate::domain::AppError;
use crate::domain::approvals::{ApprovalAction, ApprovalView};
use crate::domain::exchanges::ExchangeStatus;
use crate::domain::movements::{Decision, ResolveInput, Unclear};
use crate::server::approvals::{self, NewRequest, Payload, reason_text};
use crate::server::auth::Actor;
use crate::server::db::approvals::ApprovalRecord;
use crate::server::db::exchanges::ExchangeRecord;
use crate::server::recovery;
use crate::server::state::AppState;

/// The payload's call name: what the executor checks it is running.
const CALL: &str = "exchange.resolve";

async fn unknown_exchange(state: &AppState, id: &str) -> Result<ExchangeRecord, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if ExchangeStatus::parse(&record.status) != Some(ExchangeStatus::Unknown) {
        return Err(AppError::Refused(format!(
            "Only an exchange whose outcome is unknown is decided by a person; this one is {}.",
            record.status
        )));
    }
    Ok(record)
}

/// Asks a second member to approve `input`'s decision about an unknown exchange.
pub async fn request(state: &AppState, actor: &Actor, input: &ResolveInput) -> Result<ApprovalView, AppError> {
    let record = unknown_exchange(state, input.id.trim()).await?;
    let note = reason_text(&input.note, "Say how you know.").map_err(|m| AppError::field("note", m))?;
    let asked = Decision::from_stored(record.decision.clone(), record.candidates.as_deref());
    let upstream_id = input.upstream_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
    let held = match upstream_id {
        Some(id) => store::upstream_known(&state.db, id).await?,
        None => false,
    };
    let decided = recovery::check_decision(state, asked.as_ref(), upstream_id, held, &sought(state, &record)).await?;
    let view = super::view(record.clone());
    let why = record.decision.clone().or(record.failure.clone()).unwrap_or_default();
    let payload = Payload {
        upstream: json!({ "call": CALL, "exchange": record.id, "upstreamId": upstream_id }),
        review: vec![
            (
                "Exchange".into(),
                format!(
                    "{} to {} for {}",
                    view.amount_from,
                    view.to.code().to_uppercase(),
                    view.holder.label()
                ),
            ),
            (
                "Finalized (UTC)".into(),
                view.finalized_at.map(|t| t.display()).unwrap_or_default(),
            ),
            ("Why it is unclear".into(), why),
            ("Decision".into(), decided),
        ],
    };
    approvals::request(
        state,
        actor,
        NewRequest {
            action: ApprovalAction::ResolveExchange,
            target_kind: "exchange",
            target_id: &record.id,
            payload,
            reason: &note,
        },
    )
    .await
}

/// Applies an approved decision: once per approval, and only to an exchange still unknown.
pub async fn execute(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), AppError> {
    if payload.upstream["call"] != CALL || payload.upstream["exchange"] != approval.target_id.as_str() {
        return Err(AppError::Refused(
            "The payload does not decide the request's exchange.".into(),
        ));
    }
    let record = unknown_exchange(state, &approval.target_id).await?;
    let decided = format!(
        "decided by {}, approved by {} (approval {})",
        approval.maker_name, actor.staff.name, approval.id
    );
    match payload.upstream["upstreamId"].as_str() {
        Some(upstream_id) => {
            let details = state.p100.exchange_details(upstream_id).await?.value;
            let why = format!("P100's exchange {upstream_id}: {decided}; not sent again");
            adopt(state, &record, upstream_id, &details, &actor.who(), &why).await
        }
        None => recovery::never_received(state, actor, Unclear::Exchange, &record.id, &decided).await,
    }
}
