//! Payouts, withdrawals and transfers started from the back office. Status changes are conditional
//! updates (`... WHERE status = $expected`) whose row count says whether this caller made the change.

use sqlx::FromRow;

use super::sent;
use super::{Db, Statement, Timestamp, Tx};
use crate::domain::approvals::ApprovalStatus;
use crate::domain::movements::{Direction, MovementKind, MovementStatus};

#[derive(Debug, Clone, FromRow)]
pub struct MovementRecord {
    pub id: String,
    pub kind: MovementKind,
    pub external_user_id: Option<String>,
    pub direction: Option<Direction>,
    pub currency: String,
    pub amount: String,
    pub fee: String,
    pub network: Option<String>,
    pub destination: String,
    pub beneficiary: Option<String>,
    pub bic: Option<String>,
    pub reference: Option<String>,
    pub details: String,
    pub idempotency_key: String,
    pub status: MovementStatus,
    pub approval_id: Option<String>,
    pub upstream_id: Option<String>,
    pub upstream_status: Option<String>,
    pub failure: Option<String>,
    /// Why a person must decide what became of it (see `server::recovery`), and the P100 ids that fit.
    pub decision: Option<String>,
    pub candidates: Option<String>,
    pub created_by: String,
    pub maker_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
}

const SELECT: &str = "SELECT m.id, m.kind, m.external_user_id, m.direction, m.currency, m.amount, m.fee, m.network,
        m.destination, m.beneficiary, m.bic, m.reference, m.details, m.idempotency_key, m.status, m.approval_id,
        m.upstream_id, m.upstream_status, m.failure, m.decision, m.candidates, m.created_by, s.name AS maker_name, m.created_at, m.updated_at,
        m.submitted_at
    FROM movements m JOIN staff s ON s.id = m.created_by";

/// A movement at the moment it is recorded, before anything is sent.
pub struct NewMovement<'a> {
    pub id: &'a str,
    pub kind: MovementKind,
    pub external_user_id: Option<&'a str>,
    pub direction: Option<Direction>,
    pub currency: &'a str,
    pub amount: &'a str,
    pub fee: &'a str,
    pub network: Option<&'a str>,
    pub destination: &'a str,
    pub beneficiary: Option<&'a str>,
    pub bic: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub details: &'a str,
    pub idempotency_key: &'a str,
    pub status: MovementStatus,
    pub created_by: &'a str,
    pub created_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
}

pub async fn insert(tx: &mut Tx, new: &NewMovement<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO movements (id, kind, external_user_id, direction, currency, amount, fee, network, destination,
             beneficiary, bic, reference, details, idempotency_key, status, created_by, created_at, updated_at, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)",
    )
    .bind(new.id)
    .bind(new.kind)
    .bind(new.external_user_id)
    .bind(new.direction)
    .bind(new.currency)
    .bind(new.amount)
    .bind(new.fee)
    .bind(new.network)
    .bind(new.destination)
    .bind(new.beneficiary)
    .bind(new.bic)
    .bind(new.reference)
    .bind(new.details)
    .bind(new.idempotency_key)
    .bind(new.status)
    .bind(new.created_by)
    .bind(new.created_at)
    .bind(new.submitted_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

sent::stored!(MovementRecord, MovementStatus, SELECT, "m");

pub async fn find(db: &Db, id: &str) -> Result<Option<MovementRecord>, sqlx::Error> {
    sent::find(db, id).await
}

pub async fn find_by_key(db: &Db, key: &str) -> Result<Option<MovementRecord>, sqlx::Error> {
    sent::find_on(&mut *db.acquire().await?, "idempotency_key", key).await
}

pub async fn find_by_approval(tx: &mut Tx, approval_id: &str) -> Result<Option<MovementRecord>, sqlx::Error> {
    sent::find_on(tx, "approval_id", approval_id).await
}

pub async fn set_approval(tx: &mut Tx, id: &str, approval_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE movements SET approval_id = $2 WHERE id = $1")
        .bind(id)
        .bind(approval_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// `(approval id, checker id)` of movements still awaiting approval whose approval was granted
/// before `before`: the server stopped between the decision and the send.
pub async fn approved_unsent(db: &Db, before: Timestamp, limit: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id, a.checker_id FROM movements m JOIN approvals a ON a.id = m.approval_id
         WHERE m.status = $3 AND a.status = $4 AND a.decided_at < $1
         ORDER BY a.decided_at LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .bind(MovementStatus::AwaitingApproval)
    .bind(ApprovalStatus::Approved)
    .fetch_all(db)
    .await
}

/// The other unknown movements that would fit the same P100 entries as `record`: same kind, payer,
/// currency, amount and destination, sent between `from` and `to`.
pub async fn unknown_alike(
    db: &Db,
    record: &MovementRecord,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM movements WHERE status = $10 AND id <> $1 AND kind = $2 AND currency = $3
             AND amount = $4 AND destination = $5 AND COALESCE(external_user_id, '') = $6
             AND COALESCE(direction, '') = $7 AND COALESCE(submitted_at, created_at) BETWEEN $8 AND $9",
    )
    .bind(&record.id)
    .bind(record.kind)
    .bind(&record.currency)
    .bind(&record.amount)
    .bind(&record.destination)
    .bind(record.external_user_id.as_deref().unwrap_or_default())
    .bind(record.direction.map_or("", Direction::as_str))
    .bind(from)
    .bind(to)
    .bind(MovementStatus::Unknown)
    .fetch_all(db)
    .await
}

/// Who pays what to where, to find earlier movements alike.
pub struct Destination<'a> {
    pub kind: MovementKind,
    pub user: Option<&'a str>,
    pub direction: Option<Direction>,
    pub currency: &'a str,
    pub destination: &'a str,
}

/// The amounts of the payer's movements of this kind and currency to this destination made since
/// `since` and not failed or cancelled.
pub async fn recent_to_destination(
    db: &Db,
    to: &Destination<'_>,
    since: Timestamp,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT amount FROM movements WHERE kind = $1 AND COALESCE(external_user_id, '') = $2
             AND COALESCE(direction, '') = $3 AND currency = $4 AND destination = $5 AND created_at >= $6
             AND status NOT IN ($7, $8)",
    )
    .bind(to.kind)
    .bind(to.user.unwrap_or_default())
    .bind(to.direction.map_or("", Direction::as_str))
    .bind(to.currency)
    .bind(to.destination)
    .bind(since)
    .bind(MovementStatus::Failed)
    .bind(MovementStatus::Cancelled)
    .fetch_all(db)
    .await
}

/// The user's movements that are not final (waiting for approval, being sent, at P100, unknown).
pub async fn unsettled_for_user(db: &Db, external_user_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM movements WHERE external_user_id = $1
             AND status NOT IN ($2, $3, $4) ORDER BY created_at",
    )
    .bind(external_user_id)
    .bind(MovementStatus::Completed)
    .bind(MovementStatus::Failed)
    .bind(MovementStatus::Cancelled)
    .fetch_all(db)
    .await
}

/// What the list shows; every part optional.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub kind: Option<MovementKind>,
    pub status: Option<MovementStatus>,
    pub currency: Option<String>,
    /// `Some(None)`: the partner's own; `Some(Some(id))`: one user's.
    pub user: Option<Option<String>>,
    pub maker: Option<String>,
    /// Only unknown movements waiting for a person's decision.
    pub decision_needed: bool,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

pub async fn list(db: &Db, filter: &ListFilter, limit: i64) -> Result<Vec<MovementRecord>, sqlx::Error> {
    let mut query = Statement::new(SELECT);
    query.push(" WHERE 1 = 1");
    if let Some(kind) = filter.kind {
        query.push(" AND m.kind = ").push_bind(kind);
    }
    if let Some(status) = filter.status {
        query.push(" AND m.status = ").push_bind(status);
    }
    for (column, value) in [("m.currency", &filter.currency), ("m.created_by", &filter.maker)] {
        if let Some(value) = value {
            query.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    match &filter.user {
        Some(None) => {
            query.push(" AND m.external_user_id IS NULL");
        }
        Some(Some(user)) => {
            query.push(" AND m.external_user_id = ").push_bind(user.clone());
        }
        None => {}
    }
    if filter.decision_needed {
        query.push(" AND m.decision IS NOT NULL");
    }
    if let Some(from) = filter.from {
        query.push(" AND m.created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND m.created_at < ").push_bind(to);
    }
    query.push(" ORDER BY m.created_at DESC, m.id LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// `(staff id, name)` of everyone who made a movement.
pub async fn makers(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT DISTINCT s.id, s.name FROM movements m JOIN staff s ON s.id = m.created_by ORDER BY s.name")
        .fetch_all(db)
        .await
}
