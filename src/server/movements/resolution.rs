//! A person decides what became of a movement whose outcome P100 left unclear and the machine could
//! not settle (`server::recovery`): "this is P100's movement X", picked from the candidates shown, or
//! "P100 never received it", which may be said only once the history around the send was read in
//! full. A second member approves the decision (the four-eyes mechanism, bound to its payload's
//! hash). Nothing is ever sent again.

use serde_json::json;

use super::{Settled, adopt, kind_of, read_upstream, sought};
use crate::domain::AppError;
use crate::domain::approvals::{ApprovalAction, ApprovalView};
use crate::domain::movements::{Decision, MovementStatus, ResolveInput, Unclear};
use crate::server::approvals::{self, NewRequest, Payload, reason_text};
use crate::server::auth::Actor;
use crate::server::db::approvals::ApprovalRecord;
use crate::server::db::movements::{self as store, MovementRecord};
use crate::server::recovery;
use crate::server::state::AppState;

/// The payload's call name: what the executor checks it is running.
const CALL: &str = "movement.resolve";

async fn unknown_movement(state: &AppState, id: &str) -> Result<MovementRecord, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if MovementStatus::parse(&record.status) != Some(MovementStatus::Unknown) {
        return Err(AppError::Refused(format!(
            "Only a movement whose outcome is unknown is decided by a person; this one is {}.",
            record.status
        )));
    }
    Ok(record)
}

/// Asks a second member to approve `input`'s decision about an unknown movement.
pub async fn request(state: &AppState, actor: &Actor, input: &ResolveInput) -> Result<ApprovalView, AppError> {
    let record = unknown_movement(state, input.id.trim()).await?;
    let note = reason_text(&input.note, "Say how you know.").map_err(|m| AppError::field("note", m))?;
    let asked = Decision::from_stored(record.decision.clone(), record.candidates.as_deref());
    let upstream_id = input.upstream_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
    let held = match upstream_id {
        Some(id) => store::upstream_known(&state.db, id).await?,
        None => false,
    };
    let sought = sought(state, &record, kind_of(&record)?);
    let decided = recovery::check_decision(state, asked.as_ref(), upstream_id, held, &sought).await?;
    let view = super::view(record.clone(), None);
    let why = record.decision.clone().or(record.failure.clone()).unwrap_or_default();
    let payload = Payload {
        upstream: json!({ "call": CALL, "movement": record.id, "upstreamId": upstream_id }),
        review: vec![
            (
                "Movement".into(),
                format!("{} of {} to {}", view.kind.label(), view.amount, view.to),
            ),
            ("From".into(), view.from),
            (
                "Sent (UTC)".into(),
                view.submitted_at.map(|t| t.display()).unwrap_or_default(),
            ),
            ("Why it is unclear".into(), why),
            ("Decision".into(), decided),
        ],
    };
    approvals::request(
        state,
        actor,
        NewRequest {
            action: ApprovalAction::Resolve,
            target_kind: "movement",
            target_id: &record.id,
            payload,
            reason: &note,
        },
    )
    .await
}

/// Applies an approved decision: once per approval, and only to a movement still unknown.
pub async fn execute(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), AppError> {
    if payload.upstream["call"] != CALL || payload.upstream["movement"] != approval.target_id.as_str() {
        return Err(AppError::Refused(
            "The payload does not decide the request's movement.".into(),
        ));
    }
    let record = unknown_movement(state, &approval.target_id).await?;
    let decided = format!(
        "decided by {}, approved by {} (approval {})",
        approval.maker_name, actor.staff.name, approval.id
    );
    match payload.upstream["upstreamId"].as_str() {
        Some(upstream_id) => {
            let settled: Settled = read_upstream(state, kind_of(&record)?, upstream_id).await?;
            let why = format!("P100's movement {upstream_id}: {decided}; not sent again");
            adopt(state, &record, upstream_id, &settled, &actor.who(), &why).await
        }
        None => recovery::never_received(state, actor, Unclear::Movement, &record.id, &decided).await,
    }
}
