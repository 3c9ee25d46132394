//! A person decides what became of a record whose outcome P100 left unclear and the engine could not
//! settle (`recovery`): "this is P100's X", picked from the candidates shown, or "P100 never
//! received it", which may be said only once the history around the send was read in full. A
//! second member approves the decision (the four-eyes mechanism, bound to its payload's hash).
//! Nothing is ever sent again.

use serde_json::json;

use super::{Sent, recovery};
use crate::domain::AppError;
use crate::domain::approvals::{ApprovalAction, ApprovalView};
use crate::domain::movements::ResolveInput;
use crate::server::approvals::{self, NewRequest, Payload, reason_text};
use crate::server::auth::Actor;
use crate::server::db::approvals::ApprovalRecord;
use crate::server::db::sent::{self, Stage, Status};
use crate::server::state::AppState;

/// The approval action that guards a decision about kind `K`.
pub fn action<K: Sent>() -> ApprovalAction {
    match K::SUBJECT {
        crate::domain::movements::Unclear::Movement => ApprovalAction::Resolve,
        crate::domain::movements::Unclear::Exchange => ApprovalAction::ResolveExchange,
    }
}

/// The payload's call name: what the executor checks it is running.
fn call<K: Sent>() -> String {
    format!("{}.resolve", K::SUBJECT)
}

async fn unknown<K: Sent>(state: &AppState, id: &str) -> Result<K, AppError> {
    let record = sent::find::<K>(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if record.status().stage() != Some(Stage::Unknown) {
        return Err(AppError::Refused(format!(
            "Only a {subject} whose outcome is unknown is decided by a person; this one is {}.",
            record.status(),
            subject = K::SUBJECT,
        )));
    }
    Ok(record)
}

/// Asks a second member to approve `input`'s decision about an unknown record of kind `K`.
pub async fn request<K: Sent>(state: &AppState, actor: &Actor, input: &ResolveInput) -> Result<ApprovalView, AppError> {
    let record = unknown::<K>(state, input.id.trim()).await?;
    let note = reason_text(&input.note, "Say how you know.").map_err(|m| AppError::field("note", m))?;
    let upstream_id = input.upstream_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
    let held = match upstream_id {
        Some(id) => super::upstream_known::<K>(&state.db, id).await?,
        None => false,
    };
    let asked = record.decision();
    let decided = recovery::check_decision(state, asked.as_ref(), upstream_id, held, &record.sought(state)).await?;
    let mut review = record.review();
    review.push(("Why it is unclear".into(), record.unclear_why()));
    review.push(("Decision".into(), decided));
    let payload = Payload {
        upstream: json!({ "call": call::<K>(), K::SUBJECT.as_str(): record.id(), "upstreamId": upstream_id }),
        review,
    };
    approvals::request(
        state,
        actor,
        NewRequest {
            action: action::<K>(),
            target_kind: K::SUBJECT.as_str(),
            target_id: record.id(),
            payload,
            reason: &note,
        },
    )
    .await
}

/// Applies an approved decision: once per approval, and only to a record still unknown.
pub async fn execute<K: Sent>(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), AppError> {
    if payload.upstream["call"] != call::<K>().as_str()
        || payload.upstream[K::SUBJECT.as_str()] != approval.target_id.as_str()
    {
        return Err(AppError::Refused(format!(
            "The payload does not decide the request's {}.",
            K::SUBJECT
        )));
    }
    let record = unknown::<K>(state, &approval.target_id).await?;
    let decided = format!(
        "decided by {}, approved by {} (approval {})",
        approval.maker_name, actor.staff.name, approval.id
    );
    match payload.upstream["upstreamId"].as_str() {
        Some(upstream_id) => {
            let details = record.details(state, upstream_id).await?;
            let why = format!("P100's {} {upstream_id}: {decided}; not sent again", K::SUBJECT);
            if !super::adopt(state, &record, upstream_id, &details, &actor.who(), &actor.meta, &why).await? {
                return Err(AppError::Refused(format!(
                    "{upstream_id} is already another record's here, or the {} is no longer unknown; the decision \
                     was not applied.",
                    K::SUBJECT
                )));
            }
            Ok(())
        }
        None => recovery::never_received::<K>(state, actor, record.id(), &decided).await,
    }
}
