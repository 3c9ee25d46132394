//! Orders, payment links and hosted checkouts created from the back office. A status changes by a
//! conditional update (`... WHERE status = $expected`) whose row count says whether this caller made
//! the change, so the page, the follower and a webhook reading the same news audit it once.

use sqlx::FromRow;

use super::{Db, Statement, Timestamp, Tx};
use crate::domain::collections::{CollectionKind, CollectionStatus};

#[derive(Debug, Clone, FromRow)]
pub struct CollectionRecord {
    pub id: String,
    pub kind: CollectionKind,
    pub status: CollectionStatus,
    pub upstream_id: Option<String>,
    pub upstream_status: Option<String>,
    pub eur_amount: String,
    pub currency: String,
    pub network: Option<String>,
    pub crypto_amount: Option<String>,
    pub received_amount: Option<String>,
    pub rate: Option<String>,
    pub confirmations: Option<i64>,
    pub required_confirmations: Option<i64>,
    pub lock_id: Option<String>,
    pub lock_until: Option<Timestamp>,
    pub wallet_address: Option<String>,
    pub transaction_hash: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub reference: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub transfers: Option<String>,
    pub failure: Option<String>,
    pub created_by: String,
    /// The creator's name (joined from staff; ignored on insert).
    pub creator_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const SELECT: &str = "SELECT c.id, c.kind, c.status, c.upstream_id, c.upstream_status, c.eur_amount, c.currency,
        c.network, c.crypto_amount, c.received_amount, c.rate, c.confirmations, c.required_confirmations, c.lock_id,
        c.lock_until, c.wallet_address, c.transaction_hash, c.url, c.description, c.reference, c.expires_at,
        c.transfers, c.failure, c.created_by, s.name AS creator_name, c.created_at, c.updated_at
    FROM collections c JOIN staff s ON s.id = c.created_by";

pub async fn insert(tx: &mut Tx, r: &CollectionRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO collections (id, kind, status, upstream_id, upstream_status, eur_amount, currency, network,
             crypto_amount, received_amount, rate, confirmations, required_confirmations, lock_id, lock_until,
             wallet_address, transaction_hash, url, description, reference, expires_at, transfers, failure,
             created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
             $22, $23, $24, $25, $26)",
    )
    .bind(&r.id)
    .bind(r.kind)
    .bind(r.status)
    .bind(&r.upstream_id)
    .bind(&r.upstream_status)
    .bind(&r.eur_amount)
    .bind(&r.currency)
    .bind(&r.network)
    .bind(&r.crypto_amount)
    .bind(&r.received_amount)
    .bind(&r.rate)
    .bind(r.confirmations)
    .bind(r.required_confirmations)
    .bind(&r.lock_id)
    .bind(r.lock_until)
    .bind(&r.wallet_address)
    .bind(&r.transaction_hash)
    .bind(&r.url)
    .bind(&r.description)
    .bind(&r.reference)
    .bind(r.expires_at)
    .bind(&r.transfers)
    .bind(&r.failure)
    .bind(&r.created_by)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<CollectionRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn find_in(tx: &mut Tx, id: &str) -> Result<Option<CollectionRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// By our id or P100's.
pub async fn find_by_either_id(db: &Db, id: &str) -> Result<Option<CollectionRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1 OR c.upstream_id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn find_upstream(db: &Db, upstream_id: &str) -> Result<Option<CollectionRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.upstream_id = $1"))
        .bind(upstream_id)
        .fetch_optional(db)
        .await
}

/// Moves `id` from `from` to `to` (and its failure, if given): whether this caller moved it.
pub async fn transition(
    tx: &mut Tx,
    id: &str,
    from: CollectionStatus,
    to: CollectionStatus,
    failure: Option<&str>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE collections SET status = $3, failure = COALESCE($4, failure), updated_at = $5
         WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(failure)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a locked order for creating, while its lock holds: whether this caller took it.
pub async fn claim(tx: &mut Tx, id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE collections SET status = $3, updated_at = $2 WHERE id = $1 AND status = $4 AND lock_until > $2",
    )
    .bind(id)
    .bind(now)
    .bind(CollectionStatus::Creating)
    .bind(CollectionStatus::Locked)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// P100 took the order: its id.
pub async fn set_upstream_id(tx: &mut Tx, id: &str, upstream_id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE collections SET upstream_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(upstream_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// What P100's details say now, written over the record if it is still at `expected`: whether it was.
pub async fn save_progress(tx: &mut Tx, expected: CollectionStatus, r: &CollectionRecord) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE collections SET status = $3, upstream_status = $4, received_amount = $5, confirmations = $6,
             required_confirmations = $7, wallet_address = $8, transaction_hash = $9, expires_at = $10, transfers = $11,
             url = COALESCE($12, url), crypto_amount = COALESCE($13, crypto_amount), updated_at = $14
         WHERE id = $1 AND status = $2",
    )
    .bind(&r.id)
    .bind(expected)
    .bind(r.status)
    .bind(&r.upstream_status)
    .bind(&r.received_amount)
    .bind(r.confirmations)
    .bind(r.required_confirmations)
    .bind(&r.wallet_address)
    .bind(&r.transaction_hash)
    .bind(r.expires_at)
    .bind(&r.transfers)
    .bind(&r.url)
    .bind(&r.crypto_amount)
    .bind(r.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Collections P100 still moves, the longest unread first: the follower's round.
pub async fn followed(db: &Db, limit: i64) -> Result<Vec<CollectionRecord>, sqlx::Error> {
    let mut query = Statement::new(SELECT);
    query
        .push(" WHERE c.upstream_id IS NOT NULL AND c.status IN (")
        .push_list(
            CollectionStatus::ALL
                .iter()
                .filter(|s| s.followed())
                .map(|s| s.as_str()),
        )
        .push(") ORDER BY c.updated_at LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// Locked orders whose lock ran out by `now`.
pub async fn lapsed(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<CollectionRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE c.status = $1 AND c.lock_until <= $2 ORDER BY c.lock_until LIMIT $3"
    ))
    .bind(CollectionStatus::Locked)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What the list shows; every part optional.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub kind: Option<CollectionKind>,
    pub status: Option<CollectionStatus>,
    pub currency: Option<String>,
    pub created_by: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Collections matching `filter`, newest first, after the `before` (created_at, id) position, so an
/// export can read them all in batches.
pub async fn page(
    db: &Db,
    filter: &ListFilter,
    before: Option<(Timestamp, String)>,
    limit: i64,
) -> Result<Vec<CollectionRecord>, sqlx::Error> {
    let mut query = Statement::new(SELECT);
    query.push(" WHERE 1 = 1");
    if let Some(kind) = filter.kind {
        query.push(" AND c.kind = ").push_bind(kind);
    }
    if let Some(status) = filter.status {
        query.push(" AND c.status = ").push_bind(status);
    }
    for (column, value) in [("c.currency", &filter.currency), ("c.created_by", &filter.created_by)] {
        if let Some(value) = value {
            query.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    if let Some(from) = filter.from {
        query.push(" AND c.created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND c.created_at < ").push_bind(to);
    }
    if let Some((at, id)) = before {
        query
            .push(" AND (c.created_at < ")
            .push_bind(at)
            .push(" OR (c.created_at = ")
            .push_bind(at)
            .push(" AND c.id < ")
            .push_bind(id)
            .push("))");
    }
    query
        .push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

pub async fn creators(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT DISTINCT s.id, s.name FROM collections c JOIN staff s ON s.id = c.created_by ORDER BY s.name",
    )
    .fetch_all(db)
    .await
}
