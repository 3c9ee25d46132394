//! Money that arrives: the SEPA Deposit, Crypto Deposit and IBAN Status webhooks kept as the index
//! of deposits (P100 has no list of them), the Deposits page's list and export, and a user's
//! deposits and IBAN checks for the user page.

use rust_decimal::Decimal;

use crate::domain::balances::Holder;
use crate::domain::deposits::{DepositFilter, DepositKind, DepositList, DepositView, IbanCheck, UserDeposits};
use crate::domain::money::Currency;
use crate::domain::{AppError, FieldErrors};
use crate::p100::webhooks::{Deposit, IbanStatus, Route};
use crate::server::db::deposits::{self as store, DepositEvent, DepositRecord, FINAL, IBAN_FINAL, ListFilter, Upsert};
use crate::server::db::users::EventRecord;
use crate::server::db::{self, Timestamp};
use crate::server::state::AppState;
use crate::server::users::kyc::Applied;
use crate::server::webhooks::{Preview, in_words};

/// Rows the page shows; the export has them all.
const LIST_LIMIT: i64 = 200;

/// The page's filters, checked; each message under its field.
pub fn criteria(filter: &DepositFilter) -> Result<ListFilter, AppError> {
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut errors = FieldErrors::default();
    let kind = text(&filter.kind).and_then(|k| {
        let kind = DepositKind::parse(&k);
        if kind.is_none() {
            errors.add("kind", "Choose a kind from the list.");
        }
        kind
    });
    // P100's words as received: any word is a valid filter, upper-cased as P100 writes them.
    let status = text(&filter.status).map(|s| s.to_ascii_uppercase());
    let currency = text(&filter.currency).map(|c| Currency::parse(&c));
    if let Some(Currency::Unknown(code)) = &currency {
        errors.add("currency", format!("{code} is not a currency P100 holds."));
    }
    let (from, to) = crate::domain::parse_day_range(&mut errors, &filter.from, &filter.to);
    errors.into_result(|| ListFilter {
        kind,
        status,
        currency: currency.map(|c| c.code().to_owned()),
        user: text(&filter.user).map(|u| (u != "partner").then_some(u)),
        from: from.map(|d| Timestamp::from(d.midnight().assume_utc())),
        to: to.map(|d| Timestamp::from(d.next_day().unwrap_or(d).midnight().assume_utc())),
    })
}

pub async fn list(state: &AppState, filter: &DepositFilter) -> Result<DepositList, AppError> {
    let filter = criteria(filter)?;
    let mut rows = store::page(&state.db, &filter, None, LIST_LIMIT + 1).await?;
    let truncated = rows.len() as i64 > LIST_LIMIT;
    rows.truncate(LIST_LIMIT as usize);
    Ok(DepositList {
        rows: rows.into_iter().map(view).collect(),
        truncated,
    })
}

/// The user's deposits (newest first) and IBAN checks. The user must be in the registry.
pub async fn of_user(state: &AppState, external_user_id: &str) -> Result<UserDeposits, AppError> {
    crate::server::users::find(&state.db, external_user_id).await?;
    let filter = ListFilter {
        user: Some(Some(external_user_id.to_owned())),
        ..ListFilter::default()
    };
    let deposits = store::page(&state.db, &filter, None, LIST_LIMIT).await?;
    let ibans = store::iban_checks(&state.db, external_user_id).await?;
    Ok(UserDeposits {
        deposits: deposits.into_iter().map(view).collect(),
        ibans: ibans
            .into_iter()
            .map(|c| IbanCheck {
                iban: c.iban,
                status: c.status,
                updated_at: c.updated_at.into(),
            })
            .collect(),
    })
}

pub fn view(r: DepositRecord) -> DepositView {
    DepositView {
        holder: Holder::from_param(r.external_user_id.clone()).label(),
        user: r.external_user_id,
        id: r.id,
        kind: r.kind,
        amount: r.amount,
        currency: r.currency.to_uppercase(),
        sender: r.sender,
        status: r.status,
        travel_rule: r.travel_rule,
        tx_hash: r.tx_hash,
        upstream_id: r.upstream_id,
        received_at: r.received_at.into(),
        updated_at: r.updated_at.into(),
    }
}

pub const CSV_COLUMNS: [&str; 11] = [
    "id",
    "received_at",
    "kind",
    "holder",
    "currency",
    "amount",
    "sender",
    "status",
    "travel_rule",
    "tx_hash",
    "updated_at",
];

/// One deposit as CSV cells: the amount the exact decimal P100 sent.
pub fn csv_cells(r: DepositRecord) -> [String; 11] {
    [
        r.upstream_id,
        r.received_at.to_text(),
        r.kind.as_str().to_owned(),
        r.external_user_id.unwrap_or_else(|| "partner".to_owned()),
        r.currency,
        r.amount,
        r.sender.unwrap_or_default(),
        r.status,
        r.travel_rule.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        r.tx_hash.unwrap_or_default(),
        r.updated_at.to_text(),
    ]
}

// ---- Webhooks -------------------------------------------------------------------------------

/// A deposit event's fields, checked, as stored.
struct Read {
    kind: DepositKind,
    upstream_id: String,
    user: Option<String>,
    amount: String,
    currency: String,
    sender: Option<String>,
    status: String,
    tx_hash: Option<String>,
    received_at: Timestamp,
}

impl Read {
    fn event(&self) -> DepositEvent<'_> {
        DepositEvent {
            kind: self.kind,
            external_user_id: self.user.as_deref(),
            upstream_id: &self.upstream_id,
            amount: &self.amount,
            currency: &self.currency,
            sender: self.sender.as_deref(),
            status: &self.status,
            tx_hash: self.tx_hash.as_deref(),
            received_at: self.received_at,
        }
    }
}

fn read_deposit(route: Route, p: Deposit) -> Result<Read, String> {
    let (kind, id) = match route {
        Route::SepaDeposit => (DepositKind::Sepa, p.sepa_deposit_id),
        _ => (DepositKind::Crypto, p.crypto_deposit_id),
    };
    let upstream_id = id
        .filter(|i| !i.trim().is_empty())
        .ok_or("the event names no deposit id")?;
    // The exact decimal P100 sent, at least at the currency's scale (250 EUR reads 250.00).
    let mut amount: Decimal = p.amount.get();
    if amount.scale() < p.currency.scale() {
        amount.rescale(p.currency.scale());
    }
    let sender = match kind {
        DepositKind::Sepa => match (p.sender_name, p.sender_iban) {
            (Some(name), Some(iban)) => Some(format!("{name} · {iban}")),
            (name, iban) => name.or(iban),
        },
        DepositKind::Crypto => p.sender_address,
    };
    Ok(Read {
        kind,
        upstream_id,
        user: p.external_user_id.filter(|u| !u.is_empty()),
        amount: amount.to_string(),
        currency: p.currency.code().to_owned(),
        sender,
        // A SEPA deposit event is sent once it is credited (C5); without a status it is that.
        status: p
            .status
            .map_or_else(|| "SUCCESSFUL".to_owned(), |s| s.trim().to_ascii_uppercase()),
        tx_hash: p.transaction_hash,
        received_at: p
            .created_at
            .and_then(|t| Timestamp::parse_rfc3339(&t).ok())
            .unwrap_or_else(Timestamp::now),
    })
}

/// Whether a deposit at `current` moves to `next`: never out of a final status, never to itself.
/// `store::upsert` makes the same decision in its conditional update.
fn moves(current: &str, next: &str) -> bool {
    current != next && !FINAL.contains(&current)
}

fn iban_moves(current: Option<&str>, next: &str) -> bool {
    current.is_none_or(|c| c != next && !IBAN_FINAL.contains(&c))
}

/// Applies an IBAN Status event.
pub async fn apply_iban(state: &AppState, p: &IbanStatus) -> Result<Applied, String> {
    let mut tx = db::begin_write(&state.db).await.map_err(in_words)?;
    if db::users::find_in(&mut tx, &p.external_user_id)
        .await
        .map_err(in_words)?
        .is_none()
    {
        return Ok(Applied::Ignored(format!(
            "user {} is not in the registry",
            p.external_user_id
        )));
    }
    let now = Timestamp::now();
    let status = p.status.trim().to_ascii_uppercase();
    if store::set_iban_check(&mut tx, &p.external_user_id, &p.iban, &status, now)
        .await
        .map_err(in_words)?
    {
        let event = EventRecord {
            kind: "iban".into(),
            status,
            detail: Some(p.iban.clone()),
            source: "webhook".into(),
            at: now,
        };
        db::users::add_event(&mut tx, &p.external_user_id, &event)
            .await
            .map_err(in_words)?;
    }
    tx.commit().await.map_err(in_words)?;
    Ok(Applied::Done)
}

/// Applies a SEPA Deposit or Crypto Deposit event.
pub async fn apply_webhook(state: &AppState, route: Route, deposit: Deposit) -> Result<Applied, String> {
    let read = read_deposit(route, deposit)?;
    let mut tx = db::begin_write(&state.db).await.map_err(in_words)?;
    let outcome = store::upsert(&mut tx, &read.event(), Timestamp::now())
        .await
        .map_err(in_words)?;
    tx.commit().await.map_err(in_words)?;
    if outcome == Upsert::Unchanged {
        tracing::info!(
            deposit = read.upstream_id,
            status = read.status,
            "deposit event changed nothing"
        );
    }
    Ok(Applied::Done)
}

/// What `apply_iban` would change now (the webhook log's dry run).
pub async fn preview_iban(state: &AppState, p: &IbanStatus) -> Result<Preview, String> {
    let user = &p.external_user_id;
    if db::users::find(&state.db, user).await.map_err(in_words)?.is_none() {
        return Ok(Preview::nothing(format!("user {user} is not in the registry")));
    }
    let current = store::iban_check(&state.db, user, &p.iban).await.map_err(in_words)?;
    let status = p.status.trim().to_ascii_uppercase();
    if !iban_moves(current.as_deref(), &status) {
        return Ok(Preview::nothing(format!(
            "payments from {} to user {user} are already {}",
            p.iban,
            current.unwrap_or_default()
        )));
    }
    Ok(
        Preview::new(format!("The IBAN status of user {user} is recorded.")).change(
            &format!("user {user}"),
            &format!("IBAN {}", p.iban),
            current.as_deref().unwrap_or(""),
            &status,
        ),
    )
}

/// What `apply_webhook` would change now (the webhook log's dry run).
pub async fn preview_webhook(state: &AppState, route: Route, deposit: Deposit) -> Result<Preview, String> {
    let read = read_deposit(route, deposit)?;
    let target = format!("deposit {}", read.upstream_id);
    match store::find(&state.db, &read.upstream_id).await.map_err(in_words)? {
        None => Ok(Preview::new(format!(
            "A {} of {} {} is recorded for {}.",
            read.kind.label(),
            read.amount,
            read.currency.to_uppercase(),
            Holder::from_param(read.user.clone()).label()
        ))
        .change(&target, "status", "", &read.status)),
        Some(current) if moves(&current.status, &read.status) => Ok(Preview::new(format!(
            "The {} moves on.",
            current.kind.label()
        ))
        .change(&target, "status", &current.status, &read.status)),
        Some(current) => Ok(Preview::nothing(format!(
            "deposit {} is already {}, and a deposit never moves back or out of a final status",
            read.upstream_id, current.status
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deposit_moves_forward_only() {
        assert!(moves("WAITING_FOR_VERIFICATION", "WAITING_FOR_TR_DATA"));
        assert!(moves("WAITING_FOR_TR_DATA", "SUCCESSFUL"));
        assert!(!moves("SUCCESSFUL", "WAITING_FOR_TR_DATA"));
        assert!(!moves("SUCCESSFUL", "SUCCESSFUL"));
        assert!(iban_moves(None, "PENDING"));
        assert!(iban_moves(Some("PENDING"), "APPROVED"));
        assert!(!iban_moves(Some("APPROVED"), "PENDING"));
    }

    /// A delivery's body read as P100's event, then as the deposit it records.
    fn delivered(route: Route, body: &serde_json::Value) -> Result<Read, String> {
        match crate::p100::webhooks::Event::read(route, body)? {
            crate::p100::webhooks::Event::Deposit { route, deposit } => read_deposit(route, deposit),
            other => panic!("not read as a deposit: {other:?}"),
        }
    }

    #[test]
    fn amounts_are_read_exactly_from_numbers_and_strings() {
        let crypto =
            json!({ "cryptoDepositId": "d-1", "amount": 0.001, "currency": "eth", "status": "WAITING_FOR_TR_DATA" });
        let read = delivered(Route::CryptoDeposit, &crypto).unwrap();
        assert_eq!(read.amount, "0.00100000");
        let sepa = json!({ "sepaDepositId": "s-1", "amount": "1234.5", "currency": "eur", "senderName": "Anna", "senderIban": "DE89" });
        let read = delivered(Route::SepaDeposit, &sepa).unwrap();
        assert_eq!((read.amount.as_str(), read.status.as_str()), ("1234.50", "SUCCESSFUL"));
        assert_eq!(read.sender.as_deref(), Some("Anna · DE89"));
        assert!(delivered(Route::SepaDeposit, &json!({ "amount": 1, "currency": "eur" })).is_err());
    }
}
