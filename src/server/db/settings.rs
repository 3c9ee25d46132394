//! Settings an admin changes at run time (the four-eyes thresholds): key -> value text.

use super::{Db, Timestamp, Tx};

/// Every setting whose key starts with `prefix`, as `(key, value)`.
pub async fn with_prefix(db: &Db, prefix: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT key, value FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key")
        .bind(prefix)
        .fetch_all(db)
        .await
}

pub async fn get(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Sets or (with `None`) removes a setting.
pub async fn put(tx: &mut Tx, key: &str, value: Option<&str>, staff_id: &str) -> Result<(), sqlx::Error> {
    match value {
        Some(value) => sqlx::query(
            "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,
                 updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(staff_id)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await
        .map(|_| ()),
        None => sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(&mut **tx)
            .await
            .map(|_| ()),
    }
}

/// Sets a setting the system owns (no staff member changed it), such as where a background round
/// stopped.
pub async fn set_by_system(db: &Db, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = NULL, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(Timestamp::now())
    .execute(db)
    .await
    .map(|_| ())
}

/// Sets a setting the system owns, unless it is set already.
pub async fn init(db: &Db, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .bind(Timestamp::now())
        .execute(db)
        .await
        .map(|_| ())
}
