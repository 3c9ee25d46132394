//! SEPA payouts, crypto withdrawals and partner <-> user transfers: reviewed, recorded with their
//! audit row before P100 is called, sent once, approved by a second member above the currency's
//! threshold, and followed until P100 settles them.
//!
//! Never paid twice: a submission carries its review's key, and the key is unique in the table, so
//! a double click, a browser retry or a second tab records one movement. Sending is a conditional
//! update to `submitting` that one caller wins. A call that got no answer (timeout, 5xx, crash)
//! leaves the movement `unknown`, and it is then found in the payer's P100 history and confirmed by
//! the details endpoint: it is never sent again.

pub mod plan;
pub mod travel_rule;

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use self::plan::{Plan, Upstream};
use super::approvals::{self as approvals, NewRequest, Payload};
use super::audit::{self, Event, RequestMeta, Who};
use super::auth::Actor;
use super::background;
use super::db::approvals::ApprovalRecord;
use super::db::movements::{self as store, ListFilter, MovementRecord, NewMovement};
use super::db::sent::{self, Change, Stage, Status, Transition};
use super::db::{self, Db, Timestamp, Tx};
use super::error::ExecutionError;
use super::money::recovery::Sought;
use super::money::{self, Actions, Answer, FOLLOW_BATCH, Sent, Settled, Settlement};
use super::state::AppState;
use crate::domain::approvals::{ApprovalAction, ApprovalStatus};
use crate::domain::audit::{AuditEntryView, Outcome};
use crate::domain::balances::Holder;
use crate::domain::destinations::comparable;
use crate::domain::money::{Currency, display};
use crate::domain::movements::{
    Decision, Direction, MovementApproval, MovementDetail, MovementFilter, MovementInput, MovementKind, MovementList,
    MovementStatus, MovementView, NEEDS_DECISION, PayoutContext, Review, Unclear,
};
use crate::domain::{AppError, FieldErrors, Permission};
use crate::p100::types::MovementStatus as Upstate;

/// How many movements the list shows.
const LIST_LIMIT: i64 = 200;
/// Longer than resuming an approved payout can take (P100's timeout and the follow-up read).
const RESUME_LEASE: Duration = Duration::from_secs(600);

/// What a member must hold to make a movement of `kind`.
pub fn maker_permission(kind: MovementKind) -> Permission {
    match kind {
        MovementKind::Sepa | MovementKind::Crypto => Permission::PayoutsCreate,
        MovementKind::Transfer => Permission::TransfersCreate,
    }
}

fn approval_action(kind: MovementKind) -> ApprovalAction {
    match kind {
        MovementKind::Sepa | MovementKind::Crypto => ApprovalAction::Payout,
        MovementKind::Transfer => ApprovalAction::Transfer,
    }
}

/// `Some(threshold text)` when `plan` must wait for a second member: its amount is above the
/// currency's threshold, or is with the payer's other movements to the same destination within
/// `APPROVAL_WINDOW`, so splitting a payment does not walk around four-eyes.
async fn approval_above(state: &AppState, plan: &Plan) -> Result<Option<String>, AppError> {
    let Some(limit) = super::settings::threshold(&state.db, &plan.currency).await? else {
        return Ok(Some(format!(
            "any amount (no {} threshold is set)",
            plan.currency.code().to_uppercase()
        )));
    };
    if plan.amount > limit {
        return Ok(Some(plan.money(limit)));
    }
    let window = state.config.approval_window;
    let earlier = store::recent_to_destination(
        &state.db,
        &store::Destination {
            kind: plan.kind,
            user: plan.user.as_deref(),
            direction: plan.direction,
            currency: plan.currency.code(),
            destination: &plan.destination,
        },
        Timestamp::now() - window,
    )
    .await?;
    let total = earlier
        .iter()
        .filter_map(|a| a.parse::<Decimal>().ok())
        .fold(plan.amount, |sum, a| sum + a);
    Ok((total > limit).then(|| {
        format!(
            "{} with the {} earlier movement{} to this destination in the last {} ({} in all)",
            plan.money(limit),
            earlier.len(),
            if earlier.len() == 1 { "" } else { "s" },
            humantime::format_duration(window),
            plan.money(total)
        )
    }))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// What submitting `input` would send, with its fee and whether a second member must approve it.
/// Reads P100 (balances, network fee), records nothing.
pub async fn review(state: &AppState, input: &MovementInput) -> Result<Review, AppError> {
    let plan = plan::plan(state, input).await?;
    Ok(Review {
        kind: plan.kind,
        request: pretty(&plan.request.to_json()),
        approval_above: approval_above(state, &plan).await?,
        key: uuid::Uuid::new_v4().to_string(),
        lines: plan.lines,
    })
}

/// What the forms need to offer: the holder's balances, networks, SEPA contacts and deposit info.
pub async fn context(state: &AppState, holder: &Holder) -> Result<PayoutContext, AppError> {
    let balances = super::balances::live_balances(state, holder).await?;
    let (contacts, deposit) = match holder {
        Holder::Partner => tokio::join!(
            state.p100.partner_sepa_contacts(),
            state.p100.partner_sepa_deposit_info()
        ),
        Holder::User(id) => tokio::join!(state.p100.user_sepa_contacts(id), state.p100.user_sepa_deposit_info(id)),
    };
    Ok(PayoutContext {
        holder: holder.clone(),
        available: balances
            .amounts()
            .map(|(c, a)| (c.code().to_owned(), display(a, c)))
            .collect(),
        networks: plan::network_choices(&balances),
        // Both are extras on the form: without them (a user with no IBAN yet) it still works.
        contacts: contacts
            .map(|r| r.value.into_iter().map(|c| (c.name, c.iban)).collect())
            .unwrap_or_default(),
        deposit: deposit.ok().map(|r| crate::domain::movements::DepositInfo {
            iban: r.value.iban,
            reference: r.value.title,
            bic: r.value.swift,
            holder: r.value.account_holder,
        }),
    })
}

/// Records the movement under `key` and sends it, or asks a second member first when it is above
/// the threshold. The same key again returns the movement already recorded: nothing is sent twice.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    input: &MovementInput,
    key: &str,
) -> Result<MovementDetail, AppError> {
    let key = uuid::Uuid::parse_str(key.trim())
        .map_err(|_| AppError::BadRequest("the review's key is not a key".into()))?
        .to_string();
    if let Some(existing) = store::find_by_key(&state.db, &key).await? {
        return again(state, actor, existing).await;
    }
    let plan = plan::plan(state, input).await?;
    let above = approval_above(state, &plan).await?;
    let id = match record(state, actor, &plan, above.as_deref(), &key).await? {
        Recorded::New(id) => id,
        Recorded::Already(existing) => return again(state, actor, *existing).await,
    };
    if above.is_none() {
        let record = store::find(&state.db, &id).await?.ok_or(AppError::NotFound)?;
        // A refusal is recorded on the movement; its page shows P100's words and code.
        if let Answer::Refused(failure) = dispatch(state, &actor.who(), &actor.meta, &record).await? {
            tracing::info!(%id, error = %failure.error, "movement refused by P100");
        }
    }
    detail(state, actor, &id).await
}

/// What recording a submission did.
enum Recorded {
    /// Recorded now, with this id.
    New(String),
    /// The same review submitted twice at once: the first one recorded it.
    Already(Box<MovementRecord>),
}

/// Records `plan` under `key` with its audit row, `submitting`, or `awaiting_approval` with its
/// four-eyes request when it is `above` the threshold: all in one transaction, before anything is
/// sent.
async fn record(
    state: &AppState,
    actor: &Actor,
    plan: &Plan,
    above: Option<&str>,
    key: &str,
) -> Result<Recorded, AppError> {
    let id = uuid::Uuid::now_v7().to_string();
    let body = plan.request.to_json();
    let details = body.to_string();
    let amount = plan.money(plan.amount);
    let now = Timestamp::now();
    let status = match above {
        Some(_) => MovementStatus::AwaitingApproval,
        None => MovementStatus::Submitting,
    };
    let new = NewMovement {
        id: &id,
        kind: plan.kind,
        external_user_id: plan.user.as_deref(),
        direction: plan.direction,
        currency: plan.currency.code(),
        amount: &plan.amount.to_string(),
        fee: &plan.fee.to_string(),
        network: plan.network.as_deref(),
        destination: &plan.destination,
        beneficiary: plan.beneficiary.as_deref(),
        bic: plan.bic.as_deref(),
        reference: plan.reference.as_deref(),
        details: &details,
        idempotency_key: key,
        status,
        created_by: &actor.staff.id,
        created_at: now,
        submitted_at: above.is_none().then_some(now),
    };
    let summary = format!("{} {amount} to {}", plan.kind.label(), plan.destination);
    let mut tx = db::begin_write(&state.db).await?;
    if let Err(err) = store::insert(&mut tx, &new).await {
        drop(tx);
        if db::is_unique_violation(&err)
            && let Some(existing) = store::find_by_key(&state.db, key).await?
        {
            return Ok(Recorded::Already(Box::new(existing)));
        }
        return Err(err.into());
    }
    let fee = display(plan.fee.into(), &plan.currency);
    let event = Event::new("payouts.submit", Outcome::Success)
        .target("movement", id.clone())
        .reason(match above {
            Some(limit) => format!("{summary}; above {limit}, so it waits for a second member"),
            None => format!("{summary}; sending to P100"),
        })
        .change(
            None,
            Some(json!({ "status": status, "amount": amount, "fee": fee, "request": body, "key": key })),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    if let Some(limit) = above {
        let mut review = plan.lines.clone();
        review.push(("Approval needed".to_owned(), format!("above {limit}")));
        let request = NewRequest {
            action: approval_action(plan.kind),
            target_kind: "movement",
            target_id: &id,
            payload: Payload {
                upstream: json!({ "movement": id, "kind": plan.kind, "request": body }),
                review,
            },
            reason: &summary,
        };
        let approval_id = approvals::request_in(&mut tx, state, actor, request).await?;
        store::set_approval(&mut tx, &id, &approval_id).await?;
    }
    tx.commit().await?;
    Ok(Recorded::New(id))
}

/// A submission whose key was already used: the same member retrying gets the movement back.
async fn again(state: &AppState, actor: &Actor, existing: MovementRecord) -> Result<MovementDetail, AppError> {
    if existing.created_by != actor.staff.id {
        return Err(AppError::Refused(
            "This review was already submitted by someone else. Start a new one.".into(),
        ));
    }
    detail(state, actor, &existing.id).await
}

/// Sends a movement that is `submitting` (this caller moved it there) and records P100's answer
/// (`money::answer`).
async fn dispatch(
    state: &AppState,
    who: &Who,
    meta: &RequestMeta,
    record: &MovementRecord,
) -> Result<Answer, AppError> {
    let request = Upstream::from_json(record.kind, &record.details).map_err(super::error::internal)?;
    let reply = match &request {
        Upstream::Sepa(r) => state.p100.sepa_transfer(r).await.map(|r| (r.value.transfer_id, r.call)),
        Upstream::Crypto(r) => state
            .p100
            .crypto_withdrawal(r)
            .await
            .map(|r| (r.value.withdrawal_id, r.call)),
        Upstream::Transfer(r) => state
            .p100
            .internal_transfer(r)
            .await
            .map(|r| (r.value.transfer_id, r.call)),
    };
    let event = Event::new("payouts.send", Outcome::Success).target("movement", record.id.clone());
    money::answer::<MovementRecord>(state, who, meta, &record.id, event, reply).await
}

/// Sends an approved movement: reached once per approval. The approved payload must be the
/// movement's recorded request, byte for byte in meaning.
pub async fn execute_approved(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), ExecutionError> {
    let refused = |words: &str| ExecutionError::Refused(words.to_owned());
    let record = store::find(&state.db, &approval.target_id)
        .await?
        .ok_or_else(|| refused("The movement this approval is for no longer exists; nothing was sent."))?;
    let recorded: Value = serde_json::from_str(&record.details).map_err(super::error::internal)?;
    if payload.upstream.get("request") != Some(&recorded) {
        return Err(refused(
            "The approved request differs from the recorded movement; nothing was sent.",
        ));
    }
    let (from, to) = (MovementStatus::AwaitingApproval, MovementStatus::Submitting);
    let mut tx = db::begin_write(&state.db).await?;
    let change = Change::default().set_time("submitted_at", Timestamp::now());
    match sent::transition(&mut tx, &record.id, from, to, &change).await {
        Err(Transition::Elsewhere(_)) => {
            return Err(ExecutionError::Refused(format!(
                "The movement is {}, not awaiting approval; nothing was sent.",
                record.status.label().to_lowercase()
            )));
        }
        moved => moved.map_err(AppError::from)?,
    }
    let event = Event::new("payouts.approved", Outcome::Success)
        .target("movement", record.id.clone())
        .reason(format!("approval {} granted; sending to P100", approval.id))
        .change(Some(json!({ "status": from })), Some(json!({ "status": to })));
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    match dispatch(state, &actor.who(), &actor.meta, &record).await? {
        Answer::Accepted => Ok(()),
        Answer::Unclear => Err(ExecutionError::MaybeSent(
            "Sent, but P100's answer did not say whether it was made; the movement is followed as outcome unknown."
                .into(),
        )),
        Answer::Refused(failure) => Err(ExecutionError::Refused(AppError::from(failure).to_string())),
    }
}

/// A movement's approval ended without approval (rejected, withdrawn, expired): it is not sent.
pub async fn approval_closed(
    tx: &mut Tx,
    who: &Who,
    meta: &RequestMeta,
    movement_id: &str,
    status: ApprovalStatus,
) -> Result<(), AppError> {
    let words = format!("Not sent: the approval was {}.", status.label().to_lowercase());
    cancel_unsent(tx, who, meta, movement_id, &words).await
}

/// Cancels a movement still waiting for its approval, with why (audited); nothing was sent. A
/// movement no longer waiting is left as it is.
pub async fn cancel_unsent(
    tx: &mut Tx,
    who: &Who,
    meta: &RequestMeta,
    movement_id: &str,
    words: &str,
) -> Result<(), AppError> {
    let (from, to) = (MovementStatus::AwaitingApproval, MovementStatus::Cancelled);
    let change = Change::default().failure(words);
    if Transition::or_elsewhere(sent::transition(tx, movement_id, from, to, &change).await)? {
        let event = Event::new("payouts.cancel", Outcome::Success)
            .target("movement", movement_id)
            .reason(words.to_owned())
            .change(Some(json!({ "status": from })), Some(json!({ "status": to })));
        audit::record(tx, who, meta, event).await?;
    }
    Ok(())
}

/// What P100's details say about a movement.
pub struct Details {
    pub status: Upstate,
    fee: Option<Decimal>,
    failure: Option<String>,
    pub amount: Decimal,
    pub currency: Currency,
    /// IBAN, address, or the transfer's `(source, destination)` user ids joined by `>`.
    destination: String,
    /// The SEPA transfer title, when P100 gives it.
    reference: Option<String>,
}

/// Reads a movement's details at P100.
pub(crate) async fn read_upstream(
    state: &AppState,
    kind: MovementKind,
    upstream_id: &str,
) -> Result<Details, crate::p100::Failure> {
    let p100 = &state.p100;
    let failure = |e: Option<crate::p100::types::UpstreamFailure>| {
        e.map(|e| {
            let words = e.description.unwrap_or_else(|| "no reason given".into());
            match e.status {
                Some(code) => format!("{words} ({code})"),
                None => words,
            }
        })
    };
    Ok(match kind {
        MovementKind::Sepa => {
            let d = p100.sepa_transfer_details(upstream_id).await?.value;
            Details {
                status: d.status,
                fee: d.fee.map(|f| f.0.get()),
                failure: failure(d.error),
                amount: d.amount.get(),
                currency: d.currency,
                destination: d.destination_iban.unwrap_or_default(),
                reference: d.transfer_title,
            }
        }
        MovementKind::Crypto => {
            let d = p100.crypto_withdrawal_details(upstream_id).await?.value;
            Details {
                failure: (d.status == Upstate::Failed).then(|| "P100 reports the withdrawal FAILED.".to_owned()),
                status: d.status,
                fee: d.fee.map(|f| f.get()),
                amount: d.amount.get(),
                currency: d.currency,
                destination: d.wallet_address,
                reference: None,
            }
        }
        MovementKind::Transfer => {
            let d = p100.internal_transfer_details(upstream_id).await?.value;
            Details {
                status: d.status,
                fee: None,
                failure: failure(d.error),
                amount: d.amount.get(),
                currency: d.currency,
                destination: transfer_parties(
                    d.source_external_user_id.as_deref(),
                    d.destination_external_user_id.as_deref(),
                ),
                reference: None,
            }
        }
    })
}

fn transfer_parties(source: Option<&str>, destination: Option<&str>) -> String {
    format!("{}>{}", source.unwrap_or("partner"), destination.unwrap_or("partner"))
}

/// Where the movement's request sends money, in the form `Details::destination` has.
fn requested_destination(request: &Upstream) -> String {
    match request {
        Upstream::Sepa(r) => r.destination_iban.clone(),
        Upstream::Crypto(r) => r.wallet_address.clone(),
        Upstream::Transfer(r) => transfer_parties(
            r.source_external_user_id.as_deref(),
            r.destination_external_user_id.as_deref(),
        ),
    }
}

/// The payer's balance: who P100 takes the money from.
fn payer(record: &MovementRecord) -> Holder {
    match record.direction {
        Some(Direction::ToUser) => Holder::Partner,
        _ => Holder::from_param(record.external_user_id.clone()),
    }
}

/// The history entry type P100 gives each kind (INFERRED, like the history's shape).
fn history_kind(kind: MovementKind) -> &'static str {
    match kind {
        MovementKind::Sepa => "sepa_transfer",
        MovementKind::Crypto => "crypto_withdrawal",
        MovementKind::Transfer => "internal_transfer",
    }
}

impl Sent for MovementRecord {
    type Details = Details;
    const SUBJECT: Unclear = Unclear::Movement;
    const NOUN: &'static str = "payout";
    const ACTIONS: Actions = Actions {
        send: "payouts.send",
        status: "payouts.status",
        recover: "payouts.recover",
        needs_decision: "payouts.needs_decision",
        resolve: "payouts.resolve",
        reopen: "payouts.reopen",
    };
    const MATCHED_ON: &'static str = "amount, destination";

    async fn rivals(&self, db: &Db, from: Timestamp, to: Timestamp) -> Result<Vec<String>, sqlx::Error> {
        store::unknown_alike(db, self, from, to).await
    }

    fn sought(&self, state: &AppState) -> Sought {
        Sought {
            payer: payer(self),
            history_kind: history_kind(self.kind),
            currency: Currency::parse(&self.currency),
            sent_at: self.submitted_at.unwrap_or(self.created_at),
            within: state.config.p100_timeout,
        }
    }

    async fn details(&self, state: &AppState, upstream_id: &str) -> Result<Details, crate::p100::Failure> {
        read_upstream(state, self.kind, upstream_id).await
    }

    /// The same amount, currency and destination (in `comparable` form); the SEPA title too, when
    /// P100's details give it.
    fn fits(&self, details: &Details) -> bool {
        let Ok(request) = Upstream::from_json(self.kind, &self.details) else {
            return false;
        };
        let reference = match &request {
            Upstream::Sepa(r) => Some(r.transfer_title.trim()),
            _ => None,
        };
        self.amount.parse::<Decimal>().is_ok_and(|a| a == details.amount)
            && Currency::parse(&self.currency) == details.currency
            && comparable(&details.destination) == comparable(&requested_destination(&request))
            && match (reference, &details.reference) {
                (Some(ours), Some(theirs)) => ours == theirs.trim(),
                _ => true,
            }
    }

    /// P100's final word: completed or failed, with P100's fee at the currency's scale and the
    /// failure in words.
    fn settled(&self, details: &Details) -> Settled {
        let to = match details.status {
            Upstate::Completed | Upstate::Successful => Stage::Completed,
            Upstate::Failed => Stage::Failed,
            _ => return Settled::Moving(details.status.to_string()),
        };
        let currency = Currency::parse(&self.currency);
        let fee = details
            .fee
            .map(|f| crate::domain::money::Amount(f).at_scale_of(&currency).to_string());
        let failure = (to == Stage::Failed).then(|| {
            details
                .failure
                .clone()
                .unwrap_or_else(|| "P100 reports it FAILED; the funds stay with the payer.".into())
        });
        let upstream_status = details.status.to_string();
        let mut change = Change::default().set("upstream_status", upstream_status.clone());
        let mut preview = Vec::new();
        if let Some(fee) = &fee {
            change = change.set("fee", fee.clone());
            preview.push(("fee", self.fee.clone(), fee.clone()));
        }
        let reason = match &failure {
            Some(failure) => {
                change = change.failure(failure);
                preview.push(("failure", String::new(), failure.clone()));
                format!("P100 reports it {upstream_status}: {failure}")
            }
            None => format!(
                "P100 {} is {upstream_status}",
                self.upstream_id.as_deref().unwrap_or_default()
            ),
        };
        Settled::Final(Settlement {
            to,
            before: json!({ "status": self.status, "fee": self.fee }),
            after: json!({ "status": MovementStatus::of(to), "fee": fee.unwrap_or_else(|| self.fee.clone()) }),
            upstream_status,
            change,
            reason,
            preview,
        })
    }

    fn review(&self) -> Vec<(String, String)> {
        let view = view(self.clone(), None);
        vec![
            (
                "Movement".into(),
                format!("{} of {} to {}", view.kind.label(), view.amount, view.to),
            ),
            ("From".into(), view.from),
            (
                "Sent (UTC)".into(),
                view.submitted_at.map(|t| t.display()).unwrap_or_default(),
            ),
        ]
    }
}

/// Resumes approvals granted before a stop, then runs the engine's round for movements.
pub async fn follow_due(state: &AppState) -> Result<(), AppError> {
    let now = Timestamp::now();
    // Approved, then the server stopped before the send began: the movement never left
    // `awaiting_approval`, so running the approval now sends it once. One instance resumes it (the
    // lease): another running the same approval would find the movement gone from
    // `awaiting_approval` and record the approval as failed while the first one sends it.
    for (approval, checker) in store::approved_unsent(&state.db, now - state.config.send_grace, FOLLOW_BATCH).await? {
        if !background::holds(state, &format!("approvals.resume:{approval}"), RESUME_LEASE).await? {
            continue;
        }
        if let Err(err) = approvals::resume(state, &approval, &checker).await {
            tracing::warn!(%approval, %err, "resuming an approved payout");
        }
    }
    money::follow_due::<MovementRecord>(state).await
}

/// One movement brought up to date: a pending one from its details, an unknown one searched for
/// in the payer's history.
pub async fn follow(state: &AppState, actor: &Actor, id: &str) -> Result<MovementDetail, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    money::step(state, &record).await?;
    detail(state, actor, id).await
}

/// The movement, its request and its timeline: who did what when for everyone who may see the
/// movement; the client addresses and browsers behind each step only with `audit.read`.
pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> Result<MovementDetail, AppError> {
    let clients_seen = actor.permissions.has(Permission::AuditRead);
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let approval = match &record.approval_id {
        Some(approval_id) => db::approvals::find(&state.db, approval_id).await?,
        None => None,
    };
    let mut targets = vec![record.id.as_str()];
    targets.extend(record.approval_id.as_deref());
    let timeline = db::audit::about(&state.db, &targets, 500)
        .await?
        .into_iter()
        .map(AuditEntryView::from)
        .map(|entry| if clients_seen { entry } else { entry.without_client() })
        .collect();
    let request =
        serde_json::from_str::<Value>(&record.details).map_or_else(|_| record.details.clone(), |v| pretty(&v));
    let pending_resolution = approvals::pending_for(&state.db, ApprovalAction::Resolve, "movement", &record.id).await?;
    Ok(MovementDetail {
        pending_resolution,
        movement: view(record, approval.as_ref()),
        request,
        timeline,
    })
}

pub async fn list(state: &AppState, filter: &MovementFilter) -> Result<MovementList, AppError> {
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut errors = FieldErrors::default();
    let kind = text(&filter.kind).and_then(|k| {
        let kind = MovementKind::parse(&k);
        if kind.is_none() {
            errors.add("kind", "Choose a kind from the list.");
        }
        kind
    });
    // "Needs a decision" is an unknown movement the back office put before a person.
    let decision_needed = filter.status.trim() == NEEDS_DECISION;
    let status = match text(&filter.status) {
        _ if decision_needed => Some(MovementStatus::Unknown),
        None => None,
        Some(s) => {
            let status = MovementStatus::parse(&s);
            if status.is_none() {
                errors.add("status", "Choose a status from the list.");
            }
            status
        }
    };
    let currency = text(&filter.currency).map(|c| Currency::parse(&c));
    if let Some(Currency::Unknown(code)) = &currency {
        errors.add("currency", format!("{code} is not a currency P100 holds."));
    }
    let (from, to) = crate::domain::parse_day_range(&mut errors, &filter.from, &filter.to);
    let filter = errors.into_result(|| ListFilter {
        kind,
        status,
        decision_needed,
        currency: currency.map(|c| c.code().to_owned()),
        user: text(&filter.user).map(|u| (u != "partner").then_some(u)),
        maker: text(&filter.maker),
        from: from.map(|d| Timestamp::from(d.midnight().assume_utc())),
        to: to.map(|d| Timestamp::from(d.next_day().unwrap_or(d).midnight().assume_utc())),
    })?;
    let rows = store::list(&state.db, &filter, LIST_LIMIT).await?;
    Ok(MovementList {
        rows: rows.into_iter().map(|r| view(r, None)).collect(),
        makers: store::makers(&state.db).await?,
    })
}

fn view(r: MovementRecord, approval: Option<&ApprovalRecord>) -> MovementView {
    let currency = Currency::parse(&r.currency);
    let money = |text: &str| display(text.parse().unwrap_or_default(), &currency);
    let kind = r.kind;
    let from = match kind {
        MovementKind::Transfer => payer(&r).label(),
        _ => Holder::from_param(r.external_user_id.clone()).label(),
    };
    // An IBAN reads in groups of four, as on a bank statement.
    let to = match kind {
        MovementKind::Sepa => {
            crate::domain::destinations::Iban::parse(&r.destination).map_or(r.destination, |i| i.display())
        }
        _ => r.destination,
    };
    MovementView {
        kind,
        from,
        to,
        user: r.external_user_id,
        amount: money(&r.amount),
        fee: money(&r.fee),
        network: r.network,
        beneficiary: r.beneficiary,
        bic: r.bic,
        reference: r.reference,
        status: r.status,
        upstream_id: r.upstream_id,
        upstream_status: r.upstream_status,
        failure: r.failure,
        decision: Decision::from_stored(r.decision, r.candidates.as_deref()),
        approval: approval.map(|a| MovementApproval {
            id: a.id.clone(),
            status: a.status,
            checker: a.checker_name.clone(),
            decided_at: a.decided_at.map(Into::into),
        }),
        created_by: r.maker_name,
        created_at: r.created_at.into(),
        submitted_at: r.submitted_at.map(Into::into),
        updated_at: r.updated_at.into(),
        currency: currency.code().to_uppercase(),
        id: r.id,
    }
}
