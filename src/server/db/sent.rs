//! What payouts, withdrawals, transfers and exchanges share once they are sent to P100 (the money
//! engine, `server::money`): the stages of their status column, conditional status changes whose
//! row count says whether this caller made the change, and the columns that record a person's
//! decision about one whose outcome P100 left unclear.

use std::time::Duration;

use super::{Conn, Db, Statement, Timestamp, Tx};
use crate::domain::exchanges::ExchangeStatus;
use crate::domain::movements::MovementStatus;

/// A record waiting for a person is still looked for at P100 (it may turn up there), but this
/// often rather than every round: the bounded load on P100 goes to records nobody waits on.
pub const WAITING_EVERY: Duration = Duration::from_secs(600);

/// Where a record lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Movements,
    Exchanges,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Movements => "movements",
            Table::Exchanges => "exchanges",
        }
    }
}

/// The part of a record's life the engine runs, the same for every kind: being sent, accepted and
/// followed, settled, or unclear. What comes before sending (an approval, a lock) is the kind's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Submitting,
    Pending,
    Completed,
    Failed,
    Unknown,
}

/// A kind's status column: its own values, and the engine's stages among them.
pub trait Status: Copy + PartialEq + Send + Sync + std::fmt::Display + 'static {
    const TABLE: Table;
    fn of(stage: Stage) -> Self;
    fn stage(self) -> Option<Stage>;
    fn text(self) -> &'static str;
}

/// One status enum's stages, both ways.
macro_rules! stages {
    ($status:ident, $table:expr) => {
        impl Status for $status {
            const TABLE: Table = $table;
            fn of(stage: Stage) -> Self {
                match stage {
                    Stage::Submitting => $status::Submitting,
                    Stage::Pending => $status::Pending,
                    Stage::Completed => $status::Completed,
                    Stage::Failed => $status::Failed,
                    Stage::Unknown => $status::Unknown,
                }
            }
            fn stage(self) -> Option<Stage> {
                Some(match self {
                    $status::Submitting => Stage::Submitting,
                    $status::Pending => Stage::Pending,
                    $status::Completed => Stage::Completed,
                    $status::Failed => Stage::Failed,
                    $status::Unknown => Stage::Unknown,
                    _ => return None,
                })
            }
            fn text(self) -> &'static str {
                self.as_str()
            }
        }
    };
}

stages!(MovementStatus, Table::Movements);
stages!(ExchangeStatus, Table::Exchanges);

/// A status change that did not happen: the record was no longer in the status it was taken from
/// (another caller, instance or sweep changed it first), or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum Transition {
    #[error("the record was no longer {0}")]
    Elsewhere(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl Transition {
    /// `Ok(false)` when the record was elsewhere, for callers to whom that means "someone else did
    /// it"; a database error stays an error.
    pub fn or_elsewhere(result: Result<(), Transition>) -> Result<bool, sqlx::Error> {
        match result {
            Ok(()) => Ok(true),
            Err(Transition::Elsewhere(_)) => Ok(false),
            Err(Transition::Db(err)) => Err(err),
        }
    }
}

impl From<Transition> for crate::domain::AppError {
    fn from(err: Transition) -> Self {
        match err {
            Transition::Db(err) => err.into(),
            elsewhere => crate::server::error::internal(elsewhere),
        }
    }
}

/// What a status change sets besides the status: `(column, value)` pairs, each column named by
/// the code (never by input). Leaving a column out keeps its stored value.
#[derive(Debug, Default, Clone)]
pub struct Change {
    columns: Vec<(&'static str, Value)>,
}

#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Time(Timestamp),
}

impl Change {
    pub fn set(mut self, column: &'static str, value: impl Into<String>) -> Self {
        self.columns.push((column, Value::Text(value.into())));
        self
    }

    pub fn set_time(mut self, column: &'static str, value: Timestamp) -> Self {
        self.columns.push((column, Value::Time(value)));
        self
    }

    pub fn upstream_id(self, id: &str) -> Self {
        self.set("upstream_id", id)
    }

    pub fn failure(self, words: &str) -> Self {
        self.set("failure", words)
    }

    /// The value this change gives `column`, if any (for logs and audit rows).
    pub fn text(&self, column: &str) -> Option<&str> {
        self.columns.iter().find_map(|(c, v)| match v {
            Value::Text(t) if *c == column => Some(t.as_str()),
            _ => None,
        })
    }
}

/// A record the engine runs, as its table stores it.
pub trait Stored: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Sync + Unpin + 'static {
    type Status: Status;
    /// `SELECT ... FROM <table> <ALIAS> ...` with its joins, to which a `WHERE` is added.
    const SELECT: &'static str;
    const ALIAS: &'static str;
    fn columns(&self) -> Columns<'_, Self::Status>;
}

/// The columns every kind's table has for the engine.
pub struct Columns<'a, S> {
    pub id: &'a str,
    pub status: S,
    pub upstream_id: Option<&'a str>,
    pub failure: Option<&'a str>,
    /// Why a person must decide what became of it, and the P100 ids that fit (a JSON list).
    pub decision: Option<&'a str>,
    pub candidates: Option<&'a str>,
}

/// `Stored` for a record struct with the engine's columns as fields of the same names.
macro_rules! stored {
    ($record:ident, $status:ident, $select:expr, $alias:literal) => {
        impl $crate::server::db::sent::Stored for $record {
            type Status = $status;
            const SELECT: &'static str = $select;
            const ALIAS: &'static str = $alias;
            fn columns(&self) -> $crate::server::db::sent::Columns<'_, $status> {
                $crate::server::db::sent::Columns {
                    id: &self.id,
                    status: self.status,
                    upstream_id: self.upstream_id.as_deref(),
                    failure: self.failure.as_deref(),
                    decision: self.decision.as_deref(),
                    candidates: self.candidates.as_deref(),
                }
            }
        }
    };
}
pub(crate) use stored;

/// The record of `R`'s table whose `column` (named by the code) holds `value`.
pub async fn find_on<R: Stored>(conn: &mut Conn, column: &'static str, value: &str) -> Result<Option<R>, sqlx::Error> {
    sqlx::query_as(&format!("{} WHERE {}.{column} = $1", R::SELECT, R::ALIAS))
        .bind(value)
        .fetch_optional(conn)
        .await
}

pub async fn find<R: Stored>(db: &Db, id: &str) -> Result<Option<R>, sqlx::Error> {
    find_on(&mut *db.acquire().await?, "id", id).await
}

pub async fn find_by_upstream<R: Stored>(db: &Db, upstream_id: &str) -> Result<Option<R>, sqlx::Error> {
    find_on(&mut *db.acquire().await?, "upstream_id", upstream_id).await
}

/// The record with this id of ours, or else of P100's.
pub async fn find_by_either_id<R: Stored>(db: &Db, id: &str) -> Result<Option<R>, sqlx::Error> {
    match find(db, id).await? {
        Some(record) => Ok(Some(record)),
        None => find_by_upstream(db, id).await,
    }
}

/// Records in `status` unchanged since `before`, oldest first, at most `limit`: what a follower
/// takes in one round. One waiting for a person is taken only every `WAITING_EVERY`.
pub async fn stale<R: Stored>(
    db: &Db,
    status: R::Status,
    before: Timestamp,
    limit: i64,
) -> Result<Vec<R>, sqlx::Error> {
    let alias = R::ALIAS;
    sqlx::query_as(&format!(
        "{} WHERE {alias}.status = $1 AND {alias}.updated_at < $2
             AND ({alias}.decision IS NULL OR {alias}.updated_at < $4)
         ORDER BY {alias}.updated_at LIMIT $3",
        R::SELECT
    ))
    .bind(status.text())
    .bind(before)
    .bind(limit)
    .bind(Timestamp::now() - WAITING_EVERY)
    .fetch_all(db)
    .await
}

/// Moves record `id` of `S`'s table from `from` to `to` with `change`; leaving `unknown` clears the
/// decision a person was asked for. `Transition::Elsewhere` when it was no longer in `from`.
pub async fn transition<S: Status>(
    conn: &mut Conn,
    id: &str,
    from: S,
    to: S,
    change: &Change,
) -> Result<(), Transition> {
    let mut query = Statement::new(format!("UPDATE {} SET status = ", S::TABLE.name()));
    query
        .push_bind(to.text())
        .push(", updated_at = ")
        .push_bind(Timestamp::now());
    for (column, value) in &change.columns {
        query.push(format!(", {column} = "));
        match value {
            Value::Text(text) => query.push_bind(text.clone()),
            Value::Time(time) => query.push_bind(*time),
        };
    }
    if from.stage() == Some(Stage::Unknown) {
        query.push(", decision = NULL, candidates = NULL");
    }
    query
        .push(" WHERE id = ")
        .push_bind(id.to_owned())
        .push(" AND status = ")
        .push_bind(from.text());
    let done = query.build().execute(conn).await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Transition::Elsewhere(from.text()))
    }
}

/// Marks a record as looked at now (an unknown one whose search found nothing), so the follower's
/// next round takes the others first.
pub async fn touch(db: &Db, table: Table, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("UPDATE {} SET updated_at = $2 WHERE id = $1", table.name()))
        .bind(id)
        .bind(Timestamp::now())
        .execute(db)
        .await
        .map(|_| ())
}

/// Whether any record of the table already carries `upstream_id` (a P100 entry that is someone's).
pub async fn upstream_known(conn: &mut Conn, table: Table, upstream_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(&format!("SELECT 1 FROM {} WHERE upstream_id = $1", table.name()))
        .bind(upstream_id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Puts an unknown record before a person, with why and the P100 ids that fit (a JSON list).
/// `false` when it already waited for that same reason (or is no longer unknown).
pub async fn set_decision<S: Status>(
    tx: &mut Tx,
    id: &str,
    decision: &str,
    candidates: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET decision = $2, candidates = $3, updated_at = $4
         WHERE id = $1 AND status = $5 AND (decision IS NULL OR decision <> $2 OR candidates <> $3)",
        S::TABLE.name()
    ))
    .bind(id)
    .bind(decision)
    .bind(candidates)
    .bind(Timestamp::now())
    .bind(S::of(Stage::Unknown).text())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many records wait for a person to decide, both tables together.
pub async fn waiting(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM movements WHERE status = $1 AND decision IS NOT NULL)
              + (SELECT COUNT(*) FROM exchanges WHERE status = $2 AND decision IS NOT NULL)",
    )
    .bind(MovementStatus::Unknown)
    .bind(ExchangeStatus::Unknown)
    .fetch_one(db)
    .await
}

/// Records `failed` with no P100 id (P100's first answer was taken as a refusal), with their
/// failure text: what an earlier version recorded failed may have been an unclear answer.
pub async fn failed_unsent<S: Status>(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT id, failure FROM {} WHERE status = $1 AND upstream_id IS NULL AND failure IS NOT NULL",
        S::TABLE.name()
    ))
    .bind(S::of(Stage::Failed).text())
    .fetch_all(db)
    .await
}
