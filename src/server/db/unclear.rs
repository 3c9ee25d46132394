//! Payouts, withdrawals, transfers and exchanges whose outcome P100 left unclear and that a person
//! must decide (`server::recovery`): the same two columns on both tables.

use std::time::Duration;

use super::{Db, Timestamp, Tx};

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
    fn name(self) -> &'static str {
        match self {
            Table::Movements => "movements",
            Table::Exchanges => "exchanges",
        }
    }
}

/// Puts an unknown record before a person, with why and the P100 ids that fit (a JSON list).
/// `false` when it already waited for that same reason (or is no longer unknown).
pub async fn set_decision(
    tx: &mut Tx,
    table: Table,
    id: &str,
    decision: &str,
    candidates: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET decision = $2, candidates = $3, updated_at = $4
         WHERE id = $1 AND status = 'unknown' AND (decision IS NULL OR decision <> $2 OR candidates <> $3)",
        table.name()
    ))
    .bind(id)
    .bind(decision)
    .bind(candidates)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many records wait for a person to decide, both tables together.
pub async fn waiting(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM movements WHERE status = 'unknown' AND decision IS NOT NULL)
              + (SELECT COUNT(*) FROM exchanges WHERE status = 'unknown' AND decision IS NOT NULL)",
    )
    .fetch_one(db)
    .await
}

/// Records `failed` with no P100 id (P100's first answer was taken as a refusal), with their
/// failure text: what an earlier version recorded failed may have been an unclear answer.
pub async fn failed_unsent(db: &Db, table: Table) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT id, failure FROM {} WHERE status = 'failed' AND upstream_id IS NULL AND failure IS NOT NULL",
        table.name()
    ))
    .fetch_all(db)
    .await
}

/// Takes a `failed` record back to `unknown` with `failure` in words; `false` when it was no
/// longer failed.
pub async fn reopen(tx: &mut Tx, table: Table, id: &str, failure: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET status = 'unknown', failure = $2, updated_at = $3
         WHERE id = $1 AND status = 'failed' AND upstream_id IS NULL",
        table.name()
    ))
    .bind(id)
    .bind(failure)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends an unknown record as `failed` with `failure` in words (a person decided P100 never received
/// it); `false` when it was no longer unknown.
pub async fn never_received(tx: &mut Tx, table: Table, id: &str, failure: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET status = 'failed', failure = $2, decision = NULL, candidates = NULL, updated_at = $3
         WHERE id = $1 AND status = 'unknown'",
        table.name()
    ))
    .bind(id)
    .bind(failure)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
