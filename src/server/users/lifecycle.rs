//! The account lifecycle: suspend and unsuspend take effect at once (speed matters when fraud is
//! suspected), bulk suspend reports per user, and delete waits for a second person
//! (`server::approvals`) because it cannot be undone.

use futures::StreamExt;
use serde_json::json;

use super::{find, live_user, set_status};
use crate::domain::approvals::{ApprovalAction, ApprovalView};
use crate::domain::audit::Outcome;
use crate::domain::balances::Holder;
use crate::domain::money::display;
use crate::domain::users::{
    AccountState, BULK_MAX, BulkOutcome, DeleteInput, KycState, SuspendInput, SuspendReason, mask_email,
};
use crate::domain::{AppError, FieldErrors};
use crate::server::approvals::{self, NewRequest, Payload, reason_text};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db::users::Followed;
use crate::server::db::{self, Timestamp, Tx, approvals::ApprovalRecord};
use crate::server::state::AppState;

/// Bulk actions call P100 this many at a time: fast for a list of fifty, gentle on the API.
const BULK_CONCURRENCY: usize = 4;

fn parse_suspend(input: &SuspendInput) -> Result<(SuspendReason, String), AppError> {
    let mut errors = FieldErrors::default();
    let reason = errors.check(
        "reason",
        SuspendReason::parse(input.reason.trim()).ok_or_else(|| "Choose a reason.".to_owned()),
    );
    let note = errors.check("note", reason_text(&input.note, "Write what happened."));
    match (reason, note) {
        (Some(reason), Some(note)) => Ok((reason, note)),
        _ => Err(AppError::Invalid(errors)),
    }
}

pub async fn suspend(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    input: &SuspendInput,
) -> Result<(), AppError> {
    let (reason, note) = parse_suspend(input)?;
    suspend_checked(state, actor, external_user_id, reason, &note).await
}

async fn suspend_checked(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    reason: SuspendReason,
    note: &str,
) -> Result<(), AppError> {
    let user = live_user(&state.db, external_user_id).await?;
    if user.account_status == AccountState::Suspended.as_str() {
        return Err(AppError::Refused("The account is already suspended.".into()));
    }
    let why = format!("{}: {note}", reason.label());
    let event = Event::new("users.suspend", Outcome::Success)
        .target("user", external_user_id)
        .reason(why.clone())
        .change(
            Some(json!({ "status": user.account_status })),
            Some(json!({ "status": AccountState::Suspended.as_str(), "reason": reason.as_str() })),
        );
    let reply = match state.p100.suspend_user(external_user_id).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let tx = db::begin_write(&state.db).await?;
    record_account_change(
        tx,
        actor,
        external_user_id,
        AccountState::Suspended,
        why,
        event.upstream(&reply.call),
    )
    .await
}

/// Commits a staff account change P100 accepted: the new status with its reason in the user's
/// history, and its audit row, together in `tx`.
async fn record_account_change(
    mut tx: Tx,
    actor: &Actor,
    external_user_id: &str,
    status: AccountState,
    detail: String,
    event: Event,
) -> Result<(), AppError> {
    set_status(
        &mut tx,
        external_user_id,
        Followed::Account,
        status.as_str(),
        "staff",
        Some(detail),
    )
    .await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn unsuspend(state: &AppState, actor: &Actor, external_user_id: &str, note: &str) -> Result<(), AppError> {
    let note = reason_text(note, "Write what the review found.").map_err(|m| AppError::field("note", m))?;
    let user = live_user(&state.db, external_user_id).await?;
    if user.account_status != AccountState::Suspended.as_str() {
        return Err(AppError::Refused("The account is not suspended.".into()));
    }
    // What P100 returns the account to: active once KYC verified it, else still waiting.
    let next = if user.kyc() == KycState::Verified {
        AccountState::Active
    } else {
        AccountState::WaitingForActivation
    };
    let event = Event::new("users.unsuspend", Outcome::Success)
        .target("user", external_user_id)
        .reason(note.clone())
        .change(
            Some(json!({ "status": user.account_status })),
            Some(json!({ "status": next.as_str() })),
        );
    let reply = match state.p100.unsuspend_user(external_user_id).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let tx = db::begin_write(&state.db).await?;
    let detail = format!("Review: {note}");
    record_account_change(tx, actor, external_user_id, next, detail, event.upstream(&reply.call)).await
}

/// Suspends each user on its own (each audited on its own) and says per user what happened.
pub async fn bulk_suspend(
    state: &AppState,
    actor: &Actor,
    external_user_ids: &[String],
    input: &SuspendInput,
) -> Result<Vec<BulkOutcome>, AppError> {
    let (reason, note) = parse_suspend(input)?;
    let mut ids: Vec<String> = Vec::with_capacity(external_user_ids.len());
    for id in external_user_ids.iter().map(|id| id.trim()) {
        if !id.is_empty() && !ids.iter().any(|seen| seen == id) {
            ids.push(id.to_owned());
        }
    }
    match ids.len() {
        0 => return Err(AppError::field("users", "Select at least one user.")),
        n if n > BULK_MAX => {
            return Err(AppError::field(
                "users",
                format!("Select at most {BULK_MAX} users at once."),
            ));
        }
        _ => {}
    }
    let note = &note;
    let outcomes = futures::stream::iter(ids)
        .map(|id: String| async move {
            let name = match find(&state.db, &id).await {
                Ok(user) => format!("{} {}", user.first_name, user.last_name),
                Err(_) => String::new(),
            };
            let result = suspend_checked(state, actor, &id, reason, note).await;
            BulkOutcome {
                external_user_id: id,
                name,
                ok: result.is_ok(),
                message: result.map_or_else(|e| e.to_string(), |()| "Suspended".to_owned()),
            }
        })
        .buffered(BULK_CONCURRENCY)
        .collect()
        .await;
    Ok(outcomes)
}

/// The user's non-zero balances as P100 reports them now, in words ("12.50 EUR"). A user whose
/// balances are not open yet holds nothing.
async fn held_funds(state: &AppState, external_user_id: &str) -> Result<Vec<String>, AppError> {
    let holder = Holder::User(external_user_id.to_owned());
    let balances = crate::server::balances::live_balances(state, &holder).await?;
    let fiat = balances.fiat_balances.into_iter().map(|b| (b.amount, b.name));
    let crypto = balances.crypto_balances.into_iter().map(|b| (b.amount, b.name));
    Ok(fiat
        .chain(crypto)
        .filter(|(amount, _)| !amount.get().is_zero())
        .map(|(amount, currency)| display(amount, &currency))
        .collect())
}

fn refuse_funded(held: &[String]) -> Result<(), AppError> {
    if held.is_empty() {
        return Ok(());
    }
    Err(AppError::Refused(format!(
        "The user still holds {}. P100 deletes a user only when every balance is zero: withdraw the funds first.",
        held.join(", ")
    )))
}

/// Refuses while any of the user's payouts, transfers or exchanges is not final: deleting the user
/// then could strand money P100 is still moving.
async fn refuse_unsettled(state: &AppState, external_user_id: &str) -> Result<(), AppError> {
    let movements = db::movements::unsettled_for_user(&state.db, external_user_id).await?;
    let exchanges = db::exchanges::unsettled_for_user(&state.db, external_user_id, Timestamp::now()).await?;
    if movements.is_empty() && exchanges.is_empty() {
        return Ok(());
    }
    let listed = movements
        .iter()
        .map(|id| format!("payout {id}"))
        .chain(exchanges.iter().map(|id| format!("exchange {id}")))
        .collect::<Vec<_>>()
        .join(", ");
    Err(AppError::Refused(format!(
        "Money of this user is still moving ({listed}). Wait until each is completed, failed or cancelled, \
         then ask again."
    )))
}

/// Asks for the user's deletion: checks the typed email and that every balance is zero, then
/// stores the request for a second person. Nothing is sent to P100 here.
pub async fn request_delete(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    input: &DeleteInput,
) -> Result<ApprovalView, AppError> {
    let user = live_user(&state.db, external_user_id).await?;
    let mut errors = FieldErrors::default();
    if !input.confirm_email.trim().eq_ignore_ascii_case(&user.email) {
        errors.add("confirm_email", "Type the user's email exactly as it is on file.");
    }
    errors.check("note", reason_text(&input.note, "Say why the user is deleted."));
    errors.into_result(|| ())?;
    refuse_unsettled(state, external_user_id).await?;
    refuse_funded(&held_funds(state, external_user_id).await?)?;
    let name = format!("{} {}", user.first_name, user.last_name);
    let payload = Payload {
        upstream: json!({ "call": "user.delete", "method": "DELETE", "externalUserId": external_user_id }),
        review: vec![
            ("User".into(), name),
            ("External id".into(), external_user_id.to_owned()),
            ("P100 id".into(), user.p100_user_id.clone().unwrap_or_default()),
            ("Email".into(), mask_email(&user.email)),
            ("KYC".into(), user.kyc().label().to_owned()),
            (
                "Account".into(),
                crate::domain::users::account_label(&user.account_status),
            ),
            (
                "Balances".into(),
                format!(
                    "all zero when asked ({}); checked again before deleting",
                    crate::domain::UtcTime::from(Timestamp::now()).display()
                ),
            ),
            (
                "Effect".into(),
                "Deleted at P100 (irreversible); personal data erased here, history and audit kept".into(),
            ),
        ],
    };
    let new = NewRequest {
        action: ApprovalAction::UserDelete,
        target_kind: "user",
        target_id: external_user_id,
        payload,
        reason: &input.note,
    };
    approvals::request(state, actor, new).await
}

/// Runs an approved deletion: balances checked again, the user deleted at P100, then their
/// personal data erased here (the row, its P100 id, status and history stay).
pub async fn execute_delete(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), AppError> {
    let external_user_id = payload.upstream["externalUserId"].as_str().unwrap_or_default();
    if payload.upstream["call"] != "user.delete" || external_user_id != approval.target_id {
        return Err(AppError::Refused(
            "The payload does not delete the request's user.".into(),
        ));
    }
    let user = live_user(&state.db, external_user_id).await?;
    refuse_unsettled(state, external_user_id).await?;
    refuse_funded(&held_funds(state, external_user_id).await?)?;
    let event = Event::new("users.delete", Outcome::Success)
        .target("user", external_user_id)
        .reason(approval.reason.clone())
        .change(
            Some(json!({ "status": user.account_status })),
            Some(json!({ "status": AccountState::Deleted.as_str(), "approval": approval.id, "maker": approval.maker_name })),
        );
    let reply = match state.p100.delete_user(external_user_id).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    db::users::erase(&mut tx, external_user_id, Timestamp::now()).await?;
    let detail = format!(
        "Deleted at P100 and personal data erased; asked by {}, approved by {}",
        approval.maker_name, actor.staff.name
    );
    record_account_change(
        tx,
        actor,
        external_user_id,
        AccountState::Deleted,
        detail,
        event.upstream(&reply.call),
    )
    .await
}
