//! Failed sign-in counters, per email and per client IP.

use super::{Db, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Email,
    Ip,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Email => "email",
            Scope::Ip => "ip",
        }
    }
}

/// When `subject` may try again, if it is locked out now.
pub async fn locked_until(
    db: &Db,
    scope: Scope,
    subject: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT locked_until FROM sign_in_throttle WHERE scope = $1 AND subject = $2 AND locked_until > $3",
    )
    .bind(scope.as_str())
    .bind(subject)
    .bind(now)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Counts one failure and returns the count in the current run. A run starts afresh after a lockout
/// has passed, or when its first failure is older than `window_start` (pass `None` to never expire).
/// The increment happens in one statement, so concurrent failures are all counted.
pub async fn record_failure(
    db: &Db,
    scope: Scope,
    subject: &str,
    now: Timestamp,
    window_start: Option<Timestamp>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO sign_in_throttle (scope, subject, failures, window_started_at, locked_until)
         VALUES ($1, $2, 1, $3, NULL)
         ON CONFLICT (scope, subject) DO UPDATE SET
           failures = CASE WHEN sign_in_throttle.locked_until <= $3 OR sign_in_throttle.window_started_at < $4
                           THEN 1 ELSE sign_in_throttle.failures + 1 END,
           window_started_at = CASE WHEN sign_in_throttle.locked_until <= $3 OR sign_in_throttle.window_started_at < $4
                           THEN $3 ELSE sign_in_throttle.window_started_at END,
           locked_until = CASE WHEN sign_in_throttle.locked_until <= $3 THEN NULL ELSE sign_in_throttle.locked_until END
         RETURNING failures",
    )
    .bind(scope.as_str())
    .bind(subject)
    .bind(now)
    .bind(window_start.map(Timestamp::to_text).unwrap_or_default())
    .fetch_one(db)
    .await
}

/// An attempt refused while `subject` is locked out: how many so far in this lockout.
pub async fn count_refused(db: &Db, scope: Scope, subject: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE sign_in_throttle SET refused = refused + 1 WHERE scope = $1 AND subject = $2 RETURNING refused",
    )
    .bind(scope.as_str())
    .bind(subject)
    .fetch_optional(db)
    .await
    .map(Option::unwrap_or_default)
}

pub async fn lock(db: &Db, scope: Scope, subject: &str, until: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sign_in_throttle SET locked_until = $3, refused = 0 WHERE scope = $1 AND subject = $2")
        .bind(scope.as_str())
        .bind(subject)
        .bind(until)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn clear(db: &Db, scope: Scope, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE scope = $1 AND subject = $2")
        .bind(scope.as_str())
        .bind(subject)
        .execute(db)
        .await
        .map(|_| ())
}
