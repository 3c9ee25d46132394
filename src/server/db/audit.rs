//! The audit log table. Rows are only ever inserted; the chain arithmetic lives in `server::audit`.

use std::sync::LazyLock;

use futures::stream::BoxStream;
use sqlx::FromRow;

use super::{Db, Statement, Timestamp, Tx};
use crate::domain::audit::AuditQuery;

/// One audit row exactly as stored.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Timestamp,
    pub staff_id: Option<String>,
    pub staff_email: Option<String>,
    pub staff_roles: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub upstream_request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub before_data: Option<String>,
    pub after_data: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

const COLUMNS: &str = "seq, at, staff_id, staff_email, staff_roles, action, target_kind, target_id, outcome, reason, \
    request_id, upstream_request_id, ip, user_agent, before_data, after_data, prev_hash, hash";

/// Claims the next sequence number and returns it with the hash it must link to. Holds the head row
/// until the transaction ends, so appenders queue up instead of forking the chain.
pub async fn advance_head(tx: &mut Tx) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await
}

/// Inserts the row claimed by `advance_head` and moves the head's hash to it.
pub async fn insert(tx: &mut Tx, row: &AuditRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(row.seq)
    .bind(row.at)
    .bind(&row.staff_id)
    .bind(&row.staff_email)
    .bind(&row.staff_roles)
    .bind(&row.action)
    .bind(&row.target_kind)
    .bind(&row.target_id)
    .bind(&row.outcome)
    .bind(&row.reason)
    .bind(&row.request_id)
    .bind(&row.upstream_request_id)
    .bind(&row.ip)
    .bind(&row.user_agent)
    .bind(&row.before_data)
    .bind(&row.after_data)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&row.hash)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Newest first, `limit` rows older than `before` (a `seq`) that match `query`.
pub async fn page(db: &Db, query: &AuditQuery, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut sql = Statement::new(format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
    let prefix = |text: &str| {
        format!(
            "{}%",
            text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
        )
    };
    if let Some(staff) = &query.staff {
        sql.push(" AND staff_email LIKE ")
            .push_bind(prefix(staff))
            .push(" ESCAPE '\\'");
    }
    if let Some(action) = &query.action {
        sql.push(" AND action LIKE ")
            .push_bind(prefix(action))
            .push(" ESCAPE '\\'");
    }
    if let Some(target) = &query.target {
        sql.push(" AND lower(target_id) LIKE ")
            .push_bind(prefix(target))
            .push(" ESCAPE '\\'");
    }
    if let Some(from) = query.from {
        sql.push(" AND at >= ")
            .push_bind(Timestamp::from(from.midnight().assume_utc()));
    }
    if let Some(to) = query.to {
        let end = to.next_day().unwrap_or(to).midnight().assume_utc();
        sql.push(" AND at < ").push_bind(Timestamp::from(end));
    }
    if let Some(row) = query.row {
        sql.push(" AND seq = ").push_bind(row);
    }
    if let Some(before) = before {
        sql.push(" AND seq < ").push_bind(before);
    }
    sql.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
    sql.build_query_as().fetch_all(db).await
}

/// Every row about any of `targets` (by target id), oldest first: a record's timeline.
pub async fn about(db: &Db, targets: &[&str], limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut sql = Statement::new(format!("SELECT {COLUMNS} FROM audit_log WHERE target_id IN ("));
    sql.push_list(targets.iter().copied())
        .push(") ORDER BY seq LIMIT ")
        .push_bind(limit);
    sql.build_query_as().fetch_all(db).await
}

/// Every row in chain order, streamed.
pub fn all_in_order(db: &Db) -> BoxStream<'_, Result<AuditRow, sqlx::Error>> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"));
    sqlx::query_as(SQL.as_str()).fetch(db)
}

pub async fn head(db: &Db) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db)
        .await
}
