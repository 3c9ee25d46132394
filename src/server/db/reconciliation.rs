//! Reconciliation's reads across movements and exchanges, P100's answers for them, the P100
//! movements nobody started here, and the resolutions finance writes.

use sqlx::FromRow;

use super::sent::{Stage, Status};
use super::{Db, Flag, Timestamp, Tx};
use crate::domain::collections::CollectionKind;
use crate::domain::exchanges::ExchangeStatus;
use crate::domain::movements::MovementStatus;
use crate::domain::reconciliation::Subject;

/// Our movements, finalized exchanges and the orders and links P100 has (a lock never used moved
/// no money), in one shape: a collection's amount is the EUR it settles. The statuses and kinds
/// are the enums' own texts, written into the statement (they are code, not input).
fn ours_sql() -> String {
    format!(
        "SELECT id, kind, external_user_id, direction, currency, amount, status, upstream_id, created_at,
            updated_at, submitted_at, decision
        FROM movements
        UNION ALL
        SELECT id, 'exchange', external_user_id, NULL, currency_from, amount_from, status, upstream_id, created_at,
            updated_at, finalized_at, decision
        FROM exchanges WHERE status NOT IN ('{}', '{}')
        UNION ALL
        SELECT id, CASE WHEN kind = '{}' THEN '{}' ELSE '{}' END, NULL, NULL, 'eur', eur_amount, status, upstream_id,
            created_at, updated_at, created_at, NULL
        FROM collections WHERE upstream_id IS NOT NULL",
        ExchangeStatus::Locked,
        ExchangeStatus::Expired,
        CollectionKind::Order,
        Subject::Order,
        Subject::PaymentLink,
    )
}

/// One of our movements with P100's latest answer and the webhooks that named it.
#[derive(Debug, Clone, FromRow)]
pub struct OursRow {
    pub id: String,
    pub kind: String,
    pub external_user_id: Option<String>,
    pub direction: Option<String>,
    pub currency: String,
    pub amount: String,
    pub status: String,
    pub upstream_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    /// Why a person must decide what became of it (`server::recovery`).
    pub decision: Option<String>,
    pub found: Option<Flag>,
    pub upstream_status: Option<String>,
    pub upstream_amount: Option<String>,
    pub upstream_currency: Option<String>,
    pub check_error: Option<String>,
    pub checked_at: Option<Timestamp>,
    pub webhooks: i64,
    pub last_webhook: Option<Timestamp>,
}

/// Ours with P100's answer and the webhooks that named them; `WHERE` follows.
const JUDGED: &str = "SELECT x.*, CASE WHEN c.found THEN 1 WHEN NOT c.found THEN 0 END AS found, c.status AS upstream_status, c.amount AS upstream_amount,
        c.currency AS upstream_currency, c.error AS check_error, c.checked_at,
        (SELECT COUNT(*) FROM webhook_events w WHERE w.subject = x.upstream_id AND w.authenticated) AS webhooks,
        (SELECT MAX(w.received_at) FROM webhook_events w WHERE w.subject = x.upstream_id AND w.authenticated)
            AS last_webhook
    FROM (";

fn judged(filter: &str) -> String {
    format!(
        "{JUDGED}{}) x LEFT JOIN reconciliation_checks c ON c.subject_id = x.id {filter}",
        ours_sql()
    )
}

/// Ours made in `[from, to)`, newest first.
pub async fn ours(db: &Db, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<OursRow>, sqlx::Error> {
    sqlx::query_as(&judged(
        "WHERE x.created_at >= $1 AND x.created_at < $2 ORDER BY x.created_at DESC, x.id LIMIT $3",
    ))
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn one_of_ours(db: &Db, id: &str) -> Result<Option<OursRow>, sqlx::Error> {
    sqlx::query_as(&judged("WHERE x.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A movement of ours that P100 knows by an id, due a (re)check.
#[derive(Debug, Clone, FromRow)]
pub struct Due {
    pub id: String,
    pub kind: String,
    pub upstream_id: String,
    pub created_at: Timestamp,
}

/// Those made since `since` never checked, then those checked longest ago (before `checked_before`).
pub async fn due(db: &Db, since: Timestamp, checked_before: Timestamp, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT x.id, x.kind, x.upstream_id, x.created_at
         FROM ({}) x LEFT JOIN reconciliation_checks c ON c.subject_id = x.id
         WHERE x.upstream_id IS NOT NULL AND x.created_at >= $1
             AND (c.checked_at IS NULL OR c.checked_at < $2 OR c.checked_at < x.updated_at)
         ORDER BY c.checked_at IS NOT NULL, c.checked_at >= x.updated_at, c.checked_at, x.created_at DESC LIMIT $3",
        ours_sql()
    ))
    .bind(since)
    .bind(checked_before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// P100's answer for one of ours.
pub struct Check<'a> {
    pub subject_id: &'a str,
    pub upstream_id: &'a str,
    pub found: bool,
    pub status: Option<&'a str>,
    pub amount: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub checked_at: Timestamp,
}

pub async fn record_check(db: &Db, check: &Check<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reconciliation_checks (subject_id, upstream_id, found, status, amount, currency, error, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)
         ON CONFLICT (subject_id) DO UPDATE SET upstream_id = excluded.upstream_id, found = excluded.found,
             status = excluded.status, amount = excluded.amount, currency = excluded.currency, error = NULL,
             checked_at = excluded.checked_at",
    )
    .bind(check.subject_id)
    .bind(check.upstream_id)
    .bind(check.found)
    .bind(check.status)
    .bind(check.amount)
    .bind(check.currency)
    .bind(check.checked_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// The check could not be made: what P100 said before stays, with the error beside it.
pub async fn record_check_error(
    db: &Db,
    subject_id: &str,
    upstream_id: &str,
    error: &str,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reconciliation_checks (subject_id, upstream_id, found, error, checked_at)
         VALUES ($1, $2, TRUE, $3, $4)
         ON CONFLICT (subject_id) DO UPDATE SET error = excluded.error, checked_at = excluded.checked_at",
    )
    .bind(subject_id)
    .bind(upstream_id)
    .bind(error)
    .bind(at)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn last_check(db: &Db) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(checked_at) FROM reconciliation_checks")
        .fetch_one(db)
        .await
}

/// Whether any record of ours holds this P100 id.
pub async fn is_ours(db: &Db, upstream_id: &str) -> Result<bool, sqlx::Error> {
    let ours: Flag = sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM movements WHERE upstream_id = $1)
             OR EXISTS (SELECT 1 FROM exchanges WHERE upstream_id = $1) THEN 1 ELSE 0 END",
    )
    .bind(upstream_id)
    .fetch_one(db)
    .await?;
    Ok(ours.into())
}

// ---- P100 movements not started here ----------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct ForeignRow {
    pub upstream_id: String,
    pub kind: String,
    pub currency: String,
    pub amount: String,
    pub status: String,
    pub created_at: Timestamp,
    pub seen_at: Timestamp,
    /// Whose history showed it; `None`: the partner's.
    pub holder: Option<String>,
}

pub async fn upsert_foreign(db: &Db, row: &ForeignRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reconciliation_foreign (upstream_id, kind, currency, amount, status, created_at, seen_at, holder)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (upstream_id) DO UPDATE SET status = excluded.status, amount = excluded.amount",
    )
    .bind(&row.upstream_id)
    .bind(&row.kind)
    .bind(&row.currency)
    .bind(&row.amount)
    .bind(&row.status)
    .bind(row.created_at)
    .bind(row.seen_at)
    .bind(&row.holder)
    .execute(db)
    .await
    .map(|_| ())
}

/// Those dated in `[from, to)` that no record of ours has claimed since they were seen.
pub async fn foreign(db: &Db, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<ForeignRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.* FROM reconciliation_foreign f
         WHERE f.created_at >= $1 AND f.created_at < $2
           AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.upstream_id = f.upstream_id)
           AND NOT EXISTS (SELECT 1 FROM exchanges e WHERE e.upstream_id = f.upstream_id)
         ORDER BY f.created_at DESC LIMIT $3",
    )
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The next `limit` users of the registry after `after` (by external id) whose history may hold
/// movements: every user not deleted.
pub async fn users_after(db: &Db, after: &str, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT external_user_id FROM users WHERE external_user_id > $1 AND account_status <> 'DELETED'
         ORDER BY external_user_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn one_foreign(db: &Db, upstream_id: &str) -> Result<Option<ForeignRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM reconciliation_foreign WHERE upstream_id = $1")
        .bind(upstream_id)
        .fetch_optional(db)
        .await
}

// ---- Resolutions ------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct ResolutionRow {
    pub id: String,
    pub subject_id: String,
    pub mismatches: String,
    pub note: String,
    pub resolved_by: String,
    pub resolver_name: String,
    pub resolved_at: Timestamp,
}

pub struct NewResolution<'a> {
    pub id: &'a str,
    pub subject_id: &'a str,
    pub mismatches: &'a str,
    pub note: &'a str,
    pub resolved_by: &'a str,
    pub resolved_at: Timestamp,
}

pub async fn insert_resolution(tx: &mut Tx, new: &NewResolution<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reconciliation_resolutions (id, subject_id, mismatches, note, resolved_by, resolved_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new.id)
    .bind(new.subject_id)
    .bind(new.mismatches)
    .bind(new.note)
    .bind(new.resolved_by)
    .bind(new.resolved_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

const RESOLUTIONS: &str = "SELECT r.id, r.subject_id, r.mismatches, r.note, r.resolved_by, s.name AS resolver_name,
        r.resolved_at
    FROM reconciliation_resolutions r JOIN staff s ON s.id = r.resolved_by";

/// Every resolution written since `since`, newest first: those of movements made since then are
/// among them (a movement is resolved after it is made).
pub async fn resolutions_since(db: &Db, since: Timestamp) -> Result<Vec<ResolutionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RESOLUTIONS} WHERE r.resolved_at >= $1 ORDER BY r.resolved_at DESC, r.id DESC"
    ))
    .bind(since)
    .fetch_all(db)
    .await
}

/// One subject's resolutions, newest first.
pub async fn resolutions_of(db: &Db, subject_id: &str) -> Result<Vec<ResolutionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RESOLUTIONS} WHERE r.subject_id = $1 ORDER BY r.resolved_at DESC, r.id DESC"
    ))
    .bind(subject_id)
    .fetch_all(db)
    .await
}

// ---- The finance home's counts ----------------------------------------------------------------

/// Ours in flight (sending, at P100, or unknown) since before `before`.
pub async fn stuck(db: &Db, before: Timestamp) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM ({}) x
         WHERE x.status IN ('{}', '{}', '{}') AND COALESCE(x.submitted_at, x.created_at) < $1",
        ours_sql(),
        // The in-flight stages have the same text in both tables.
        MovementStatus::of(Stage::Submitting),
        MovementStatus::of(Stage::Pending),
        MovementStatus::of(Stage::Unknown),
    ))
    .bind(before)
    .fetch_one(db)
    .await
}
