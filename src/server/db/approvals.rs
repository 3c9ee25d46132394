//! Four-eyes requests. Every state change is a conditional update (`... WHERE status = $from`) whose
//! row count says whether this caller made it, so two approvers, or one clicking twice, move a
//! request once on any database.

use sqlx::FromRow;

use super::{Conn, Db, Flag, Statement, Timestamp, Tx};
use crate::domain::approvals::{ApprovalAction, ApprovalStatus};

/// A request as stored, with the names of its maker and checker.
#[derive(Debug, Clone, FromRow)]
pub struct ApprovalRecord {
    pub id: String,
    pub action: ApprovalAction,
    pub target_kind: String,
    pub target_id: String,
    pub payload: String,
    pub payload_hash: String,
    pub reason: String,
    pub maker_id: String,
    pub maker_name: String,
    pub status: ApprovalStatus,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub checker_id: Option<String>,
    pub checker_name: Option<String>,
    pub approved_hash: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_reason: Option<String>,
    pub finished_at: Option<Timestamp>,
    pub failure: Option<String>,
}

/// A new request: everything the maker decides.
pub struct NewApproval<'a> {
    pub id: &'a str,
    pub action: ApprovalAction,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub payload: &'a str,
    pub payload_hash: &'a str,
    pub reason: &'a str,
    pub maker_id: &'a str,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

const SELECT: &str = "SELECT a.id, a.action, a.target_kind, a.target_id, a.payload, a.payload_hash, a.reason,
        a.maker_id, m.name AS maker_name, a.status, a.created_at, a.expires_at, a.checker_id, c.name AS checker_name,
        a.approved_hash, a.decided_at, a.decision_reason, a.finished_at, a.failure
    FROM approvals a JOIN staff m ON m.id = a.maker_id LEFT JOIN staff c ON c.id = a.checker_id";

/// Inserts a pending request. A unique violation means an open one exists for the same target.
pub async fn insert(tx: &mut Tx, new: &NewApproval<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO approvals (id, action, target_kind, target_id, payload, payload_hash, reason, maker_id, status,
             created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $9, $10)",
    )
    .bind(new.id)
    .bind(new.action)
    .bind(new.target_kind)
    .bind(new.target_id)
    .bind(new.payload)
    .bind(new.payload_hash)
    .bind(new.reason)
    .bind(new.maker_id)
    .bind(new.created_at)
    .bind(new.expires_at)
    .bind(ApprovalStatus::Pending)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

async fn find_on(conn: &mut Conn, id: &str) -> Result<Option<ApprovalRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<ApprovalRecord>, sqlx::Error> {
    find_on(&mut *db.acquire().await?, id).await
}

pub async fn find_in(tx: &mut Tx, id: &str) -> Result<Option<ApprovalRecord>, sqlx::Error> {
    find_on(tx, id).await
}

/// The open request for `action` on a target, if there is one.
pub async fn open_for(
    db: &Db,
    action: ApprovalAction,
    target_kind: &str,
    target_id: &str,
) -> Result<Option<ApprovalRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE a.action = $1 AND a.target_kind = $2 AND a.target_id = $3
             AND a.status IN ($4, $5)"
    ))
    .bind(action)
    .bind(target_kind)
    .bind(target_id)
    .bind(ApprovalStatus::Pending)
    .bind(ApprovalStatus::Approved)
    .fetch_optional(db)
    .await
}

/// The inbox filters, already checked.
#[derive(Debug, Default)]
pub struct Filter {
    pub action: Option<ApprovalAction>,
    pub maker_id: Option<String>,
    pub created_before: Option<Timestamp>,
}

/// Requests in `statuses`, oldest first when `oldest_first`, else newest first; at most `limit`.
pub async fn list(
    db: &Db,
    filter: &Filter,
    statuses: &[ApprovalStatus],
    oldest_first: bool,
    limit: i64,
) -> Result<Vec<ApprovalRecord>, sqlx::Error> {
    let mut query = Statement::new(SELECT);
    query
        .push(" WHERE a.status IN (")
        .push_list(statuses.iter().copied())
        .push(")");
    if let Some(action) = filter.action {
        query.push(" AND a.action = ").push_bind(action);
    }
    if let Some(maker) = &filter.maker_id {
        query.push(" AND a.maker_id = ").push_bind(maker);
    }
    if let Some(before) = filter.created_before {
        query.push(" AND a.created_at < ").push_bind(before);
    }
    query.push(if oldest_first {
        " ORDER BY a.created_at, a.id"
    } else {
        " ORDER BY COALESCE(a.finished_at, a.decided_at, a.created_at) DESC, a.id DESC"
    });
    query.push(" LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// Pending, unexpired requests of `actions` made by someone other than `staff_id`.
pub async fn count_pending(
    db: &Db,
    actions: &[ApprovalAction],
    staff_id: &str,
    now: Timestamp,
) -> Result<i64, sqlx::Error> {
    let mut query = Statement::new("SELECT COUNT(*) FROM approvals WHERE status = ");
    query
        .push_bind(ApprovalStatus::Pending)
        .push(" AND expires_at > ")
        .push_bind(now)
        .push(" AND maker_id <> ")
        .push_bind(staff_id)
        .push(" AND action IN (")
        .push_list(actions.iter().copied())
        .push(")");
    query.build_query_scalar().fetch_one(db).await
}

/// Staff who have made requests: (id, name), by name.
pub async fn makers(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT DISTINCT s.id, s.name FROM approvals a JOIN staff s ON s.id = a.maker_id ORDER BY s.name, s.id",
    )
    .fetch_all(db)
    .await
}

/// Whether any pending request's time is up, as of `now`.
pub async fn any_due(db: &Db, now: Timestamp) -> Result<bool, sqlx::Error> {
    let due: Flag = sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM approvals WHERE status = $2 AND expires_at <= $1) THEN 1 ELSE 0 END",
    )
    .bind(now)
    .bind(ApprovalStatus::Pending)
    .fetch_one(db)
    .await?;
    Ok(due.into())
}

/// Pending requests whose time is up, as of `now`.
pub async fn due_to_expire(tx: &mut Tx, now: Timestamp) -> Result<Vec<ApprovalRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE a.status = $2 AND a.expires_at <= $1"))
        .bind(now)
        .bind(ApprovalStatus::Pending)
        .fetch_all(&mut **tx)
        .await
}

/// A checker's decision: `pending` -> `approved` or `rejected`. `false` when the request was no
/// longer pending (someone else decided first).
pub async fn decide(
    tx: &mut Tx,
    id: &str,
    status: ApprovalStatus,
    checker_id: &str,
    approved_hash: Option<&str>,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE approvals SET status = $2, checker_id = $3, approved_hash = $4, decision_reason = $5, decided_at = $6
         WHERE id = $1 AND status = $7",
    )
    .bind(id)
    .bind(status)
    .bind(checker_id)
    .bind(approved_hash)
    .bind(reason)
    .bind(now)
    .bind(ApprovalStatus::Pending)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a request from `from` to a final `to` (executed, failed, expired, withdrawn). `false` when
/// it was not in `from`.
pub async fn finish(
    tx: &mut Tx,
    id: &str,
    from: ApprovalStatus,
    to: ApprovalStatus,
    failure: Option<&str>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE approvals SET status = $3, failure = $4, finished_at = $5 WHERE id = $1 AND status = $2")
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(failure)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}
