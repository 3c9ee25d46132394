//! The database: connection, migrations, and every SQL statement the app runs (one module per table
//! group). Nothing outside this module builds a query.

pub mod approvals;
pub mod audit;
pub mod exchanges;
pub mod movements;
pub mod reconciliation;
pub mod sandbox;
pub mod settings;
pub mod staff;
pub mod throttle;
pub mod users;
pub mod webhooks;

use std::{str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

pub type Db = sqlx::SqlitePool;
pub type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

/// Opens the database named by `url`, creating the file and its folder if needed, and applies the
/// migrations.
pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Keeps the statistics below current as the data grows.
        .optimize_on_close(true, Some(1000));
    if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .after_release(|conn, _| Box::pin(left_clean(conn)))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    // Table statistics let the planner tell a selective filter (one user's id) from a broad one
    // (every verified user); without them it guesses, and a broad filter can cost a full scan.
    // `analysis_limit` bounds the work to a sample per index, a few milliseconds at any size.
    sqlx::query("PRAGMA analysis_limit = 1000").execute(&pool).await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    Ok(pool)
}

/// Whether a released connection may be reused. sqlx counts the transactions it opened on each
/// connection; when SQLite ends one by itself (it rolls back on some busy and I/O errors) the count
/// stays up, and every later `BEGIN IMMEDIATE` on that connection fails ("non-zero transaction
/// depth"). Such a connection is closed instead of going back to the pool.
async fn left_clean(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection, Database, TransactionManager};
    // The ping runs after any rollback still queued for a dropped transaction.
    conn.ping().await?;
    let clean = <sqlx::Sqlite as Database>::TransactionManager::get_transaction_depth(conn) == 0;
    if !clean {
        tracing::error!("a database connection was left inside a transaction; it is closed");
    }
    Ok(clean)
}

/// Starts a transaction that will write. SQLite takes the write lock at once (waiting up to the busy
/// timeout) instead of failing when a read inside the transaction later turns into a write.
pub async fn begin_write(db: &Db) -> Result<Tx, sqlx::Error> {
    db.begin_with("BEGIN IMMEDIATE").await
}

pub async fn ping(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
}

pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

const TIME_FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// A UTC instant stored as fixed-width text with millisecond precision, so that text order is time
/// order and a value reads back exactly as written (the audit hash depends on that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    pub fn get(self) -> OffsetDateTime {
        self.0
    }

    pub fn to_text(self) -> String {
        self.0.format(TIME_FORMAT).expect("a UTC time always formats")
    }

    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        let primitive = time::PrimitiveDateTime::parse(text, TIME_FORMAT)?;
        Ok(Self(primitive.assume_utc()))
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        let utc = value.to_offset(time::UtcOffset::UTC);
        let millis = utc.millisecond();
        Self(
            utc.replace_millisecond(millis)
                .expect("a millisecond from a valid time is valid"),
        )
    }
}

impl From<Timestamp> for crate::domain::UtcTime {
    fn from(value: Timestamp) -> Self {
        crate::domain::UtcTime(value.to_text())
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: Duration) -> Timestamp {
        Timestamp::from(self.0 + rhs)
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: Duration) -> Timestamp {
        Timestamp::from(self.0 - rhs)
    }
}

impl sqlx::Type<sqlx::Sqlite> for Timestamp {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as sqlx::Type<sqlx::Sqlite>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<sqlx::Sqlite>>::encode(self.to_text(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for Timestamp {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<sqlx::Sqlite>>::decode(value)?;
        Ok(Timestamp::parse(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_sort_as_text() {
        let a = Timestamp::from(time::macros::datetime!(2026-01-02 03:04:05.000 UTC));
        let b = Timestamp::from(time::macros::datetime!(2026-01-02 03:04:05.123456 +02:00));
        assert_eq!(a.to_text(), "2026-01-02T03:04:05.000Z");
        assert_eq!(b.to_text(), "2026-01-02T01:04:05.123Z");
        assert_eq!(Timestamp::parse(&b.to_text()).unwrap(), b);
        assert!((b < a) == (b.to_text() < a.to_text()));
    }
}
