//! Leases: which app instance does a piece of shared work now (see migration 0009).

use super::{Db, Timestamp};

/// Takes the lease `name` for `holder` until `until`, or renews it. `true` when `holder` holds it
/// now: it was free, had lapsed by `now`, or was `holder`'s already. One statement, so of two
/// instances asking at once exactly one gets a lease that is not lapsed.
pub async fn take(db: &Db, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= $3",
    )
    .bind(name)
    .bind(holder)
    .bind(now)
    .bind(until)
    .execute(db)
    .await?;
    Ok(taken.rows_affected() == 1)
}
