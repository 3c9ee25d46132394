//! Currency exchange for the partner and for users: an indicative quote, a locked rate recorded
//! here, finalizing by the lock's id (once, before it expires), and the outcome followed from
//! P100's details endpoint and its exchange webhook.

pub mod resolution;

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::domain::audit::Outcome;
use crate::domain::balances::Holder;
use crate::domain::exchanges::{ExchangeFilter, ExchangeInput, ExchangeList, ExchangeStatus, ExchangeView, Quote};
use crate::domain::money::{Amount, Currency, display, parse_amount, rate_text};
use crate::domain::movements::Unclear;
use crate::domain::{AppError, FieldErrors};
use crate::p100::error::MoneyAnswer;
use crate::p100::types::{ExchangeDetails, ExchangeRequest, MovementStatus, Num, Rates};
use crate::server::audit::{self, Event, Who};
use crate::server::auth::Actor;
use crate::server::db::exchanges::{self as store, Change, ExchangeRecord, ListFilter, NewExchange};
use crate::server::db::{self, Db, Timestamp};
use crate::server::recovery::{self, Lookup, Sought};
use crate::server::state::AppState;
use crate::server::users::kyc::Applied;
use crate::server::webhooks::Preview;

/// P100's standard exchange fee (REFERENCE.md 1.9), used for the indicative quote only: the lock
/// carries the partner's actual fee.
const STANDARD_FEE_PERCENT: Decimal = dec!(1.49);
/// How many exchanges the list shows.
const LIST_LIMIT: i64 = 200;
/// How often exchanges P100 is still working on are read again when no webhook came, and how
/// many per round: a bounded load on P100 whatever the backlog.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(15);
const FOLLOW_BATCH: i64 = 20;

/// What an amount fetches: the rate (units of `to` per unit of `from`), the fee and what arrives,
/// both in `to`. The fee rounds up and the proceeds down to `to`'s decimals, so rounding never
/// gives away money. The sandbox prices exchanges with this same function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub rate: Decimal,
    pub fee: Decimal,
    pub receive: Decimal,
}

/// `None` when P100 gave no rate for one of the currencies.
pub fn price(amount: Decimal, rates: &Rates, from: &Currency, to: &Currency, fee_percent: Decimal) -> Option<Price> {
    let eur_per = |c: &Currency| rates.get(c).map(|n| n.0.get()).filter(|r| !r.is_zero());
    let rate = eur_per(from)? / eur_per(to)?;
    let gross = amount.checked_mul(rate)?;
    let fee =
        (gross * fee_percent / Decimal::ONE_HUNDRED).round_dp_with_strategy(to.scale(), RoundingStrategy::AwayFromZero);
    let receive = (gross - fee).round_dp_with_strategy(to.scale(), RoundingStrategy::ToZero);
    Some(Price { rate, fee, receive })
}

/// A checked request: two different currencies P100 exchanges, an amount within their rules.
struct Order {
    holder: Holder,
    from: Currency,
    to: Currency,
    amount: Decimal,
}

fn parse(input: &ExchangeInput) -> Result<Order, AppError> {
    let mut errors = FieldErrors::default();
    let currency = |text: &str| match Currency::parse(text) {
        _ if text.trim().is_empty() => Err("Choose a currency.".to_owned()),
        Currency::Unknown(code) => Err(format!("{code} is not a currency P100 exchanges.")),
        known => Ok(known),
    };
    let from = errors.check("from", currency(&input.from));
    let to = errors.check("to", currency(&input.to));
    if let (Some(from), Some(to)) = (&from, &to)
        && from == to
    {
        errors.add("to", "Choose a currency other than the one exchanged.");
    }
    let amount = from
        .as_ref()
        .and_then(|from| errors.check("amount", parse_amount(&input.amount, from)));
    match (from, to, amount) {
        (Some(from), Some(to), Some(amount)) if errors.is_empty() => Ok(Order {
            holder: input.holder.clone(),
            from,
            to,
            amount: amount.get(),
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The order, after checking that the holder's live balance covers it and that something would
/// arrive at P100's indicative rate: what is available, and that indicative price.
async fn checked(state: &AppState, input: &ExchangeInput) -> Result<(Order, Amount, Price), AppError> {
    let order = parse(input)?;
    if let Holder::User(id) = &order.holder {
        super::users::moving_user(&state.db, id).await?;
    }
    let (sheet, rates) = tokio::join!(
        super::balances::sheet(state, &order.holder),
        state.p100.exchange_rates()
    );
    let available = sheet?.line(&order.from).map_or(Amount::ZERO, |l| l.amount);
    if order.amount > available.get() {
        return Err(AppError::field(
            "amount",
            format!("More than the available {}.", display(available, &order.from)),
        ));
    }
    let indicative = price(
        order.amount,
        &rates?.value,
        &order.from,
        &order.to,
        STANDARD_FEE_PERCENT,
    )
    .ok_or_else(|| AppError::Refused("P100 gave no rate for this pair. Try again in a minute.".into()))?;
    if indicative.receive <= Decimal::ZERO {
        return Err(too_small(&order));
    }
    Ok((order, available, indicative))
}

fn too_small(order: &Order) -> AppError {
    AppError::field(
        "amount",
        format!(
            "Too small: nothing would arrive in {} after the fee.",
            order.to.code().to_uppercase()
        ),
    )
}

/// What the amount would fetch now, at P100's indicative rate and the standard fee.
pub async fn quote(state: &AppState, input: &ExchangeInput) -> Result<Quote, AppError> {
    let (order, available, price) = checked(state, input).await?;
    Ok(Quote {
        rate: rate_text(&order.from, &order.to, price.rate),
        fee: display(price.fee.into(), &order.to),
        fee_percent: format!("{}%", STANDARD_FEE_PERCENT.normalize()),
        receive: display(price.receive.into(), &order.to),
        available: display(available, &order.from),
        at: Timestamp::now().into(),
    })
}

/// Locks P100's rate for the order and records the exchange, ready to finalize until the lock ends.
pub async fn lock(state: &AppState, actor: &Actor, input: &ExchangeInput) -> Result<ExchangeView, AppError> {
    let (order, _, _) = checked(state, input).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let event = Event::new("exchanges.lock", Outcome::Success).target("exchange", id.clone());
    let reply = match &order.holder {
        Holder::Partner => state.p100.partner_exchange_lock().await,
        Holder::User(user) => state.p100.user_exchange_lock(user).await,
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let lock = reply.value;
    let fee_percent = lock.fee_percentage.0.get();
    let price = price(order.amount, &lock.rates, &order.from, &order.to, fee_percent)
        .ok_or_else(|| AppError::Refused("P100's lock has no rate for this pair. Try again in a minute.".into()))?;
    if price.receive <= Decimal::ZERO {
        return Err(too_small(&order));
    }
    let valid_until = time::OffsetDateTime::parse(&lock.valid_until, &Rfc3339)
        .map(Timestamp::from)
        .map_err(|e| AppError::Upstream {
            code: "unexpected".into(),
            message: format!("P100's lock has an unreadable expiry ({e})."),
        })?;
    let text = |d: Decimal| d.to_string();
    let at_scale = |d: Decimal, c: &Currency| Amount(d).at_scale_of(c).to_string();
    let new = NewExchange {
        id: &id,
        external_user_id: order.holder.user(),
        currency_from: order.from.code(),
        currency_to: order.to.code(),
        amount_from: &at_scale(order.amount, &order.from),
        amount_to: &at_scale(price.receive, &order.to),
        rate: &text(price.rate.round_dp(12).normalize()),
        fee: &at_scale(price.fee, &order.to),
        fee_percent: &text(fee_percent.normalize()),
        lock_id: &lock.id,
        valid_until,
        started_by: &actor.staff.id,
        created_at: Timestamp::now(),
    };
    let event = event
        .upstream(&reply.call)
        .reason(format!(
            "{} {} to {} for {}, lock {}",
            order.holder.label(),
            display(order.amount.into(), &order.from),
            order.to.code().to_uppercase(),
            display(price.receive.into(), &order.to),
            lock.id
        ))
        .change(
            None,
            Some(json!({ "status": "locked", "validUntil": lock.valid_until })),
        );
    let mut tx = db::begin_write(&state.db).await?;
    store::insert(&mut tx, &new).await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    get(state, &id).await
}

/// Executes the exchange by its lock id, once. The exchange leaves `locked` in the same
/// transaction as its audit row, before P100 is called; a second click, tab or retry finds it gone
/// and is refused. After the lock's expiry the call is refused and nothing is sent.
pub async fn finalize(state: &AppState, actor: &Actor, id: &str) -> Result<ExchangeView, AppError> {
    let mut tx = db::begin_write(&state.db).await?;
    let record = store::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let event = Event::new("exchanges.finalize", Outcome::Success).target("exchange", id);
    if !store::claim(&mut tx, id, &actor.staff.id, Timestamp::now()).await? {
        let lapsed = [ExchangeStatus::Locked, ExchangeStatus::Expired].map(ExchangeStatus::as_str);
        let (outcome, message) = if lapsed.contains(&record.status.as_str()) {
            // Already `expired` when the sweep came first: nothing to change, the answer is the same.
            store::transition(&mut tx, id, "locked", "expired", &Change::default()).await?;
            let at = crate::domain::UtcTime::from(record.valid_until).display();
            (
                Outcome::Failure,
                format!("The locked rate expired at {at} UTC. Lock a new rate to exchange."),
            )
        } else {
            let status = ExchangeStatus::parse(&record.status).map_or(record.status.as_str(), |s| s.label());
            (
                Outcome::Denied,
                format!("This exchange was already finalized ({status}); it is not sent again."),
            )
        };
        audit::record(
            &mut tx,
            &actor.who(),
            &actor.meta,
            event.outcome(outcome).reason(message.clone()),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Refused(message));
    }
    let submitted = event
        .clone()
        .reason(format!("sending to P100 with lock {}", record.lock_id));
    audit::record(&mut tx, &actor.who(), &actor.meta, submitted).await?;
    tx.commit().await?;

    let request = ExchangeRequest {
        source_external_user_id: record.external_user_id.clone(),
        amount: Num(record.amount_from.parse().map_err(crate::server::error::internal)?),
        currency_from: Currency::parse(&record.currency_from),
        currency_to: Currency::parse(&record.currency_to),
        lock_id: record.lock_id.clone(),
    };
    match state.p100.exchange(&request).await {
        Ok(reply) => {
            let upstream_id = reply.value.exchange_id;
            let mut tx = db::begin_write(&state.db).await?;
            let change = Change {
                upstream_id: Some(&upstream_id),
                ..Change::default()
            };
            record_answer(&mut tx, id, "pending", &change).await?;
            let done = event
                .upstream(&reply.call)
                .reason(format!("P100 exchange {upstream_id}"))
                .change(
                    Some(json!({ "status": "submitting" })),
                    Some(json!({ "status": "pending" })),
                );
            audit::record(&mut tx, &actor.who(), &actor.meta, done).await?;
            tx.commit().await?;
            get(state, id).await
        }
        Err(failure) => {
            // No answer is not a refusal: the exchange may have happened, and resending is never
            // the way to find out (the lock is single-use anyway).
            let answer = failure.error.money_answer();
            let status = match answer {
                MoneyAnswer::MaybeAccepted => "unknown",
                MoneyAnswer::Refused => "failed",
            };
            let words = failure.error.money_words();
            let change = Change {
                failure: Some(&words),
                ..Change::default()
            };
            let mut tx = db::begin_write(&state.db).await?;
            record_answer(&mut tx, id, status, &change).await?;
            audit::record(
                &mut tx,
                &actor.who(),
                &actor.meta,
                audit::refused_upstream(event, &failure),
            )
            .await?;
            tx.commit().await?;
            // A refusal is an error on the form; an answer that may mean "done" is the exchange's
            // state, shown on its page.
            match answer {
                MoneyAnswer::Refused => Err(failure.into()),
                MoneyAnswer::MaybeAccepted => get(state, id).await,
            }
        }
    }
}

/// Records P100's answer to a finalize this caller sent: the exchange is `submitting`, or `unknown`
/// if the sweep took it there meanwhile. That no row changed is an error, logged with the ids.
async fn record_answer(tx: &mut db::Tx, id: &str, to: &str, change: &Change<'_>) -> Result<(), AppError> {
    for from in ["submitting", "unknown"] {
        if store::transition(tx, id, from, to, change).await? {
            return Ok(());
        }
    }
    tracing::error!(exchange = %id, to, upstream_id = ?change.upstream_id, "P100's answer found the exchange neither submitting nor unknown");
    Err(crate::server::error::internal(format!(
        "exchange {id} was neither submitting nor unknown when P100's answer came"
    )))
}

/// One exchange; a pending one is first brought up to date from P100's details, an unknown one is
/// looked for in its holder's history.
pub async fn follow(state: &AppState, id: &str) -> Result<ExchangeView, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    match (ExchangeStatus::parse(&record.status), &record.upstream_id) {
        (Some(ExchangeStatus::Pending), Some(upstream_id)) => {
            let details = state.p100.exchange_details(upstream_id).await?.value;
            apply_details(&state.db, &record, &details).await?;
        }
        (Some(ExchangeStatus::Unknown), _) => recover(state, &record).await?,
        _ => {}
    }
    get(state, id).await
}

/// P100's final word on an exchange: our status, and P100's amount received and fee at the
/// currency's scale. `None` while it is still moving.
fn outcome(record: &ExchangeRecord, details: &ExchangeDetails) -> Option<(ExchangeStatus, String, String)> {
    let to = match details.status {
        MovementStatus::Completed | MovementStatus::Successful => ExchangeStatus::Completed,
        MovementStatus::Failed => ExchangeStatus::Failed,
        _ => return None,
    };
    let currency_to = Currency::parse(&record.currency_to);
    let amount_to = details.amount_to.at_scale_of(&currency_to).to_string();
    let fee = details.fee.at_scale_of(&currency_to).to_string();
    Some((to, amount_to, fee))
}

/// Records P100's final word on a pending exchange (the amounts P100 reports replace the quote).
async fn apply_details(db: &Db, record: &ExchangeRecord, details: &ExchangeDetails) -> Result<bool, AppError> {
    let Some((to, amount_to, fee)) = outcome(record, details) else {
        return Ok(false);
    };
    let failure =
        (to == ExchangeStatus::Failed).then_some("P100 reports the exchange FAILED; the funds return to the balance.");
    let change = Change {
        amount_to: Some(&amount_to),
        fee: Some(&fee),
        failure,
        ..Change::default()
    };
    let mut tx = db::begin_write(db).await?;
    if !store::transition(&mut tx, &record.id, "pending", to.as_str(), &change).await? {
        return Ok(false);
    }
    let event = Event::new(
        "exchanges.status",
        if to == ExchangeStatus::Failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    )
    .target("exchange", record.id.clone())
    .reason(format!("P100 exchange {} is {}", details.id, details.status))
    .change(
        Some(json!({ "status": "pending", "amountTo": record.amount_to })),
        Some(json!({ "status": to.as_str(), "amountTo": amount_to })),
    );
    audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn follow_due(state: &AppState) -> Result<(), AppError> {
    expire_due(&state.db).await?;
    let now = Timestamp::now();
    for record in store::stale(&state.db, "pending", now - FOLLOW_EVERY, FOLLOW_BATCH).await? {
        let Some(upstream_id) = &record.upstream_id else {
            continue;
        };
        match state.p100.exchange_details(upstream_id).await {
            Ok(reply) => {
                apply_details(&state.db, &record, &reply.value).await?;
            }
            Err(failure) => tracing::warn!(id = %record.id, error = %failure.error, "exchange details"),
        }
    }
    for record in store::stale(&state.db, "submitting", now - state.config.send_grace, FOLLOW_BATCH).await? {
        let words = "The finalize call was cut off before P100's answer was recorded. It is not sent again: \
                     find the outcome in the holder's history.";
        let change = Change {
            failure: Some(words),
            ..Change::default()
        };
        let mut tx = db::begin_write(&state.db).await?;
        if store::transition(&mut tx, &record.id, "submitting", "unknown", &change).await? {
            let event = Event::new("exchanges.status", Outcome::Failure)
                .target("exchange", record.id.clone())
                .reason(words)
                .change(
                    Some(json!({ "status": "submitting" })),
                    Some(json!({ "status": "unknown" })),
                );
            audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
        }
        tx.commit().await?;
    }
    for record in store::stale(&state.db, "unknown", now - FOLLOW_EVERY, FOLLOW_BATCH).await? {
        if let Err(err) = recover(state, &record).await {
            tracing::warn!(id = %record.id, %err, "looking for an exchange at P100");
        }
    }
    Ok(())
}

/// Where and when to look for `record` in its holder's P100 history: a debit of its source currency.
fn sought(state: &AppState, record: &ExchangeRecord) -> Sought {
    Sought {
        payer: Holder::from_param(record.external_user_id.clone()),
        history_kind: "exchange",
        currency: Currency::parse(&record.currency_from),
        sent_at: record.finalized_at.unwrap_or(record.created_at),
        within: state.config.p100_timeout,
    }
}

/// Looks for an unknown exchange at P100 (`server::recovery`): its holder's history entries of kind
/// `exchange` in the source currency dated around the finalize, confirmed by their details (same
/// currencies and amount). Adopted when exactly one fits and no other unknown exchange could be it;
/// otherwise, or still not found past the deadline, a person decides.
async fn recover(state: &AppState, record: &ExchangeRecord) -> Result<(), AppError> {
    let (from, to) = (
        Currency::parse(&record.currency_from),
        Currency::parse(&record.currency_to),
    );
    let amount: Decimal = record.amount_from.parse().map_err(crate::server::error::internal)?;
    let sought = sought(state, record);
    let sent_at = sought.sent_at;
    let (earliest, latest) = sought.rival_span();
    let rivals = store::unknown_alike(&state.db, record, earliest, latest).await?;
    let found = recovery::in_window(state, &sought).await?;
    let lookup = recovery::conclude(
        found,
        rivals.len(),
        |id| async move { Ok(store::upstream_known(&state.db, &id).await?) },
        |id| {
            let (from, to) = (&from, &to);
            async move {
                match state.p100.exchange_details(&id).await {
                    Ok(reply) => {
                        let d = reply.value;
                        let fits = &d.currency_from == from && &d.currency_to == to && d.amount_from.get() == amount;
                        Ok(fits.then_some(d))
                    }
                    Err(failure) if failure.error.not_found() => Ok(None),
                    Err(failure) => Err(failure.into()),
                }
            }
        },
    )
    .await?;
    if let Lookup::Found(upstream_id, details) = &lookup {
        let why = format!(
            "found in P100's history as {upstream_id} (the only exchange with the same currencies, amount and \
             time); not sent again"
        );
        return adopt(state, record, upstream_id, details, &Who::system(), &why).await;
    }
    let deadline = state.config.unknown_deadline;
    if let Some((words, candidates)) = recovery::undecided(Unclear::Exchange, &lookup, &rivals, sent_at, deadline) {
        recovery::needs_decision(state, Unclear::Exchange, &record.id, &words, &candidates).await?;
    }
    Ok(store::touch(&state.db, &record.id).await?)
}

/// Takes an unknown exchange to `pending` as P100's `upstream_id` (audited by `who` with `why`),
/// then applies what its details say.
async fn adopt(
    state: &AppState,
    record: &ExchangeRecord,
    upstream_id: &str,
    details: &ExchangeDetails,
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
    let event = Event::new("exchanges.recover", Outcome::Success)
        .target("exchange", record.id.clone())
        .reason(why.to_owned())
        .change(
            Some(json!({ "status": "unknown" })),
            Some(json!({ "status": "pending", "upstreamId": upstream_id })),
        );
    audit::record(&mut tx, who, &Default::default(), event).await?;
    tx.commit().await?;
    let record = store::find(&state.db, &record.id).await?.ok_or(AppError::NotFound)?;
    apply_details(&state.db, &record, details).await?;
    Ok(())
}

/// Records the expiry of locks that ran out with nobody finalizing (audited, as the system).
async fn expire_due(db: &Db) -> Result<(), AppError> {
    for record in store::lapsed(db, Timestamp::now(), LIST_LIMIT).await? {
        let mut tx = db::begin_write(db).await?;
        if store::transition(&mut tx, &record.id, "locked", "expired", &Change::default()).await? {
            let event = Event::new("exchanges.expire", Outcome::Success)
                .target("exchange", record.id.clone())
                .reason(format!("lock {} ran out unused", record.lock_id))
                .change(
                    Some(json!({ "status": "locked" })),
                    Some(json!({ "status": "expired" })),
                );
            audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The exchange an exchange webhook is about, if it is pending here.
async fn webhook_target(state: &AppState, payload: &Value) -> Result<Result<ExchangeRecord, String>, String> {
    let Some(upstream_id) = payload
        .get("exchangeId")
        .or_else(|| payload.get("id"))
        .and_then(Value::as_str)
    else {
        return Ok(Err("no exchange id in the event".into()));
    };
    let record = store::find_by_upstream(&state.db, upstream_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match record {
        None => Err(format!("exchange {upstream_id} was not started here")),
        Some(r) if r.status != ExchangeStatus::Pending.as_str() => Err(format!("exchange already {}", r.status)),
        Some(r) => Ok(r),
    })
}

async fn upstream_details(state: &AppState, record: &ExchangeRecord) -> Result<ExchangeDetails, String> {
    let upstream_id = record.upstream_id.as_deref().unwrap_or_default();
    Ok(state
        .p100
        .exchange_details(upstream_id)
        .await
        .map_err(|f| f.error.to_string())?
        .value)
}

/// The exchange webhook (INFERRED: WEBHOOKS.md finds none; P100 may add one). Like every event it
/// is a hint: the details endpoint says what happened.
pub async fn apply_webhook(state: &AppState, payload: &Value) -> Result<Applied, String> {
    let record = match webhook_target(state, payload).await? {
        Err(reason) => return Ok(Applied::Ignored(reason)),
        Ok(record) => record,
    };
    let details = upstream_details(state, &record).await?;
    apply_details(&state.db, &record, &details)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Applied::Done)
}

/// What `apply_webhook` would change now, read from P100 but not written (the log's dry run).
pub async fn preview_webhook(state: &AppState, payload: &Value) -> Result<Preview, String> {
    let record = match webhook_target(state, payload).await? {
        Err(reason) => return Ok(Preview::nothing(reason)),
        Ok(record) => record,
    };
    let details = upstream_details(state, &record).await?;
    let Some((to, amount_to, fee)) = outcome(&record, &details) else {
        return Ok(Preview::nothing(format!(
            "P100 still reports exchange {} {}",
            details.id, details.status
        )));
    };
    let target = format!("exchange {}", record.id);
    Ok(Preview::new(format!(
        "P100 reports exchange {} {}: it becomes {to}.",
        details.id, details.status
    ))
    .change(&target, "status", &record.status, to.as_str())
    .change(&target, "amount received", &record.amount_to, &amount_to)
    .change(&target, "fee", &record.fee, &fee))
}

pub async fn get(state: &AppState, id: &str) -> Result<ExchangeView, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let action = crate::domain::approvals::ApprovalAction::ResolveExchange;
    Ok(ExchangeView {
        pending_resolution: super::approvals::pending_for(&state.db, action, "exchange", id).await?,
        ..view(record)
    })
}

pub async fn list(state: &AppState, filter: &ExchangeFilter) -> Result<ExchangeList, AppError> {
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut errors = FieldErrors::default();
    let status = text(&filter.status);
    if let Some(s) = &status
        && ExchangeStatus::parse(s).is_none()
    {
        errors.add("status", "Choose a status from the list.");
    }
    let currency = text(&filter.currency).map(|c| Currency::parse(&c));
    if let Some(Currency::Unknown(code)) = &currency {
        errors.add("currency", format!("{code} is not a currency P100 exchanges."));
    }
    let filter = errors.into_result(|| ListFilter {
        status,
        currency: currency.map(|c| c.code().to_owned()),
        started_by: text(&filter.started_by),
        holder: text(&filter.holder).map(|h| (h != "partner").then_some(h)),
    })?;
    expire_due(&state.db).await?;
    let rows = store::list(&state.db, &filter, LIST_LIMIT).await?;
    Ok(ExchangeList {
        rows: rows.into_iter().map(view).collect(),
        starters: store::starters(&state.db).await?,
    })
}

fn view(r: ExchangeRecord) -> ExchangeView {
    let (from, to) = (Currency::parse(&r.currency_from), Currency::parse(&r.currency_to));
    let amount = |text: &str, c: &Currency| display(text.parse().unwrap_or_default(), c);
    let now = Timestamp::now();
    // A lock that ran out reads as expired before the next sweep records it.
    let status = match ExchangeStatus::parse(&r.status) {
        Some(ExchangeStatus::Locked) if r.valid_until <= now => ExchangeStatus::Expired,
        Some(status) => status,
        None => ExchangeStatus::Unknown,
    };
    let seconds_left = if status == ExchangeStatus::Locked {
        (r.valid_until.get() - now.get())
            .whole_seconds()
            .clamp(0, i64::from(u32::MAX)) as u32
    } else {
        0
    };
    let holder = Holder::from_param(r.external_user_id);
    ExchangeView {
        again: ExchangeInput {
            holder: holder.clone(),
            from: from.code().to_owned(),
            to: to.code().to_owned(),
            amount: r.amount_from.clone(),
        },
        holder,
        amount_from: amount(&r.amount_from, &from),
        fee: amount(&r.fee, &to),
        amount_to: amount(&r.amount_to, &to),
        rate: rate_text(&from, &to, r.rate.parse().unwrap_or_default()),
        status,
        seconds_left,
        lock_id: r.lock_id,
        valid_until: r.valid_until.into(),
        upstream_id: r.upstream_id,
        failure: r.failure,
        decision: crate::domain::movements::Decision::from_stored(r.decision, r.candidates.as_deref()),
        pending_resolution: None,
        started_by: r.starter_name,
        created_at: r.created_at.into(),
        finalized_at: r.finalized_at.map(Into::into),
        id: r.id,
        from,
        to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_round_the_fee_up_and_the_proceeds_down() {
        let rates: Rates = [
            (Currency::Eur, Num(Amount(dec!(1)))),
            (Currency::Btc, Num(Amount(dec!(55647.81453411)))),
        ]
        .into_iter()
        .collect();
        let p = price(dec!(0.1), &rates, &Currency::Btc, &Currency::Eur, dec!(1.49)).unwrap();
        // 5,564.781453411 EUR gross; 1.49% = 82.91524365582... -> 82.92; 5,481.86 after.
        assert_eq!(p.fee, dec!(82.92));
        assert_eq!(p.receive, dec!(5481.86));
        let back = price(dec!(100), &rates, &Currency::Eur, &Currency::Btc, dec!(1.49)).unwrap();
        assert_eq!(back.receive.scale(), 8);
        assert!(back.receive + back.fee <= dec!(100) / dec!(55647.81453411));
        assert_eq!(price(dec!(1), &rates, &Currency::Eth, &Currency::Eur, dec!(1)), None);
    }
}
