//! Webhook deliveries as received.

use sqlx::FromRow;

use super::{Db, Timestamp};

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: String,
    pub route: String,
    pub kind: String,
    pub dedup_key: String,
    pub payload: String,
    pub authenticated: bool,
    pub status: String,
    pub error: Option<String>,
    pub deliveries: i64,
    pub received_at: Timestamp,
    pub processed_at: Option<Timestamp>,
}

/// Stores a delivery. `false` when an identical one was stored before: its delivery count goes up
/// and nothing else happens.
pub async fn insert_once(db: &Db, event: &EventRow) -> Result<bool, sqlx::Error> {
    let mut tx = super::begin_write(db).await?;
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO webhook_events (id, route, kind, dedup_key, payload, authenticated, status, error, deliveries, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(&event.id)
    .bind(&event.route)
    .bind(&event.kind)
    .bind(&event.dedup_key)
    .bind(&event.payload)
    .bind(event.authenticated)
    .bind(&event.status)
    .bind(&event.error)
    .bind(event.received_at)
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
    sqlx::query_as("SELECT * FROM webhook_events WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn finish(db: &Db, id: &str, status: &str, error: Option<&str>, at: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhook_events SET status = $2, error = $3, processed_at = $4 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(at)
        .execute(db)
        .await
        .map(|_| ())
}

/// The newest deliveries (tests and, later, the webhook log).
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM webhook_events ORDER BY received_at DESC, id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(db)
        .await
}

/// The newest authenticated deliveries of one kind.
pub async fn of_kind(db: &Db, kind: &str, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM webhook_events WHERE kind = $1 AND authenticated ORDER BY received_at DESC, id DESC LIMIT $2",
    )
    .bind(kind)
    .bind(limit)
    .fetch_all(db)
    .await
}
