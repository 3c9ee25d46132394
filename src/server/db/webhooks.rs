//! Webhook deliveries as received.

use sqlx::FromRow;

use super::{Backend, Db, Flag, Statement, Timestamp};
use crate::domain::reconciliation::EventStatus;

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: String,
    pub route: String,
    pub kind: String,
    pub dedup_key: String,
    pub payload: String,
    #[sqlx(try_from = "Flag")]
    pub authenticated: bool,
    pub status: EventStatus,
    pub error: Option<String>,
    pub deliveries: i64,
    pub received_at: Timestamp,
    pub processed_at: Option<Timestamp>,
    pub subject: Option<String>,
    pub reprocessed: i64,
    /// Times the worker tried to apply it, and when it may try next (also its claim while it runs).
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
}

/// Every column of `webhook_events`, `authenticated` as a number (see `Flag`).
const COLUMNS: &str = "id, route, kind, dedup_key, payload, CASE WHEN authenticated THEN 1 ELSE 0 END AS authenticated,
    status, error, deliveries, received_at, processed_at, subject, reprocessed, attempts, next_attempt_at";

/// Stores an authenticated delivery: `false` when the same route and body arrived since
/// `redelivered_after` (P100 retrying), whose delivery count then goes up and nothing else happens.
/// Copies of one delivery racing into two instances are told apart from a redelivery only if they
/// take turns: on SQLite this process's writer turn (one database file, one writer), on PostgreSQL
/// a transaction-scoped advisory lock on the body's own key, so unrelated deliveries and the other
/// writers (who queue on `begin_write`'s lock) never wait on each other.
pub async fn store(db: &Db, event: &EventRow, redelivered_after: Timestamp) -> Result<bool, sqlx::Error> {
    let _turn = super::writer_turn(db).await?;
    let mut tx = db.begin().await?;
    if Backend::of(db) == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&event.dedup_key)
            .execute(&mut *tx)
            .await?;
    }
    let inserted = sqlx::query(
        "INSERT INTO webhook_events (id, route, kind, dedup_key, payload, authenticated, status, error, deliveries,
             received_at, subject)
         SELECT $1, $2, $3, $4, $5, TRUE, $6, NULL, 1, $7, $8
         WHERE NOT EXISTS (SELECT 1 FROM webhook_events WHERE dedup_key = $4 AND received_at >= $9)",
    )
    .bind(&event.id)
    .bind(&event.route)
    .bind(&event.kind)
    .bind(&event.dedup_key)
    .bind(&event.payload)
    .bind(event.status)
    .bind(event.received_at)
    .bind(&event.subject)
    .bind(redelivered_after)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        sqlx::query(
            "UPDATE webhook_events SET deliveries = deliveries + 1 WHERE id = (
                 SELECT id FROM webhook_events WHERE dedup_key = $1 AND received_at >= $2
                 ORDER BY received_at DESC LIMIT 1)",
        )
        .bind(&event.dedup_key)
        .bind(redelivered_after)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(inserted)
}

/// Claims up to `limit` due events (`received`, not claimed or retried later) for one attempt
/// each until `until` (then they are due again, should this instance stop mid-way), in one
/// statement: oldest first, with `attempts` counting this one. The outer conditions are checked
/// again on each row as it is updated, so two workers never claim the same event.
pub async fn claim_due(db: &Db, now: Timestamp, until: Timestamp, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut claimed: Vec<EventRow> = sqlx::query_as(&format!(
        "UPDATE webhook_events SET next_attempt_at = $3, attempts = attempts + 1
         WHERE id IN (SELECT id FROM webhook_events
                      WHERE status = $1 AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
                      ORDER BY received_at, id LIMIT $4)
           AND status = $1 AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
         RETURNING {COLUMNS}"
    ))
    .bind(EventStatus::Received)
    .bind(now)
    .bind(until)
    .bind(limit)
    .fetch_all(db)
    .await?;
    // RETURNING keeps no order.
    claimed.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
    Ok(claimed)
}

/// What became of one attempt at an event.
pub enum Attempt<'a> {
    /// Failed; tried again at `at`, with why.
    Retry { error: &'a str, at: Timestamp },
    /// Done with: processed, ignored or failed for good.
    Finished {
        status: EventStatus,
        error: Option<&'a str>,
    },
}

/// Records a batch of attempts in one write transaction (one writer's turn, not one per event).
pub async fn record_attempts(db: &Db, attempts: &[(&str, Attempt<'_>)], at: Timestamp) -> Result<(), sqlx::Error> {
    let mut tx = super::begin_write(db).await?;
    for (id, attempt) in attempts {
        match attempt {
            Attempt::Retry { error, at } => {
                sqlx::query("UPDATE webhook_events SET error = $2, next_attempt_at = $3 WHERE id = $1 AND status = $4")
                    .bind(id)
                    .bind(error)
                    .bind(at)
                    .bind(EventStatus::Received)
                    .execute(&mut *tx)
                    .await?;
            }
            Attempt::Finished { status, error } => finish(&mut *tx, id, *status, *error, at, false).await?,
        }
    }
    tx.commit().await
}

/// Counts a delivery refused for its token, by source address and minute (its body is not kept).
pub async fn count_refusal(db: &Db, source: &str, minute: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_refusals (source, minute, refused) VALUES ($1, $2, 1)
         ON CONFLICT (source, minute) DO UPDATE SET refused = webhook_refusals.refused + 1",
    )
    .bind(source)
    .bind(minute)
    .execute(db)
    .await
    .map(|_| ())
}

/// Deletes events received before `before` and refusal counts older than it: how many events.
pub async fn prune(tx: &mut super::Tx, before: Timestamp) -> Result<u64, sqlx::Error> {
    let events = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1")
        .bind(before)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM webhook_refusals WHERE minute < $1")
        .bind(before.to_text())
        .execute(&mut **tx)
        .await?;
    Ok(events.rows_affected())
}

/// Authenticated events the route table could not place, and events still waiting to be applied
/// since before `stuck_before`.
pub async fn attention(db: &Db, unrecognised: &str, stuck_before: Timestamp) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM webhook_events WHERE kind = $1 AND authenticated),
                (SELECT COUNT(*) FROM webhook_events WHERE status = $2 AND received_at < $3)",
    )
    .bind(unrecognised)
    .bind(EventStatus::Received)
    .bind(stuck_before)
    .fetch_one(db)
    .await
}

pub async fn event(db: &Db, id: &str) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhook_events WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Records the outcome of processing an event; `again`: processed again by hand (counted).
pub async fn finish<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: &str,
    status: EventStatus,
    error: Option<&str>,
    at: Timestamp,
    again: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_events SET status = $2, error = $3, processed_at = $4, reprocessed = reprocessed + $5, next_attempt_at = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(at)
    .bind(i64::from(again))
    .execute(db)
    .await
    .map(|_| ())
}

/// What the webhook log filters on; `None` leaves a field out.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<String>,
    pub status: Option<EventStatus>,
    pub subject: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// The newest deliveries matching `filter`.
pub async fn list(db: &Db, filter: &ListFilter, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut query = Statement::new(format!("SELECT {COLUMNS} FROM webhook_events WHERE 1 = 1"));
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status);
    }
    for (column, value) in [("kind", &filter.kind), ("subject", &filter.subject)] {
        if let Some(value) = value {
            query.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    if let Some(from) = filter.from {
        query.push(" AND received_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND received_at < ").push_bind(to);
    }
    query
        .push(" ORDER BY received_at DESC, id DESC LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// Every kind stored, for the log's filter.
pub async fn kinds(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT kind FROM webhook_events ORDER BY kind")
        .fetch_all(db)
        .await
}

/// When the newest authenticated delivery arrived.
pub async fn last_received(db: &Db) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(received_at) FROM webhook_events WHERE authenticated")
        .fetch_one(db)
        .await
}
