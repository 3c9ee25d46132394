//! Currency exchange for the partner and for users: an indicative quote, a locked rate recorded
//! here, finalizing by the lock's id (once, before it expires), and the outcome followed from
//! P100's details endpoint and its exchange webhook.

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::domain::audit::Outcome;
use crate::domain::balances::{Holder, NOT_OPENED};
use crate::domain::exchanges::{ExchangeFilter, ExchangeInput, ExchangeList, ExchangeStatus, ExchangeView, Quote};
use crate::domain::money::{Amount, Currency, display, parse_amount, rate_text};
use crate::domain::movements::{Decision, Unclear};
use crate::domain::{AppError, FieldErrors};
use crate::p100::types::{ExchangeDetails, ExchangeRequest, MovementStatus, Num, Rates};
use crate::server::audit::{self, Event, Who};
use crate::server::auth::Actor;
use crate::server::db::exchanges::{self as store, ExchangeRecord, ListFilter, NewExchange};
use crate::server::db::sent::{self, Change, Stage, Status, Transition};
use crate::server::db::{self, Db, Timestamp};
use crate::server::money::recovery::Sought;
use crate::server::money::{self, Actions, Answer, Sent, Settled, Settlement};
use crate::server::state::AppState;

/// P100's standard exchange fee (REFERENCE.md 1.9), used for the indicative quote only: the lock
/// carries the partner's actual fee.
const STANDARD_FEE_PERCENT: Decimal = dec!(1.49);
/// How many exchanges the list shows.
const LIST_LIMIT: i64 = 200;

/// What an amount fetches: the rate (units of `to` per unit of `from`), the fee and what arrives,
/// both in `to`. The fee rounds up and the proceeds down to `to`'s decimals, so rounding never
/// gives away money. The sandbox prices with its own market model (`sandbox::market`), so
/// the two are checked against each other.
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
    let sheet = sheet?;
    if !sheet.opened {
        return Err(AppError::Refused(NOT_OPENED.to_owned()));
    }
    let available = sheet.line(&order.from).map_or(Amount::ZERO, |l| l.amount);
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
            Some(json!({ "status": ExchangeStatus::Locked, "validUntil": lock.valid_until })),
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
        let (outcome, message) = if matches!(record.status, ExchangeStatus::Locked | ExchangeStatus::Expired) {
            // Already `expired` when the sweep came first: nothing to change, the answer is the same.
            let (from, to) = (ExchangeStatus::Locked, ExchangeStatus::Expired);
            Transition::or_elsewhere(sent::transition(&mut tx, id, from, to, &Change::default()).await)?;
            let at = crate::domain::UtcTime::from(record.valid_until).display();
            (
                Outcome::Failure,
                format!("The locked rate expired at {at} UTC. Lock a new rate to exchange."),
            )
        } else {
            (
                Outcome::Denied,
                format!(
                    "This exchange was already finalized ({}); it is not sent again.",
                    record.status.label()
                ),
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
    let reply = state
        .p100
        .exchange(&request)
        .await
        .map(|reply| (reply.value.exchange_id, reply.call));
    // A refusal is an error on the form; an answer that may mean "done" is the exchange's state,
    // shown on its page (it is never sent again: the lock is single-use anyway).
    match money::answer::<ExchangeRecord>(state, &actor.who(), &actor.meta, id, event, reply).await? {
        Answer::Refused(failure) => Err(failure.into()),
        Answer::Accepted | Answer::Unclear => get(state, id).await,
    }
}

/// One exchange; a pending one is first brought up to date from P100's details, an unknown one is
/// looked for in its holder's history.
pub async fn follow(state: &AppState, id: &str) -> Result<ExchangeView, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    money::step(state, &record).await?;
    get(state, id).await
}

impl Sent for ExchangeRecord {
    type Details = ExchangeDetails;
    const SUBJECT: Unclear = Unclear::Exchange;
    const NOUN: &'static str = "exchange";
    const ACTIONS: Actions = Actions {
        send: "exchanges.finalize",
        status: "exchanges.status",
        recover: "exchanges.recover",
        needs_decision: "exchanges.needs_decision",
        resolve: "exchanges.resolve",
        reopen: "exchanges.reopen",
    };
    const MATCHED_ON: &'static str = "currencies, amount";

    async fn rivals(&self, db: &Db, from: Timestamp, to: Timestamp) -> Result<Vec<String>, sqlx::Error> {
        store::unknown_alike(db, self, from, to).await
    }

    /// A debit of its source currency in its holder's history, around the finalize.
    fn sought(&self, state: &AppState) -> Sought {
        Sought {
            payer: Holder::from_param(self.external_user_id.clone()),
            history_kind: "exchange",
            currency: Currency::parse(&self.currency_from),
            sent_at: self.finalized_at.unwrap_or(self.created_at),
            within: state.config.p100_timeout,
        }
    }

    async fn details(&self, state: &AppState, upstream_id: &str) -> Result<ExchangeDetails, crate::p100::Failure> {
        Ok(state.p100.exchange_details(upstream_id).await?.value)
    }

    fn fits(&self, d: &ExchangeDetails) -> bool {
        d.currency_from == Currency::parse(&self.currency_from)
            && d.currency_to == Currency::parse(&self.currency_to)
            && self
                .amount_from
                .parse::<Decimal>()
                .is_ok_and(|a| a == d.amount_from.get())
    }

    /// P100's final word: completed or failed, with the amount received and the fee P100 reports
    /// (they replace the quote) at the currency's scale.
    fn settled(&self, details: &ExchangeDetails) -> Settled {
        let to = match details.status {
            MovementStatus::Completed | MovementStatus::Successful => Stage::Completed,
            MovementStatus::Failed => Stage::Failed,
            _ => return Settled::Moving(details.status.to_string()),
        };
        let currency_to = Currency::parse(&self.currency_to);
        let amount_to = details.amount_to.at_scale_of(&currency_to).to_string();
        let fee = details.fee.at_scale_of(&currency_to).to_string();
        let mut change = Change::default()
            .set("amount_to", amount_to.clone())
            .set("fee", fee.clone());
        if to == Stage::Failed {
            change = change.failure("P100 reports the exchange FAILED; the funds return to the balance.");
        }
        Settled::Final(Settlement {
            to,
            upstream_status: details.status.to_string(),
            reason: format!("P100 exchange {} is {}", details.id, details.status),
            before: json!({ "status": self.status, "amountTo": self.amount_to }),
            after: json!({ "status": ExchangeStatus::of(to), "amountTo": amount_to }),
            preview: vec![
                ("amount received", self.amount_to.clone(), amount_to),
                ("fee", self.fee.clone(), fee),
            ],
            change,
        })
    }

    fn review(&self) -> Vec<(String, String)> {
        let view = view(self.clone());
        vec![
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
        ]
    }
}

/// Expires locks that ran out, then runs the engine's round for exchanges.
pub async fn follow_due(state: &AppState) -> Result<(), AppError> {
    expire_due(&state.db).await?;
    money::follow_due::<ExchangeRecord>(state).await
}

/// Records the expiry of locks that ran out with nobody finalizing (audited, as the system).
async fn expire_due(db: &Db) -> Result<(), AppError> {
    let (from, to) = (ExchangeStatus::Locked, ExchangeStatus::Expired);
    for record in store::lapsed(db, Timestamp::now(), LIST_LIMIT).await? {
        let mut tx = db::begin_write(db).await?;
        if Transition::or_elsewhere(sent::transition(&mut tx, &record.id, from, to, &Change::default()).await)? {
            let event = Event::new("exchanges.expire", Outcome::Success)
                .target("exchange", record.id.clone())
                .reason(format!("lock {} ran out unused", record.lock_id))
                .change(Some(json!({ "status": from })), Some(json!({ "status": to })));
            audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
        }
        tx.commit().await?;
    }
    Ok(())
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
    let status = text(&filter.status).and_then(|s| {
        let status = ExchangeStatus::parse(&s);
        if status.is_none() {
            errors.add("status", "Choose a status from the list.");
        }
        status
    });
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
    let status = match r.status {
        ExchangeStatus::Locked if r.valid_until <= now => ExchangeStatus::Expired,
        status => status,
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
        decision: Decision::from_stored(r.decision, r.candidates.as_deref()),
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
