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
pub mod resolution;
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
use super::db::movements::{self as store, Change, ListFilter, MovementRecord, NewMovement};
use super::db::{self, Db, Timestamp, Tx};
use super::recovery::{self, Lookup, Sought};
use super::state::AppState;
use super::users::kyc::Applied;
use super::webhooks::Preview;
use crate::domain::approvals::{ApprovalAction, ApprovalStatus};
use crate::domain::audit::{AuditEntryView, Outcome};
use crate::domain::balances::Holder;
use crate::domain::destinations::comparable;
use crate::domain::money::{Currency, display};
use crate::domain::movements::{
    Direction, MovementApproval, MovementDetail, MovementFilter, MovementInput, MovementKind, MovementList,
    MovementStatus, MovementView, NEEDS_DECISION, PayoutContext, Review, Unclear,
};
use crate::domain::{AppError, FieldErrors, Permission};
use crate::p100::error::MoneyAnswer;
use crate::p100::types::MovementStatus as Upstate;

/// How many movements the list shows.
const LIST_LIMIT: i64 = 200;
/// How often movements P100 is still working on are read again when no webhook came, and how many
/// per round: a bounded load on P100 whatever the backlog.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(15);
/// Longer than resuming an approved payout can take (P100's timeout and the follow-up read).
const RESUME_LEASE: Duration = Duration::from_secs(600);
const FOLLOW_BATCH: i64 = 20;

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

fn kind_of(record: &MovementRecord) -> Result<MovementKind, AppError> {
    MovementKind::parse(&record.kind)
        .ok_or_else(|| super::error::internal(format!("movement {} has unknown kind {}", record.id, record.kind)))
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
            kind: plan.kind.as_str(),
            user: plan.user.as_deref(),
            direction: plan.direction.map(Direction::as_str),
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
    let id = uuid::Uuid::now_v7().to_string();
    let body = plan.request.to_json();
    let details = body.to_string();
    let amount = plan.money(plan.amount);
    let fee = display(plan.fee.into(), &plan.currency);
    let now = Timestamp::now();
    let status = if above.is_some() {
        MovementStatus::AwaitingApproval
    } else {
        MovementStatus::Submitting
    };
    let new = NewMovement {
        id: &id,
        kind: plan.kind.as_str(),
        external_user_id: plan.user.as_deref(),
        direction: plan.direction.map(Direction::as_str),
        currency: plan.currency.code(),
        amount: &plan.amount.to_string(),
        fee: &plan.fee.to_string(),
        network: plan.network.as_deref(),
        destination: &plan.destination,
        beneficiary: plan.beneficiary.as_deref(),
        bic: plan.bic.as_deref(),
        reference: plan.reference.as_deref(),
        details: &details,
        idempotency_key: &key,
        status: status.as_str(),
        created_by: &actor.staff.id,
        created_at: now,
        submitted_at: (above.is_none()).then_some(now),
    };
    let summary = format!("{} {amount} to {}", plan.kind.label(), plan.destination);
    let mut tx = db::begin_write(&state.db).await?;
    if let Err(err) = store::insert(&mut tx, &new).await {
        drop(tx);
        // The same review submitted twice at once: the first one recorded it.
        if db::is_unique_violation(&err)
            && let Some(existing) = store::find_by_key(&state.db, &key).await?
        {
            return again(state, actor, existing).await;
        }
        return Err(err.into());
    }
    let event = Event::new("payouts.submit", Outcome::Success)
        .target("movement", id.clone())
        .reason(match &above {
            Some(limit) => format!("{summary}; above {limit}, so it waits for a second member"),
            None => format!("{summary}; sending to P100"),
        })
        .change(
            None,
            Some(json!({ "status": status.as_str(), "amount": amount, "fee": fee, "request": body, "key": key })),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    if let Some(limit) = &above {
        let mut review = plan.lines.clone();
        review.push(("Approval needed".to_owned(), format!("above {limit}")));
        let approval_id = approvals::request_in(
            &mut tx,
            state,
            actor,
            NewRequest {
                action: approval_action(plan.kind),
                target_kind: "movement",
                target_id: &id,
                payload: Payload {
                    upstream: json!({ "movement": id, "kind": plan.kind.as_str(), "request": body }),
                    review,
                },
                reason: &summary,
            },
        )
        .await?;
        store::set_approval(&mut tx, &id, &approval_id).await?;
    }
    tx.commit().await?;
    if above.is_none() {
        let record = store::find(&state.db, &id).await?.ok_or(AppError::NotFound)?;
        // A refusal is recorded on the movement; its page shows P100's words and code.
        if let Err(err) = dispatch(state, &actor.who(), &actor.meta, &record).await {
            tracing::info!(%id, %err, "movement refused by P100");
        }
    }
    detail(state, &id).await
}

/// A submission whose key was already used: the same member retrying gets the movement back.
async fn again(state: &AppState, actor: &Actor, existing: MovementRecord) -> Result<MovementDetail, AppError> {
    if existing.created_by != actor.staff.id {
        return Err(AppError::Refused(
            "This review was already submitted by someone else. Start a new one.".into(),
        ));
    }
    detail(state, &existing.id).await
}

/// Sends a movement that is `submitting` (this caller moved it there) and records P100's answer.
/// `Err` only when P100 refused it; no answer leaves it `unknown`.
async fn dispatch(state: &AppState, who: &Who, meta: &RequestMeta, record: &MovementRecord) -> Result<(), AppError> {
    let kind = kind_of(record)?;
    let request = Upstream::from_json(kind, &record.details).map_err(super::error::internal)?;
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
    let mut tx = db::begin_write(&state.db).await?;
    match reply {
        Ok((upstream_id, call)) => {
            let change = Change {
                upstream_id: Some(&upstream_id),
                ..Change::default()
            };
            record_answer(&mut tx, &record.id, "pending", &change).await?;
            let done = event
                .upstream(&call)
                .reason(format!("P100 accepted it as {upstream_id}"))
                .change(
                    Some(json!({ "status": "submitting" })),
                    Some(json!({ "status": "pending", "upstreamId": upstream_id })),
                );
            audit::record(&mut tx, who, meta, done).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(failure) => {
            let unknown = failure.error.money_answer() == MoneyAnswer::MaybeAccepted;
            let status = if unknown { "unknown" } else { "failed" };
            let words = failure.error.money_words();
            let change = Change {
                failure: Some(&words),
                ..Change::default()
            };
            record_answer(&mut tx, &record.id, status, &change).await?;
            let event = audit::refused_upstream(event, &failure).change(
                Some(json!({ "status": "submitting" })),
                Some(json!({ "status": status })),
            );
            audit::record(&mut tx, who, meta, event).await?;
            tx.commit().await?;
            if unknown { Ok(()) } else { Err(failure.into()) }
        }
    }
}

/// Records P100's answer to a send this caller made: the movement is `submitting`, or `unknown` if
/// the sweep took it there meanwhile (P100's answer then replaces the guess). That no row changed
/// is an error, logged with the ids: the answer must not be lost silently.
async fn record_answer(tx: &mut Tx, id: &str, to: &str, change: &Change<'_>) -> Result<(), AppError> {
    for from in ["submitting", "unknown"] {
        if store::transition(tx, id, from, to, change).await? {
            return Ok(());
        }
    }
    tracing::error!(movement = %id, to, upstream_id = ?change.upstream_id, "P100's answer found the movement neither submitting nor unknown");
    Err(super::error::internal(format!(
        "movement {id} was neither submitting nor unknown when P100's answer came"
    )))
}

/// Sends an approved movement: reached once per approval. The approved payload must be the
/// movement's recorded request, byte for byte in meaning.
pub async fn execute_approved(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), String> {
    let record = store::find(&state.db, &approval.target_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("The movement this approval is for no longer exists; nothing was sent.")?;
    let recorded: Value = serde_json::from_str(&record.details).map_err(|e| e.to_string())?;
    if payload.upstream.get("request") != Some(&recorded) {
        return Err("The approved request differs from the recorded movement; nothing was sent.".into());
    }
    let mut tx = db::begin_write(&state.db).await.map_err(|e| e.to_string())?;
    let change = Change {
        submitted_at: Some(Timestamp::now()),
        ..Change::default()
    };
    let moved = store::transition(&mut tx, &record.id, "awaiting_approval", "submitting", &change)
        .await
        .map_err(|e| e.to_string())?;
    if !moved {
        return Err(format!(
            "The movement is {}, not awaiting approval; nothing was sent.",
            record.status
        ));
    }
    let event = Event::new("payouts.approved", Outcome::Success)
        .target("movement", record.id.clone())
        .reason(format!("approval {} granted; sending to P100", approval.id))
        .change(
            Some(json!({ "status": "awaiting_approval" })),
            Some(json!({ "status": "submitting" })),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    dispatch(state, &actor.who(), &actor.meta, &record)
        .await
        .map_err(|e| e.to_string())
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
    let change = Change {
        failure: Some(words),
        ..Change::default()
    };
    if store::transition(tx, movement_id, "awaiting_approval", "cancelled", &change).await? {
        let event = Event::new("payouts.cancel", Outcome::Success)
            .target("movement", movement_id)
            .reason(words.to_owned())
            .change(
                Some(json!({ "status": "awaiting_approval" })),
                Some(json!({ "status": "cancelled" })),
            );
        audit::record(tx, who, meta, event).await?;
    }
    Ok(())
}

/// What P100's details say about a movement.
pub(crate) struct Settled {
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
) -> Result<Settled, crate::p100::Failure> {
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
            Settled {
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
            Settled {
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
            Settled {
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

/// Where the movement's request sends money, in the form `Settled::destination` has.
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

/// P100's final word on a movement: our status, P100's fee at the currency's scale, and the
/// failure in words. `None` while it is still moving.
fn outcome(record: &MovementRecord, settled: &Settled) -> Option<(MovementStatus, Option<String>, Option<String>)> {
    let to = match settled.status {
        Upstate::Completed | Upstate::Successful => MovementStatus::Completed,
        Upstate::Failed => MovementStatus::Failed,
        _ => return None,
    };
    let currency = Currency::parse(&record.currency);
    let fee = settled
        .fee
        .map(|f| crate::domain::money::Amount(f).at_scale_of(&currency).to_string());
    let failure = (to == MovementStatus::Failed).then(|| {
        settled
            .failure
            .clone()
            .unwrap_or_else(|| "P100 reports it FAILED; the funds stay with the payer.".into())
    });
    Some((to, fee, failure))
}

/// Records P100's final word on a pending movement (audited, as the system). `false`: still moving.
async fn apply(db: &Db, record: &MovementRecord, settled: &Settled) -> Result<bool, AppError> {
    let Some((to, fee, failure)) = outcome(record, settled) else {
        return Ok(false);
    };
    let upstream_status = settled.status.to_string();
    let change = Change {
        upstream_status: Some(&upstream_status),
        failure: failure.as_deref(),
        fee: fee.as_deref(),
        ..Change::default()
    };
    let mut tx = db::begin_write(db).await?;
    if !store::transition(&mut tx, &record.id, "pending", to.as_str(), &change).await? {
        return Ok(false);
    }
    let outcome = if to == MovementStatus::Failed {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let mut event = Event::new("payouts.status", outcome)
        .target("movement", record.id.clone())
        .reason(format!(
            "P100 {} is {}",
            record.upstream_id.as_deref().unwrap_or_default(),
            settled.status
        ))
        .change(
            Some(json!({ "status": "pending", "fee": record.fee })),
            Some(json!({ "status": to.as_str(), "fee": fee.unwrap_or_else(|| record.fee.clone()) })),
        );
    if let Some(failure) = failure {
        event = event.reason(format!("P100 reports it {}: {failure}", settled.status));
    }
    audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    tx.commit().await?;
    Ok(true)
}

/// One movement brought up to date: a pending one from its details, an unknown one searched for
/// in the payer's history.
pub async fn follow(state: &AppState, id: &str) -> Result<MovementDetail, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    step(state, &record).await?;
    detail(state, id).await
}

async fn step(state: &AppState, record: &MovementRecord) -> Result<(), AppError> {
    let status = MovementStatus::parse(&record.status);
    if let (Some(MovementStatus::Pending), Some(upstream_id)) = (status, &record.upstream_id) {
        let settled = read_upstream(state, kind_of(record)?, upstream_id).await?;
        apply(&state.db, record, &settled).await?;
    } else if status == Some(MovementStatus::Unknown) && !recover(state, record).await? {
        store::touch(&state.db, &record.id).await?;
    }
    Ok(())
}

/// The payer's balance: who P100 takes the money from.
fn payer(record: &MovementRecord) -> Holder {
    let user = record.external_user_id.clone();
    match Direction::parse(record.direction.as_deref().unwrap_or_default()) {
        Some(Direction::ToUser) => Holder::Partner,
        _ => Holder::from_param(user),
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

/// Looks for an unknown movement at P100 (`server::recovery`): adopted when exactly one entry of
/// its payer's history fits (kind, currency, time, and by its details amount, destination and SEPA
/// title) and no other unknown movement of ours could be it; put before a person when several could
/// be, or when it is still not found past the deadline. `true` when adopted.
async fn recover(state: &AppState, record: &MovementRecord) -> Result<bool, AppError> {
    let kind = kind_of(record)?;
    let request = Upstream::from_json(kind, &record.details).map_err(super::error::internal)?;
    let wanted = Wanted {
        amount: record.amount.parse().map_err(super::error::internal)?,
        currency: Currency::parse(&record.currency),
        destination: comparable(&requested_destination(&request)),
        reference: match &request {
            Upstream::Sepa(r) => Some(r.transfer_title.clone()),
            _ => None,
        },
    };
    let sought = sought(state, record, kind);
    let (from, to) = sought.rival_span();
    let rivals = store::unknown_alike(&state.db, record, from, to).await?;
    let found = recovery::in_window(state, &sought).await?;
    let lookup = recovery::conclude(
        found,
        rivals.len(),
        |id| async move { Ok(store::upstream_known(&state.db, &id).await?) },
        |id| {
            let wanted = &wanted;
            async move {
                match read_upstream(state, kind, &id).await {
                    Ok(settled) => Ok(wanted.fits(&settled).then_some(settled)),
                    // Listed in the history but unknown to its details: not this movement.
                    Err(failure) if failure.error.not_found() => Ok(None),
                    Err(failure) => Err(failure.into()),
                }
            }
        },
    )
    .await?;
    if let Lookup::Found(upstream_id, settled) = &lookup {
        let why = format!(
            "found in P100's history as {upstream_id} (the only entry with the same amount, destination and \
             time); not sent again"
        );
        adopt(state, record, upstream_id, settled, &Who::system(), &why).await?;
        return Ok(true);
    }
    let sent_at = record.submitted_at.unwrap_or(record.created_at);
    if let Some((words, candidates)) = recovery::undecided(
        Unclear::Movement,
        &lookup,
        &rivals,
        sent_at,
        state.config.unknown_deadline,
    ) {
        recovery::needs_decision(state, Unclear::Movement, &record.id, &words, &candidates).await?;
    }
    Ok(false)
}

/// Where and when to look for `record` in its payer's P100 history.
fn sought(state: &AppState, record: &MovementRecord, kind: MovementKind) -> Sought {
    Sought {
        payer: payer(record),
        history_kind: history_kind(kind),
        currency: Currency::parse(&record.currency),
        sent_at: record.submitted_at.unwrap_or(record.created_at),
        within: state.config.p100_timeout,
    }
}

/// What the details of the movement sought must show.
struct Wanted {
    amount: Decimal,
    currency: Currency,
    /// In `comparable` form.
    destination: String,
    /// The SEPA transfer title; P100 may leave it out of its details.
    reference: Option<String>,
}

impl Wanted {
    fn fits(&self, settled: &Settled) -> bool {
        settled.amount == self.amount
            && settled.currency == self.currency
            && comparable(&settled.destination) == self.destination
            && match (&self.reference, &settled.reference) {
                (Some(ours), Some(theirs)) => ours.trim() == theirs.trim(),
                _ => true,
            }
    }
}

/// Takes an unknown movement to `pending` as P100's `upstream_id` (audited by `who` with `why`),
/// then applies what its details say.
async fn adopt(
    state: &AppState,
    record: &MovementRecord,
    upstream_id: &str,
    settled: &Settled,
    who: &Who,
    why: &str,
) -> Result<(), AppError> {
    let change = Change {
        upstream_id: Some(upstream_id),
        ..Change::default()
    };
    let mut tx = db::begin_write(&state.db).await?;
    // Checked where it is written: another instance may have adopted the same id meanwhile.
    if store::find_by_upstream_in(&mut tx, upstream_id).await?.is_some()
        || !store::transition(&mut tx, &record.id, "unknown", "pending", &change).await?
    {
        return Ok(());
    }
    let event = Event::new("payouts.recover", Outcome::Success)
        .target("movement", record.id.clone())
        .reason(why.to_owned())
        .change(
            Some(json!({ "status": "unknown" })),
            Some(json!({ "status": "pending", "upstreamId": upstream_id })),
        );
    audit::record(&mut tx, who, &Default::default(), event).await?;
    tx.commit().await?;
    let record = store::find(&state.db, &record.id).await?.ok_or(AppError::NotFound)?;
    apply(&state.db, &record, settled).await?;
    Ok(())
}

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
    for record in store::stale(&state.db, "submitting", now - state.config.send_grace, FOLLOW_BATCH).await? {
        let words = "The call to P100 was cut off before its answer was recorded. It is not sent again: \
                     the back office looks for it in P100's history.";
        let change = Change {
            failure: Some(words),
            ..Change::default()
        };
        let mut tx = db::begin_write(&state.db).await?;
        if store::transition(&mut tx, &record.id, "submitting", "unknown", &change).await? {
            let event = Event::new("payouts.status", Outcome::Failure)
                .target("movement", record.id.clone())
                .reason(words)
                .change(
                    Some(json!({ "status": "submitting" })),
                    Some(json!({ "status": "unknown" })),
                );
            audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
        }
        tx.commit().await?;
    }
    for status in ["pending", "unknown"] {
        for record in store::stale(&state.db, status, now - FOLLOW_EVERY, FOLLOW_BATCH).await? {
            if let Err(err) = step(state, &record).await {
                tracing::warn!(id = %record.id, %err, "following a payout");
            }
        }
    }
    Ok(())
}

/// The movement a SEPA, crypto withdrawal or transfer webhook is about, if it is pending here.
async fn webhook_target(state: &AppState, payload: &Value) -> Result<Result<MovementRecord, String>, String> {
    let Some(upstream_id) = ["transferId", "withdrawalId", "id"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
    else {
        return Ok(Err("no transfer or withdrawal id in the event".into()));
    };
    let record = store::find_by_upstream(&state.db, upstream_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match record {
        None => Err(format!("{upstream_id} was not started here")),
        Some(r) if r.status != MovementStatus::Pending.as_str() => Err(format!("movement already {}", r.status)),
        Some(r) => Ok(r),
    })
}

/// The SEPA, crypto withdrawal and transfer webhooks. Like every event they are hints: the details
/// endpoint says what happened.
pub async fn apply_webhook(state: &AppState, payload: &Value) -> Result<Applied, String> {
    match webhook_target(state, payload).await? {
        Err(reason) => Ok(Applied::Ignored(reason)),
        Ok(record) => {
            step(state, &record).await.map_err(|e| e.to_string())?;
            Ok(Applied::Done)
        }
    }
}

/// What `apply_webhook` would change now, read from P100 but not written (the log's dry run).
pub async fn preview_webhook(state: &AppState, payload: &Value) -> Result<Preview, String> {
    let record = match webhook_target(state, payload).await? {
        Err(reason) => return Ok(Preview::nothing(reason)),
        Ok(record) => record,
    };
    let upstream_id = record.upstream_id.clone().unwrap_or_default();
    let kind = kind_of(&record).map_err(|e| e.to_string())?;
    let settled = read_upstream(state, kind, &upstream_id)
        .await
        .map_err(|f| f.error.to_string())?;
    let Some((to, fee, failure)) = outcome(&record, &settled) else {
        return Ok(Preview::nothing(format!(
            "P100 still reports {} {}",
            upstream_id, settled.status
        )));
    };
    let target = format!("payout {}", record.id);
    let mut preview = Preview::new(format!(
        "P100 reports {upstream_id} {}: the payout becomes {to}.",
        settled.status
    ))
    .change(&target, "status", &record.status, to.as_str());
    if let Some(fee) = fee {
        preview = preview.change(&target, "fee", &record.fee, &fee);
    }
    if let Some(failure) = failure {
        preview = preview.change(&target, "failure", "", &failure);
    }
    Ok(preview)
}

pub async fn detail(state: &AppState, id: &str) -> Result<MovementDetail, AppError> {
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
    let kind = text(&filter.kind);
    if kind.as_deref().is_some_and(|k| MovementKind::parse(k).is_none()) {
        errors.add("kind", "Choose a kind from the list.");
    }
    let mut status = text(&filter.status);
    // "Needs a decision" is an unknown movement the back office put before a person.
    let decision_needed = status.as_deref() == Some(NEEDS_DECISION);
    if decision_needed {
        status = Some(MovementStatus::Unknown.as_str().to_owned());
    }
    if status.as_deref().is_some_and(|s| MovementStatus::parse(s).is_none()) {
        errors.add("status", "Choose a status from the list.");
    }
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
    let kind = MovementKind::parse(&r.kind).unwrap_or(MovementKind::Sepa);
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
        status: MovementStatus::parse(&r.status).unwrap_or(MovementStatus::Unknown),
        upstream_id: r.upstream_id,
        upstream_status: r.upstream_status,
        failure: r.failure,
        decision: crate::domain::movements::Decision::from_stored(r.decision, r.candidates.as_deref()),
        approval: approval.map(|a| MovementApproval {
            id: a.id.clone(),
            status: ApprovalStatus::parse(&a.status).unwrap_or(ApprovalStatus::Failed),
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
