//! The database as the app and the sandbox both use it: the pool, connecting with migrations,
//! writing transactions, and the column types every table shares. Each side writes its own SQL on
//! top (`server::db`, `sandbox::store`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

/// One query layer for both databases: sqlx's `Any` driver picks SQLite or PostgreSQL from the URL
/// at start. Every statement is written once, in the SQL both accept (`$n` placeholders, text for
/// times and decimals, `TRUE`/`FALSE`); the few differences live in this module.
pub type Db = sqlx::AnyPool;
pub type Conn = sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The database a `DATABASE_URL` names, or `None` for one this app does not run on.
    pub fn of_url(url: &str) -> Option<Self> {
        match url.split_once(':')?.0 {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    pub fn of(db: &Db) -> Self {
        Self::of_url(db.connect_options().database_url.as_str()).expect("connect checked the URL")
    }
}

/// Opens the database named by `url` (`sqlite:` creates the file and its folder if needed), and
/// applies its migrations.
pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)
        .ok_or_else(|| sqlx::Error::Configuration("DATABASE_URL must start with sqlite: or postgres:".into()))?;
    let options = match backend {
        Backend::Sqlite => sqlite_options(url)?,
        Backend::Postgres => url.parse::<AnyConnectOptions>()?,
    };
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    // PostgreSQL's default cost of a random read (4× a sequential one) is for spinning
                    // disks; on SSDs and a cached working set the usual setting is 1.1. With the
                    // default, counting 10,000 users in a date range scanned the whole table (22 ms)
                    // rather than reading the date index (bench/users.sh).
                    sqlx::query("SET random_page_cost = 1.1").execute(&mut *conn).await?;
                }
                if backend == Backend::Sqlite {
                    // The Any driver opens SQLite with sqlx's defaults (foreign keys on, a 5 s busy
                    // timeout); these are the rest of what a server wants. `analysis_limit` bounds
                    // `ANALYZE` (below, and `optimize`) to a sample of 10,000 rows per index (~20 ms
                    // at 100,000 users). A sample of 1,000 misled the planner into scanning every
                    // verified user for a name search (5x slower than the index OR it picks with
                    // this one; bench/users.sh). `mmap_size` reads the file through a memory map
                    // instead of a `read` call per page: a search reading 800 rows in page order
                    // took 3 ms of system time, 1.6 ms mapped (100,000 users; the map is shared
                    // page cache, not memory of the process).
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA analysis_limit = 10000",
                        "PRAGMA mmap_size = 268435456",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            })
        })
        .after_release(|conn, _| Box::pin(left_clean(conn)))
        .connect_with(options)
        .await?;
    match backend {
        Backend::Sqlite => {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            // Table statistics let the planner tell a selective filter (one user's id) from a broad
            // one (every verified user); without them it guesses, and a broad filter can cost a full
            // scan. Refreshed here and then by `optimize`; PostgreSQL's autovacuum keeps its own.
            sqlx::query("ANALYZE").execute(&pool).await?;
        }
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
    }
    Ok(pool)
}

/// `url` with `mode=rwc` (create the file when missing) unless it says otherwise, its folder made.
fn sqlite_options(url: &str) -> Result<AnyConnectOptions, sqlx::Error> {
    let sqlite: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
    if let Some(dir) = sqlite.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let url = if url.contains("mode=") {
        url.to_owned()
    } else {
        format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
    };
    url.parse()
}

/// Whether a released connection may be reused. sqlx counts the transactions it opened on each
/// connection; when one is left open (SQLite ends some by itself on busy and I/O errors; a request
/// dropped mid-`BEGIN` leaves no `Transaction` to roll back) the count stays up, and every later
/// `BEGIN` on that connection fails ("non-zero transaction depth"). Such a connection is closed
/// instead of going back to the pool.
async fn left_clean(conn: &mut Conn) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection, Database, TransactionManager};
    // The ping runs after any rollback still queued for a dropped transaction.
    conn.ping().await?;
    let clean = <sqlx::Any as Database>::TransactionManager::get_transaction_depth(conn) == 0;
    if !clean {
        tracing::error!("a database connection was left inside a transaction; it is closed");
    }
    Ok(clean)
}

/// The advisory lock every writing transaction holds on PostgreSQL (an arbitrary constant).
const WRITE_LOCK: i64 = 0x6261_636b_6f66;

/// Starts a transaction that will write. Writers take turns, on both databases and across app
/// instances: SQLite takes its write lock at once (`BEGIN IMMEDIATE`, waiting up to the busy
/// timeout) instead of failing when a read inside the transaction later turns into a write;
/// PostgreSQL takes one transaction-scoped advisory lock. Every check-then-write the app makes (an
/// idempotency key, a conditional status change, the audit chain's head) therefore sees the
/// previous writer's commit, however many instances share the database. Reads never wait.
pub async fn begin_write(db: &Db) -> Result<Tx, sqlx::Error> {
    let turn = writer_turn(db).await?;
    let tx = match Backend::of(db) {
        Backend::Sqlite => db.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => {
            let mut tx = db.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            tx
        }
    };
    let database = db.connect_options().database_url.as_str().into();
    Ok(Tx {
        tx,
        database,
        _turn: turn,
    })
}

/// A transaction that writes (see `begin_write`): used as the connection it runs on, then
/// committed. On SQLite it also holds this process's turn at the database's single writer.
pub struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    database: Arc<str>,
    // Declared after `tx`: released once the transaction has ended.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    /// The database this transaction writes to (its URL): for what is kept per database.
    pub fn database(&self) -> &str {
        &self.database
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

/// This process's turn at an SQLite database's single writer (`None` on PostgreSQL, whose writers
/// queue on its own locks). A connection that finds SQLite's lock taken sleeps in the busy handler
/// for 1, 2, 5, 10, 15 ... ms between tries, so under load a short write could wait tens of ms for
/// a lock that was free after one (bench/webhooks.sh measured the intake's p99 at 8x its p90).
/// Writers of this process queue here instead, each woken the moment the one before is done; the
/// busy handler remains for other processes. Held for the transaction or the one statement.
pub async fn writer_turn(db: &Db) -> Result<Option<OwnedMutexGuard<()>>, sqlx::Error> {
    type Turns = std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
    static TURNS: LazyLock<Turns> = LazyLock::new(Default::default);
    if Backend::of(db) != Backend::Sqlite {
        return Ok(None);
    }
    let turn = {
        let mut turns = TURNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let url = db.connect_options().database_url.to_string();
        turns.entry(url).or_default().clone()
    };
    // As long as SQLite's own busy timeout: a writer that waits longer fails as it would there.
    tokio::time::timeout(WRITER_WAIT, turn.lock_owned())
        .await
        .map(Some)
        .map_err(|_| {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "waited 5 s for the database's writer",
            ))
        })
}

/// sqlx's default SQLite busy timeout, which the Any driver keeps.
const WRITER_WAIT: Duration = Duration::from_secs(5);

/// Refreshes SQLite's table statistics where the data changed enough since they were taken (run
/// hourly while the server runs; a no-op on PostgreSQL, whose autovacuum does it).
pub async fn optimize(db: &Db) -> Result<(), sqlx::Error> {
    if Backend::of(db) == Backend::Sqlite {
        sqlx::query("PRAGMA optimize").execute(db).await?;
    }
    Ok(())
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

    /// A time as P100 writes it: RFC 3339 in any precision (none, milli, micro, nano) and any
    /// offset, kept to the millisecond in UTC.
    pub fn parse_rfc3339(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).map(Self::from)
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

impl sqlx::Type<sqlx::Any> for Timestamp {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<sqlx::Any>>::encode(self.to_text(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Timestamp {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(Timestamp::parse(text)?)
    }
}

/// A boolean column as read back. The `Any` driver refuses a SQLite column declared `BOOLEAN`
/// outright and decodes `bool` from a PostgreSQL boolean only, so statements select such a column
/// as a number (`CASE WHEN c THEN 1 ELSE 0 END AS c`) and the field reads it with
/// `#[sqlx(try_from = "Flag")]`. Writes bind a plain `bool`, which both databases accept.
#[derive(Debug, Clone, Copy)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(value: Flag) -> bool {
        value.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Flag(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0))
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
