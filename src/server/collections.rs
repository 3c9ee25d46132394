//! Collections: crypto orders (indicative rates, a lock for a EUR amount, the order created by the
//! lock's id once) and payment links / hosted checkouts (created in one call), each followed from
//! P100's details by the page, a background follower and the Order status / Payment Link webhooks.
//! P100 is the record of what was paid; this is the index of what we created, and its last word.

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::json;

use crate::domain::audit::Outcome;
use crate::domain::collections::{
    CollectionFilter, CollectionKind, CollectionList, CollectionStatus, CollectionView, IndicativeRate, LinkInput,
    LinkTransfer, ORDER_ASSETS, OrderInput, settled_at_p100,
};
use crate::domain::money::{Amount, Currency, display, parse_amount, rate_text};
use crate::domain::{AppError, FieldErrors, UtcTime, required_text};
use crate::p100::error::MoneyAnswer;
use crate::p100::types::{OrderDetails, OrderLockRequest, OrderStatus, PaymentLink, PaymentLinkRequest};
use crate::server::audit::{self, Event, Who};
use crate::server::auth::Actor;
use crate::server::db::collections::{self as store, CollectionRecord, ListFilter};
use crate::server::db::{self, Db, Timestamp};
use crate::server::state::AppState;
use crate::server::users::kyc::Applied;
use crate::server::webhooks::{Preview, in_words};

/// Rows the page shows; the export has them all.
const LIST_LIMIT: i64 = 200;
/// Details reads per follower round, so P100 is read at a bounded rate.
const FOLLOW_BATCH: i64 = 20;
/// The longest a payment link may be open, in hours (30 days).
const MAX_LINK_HOURS: i64 = 720;

// ---- Orders ---------------------------------------------------------------------------------

/// P100's indicative rate for every asset an order can be paid in (display only).
pub async fn rates(state: &AppState) -> Result<Vec<IndicativeRate>, AppError> {
    let rates = state.p100.order_rates().await?.value;
    Ok(ORDER_ASSETS
        .iter()
        .filter_map(|(currency, network, label)| {
            let c = Currency::parse(currency);
            let rate = rates.get(&c)?.0.get();
            Some(IndicativeRate {
                asset: format!("{currency}:{network}"),
                label: (*label).to_owned(),
                rate: rate_text(&c, &Currency::Eur, rate),
            })
        })
        .collect())
}

/// A checked order: the EUR to settle, the crypto and its network.
struct NewOrder {
    eur: Amount,
    currency: Currency,
    network: &'static str,
}

fn parse_order(input: &OrderInput) -> Result<NewOrder, AppError> {
    let mut errors = FieldErrors::default();
    let eur = errors.check("amount", parse_amount(&input.amount, &Currency::Eur));
    let asset = ORDER_ASSETS.iter().find(|(c, n, _)| input.asset == format!("{c}:{n}"));
    if asset.is_none() {
        errors.add("asset", "Choose what the payer pays in.");
    }
    errors.into_result(|| {
        let (currency, network, _) = asset.copied().unwrap_or(ORDER_ASSETS[0]);
        NewOrder {
            eur: eur.unwrap_or_default(),
            currency: Currency::parse(currency),
            network,
        }
    })
}

/// Locks P100's rate for an order of `input.amount` EUR paid in the chosen crypto, and records it:
/// the exact crypto the payer must send and until when the lock holds.
pub async fn lock_order(state: &AppState, actor: &Actor, input: &OrderInput) -> Result<CollectionView, AppError> {
    let order = parse_order(input)?;
    let id = uuid::Uuid::now_v7().to_string();
    let event = Event::new("collections.order.lock", Outcome::Success).target("collection", id.clone());
    let request = OrderLockRequest {
        currency: order.currency.clone(),
        amount: order.eur,
        network: Some(order.network.to_owned()),
    };
    let reply = match state.p100.order_lock(&request).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let lock = reply.value;
    let unreadable = |what: &str| AppError::Upstream {
        code: "unexpected".into(),
        message: format!("P100's order lock has {what}."),
    };
    let lock_until = Timestamp::parse_rfc3339(&lock.expires_at).map_err(|_| unreadable("an unreadable expiry"))?;
    let crypto = lock.amount.0.get();
    if crypto <= Decimal::ZERO {
        return Err(unreadable("no crypto amount"));
    }
    // What one unit of the crypto settles, from the two amounts: the lock's own `rate` is written
    // both ways round across P100's documents.
    let rate = (order.eur.get() / crypto).round_dp(8).normalize();
    let now = Timestamp::now();
    let record = CollectionRecord {
        id: id.clone(),
        kind: CollectionKind::Order,
        status: CollectionStatus::Locked,
        eur_amount: order.eur.at_scale_of(&Currency::Eur).to_string(),
        currency: order.currency.code().to_owned(),
        network: Some(lock.network.clone().unwrap_or_else(|| order.network.to_owned())),
        crypto_amount: Some(Amount(crypto).at_scale_of(&order.currency).to_string()),
        rate: Some(rate.to_string()),
        lock_id: Some(lock.lock_id.clone()),
        lock_until: Some(lock_until),
        ..CollectionRecord::new(&actor.staff.id, now)
    };
    let event = event
        .upstream(&reply.call)
        .reason(format!(
            "order of {} paid in {} on {}: {} due, lock {}",
            display(order.eur, &Currency::Eur),
            order.currency.code().to_uppercase(),
            order.network,
            display(Amount(crypto), &order.currency),
            lock.lock_id
        ))
        .change(
            None,
            Some(json!({ "status": record.status, "lockUntil": lock.expires_at })),
        );
    let mut tx = db::begin_write(&state.db).await?;
    store::insert(&mut tx, &record).await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    get(state, &id).await
}

/// Creates the order at P100 with its lock, once: it leaves `locked` in the same transaction as its
/// audit row, before P100 is called, so a second click, tab or retry is refused. After the lock's
/// end nothing is sent.
pub async fn create_order(state: &AppState, actor: &Actor, id: &str) -> Result<CollectionView, AppError> {
    let mut tx = db::begin_write(&state.db).await?;
    let record = store::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let event = Event::new("collections.order.create", Outcome::Success).target("collection", id);
    let now = Timestamp::now();
    if record.kind != CollectionKind::Order || !store::claim(&mut tx, id, now).await? {
        let (outcome, message) =
            if record.status == CollectionStatus::Locked || record.status == CollectionStatus::LockExpired {
                store::transition(
                    &mut tx,
                    id,
                    CollectionStatus::Locked,
                    CollectionStatus::LockExpired,
                    None,
                    now,
                )
                .await?;
                let at = record
                    .lock_until
                    .map(|t| UtcTime::from(t).display())
                    .unwrap_or_default();
                (
                    Outcome::Failure,
                    format!("The locked rate ended at {at} UTC. Lock a new rate to create the order."),
                )
            } else {
                (
                    Outcome::Denied,
                    format!(
                        "This order was already sent to P100 ({}); it is not sent again.",
                        record.status.label()
                    ),
                )
            };
        let event = event.outcome(outcome).reason(message.clone());
        audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
        tx.commit().await?;
        return Err(AppError::Refused(message));
    }
    let lock_id = record.lock_id.clone().unwrap_or_default();
    let sending = event.clone().reason(format!("sending to P100 with lock {lock_id}"));
    audit::record(&mut tx, &actor.who(), &actor.meta, sending).await?;
    tx.commit().await?;

    let reply = state.p100.create_order(&lock_id).await;
    let mut tx = db::begin_write(&state.db).await?;
    let now = Timestamp::now();
    let from = CollectionStatus::Creating;
    let (event, refused) = match reply {
        Ok(reply) => {
            store::set_upstream_id(&mut tx, id, &reply.value.order_id, now).await?;
            store::transition(&mut tx, id, from, CollectionStatus::WaitingForAddress, None, now).await?;
            let event = event
                .upstream(&reply.call)
                .reason(format!("P100 order {}", reply.value.order_id))
                .change(
                    Some(json!({ "status": from })),
                    Some(json!({ "status": CollectionStatus::WaitingForAddress })),
                );
            (event, None)
        }
        Err(failure) => {
            let words = failure.error.money_words();
            let to = match failure.error.money_answer() {
                MoneyAnswer::Refused => CollectionStatus::Failed,
                // Nothing to look for: P100 lists no orders, and nobody has the address of one it
                // may have made; the lock is spent either way.
                MoneyAnswer::MaybeAccepted => CollectionStatus::Unknown,
            };
            let words = match to {
                CollectionStatus::Unknown => format!(
                    "{}: P100 did not say whether it made the order, and lists no orders to look in. Nobody has \
                     its address, so nothing can be paid to it; lock a new rate to collect.",
                    failure.error.code()
                ),
                _ => words,
            };
            store::transition(&mut tx, id, from, to, Some(&words), now).await?;
            let event = audit::refused_upstream(event, &failure)
                .change(Some(json!({ "status": from })), Some(json!({ "status": to })));
            let refused = (to == CollectionStatus::Failed).then(|| AppError::from(failure));
            (event, refused)
        }
    };
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    if let Some(refused) = refused {
        return Err(refused);
    }
    follow(state, id).await
}

// ---- Payment links --------------------------------------------------------------------------

struct NewLink {
    kind: CollectionKind,
    eur: Amount,
    description: Option<String>,
    reference: Option<String>,
    expires_at: Option<Timestamp>,
}

fn parse_link(input: &LinkInput) -> Result<NewLink, AppError> {
    let mut errors = FieldErrors::default();
    let kind = match CollectionKind::parse(input.kind.trim()) {
        Some(kind) if kind.is_link() => Some(kind),
        _ => {
            errors.add("kind", "Choose a payment link or a hosted checkout.");
            None
        }
    };
    let eur = errors.check("amount", parse_amount(&input.amount, &Currency::Eur));
    let optional = |text: &str, max: usize| match text.trim() {
        "" => Ok(None),
        _ => required_text(text, "", max).map(Some),
    };
    let description = errors.check("description", optional(&input.description, 140)).flatten();
    let reference = errors.check("reference", optional(&input.reference, 64)).flatten();
    let hours = match input.expires_in_hours.trim() {
        "" => Ok(None),
        text => match text.parse::<i64>() {
            Ok(h) if (1..=MAX_LINK_HOURS).contains(&h) => Ok(Some(h)),
            _ => Err(format!(
                "Enter whole hours from 1 to {MAX_LINK_HOURS}, or leave it empty."
            )),
        },
    };
    let hours = errors.check("expires_in_hours", hours).flatten();
    errors.into_result(|| NewLink {
        kind: kind.unwrap_or(CollectionKind::PaymentLink),
        eur: eur.unwrap_or_default(),
        description,
        reference,
        expires_at: hours.map(|h| Timestamp::now() + Duration::from_secs(h as u64 * 3600)),
    })
}

/// Creates a payment link or hosted checkout for a EUR amount and records it.
pub async fn create_link(state: &AppState, actor: &Actor, input: &LinkInput) -> Result<CollectionView, AppError> {
    let link = parse_link(input)?;
    let id = uuid::Uuid::now_v7().to_string();
    let event = Event::new("collections.link.create", Outcome::Success).target("collection", id.clone());
    let request = PaymentLinkRequest {
        amount: Amount(link.eur.at_scale_of(&Currency::Eur)),
        currency: Currency::Eur,
        description: link.description.clone(),
        redirect_url: None,
        reference: link.reference.clone(),
        expires_at: link.expires_at.map(|t| t.to_text()),
    };
    let reply = match link.kind {
        CollectionKind::HostedCheckout => state.p100.hosted_checkout(&request).await,
        _ => state.p100.payment_link(&request).await,
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let created = reply.value;
    let now = Timestamp::now();
    let record = CollectionRecord {
        id: id.clone(),
        kind: link.kind,
        status: CollectionStatus::AwaitingPayment,
        upstream_id: Some(created.id.clone()),
        eur_amount: link.eur.at_scale_of(&Currency::Eur).to_string(),
        currency: Currency::Eur.code().to_owned(),
        url: Some(created.url.clone()),
        description: link.description,
        reference: link.reference,
        expires_at: created
            .expires_at
            .as_deref()
            .and_then(|t| Timestamp::parse_rfc3339(t).ok())
            .or(link.expires_at),
        ..CollectionRecord::new(&actor.staff.id, now)
    };
    let event = event
        .upstream(&reply.call)
        .reason(format!(
            "{} for {}: P100 {}",
            link.kind.label(),
            display(link.eur, &Currency::Eur),
            created.id
        ))
        .change(None, Some(json!({ "status": record.status, "url": created.url })));
    let mut tx = db::begin_write(&state.db).await?;
    store::insert(&mut tx, &record).await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    get(state, &id).await
}

// ---- Following P100 -------------------------------------------------------------------------

impl CollectionRecord {
    /// An empty record by `created_by` at `now`, for the struct update syntax.
    fn new(created_by: &str, now: Timestamp) -> Self {
        CollectionRecord {
            id: String::new(),
            kind: CollectionKind::Order,
            status: CollectionStatus::Locked,
            upstream_id: None,
            upstream_status: None,
            eur_amount: String::new(),
            currency: String::new(),
            network: None,
            crypto_amount: None,
            received_amount: None,
            rate: None,
            confirmations: None,
            required_confirmations: None,
            lock_id: None,
            lock_until: None,
            wallet_address: None,
            transaction_hash: None,
            url: None,
            description: None,
            reference: None,
            expires_at: None,
            transfers: None,
            failure: None,
            created_by: created_by.to_owned(),
            creator_name: String::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// How far along a status is: P100's news moves a collection forward only, so a late or repeated
/// read never takes it back.
fn rank(status: CollectionStatus) -> u8 {
    match status {
        CollectionStatus::WaitingForAddress => 1,
        CollectionStatus::AwaitingPayment => 2,
        CollectionStatus::Underpaid => 3,
        CollectionStatus::Confirming => 4,
        CollectionStatus::Paid | CollectionStatus::Expired => 5,
        _ => 0,
    }
}

/// An order as P100's details say it is now.
fn order_read(record: &CollectionRecord, d: &OrderDetails) -> CollectionRecord {
    let currency = Currency::parse(&record.currency);
    let received = d.received_amount.map(|n| n.0.get()).unwrap_or_default();
    let due = d.total_amount_required.0.get();
    let status = match d.status {
        OrderStatus::WaitingForWalletAddress => CollectionStatus::WaitingForAddress,
        OrderStatus::WaitingForPayment if received > Decimal::ZERO && received < due => CollectionStatus::Underpaid,
        OrderStatus::WaitingForPayment => CollectionStatus::AwaitingPayment,
        OrderStatus::WaitingForConfirmation => CollectionStatus::Confirming,
        OrderStatus::Completed => CollectionStatus::Paid,
        OrderStatus::Expired => CollectionStatus::Expired,
        // A state P100 added: kept in words, the record stays where it was.
        OrderStatus::Unknown(_) => record.status,
    };
    CollectionRecord {
        status,
        upstream_status: Some(d.status.as_str().to_owned()),
        crypto_amount: Some(Amount(due).at_scale_of(&currency).to_string()),
        received_amount: Some(Amount(received).at_scale_of(&currency).to_string()),
        confirmations: Some(i64::from(d.confirmations)),
        required_confirmations: Some(i64::from(d.required_confirmations)),
        wallet_address: d.wallet_address.clone(),
        transaction_hash: d.transaction_hash.clone(),
        expires_at: d.expires_at.as_deref().and_then(|t| Timestamp::parse_rfc3339(t).ok()),
        ..record.clone()
    }
}

/// A payment link as P100's details say it is now (status words INFERRED, REFERENCE §2.7).
fn link_read(record: &CollectionRecord, d: &PaymentLink) -> CollectionRecord {
    let word = d.status.trim().to_ascii_uppercase();
    let status = match word.as_str() {
        "PENDING" | "ACTIVE" | "CREATED" => CollectionStatus::AwaitingPayment,
        "AWAITING_COMPLETION" | "UNDERPAID" | "PARTIALLY_PAID" => CollectionStatus::Underpaid,
        "CONFIRMING" | "WAITING_FOR_CONFIRMATION" => CollectionStatus::Confirming,
        word if settled_at_p100(word) => CollectionStatus::Paid,
        "EXPIRED" => CollectionStatus::Expired,
        _ => record.status,
    };
    CollectionRecord {
        status,
        upstream_status: Some(word),
        url: Some(d.url.clone()),
        expires_at: d
            .expires_at
            .as_deref()
            .and_then(|t| Timestamp::parse_rfc3339(t).ok())
            .or(record.expires_at),
        transfers: serde_json::to_string(&d.transactions).ok(),
        ..record.clone()
    }
}

/// What P100's details can change.
type Progress<'a> = (
    CollectionStatus,
    &'a Option<String>,
    &'a Option<String>,
    Option<i64>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    Option<Timestamp>,
);

fn progress(r: &CollectionRecord) -> Progress<'_> {
    (
        r.status,
        &r.upstream_status,
        &r.received_amount,
        r.confirmations,
        &r.wallet_address,
        &r.transaction_hash,
        &r.transfers,
        r.expires_at,
    )
}

/// Reads P100's details of a followed collection and records what changed; a status change is
/// audited once, as the system, whichever of the page, the follower or a webhook read it first.
async fn sync(state: &AppState, record: &CollectionRecord) -> Result<(), AppError> {
    let Some(upstream_id) = record.upstream_id.as_deref().filter(|_| record.status.followed()) else {
        return Ok(());
    };
    let mut next = match record.kind {
        CollectionKind::Order => order_read(record, &state.p100.order_details(upstream_id).await?.value),
        _ => link_read(record, &state.p100.payment_link_details(upstream_id).await?.value),
    };
    if rank(next.status) < rank(record.status) {
        next.status = record.status;
    }
    if progress(&next) == progress(record) {
        return Ok(());
    }
    next.updated_at = Timestamp::now();
    let mut tx = db::begin_write(&state.db).await?;
    if store::save_progress(&mut tx, record.status, &next).await? && next.status != record.status {
        let event = Event::new("collections.status", Outcome::Success)
            .target("collection", record.id.clone())
            .reason(format!(
                "P100 {} {upstream_id} is {}",
                record.kind.label().to_lowercase(),
                next.upstream_status.as_deref().unwrap_or_default()
            ))
            .change(
                Some(json!({ "status": record.status })),
                Some(json!({ "status": next.status, "receivedAmount": next.received_amount })),
            );
        audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One collection for its page, first brought up to date from P100 while P100 still moves it (a
/// failed read leaves the last known state; the follower tries again).
pub async fn follow(state: &AppState, id: &str) -> Result<CollectionView, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if let Err(err) = sync(state, &record).await {
        tracing::warn!(%err, collection = id, "reading the collection's details");
    }
    get(state, id).await
}

/// The follower's round: lapsed locks recorded, then the collections P100 still moves, the
/// longest unread first.
pub async fn follow_due(state: &AppState) -> Result<(), AppError> {
    expire_locks(&state.db).await?;
    for record in store::followed(&state.db, FOLLOW_BATCH).await? {
        if let Err(err) = sync(state, &record).await {
            tracing::warn!(%err, collection = record.id, "following the collection");
        }
    }
    Ok(())
}

/// Records the end of locks nobody created an order with (audited, as the system).
async fn expire_locks(db: &Db) -> Result<(), AppError> {
    let (from, to) = (CollectionStatus::Locked, CollectionStatus::LockExpired);
    for record in store::lapsed(db, Timestamp::now(), LIST_LIMIT).await? {
        let mut tx = db::begin_write(db).await?;
        if store::transition(&mut tx, &record.id, from, to, None, Timestamp::now()).await? {
            let event = Event::new("collections.lock_expire", Outcome::Success)
                .target("collection", record.id.clone())
                .reason(format!("lock {} ran out unused", record.lock_id.unwrap_or_default()))
                .change(Some(json!({ "status": from })), Some(json!({ "status": to })));
            audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Applies an Order status or Payment Link event: the collection it names is read again from
/// P100's details (the body's fields are INFERRED; the details are the record).
pub async fn apply_webhook(state: &AppState, upstream_id: &str) -> Result<Applied, String> {
    let Some(record) = store::find_upstream(&state.db, upstream_id).await.map_err(in_words)? else {
        return Ok(Applied::Ignored(format!(
            "no order or payment link created here has P100 id {upstream_id}"
        )));
    };
    sync(state, &record).await.map_err(in_words)?;
    Ok(Applied::Done)
}

/// What `apply_webhook` would do now (the webhook log's dry run).
pub async fn preview_webhook(state: &AppState, upstream_id: &str) -> Result<Preview, String> {
    match store::find_upstream(&state.db, upstream_id).await.map_err(in_words)? {
        None => Ok(Preview::nothing(format!(
            "no order or payment link created here has P100 id {upstream_id}"
        ))),
        Some(r) if !r.status.followed() => Ok(Preview::nothing(format!(
            "{} {upstream_id} is already {}",
            r.kind.label(),
            r.status.label().to_lowercase()
        ))),
        Some(r) => Ok(Preview::new(format!(
            "{} {upstream_id} is read again from P100's details.",
            r.kind.label()
        ))),
    }
}

// ---- Reading --------------------------------------------------------------------------------

pub async fn get(state: &AppState, id: &str) -> Result<CollectionView, AppError> {
    let record = store::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut view = view(record);
    // The payer scans the wallet address of an order, or the link.
    view.qr = match (&view.wallet_address, &view.url) {
        (Some(address), _) if view.status.followed() => Some(super::qr::svg(address)?),
        (None, Some(url)) if view.status.followed() => Some(super::qr::svg(url)?),
        _ => None,
    };
    Ok(view)
}

/// By our id or P100's (quick find).
pub async fn find_by_either_id(db: &Db, id: &str) -> Result<Option<CollectionView>, AppError> {
    Ok(store::find_by_either_id(db, id).await?.map(view))
}

/// The page's filters, checked; each message under its field.
pub fn criteria(filter: &CollectionFilter) -> Result<ListFilter, AppError> {
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut errors = FieldErrors::default();
    let kind = text(&filter.kind).and_then(|k| {
        let kind = CollectionKind::parse(&k);
        if kind.is_none() {
            errors.add("kind", "Choose a kind from the list.");
        }
        kind
    });
    let status = text(&filter.status).and_then(|s| {
        let status = CollectionStatus::parse(&s);
        if status.is_none() {
            errors.add("status", "Choose a status from the list.");
        }
        status
    });
    let currency = text(&filter.currency).map(|c| Currency::parse(&c));
    if let Some(Currency::Unknown(code)) = &currency {
        errors.add("currency", format!("{code} is not a currency P100 knows."));
    }
    let (from, to) = crate::domain::parse_day_range(&mut errors, &filter.from, &filter.to);
    errors.into_result(|| ListFilter {
        kind,
        status,
        currency: currency.map(|c| c.code().to_owned()),
        created_by: text(&filter.created_by),
        from: from.map(|d| Timestamp::from(d.midnight().assume_utc())),
        to: to.map(|d| Timestamp::from(d.next_day().unwrap_or(d).midnight().assume_utc())),
    })
}

pub async fn list(state: &AppState, filter: &CollectionFilter) -> Result<CollectionList, AppError> {
    let filter = criteria(filter)?;
    expire_locks(&state.db).await?;
    let mut rows = store::page(&state.db, &filter, None, LIST_LIMIT + 1).await?;
    let truncated = rows.len() as i64 > LIST_LIMIT;
    rows.truncate(LIST_LIMIT as usize);
    Ok(CollectionList {
        rows: rows.into_iter().map(view).collect(),
        truncated,
        creators: store::creators(&state.db).await?,
    })
}

pub const CSV_COLUMNS: [&str; 17] = [
    "id",
    "created_at",
    "kind",
    "status",
    "p100_id",
    "p100_status",
    "eur_amount",
    "currency",
    "network",
    "crypto_due",
    "crypto_received",
    "wallet_address",
    "transaction_hash",
    "url",
    "reference",
    "created_by",
    "updated_at",
];

/// One collection as CSV cells: amounts the exact decimals recorded.
pub fn csv_cells(r: CollectionRecord) -> [String; 17] {
    let text = |t: Option<String>| t.unwrap_or_default();
    [
        r.id,
        r.created_at.to_text(),
        r.kind.as_str().to_owned(),
        r.status.as_str().to_owned(),
        text(r.upstream_id),
        text(r.upstream_status),
        r.eur_amount,
        r.currency,
        text(r.network),
        text(r.crypto_amount),
        text(r.received_amount),
        text(r.wallet_address),
        text(r.transaction_hash),
        text(r.url),
        text(r.reference),
        r.creator_name,
        r.updated_at.to_text(),
    ]
}

fn view(r: CollectionRecord) -> CollectionView {
    let currency = Currency::parse(&r.currency);
    let amount = |text: &Option<String>| {
        text.as_deref()
            .map(|t| display(Amount(t.parse().unwrap_or_default()), &currency))
    };
    let now = Timestamp::now();
    // A lock that ran out reads as ended before the next sweep records it.
    let status = match r.status {
        CollectionStatus::Locked if r.lock_until.is_some_and(|t| t <= now) => CollectionStatus::LockExpired,
        status => status,
    };
    let seconds_left = match (status, r.lock_until) {
        (CollectionStatus::Locked, Some(until)) => {
            (until.get() - now.get()).whole_seconds().clamp(0, i64::from(u32::MAX)) as u32
        }
        _ => 0,
    };
    let transfers: Vec<crate::p100::types::PaymentLinkTransaction> = r
        .transfers
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let settled = transfers
        .iter()
        .map(|t| t.settled_amount.map(Amount::get))
        .sum::<Option<Decimal>>()
        .filter(|_| !transfers.is_empty());
    let eur = |d: Decimal| display(Amount(d), &Currency::Eur);
    CollectionView {
        kind: r.kind,
        status,
        upstream_status: r.upstream_status,
        upstream_id: r.upstream_id,
        eur: display(Amount(r.eur_amount.parse().unwrap_or_default()), &Currency::Eur),
        crypto: (!r.kind.is_link()).then(|| currency.code().to_uppercase()),
        network: r.network,
        due: amount(&r.crypto_amount),
        received: amount(&r.received_amount),
        rate: r
            .rate
            .as_deref()
            .map(|t| rate_text(&currency, &Currency::Eur, t.parse().unwrap_or_default())),
        confirmations: r
            .confirmations
            .zip(r.required_confirmations)
            .map(|(n, of)| (n.clamp(0, 1000) as u32, of.clamp(0, 1000) as u32)),
        wallet_address: r.wallet_address,
        transaction_hash: r.transaction_hash,
        url: r.url,
        qr: None,
        description: r.description,
        reference: r.reference,
        transfers: transfers
            .iter()
            .map(|t| LinkTransfer {
                hash: t.transaction_hash.clone(),
                amount: display(t.amount, &t.currency),
                network: t.network.clone(),
                status: t.status.clone(),
                settled: t.settled_amount.map(|a| eur(a.get())),
            })
            .collect(),
        settled: settled.map(eur),
        seconds_left,
        lock_until: r.lock_until.map(Into::into),
        expires_at: r.expires_at.map(Into::into),
        failure: r.failure,
        created_by: r.creator_name,
        created_at: r.created_at.into(),
        updated_at: r.updated_at.into(),
        id: r.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_form_is_checked_field_by_field() {
        let input = LinkInput {
            kind: "hosted_checkout".into(),
            amount: "120.5".into(),
            description: " Invoice 42 ".into(),
            reference: String::new(),
            expires_in_hours: "48".into(),
        };
        let link = parse_link(&input).unwrap();
        assert_eq!(link.kind, CollectionKind::HostedCheckout);
        assert_eq!(link.eur.get().to_string(), "120.5");
        assert_eq!(link.description.as_deref(), Some("Invoice 42"));
        assert!(link.reference.is_none() && link.expires_at.is_some());
        let bad = LinkInput {
            kind: "order".into(),
            amount: "-1".into(),
            expires_in_hours: "9999".into(),
            ..input
        };
        let Err(AppError::Invalid(errors)) = parse_link(&bad) else {
            panic!("accepted")
        };
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["kind", "amount", "expires_in_hours"]);
    }

    #[test]
    fn an_order_moves_forward_only() {
        assert!(rank(CollectionStatus::Paid) > rank(CollectionStatus::Confirming));
        assert!(rank(CollectionStatus::Underpaid) > rank(CollectionStatus::AwaitingPayment));
        assert!(rank(CollectionStatus::AwaitingPayment) > rank(CollectionStatus::WaitingForAddress));
    }
}
