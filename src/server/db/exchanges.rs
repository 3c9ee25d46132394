//! Exchanges started from the back office. Status changes are conditional updates
//! (`... WHERE status = $expected`) whose row count says whether this caller made the change.

use sqlx::FromRow;

use super::sent;
use super::{Db, Statement, Timestamp, Tx};
use crate::domain::exchanges::ExchangeStatus;

#[derive(Debug, Clone, FromRow)]
pub struct ExchangeRecord {
    pub id: String,
    pub external_user_id: Option<String>,
    pub currency_from: String,
    pub currency_to: String,
    pub amount_from: String,
    pub amount_to: String,
    pub rate: String,
    pub fee: String,
    pub fee_percent: String,
    pub lock_id: String,
    pub valid_until: Timestamp,
    pub status: ExchangeStatus,
    pub upstream_id: Option<String>,
    pub failure: Option<String>,
    /// Why a person must decide what became of it (see `server::recovery`), and the P100 ids that fit.
    pub decision: Option<String>,
    pub candidates: Option<String>,
    pub started_by: String,
    pub starter_name: String,
    pub created_at: Timestamp,
    pub finalized_at: Option<Timestamp>,
}

const SELECT: &str = "SELECT e.id, e.external_user_id, e.currency_from, e.currency_to, e.amount_from, e.amount_to,
        e.rate, e.fee, e.fee_percent, e.lock_id, e.valid_until, e.status, e.upstream_id, e.failure, e.decision, e.candidates,
        e.started_by,
        s.name AS starter_name, e.created_at, e.finalized_at
    FROM exchanges e JOIN staff s ON s.id = e.started_by";

/// A new exchange at the moment its rate is locked.
pub struct NewExchange<'a> {
    pub id: &'a str,
    pub external_user_id: Option<&'a str>,
    pub currency_from: &'a str,
    pub currency_to: &'a str,
    pub amount_from: &'a str,
    pub amount_to: &'a str,
    pub rate: &'a str,
    pub fee: &'a str,
    pub fee_percent: &'a str,
    pub lock_id: &'a str,
    pub valid_until: Timestamp,
    pub started_by: &'a str,
    pub created_at: Timestamp,
}

pub async fn insert(tx: &mut Tx, new: &NewExchange<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO exchanges (id, external_user_id, currency_from, currency_to, amount_from, amount_to, rate, fee,
             fee_percent, lock_id, valid_until, status, started_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $14, $12, $13, $13)",
    )
    .bind(new.id)
    .bind(new.external_user_id)
    .bind(new.currency_from)
    .bind(new.currency_to)
    .bind(new.amount_from)
    .bind(new.amount_to)
    .bind(new.rate)
    .bind(new.fee)
    .bind(new.fee_percent)
    .bind(new.lock_id)
    .bind(new.valid_until)
    .bind(new.started_by)
    .bind(new.created_at)
    .bind(ExchangeStatus::Locked)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

sent::stored!(ExchangeRecord, ExchangeStatus, SELECT, "e");

pub async fn find(db: &Db, id: &str) -> Result<Option<ExchangeRecord>, sqlx::Error> {
    sent::find(db, id).await
}

pub async fn find_in(tx: &mut Tx, id: &str) -> Result<Option<ExchangeRecord>, sqlx::Error> {
    sent::find_on(tx, "id", id).await
}

/// The user's exchanges that are not final (a valid lock, being sent, at P100, unknown).
pub async fn unsettled_for_user(db: &Db, external_user_id: &str, now: Timestamp) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM exchanges WHERE external_user_id = $1
             AND (status IN ($3, $4, $5) OR (status = $6 AND valid_until > $2))
         ORDER BY created_at",
    )
    .bind(external_user_id)
    .bind(now)
    .bind(ExchangeStatus::Submitting)
    .bind(ExchangeStatus::Pending)
    .bind(ExchangeStatus::Unknown)
    .bind(ExchangeStatus::Locked)
    .fetch_all(db)
    .await
}

/// The other unknown exchanges that would fit the same P100 entries as `record`: same holder,
/// currencies and amount, finalized between `from` and `to`.
pub async fn unknown_alike(
    db: &Db,
    record: &ExchangeRecord,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM exchanges WHERE status = $8 AND id <> $1 AND COALESCE(external_user_id, '') = $2
             AND currency_from = $3 AND currency_to = $4 AND amount_from = $5
             AND COALESCE(finalized_at, created_at) BETWEEN $6 AND $7",
    )
    .bind(&record.id)
    .bind(record.external_user_id.as_deref().unwrap_or_default())
    .bind(&record.currency_from)
    .bind(&record.currency_to)
    .bind(&record.amount_from)
    .bind(from)
    .bind(to)
    .bind(ExchangeStatus::Unknown)
    .fetch_all(db)
    .await
}

/// Takes a locked exchange to `submitting` if its lock is still valid at `now`. `false`: someone
/// else already did, or the lock expired.
pub async fn claim(tx: &mut Tx, id: &str, staff_id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE exchanges SET status = $4, finalized_by = $2, finalized_at = $3, updated_at = $3
         WHERE id = $1 AND status = $5 AND valid_until > $3",
    )
    .bind(id)
    .bind(staff_id)
    .bind(now)
    .bind(ExchangeStatus::Submitting)
    .bind(ExchangeStatus::Locked)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locked exchanges whose lock ran out by `now`.
pub async fn lapsed(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.status = $3 AND e.valid_until <= $1 ORDER BY e.valid_until LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .bind(ExchangeStatus::Locked)
    .fetch_all(db)
    .await
}

/// What the list shows; every part optional.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub status: Option<ExchangeStatus>,
    pub currency: Option<String>,
    pub started_by: Option<String>,
    /// `Some(None)`: the partner's own; `Some(Some(id))`: one user's.
    pub holder: Option<Option<String>>,
}

pub async fn list(db: &Db, filter: &ListFilter, limit: i64) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    let mut query = Statement::new(SELECT);
    query.push(" WHERE 1 = 1");
    if let Some(status) = filter.status {
        query.push(" AND e.status = ").push_bind(status);
    }
    if let Some(currency) = &filter.currency {
        query
            .push(" AND (e.currency_from = ")
            .push_bind(currency.clone())
            .push(" OR e.currency_to = ")
            .push_bind(currency.clone())
            .push(")");
    }
    if let Some(staff) = &filter.started_by {
        query.push(" AND e.started_by = ").push_bind(staff.clone());
    }
    match &filter.holder {
        Some(None) => {
            query.push(" AND e.external_user_id IS NULL");
        }
        Some(Some(user)) => {
            query.push(" AND e.external_user_id = ").push_bind(user.clone());
        }
        None => {}
    }
    query.push(" ORDER BY e.created_at DESC, e.id LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// `(staff id, name)` of everyone who started an exchange.
pub async fn starters(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT DISTINCT s.id, s.name FROM exchanges e JOIN staff s ON s.id = e.started_by ORDER BY s.name")
        .fetch_all(db)
        .await
}
