//! Webhook deliveries as received.

use sqlx::FromRow;

use super::{Db, Flag, Statement, Timestamp};
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
}

/// Every column of `webhook_events`, `authenticated` as a number (see `Flag`).
const COLUMNS: &str = "id, route, kind, dedup_key, payload, CASE WHEN authenticated THEN 1 ELSE 0 END AS authenticated,
    status, error, deliveries, received_at, processed_at, subject, reprocessed";

/// Stores a delivery. `false` when an identical one was stored before: its delivery count goes up
/// and nothing else happens.
pub async fn insert_once(db: &Db, event: &EventRow) -> Result<bool, sqlx::Error> {
    let mut tx = super::begin_write(db).await?;
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO webhook_events (id, route, kind, dedup_key, payload, authenticated, status, error, deliveries,
             received_at, subject)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(&event.id)
    .bind(&event.route)
    .bind(&event.kind)
    .bind(&event.dedup_key)
    .bind(&event.payload)
    .bind(event.authenticated)
    .bind(event.status)
    .bind(&event.error)
    .bind(event.received_at)
    .bind(&event.subject)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        sqlx::query("UPDATE webhook_events SET deliveries = deliveries + 1 WHERE dedup_key = $1")
            .bind(&event.dedup_key)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(inserted.is_some())
}

pub async fn event(db: &Db, id: &str) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhook_events WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Records the outcome of processing an event; `again`: processed again by hand (counted).
pub async fn finish(
    db: &Db,
    id: &str,
    status: EventStatus,
    error: Option<&str>,
    at: Timestamp,
    again: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_events SET status = $2, error = $3, processed_at = $4, reprocessed = reprocessed + $5
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
