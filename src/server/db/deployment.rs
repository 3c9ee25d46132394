//! The one row saying which mode (and, live, which P100) this database belongs to.

use super::{Db, Timestamp};

/// The mode and P100 base URL the database was created with, if recorded.
pub async fn recorded(db: &Db) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    sqlx::query_as("SELECT mode, p100_base_url FROM deployment WHERE id = 1")
        .fetch_optional(db)
        .await
}

/// Records the mode at the first start (a second instance starting at once records nothing).
pub async fn record(db: &Db, mode: &str, p100_base_url: Option<&str>, at: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deployment (id, mode, p100_base_url, created_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(mode)
    .bind(p100_base_url)
    .bind(at)
    .execute(db)
    .await
    .map(|_| ())
}
