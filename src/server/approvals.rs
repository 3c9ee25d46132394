//! Four-eyes approvals, one mechanism for every guarded action.
//!
//! A maker's request stores the exact payload (the upstream call and what the checker must see) and
//! its SHA-256. A checker who is not the maker approves the hash they were shown; the approval and
//! the checks behind it (not the maker, still pending, same hash) happen in one write transaction.
//! Execution then re-computes the hash from the stored payload and refuses on any difference. Every
//! step is in the audit log.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::audit::{self, Event};
use super::auth::Actor;
use super::db::{self, Db, Timestamp, Tx, approvals::ApprovalRecord};
use super::db::{exchanges::ExchangeRecord, movements::MovementRecord};
use super::error::ExecutionError;
use super::money::resolution;
use super::state::AppState;
use crate::domain::approvals::{
    ApprovalAction, ApprovalInbox, ApprovalQuery, ApprovalStatus, ApprovalView, Decision, PendingApproval,
};
use crate::domain::audit::Outcome;
use crate::domain::{AppError, FieldErrors};

/// What a request will do and what its checker is shown. Stored as JSON; its hash is what is approved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    /// The upstream call, as the executor reads it back.
    pub upstream: Value,
    /// Label and value lines for the checker.
    pub review: Vec<(String, String)>,
}

/// A maker's request for `action` on a target.
pub struct NewRequest<'a> {
    pub action: ApprovalAction,
    pub target_kind: &'static str,
    pub target_id: &'a str,
    pub payload: Payload,
    pub reason: &'a str,
}

pub const REASON_MAX_CHARS: usize = 2000;

/// The most open and decided requests the inbox lists.
const INBOX_LIMIT: i64 = 200;

fn digest(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

fn may_check(actor: &Actor, action: ApprovalAction) -> bool {
    actor.permissions.has_all(action.checker_permissions())
}

fn event(action: &'static str, record: &ApprovalRecord, outcome: Outcome) -> Event {
    Event::new(action, outcome).target("approval", &record.id)
}

/// A request as `actor` sees it.
fn view(record: &ApprovalRecord, actor: &Actor) -> Result<ApprovalView, AppError> {
    let action = record.action;
    let payload: Payload = serde_json::from_str(&record.payload).unwrap_or(Payload {
        upstream: Value::String(record.payload.clone()),
        review: Vec::new(),
    });
    let status = record.status;
    let mine = record.maker_id == actor.staff.id;
    Ok(ApprovalView {
        id: record.id.clone(),
        action,
        target_id: record.target_id.clone(),
        review: payload.review,
        upstream: serde_json::to_string_pretty(&payload.upstream).unwrap_or_default(),
        payload_hash: record.payload_hash.clone(),
        maker: record.maker_name.clone(),
        reason: record.reason.clone(),
        status,
        created_at: record.created_at.into(),
        expires_at: record.expires_at.into(),
        checker: record.checker_name.clone(),
        decided_at: record.decided_at.map(Into::into),
        decision_reason: record.decision_reason.clone(),
        finished_at: record.finished_at.map(Into::into),
        failure: record.failure.clone(),
        mine,
        may_decide: !mine && status == ApprovalStatus::Pending && may_check(actor, action),
    })
}

/// A reason or note as typed: required, trimmed, bounded. `missing` says what to write.
pub fn reason_text(text: &str, missing: &str) -> Result<String, String> {
    crate::domain::required_text(text, missing, REASON_MAX_CHARS)
}

/// Marks every pending request whose time is up as expired, each with its audit row. Runs before
/// anything reads or decides requests, so an expired one is never approved.
pub async fn expire_due(db: &Db) -> Result<(), AppError> {
    let now = Timestamp::now();
    // A read first: most calls find nothing due and should not queue for the write lock.
    if !db::approvals::any_due(db, now).await? {
        return Ok(());
    }
    let mut tx = db::begin_write(db).await?;
    for record in db::approvals::due_to_expire(&mut tx, now).await? {
        if db::approvals::finish(
            &mut tx,
            &record.id,
            ApprovalStatus::Pending,
            ApprovalStatus::Expired,
            None,
            now,
        )
        .await?
        {
            let event = event("approvals.expire", &record, Outcome::Success)
                .reason(format!("not decided by {}", record.expires_at.to_text()));
            audit::record(&mut tx, &audit::Who::system(), &Default::default(), event).await?;
            closed(
                &mut tx,
                &audit::Who::system(),
                &Default::default(),
                &record,
                ApprovalStatus::Expired,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn already_pending(record: &ApprovalRecord) -> AppError {
    AppError::AlreadyPending {
        message: format!(
            "{} is already awaiting approval (asked by {} at {}).",
            record.action.label(),
            record.maker_name,
            crate::domain::UtcTime::from(record.created_at).display()
        ),
        approval_id: record.id.clone(),
    }
}

/// Stores a maker's request; nothing runs until a second person approves it.
pub async fn request(state: &AppState, actor: &Actor, new: NewRequest<'_>) -> Result<ApprovalView, AppError> {
    let db = &state.db;
    expire_due(db).await?;
    let (action, target_kind, target_id) = (new.action, new.target_kind, new.target_id.to_owned());
    if let Some(open) = db::approvals::open_for(db, action, target_kind, &target_id).await? {
        return Err(already_pending(&open));
    }
    let mut tx = db::begin_write(db).await?;
    let id = match request_in(&mut tx, state, actor, new).await {
        Ok(id) => id,
        Err(AppError::Refused(message)) => {
            drop(tx);
            // Another maker's request for the same target committed first.
            return Err(
                match db::approvals::open_for(db, action, target_kind, &target_id).await? {
                    Some(open) => already_pending(&open),
                    None => AppError::Refused(message),
                },
            );
        }
        Err(other) => return Err(other),
    };
    tx.commit().await?;
    let record = db::approvals::find(db, &id).await?.ok_or(AppError::NotFound)?;
    view(&record, actor)
}

/// Stores a maker's request inside the caller's transaction (with what it guards, so the two are
/// recorded together or not at all) and returns its id.
pub async fn request_in(tx: &mut Tx, state: &AppState, actor: &Actor, new: NewRequest<'_>) -> Result<String, AppError> {
    if !actor.permissions.has(new.action.maker_permission()) {
        return Err(AppError::Forbidden);
    }
    let reason = reason_text(new.reason, "Say why.").map_err(|m| AppError::field("note", m))?;
    let action = new.action;
    let payload = serde_json::to_string(&new.payload).map_err(super::error::internal)?;
    let hash = digest(&payload);
    let id = uuid::Uuid::now_v7().to_string();
    let now = Timestamp::now();
    let insert = db::approvals::insert(
        tx,
        &db::approvals::NewApproval {
            id: &id,
            action,
            target_kind: new.target_kind,
            target_id: new.target_id,
            payload: &payload,
            payload_hash: &hash,
            reason: &reason,
            maker_id: &actor.staff.id,
            created_at: now,
            expires_at: now + state.config.approval_ttl,
        },
    )
    .await;
    match insert {
        Err(err) if db::is_unique_violation(&err) => {
            return Err(AppError::Refused("A request for this is already open.".into()));
        }
        other => other?,
    }
    let event = Event::new("approvals.request", Outcome::Success)
        .target("approval", &id)
        .reason(reason.clone())
        .change(
            None,
            Some(actor.stepped_up(
                json!({ "action": action, "target": [new.target_kind, new.target_id], "payload_hash": hash }),
            )),
        );
    audit::record(tx, &actor.who(), &actor.meta, event).await?;
    Ok(id)
}

/// The open request for `action` on a target, for that target's page.
pub async fn pending_for(
    db: &Db,
    action: ApprovalAction,
    target_kind: &str,
    target_id: &str,
) -> Result<Option<PendingApproval>, AppError> {
    expire_due(db).await?;
    Ok(db::approvals::open_for(db, action, target_kind, target_id)
        .await?
        .map(|r| PendingApproval {
            id: r.id,
            action,
            maker: r.maker_name,
            created_at: r.created_at.into(),
        }))
}

/// How many pending requests `staff` may decide: not their own, of actions they may check.
pub async fn awaiting_decision(db: &Db, staff: &db::staff::StaffRecord) -> Result<u32, AppError> {
    let permissions = crate::domain::Permissions::of_roles(&staff.roles);
    let actions: Vec<ApprovalAction> = ApprovalAction::ALL
        .iter()
        .copied()
        .filter(|a| permissions.has_all(a.checker_permissions()))
        .collect();
    if actions.is_empty() {
        return Ok(0);
    }
    let count = db::approvals::count_pending(db, &actions, &staff.id, Timestamp::now()).await?;
    Ok(count.try_into().unwrap_or(u32::MAX))
}

/// The requests `actor` may see: those they made, and those of actions they may decide.
fn visible(record: &ApprovalRecord, actor: &Actor) -> bool {
    record.maker_id == actor.staff.id || may_check(actor, record.action)
}

pub async fn inbox(db: &Db, actor: &Actor, query: &ApprovalQuery) -> Result<ApprovalInbox, AppError> {
    let mut errors = FieldErrors::default();
    let action = match query.action.trim() {
        "" => None,
        text => errors.check(
            "action",
            ApprovalAction::parse(text).ok_or_else(|| "Choose an action from the list.".to_owned()),
        ),
    };
    let created_before = match query.older_than_hours.trim() {
        "" => None,
        text => errors
            .check(
                "older_than_hours",
                text.parse::<u32>()
                    .map_err(|_| "Enter a whole number of hours.".to_owned()),
            )
            .map(|h| Timestamp::now() - std::time::Duration::from_secs(u64::from(h) * 3600)),
    };
    errors.into_result(|| ())?;
    let filter = db::approvals::Filter {
        action,
        maker_id: Some(query.maker.trim().to_owned()).filter(|m| !m.is_empty()),
        created_before,
    };
    expire_due(db).await?;
    let open = db::approvals::list(
        db,
        &filter,
        &[ApprovalStatus::Pending, ApprovalStatus::Approved],
        true,
        INBOX_LIMIT,
    )
    .await?;
    let decided = db::approvals::list(
        db,
        &filter,
        &[
            ApprovalStatus::Executed,
            ApprovalStatus::Failed,
            ApprovalStatus::Rejected,
            ApprovalStatus::Expired,
            ApprovalStatus::Withdrawn,
        ],
        false,
        INBOX_LIMIT,
    )
    .await?;
    let views = |records: Vec<ApprovalRecord>| -> Result<Vec<ApprovalView>, AppError> {
        records
            .iter()
            .filter(|r| visible(r, actor))
            .map(|r| view(r, actor))
            .collect()
    };
    Ok(ApprovalInbox {
        open: views(open)?,
        decided: views(decided)?,
        makers: db::approvals::makers(db).await?,
    })
}

pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<ApprovalView, AppError> {
    expire_due(db).await?;
    let record = db::approvals::find(db, id).await?.ok_or(AppError::NotFound)?;
    if !visible(&record, actor) {
        return Err(AppError::Forbidden);
    }
    view(&record, actor)
}

/// Writes a refused attempt to the audit log on its own and returns the refusal for the page.
async fn refuse(db: &Db, actor: &Actor, event: Event, error: AppError) -> AppError {
    let event = event.outcome(Outcome::Denied).reason(error.to_string());
    match audit::record_alone(db, &actor.who(), &actor.meta, event).await {
        Ok(_) => error,
        Err(err) => err.into(),
    }
}

/// Why `actor` may not make `decision` on `record` now, if they may not: they made it, may not
/// check its action, it is no longer pending, or (approving) its payload is not the one reviewed.
fn why_not(actor: &Actor, record: &ApprovalRecord, action: ApprovalAction, decision: &Decision) -> Option<AppError> {
    if record.maker_id == actor.staff.id {
        return Some(AppError::Refused(
            "You asked for this, so a second person must decide it.".into(),
        ));
    }
    if !may_check(actor, action) {
        return Some(AppError::Forbidden);
    }
    if record.status != ApprovalStatus::Pending {
        return Some(AppError::Refused(format!(
            "This request is no longer awaiting a decision: {}.",
            record.status.label().to_lowercase()
        )));
    }
    match decision {
        Decision::Approve { payload_hash }
            if *payload_hash != record.payload_hash || digest(&record.payload) != record.payload_hash =>
        {
            Some(AppError::Refused(
                "The request is not the one you reviewed (its payload changed). Reload it and review it again.".into(),
            ))
        }
        _ => None,
    }
}

/// A checker approves (and so runs) or rejects a request.
pub async fn decide(state: &AppState, actor: &Actor, id: &str, decision: Decision) -> Result<ApprovalView, AppError> {
    let db = &state.db;
    let reject_reason = match &decision {
        Decision::Reject { reason } => {
            Some(reason_text(reason, "Say why it is rejected.").map_err(|m| AppError::field("reason", m))?)
        }
        Decision::Approve { .. } => None,
    };
    expire_due(db).await?;
    let mut tx = db::begin_write(db).await?;
    let record = db::approvals::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let action = record.action;
    let audit_action = match decision {
        Decision::Approve { .. } => "approvals.approve",
        Decision::Reject { .. } => "approvals.reject",
    };
    let attempt = event(audit_action, &record, Outcome::Success);
    let refusal = why_not(actor, &record, action, &decision);
    if let Some(error) = refusal {
        drop(tx);
        return Err(refuse(db, actor, attempt, error).await);
    }
    let now = Timestamp::now();
    let (status, approved_hash) = match &decision {
        Decision::Approve { payload_hash } => (ApprovalStatus::Approved, Some(payload_hash.as_str())),
        Decision::Reject { .. } => (ApprovalStatus::Rejected, None),
    };
    // Under SQLite's write lock this cannot lose; on PostgreSQL the row count decides who won.
    if !db::approvals::decide(
        &mut tx,
        id,
        status,
        &actor.staff.id,
        approved_hash,
        reject_reason.as_deref(),
        now,
    )
    .await?
    {
        drop(tx);
        let error = AppError::Refused("Someone else decided this request a moment ago.".into());
        return Err(refuse(db, actor, attempt, error).await);
    }
    let attempt = match reject_reason {
        Some(reason) => attempt.reason(reason),
        None => attempt.change(
            None,
            Some(actor.stepped_up(json!({ "payload_hash": record.payload_hash }))),
        ),
    };
    audit::record(&mut tx, &actor.who(), &actor.meta, attempt).await?;
    if matches!(decision, Decision::Reject { .. }) {
        closed(&mut tx, &actor.who(), &actor.meta, &record, ApprovalStatus::Rejected).await?;
    }
    tx.commit().await?;
    if matches!(decision, Decision::Approve { .. }) {
        execute(state, actor, id).await?;
    }
    get(db, actor, id).await
}

/// Runs a request that was approved but never run because the server stopped in between, as its
/// checker decided (the resumption is audited as the system's). The caller makes sure it was not
/// started: for a payout, its movement is still awaiting approval.
pub async fn resume(state: &AppState, id: &str, checker_id: &str) -> Result<(), AppError> {
    let staff = db::staff::find(&state.db, checker_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let checker = Actor::new(staff, Default::default());
    // The checker decided before the stop; they must still be able to decide it now.
    let record = db::approvals::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let still_allowed = !checker.staff.disabled && checker.permissions.has_all(record.action.checker_permissions());
    if !still_allowed {
        let words = format!(
            "Not run: its checker {} is disabled or no longer holds the permission to approve it.",
            checker.staff.name
        );
        return fail_unsent(state, &record, &words).await;
    }
    let event = Event::new("approvals.resume", Outcome::Success)
        .target("approval", id)
        .reason("approved before the server stopped and not yet run: running it now, as its checker decided");
    audit::record_alone(&state.db, &audit::Who::system(), &Default::default(), event).await?;
    execute(state, &checker, id).await
}

/// An approved request that cannot run: it is `failed` with `words`, and a movement waiting for it
/// is cancelled with the same words (nothing was sent), so nothing is left waiting for ever.
async fn fail_unsent(state: &AppState, record: &ApprovalRecord, words: &str) -> Result<(), AppError> {
    let mut tx = db::begin_write(&state.db).await?;
    if db::approvals::finish(
        &mut tx,
        &record.id,
        ApprovalStatus::Approved,
        ApprovalStatus::Failed,
        Some(words),
        Timestamp::now(),
    )
    .await?
    {
        let done = event("approvals.execute", record, Outcome::Failure).reason(words.to_owned());
        audit::record(&mut tx, &audit::Who::system(), &Default::default(), done).await?;
        if record.target_kind == "movement" {
            super::movements::cancel_unsent(
                &mut tx,
                &audit::Who::system(),
                &Default::default(),
                &record.target_id,
                words,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Runs an approved request: only the caller whose decision moved it to `approved` gets here, so it
/// runs once. The stored payload must still hash to what the checker approved.
async fn execute(state: &AppState, actor: &Actor, id: &str) -> Result<(), AppError> {
    let db = &state.db;
    let record = db::approvals::find(db, id).await?.ok_or(AppError::NotFound)?;
    let intact = record.approved_hash.as_deref() == Some(digest(&record.payload).as_str());
    let outcome = match serde_json::from_str::<Payload>(&record.payload) {
        _ if !intact => Err(ExecutionError::Refused(
            "The stored payload no longer matches the approved one; nothing was sent.".into(),
        )),
        Err(err) => Err(ExecutionError::Refused(format!(
            "The stored payload cannot be read ({err}); nothing was sent."
        ))),
        Ok(payload) => run(state, actor, &record, &payload).await,
    };
    let now = Timestamp::now();
    let mut tx = db::begin_write(db).await?;
    // Sent with an unclear answer is executed: what was sent is followed on its own record.
    let (to, result) = match &outcome {
        Ok(()) | Err(ExecutionError::MaybeSent(_)) => (ApprovalStatus::Executed, Outcome::Success),
        Err(_) => (ApprovalStatus::Failed, Outcome::Failure),
    };
    let failure = match &outcome {
        Err(err @ (ExecutionError::Refused(_) | ExecutionError::Internal { .. })) => Some(err.to_string()),
        _ => None,
    };
    if !db::approvals::finish(&mut tx, id, ApprovalStatus::Approved, to, failure.as_deref(), now).await? {
        // Only the caller whose decision approved it runs it, so this should never happen.
        tracing::error!(approval = %id, %to, "a request that ran was no longer approved when its result was recorded");
    }
    let mut done = event("approvals.execute", &record, result);
    if let Err(err) = &outcome {
        done = done.reason(err.to_string());
    }
    audit::record(&mut tx, &actor.who(), &actor.meta, done).await?;
    // A movement the failed run never sent is cancelled with the reason, not left waiting for an
    // approval that is over (one that was sent keeps the state its answer gave it).
    if let (Some(failure), "movement") = (&failure, record.target_kind.as_str()) {
        super::movements::cancel_unsent(&mut tx, &actor.who(), &actor.meta, &record.target_id, failure).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs what an approved request guards.
async fn run(
    state: &AppState,
    actor: &Actor,
    record: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), ExecutionError> {
    match record.action {
        ApprovalAction::UserDelete => Ok(super::users::lifecycle::execute_delete(state, actor, record, payload).await?),
        ApprovalAction::Payout | ApprovalAction::Transfer => {
            super::movements::execute_approved(state, actor, record, payload).await
        }
        ApprovalAction::Resolve => Ok(resolution::execute::<MovementRecord>(state, actor, record, payload).await?),
        ApprovalAction::ResolveExchange => {
            Ok(resolution::execute::<ExchangeRecord>(state, actor, record, payload).await?)
        }
        ApprovalAction::Thresholds => Ok(super::settings::execute_thresholds(state, actor, record, payload).await?),
    }
}

/// The maker takes back a request nobody has decided yet.
pub async fn withdraw(db: &Db, actor: &Actor, id: &str) -> Result<ApprovalView, AppError> {
    expire_due(db).await?;
    let mut tx = db::begin_write(db).await?;
    let record = db::approvals::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let attempt = event("approvals.withdraw", &record, Outcome::Success);
    let refusal = if record.maker_id != actor.staff.id {
        Some(AppError::Refused(
            "Only the member who asked can withdraw a request.".into(),
        ))
    } else if !db::approvals::finish(
        &mut tx,
        id,
        ApprovalStatus::Pending,
        ApprovalStatus::Withdrawn,
        None,
        Timestamp::now(),
    )
    .await?
    {
        Some(AppError::Refused(
            "This request is no longer awaiting a decision.".into(),
        ))
    } else {
        None
    };
    if let Some(error) = refusal {
        drop(tx);
        return Err(refuse(db, actor, attempt, error).await);
    }
    audit::record(&mut tx, &actor.who(), &actor.meta, attempt).await?;
    closed(&mut tx, &actor.who(), &actor.meta, &record, ApprovalStatus::Withdrawn).await?;
    tx.commit().await?;
    get(db, actor, id).await
}

/// What the end of an undecided request means for what it guarded: a payout that will not be sent
/// is recorded as such, in the same transaction.
async fn closed(
    tx: &mut Tx,
    who: &audit::Who,
    meta: &audit::RequestMeta,
    record: &ApprovalRecord,
    status: ApprovalStatus,
) -> Result<(), AppError> {
    match record.action {
        // A decision nobody approved leaves the movement unknown, waiting for a person.
        ApprovalAction::UserDelete
        | ApprovalAction::Resolve
        | ApprovalAction::ResolveExchange
        | ApprovalAction::Thresholds => Ok(()),
        ApprovalAction::Payout | ApprovalAction::Transfer => {
            super::movements::approval_closed(tx, who, meta, &record.target_id, status).await
        }
    }
}
