//! Deposits (SEPA and crypto) and IBAN checks, as P100's webhooks report them. A deposit is
//! inserted once per P100 id; its status moves by a conditional update that never leaves a final
//! status, so a late event cannot move it back and the same event twice changes nothing.

use sqlx::FromRow;

use super::{Db, Statement, Timestamp, Tx};
use crate::domain::deposits::{DepositKind, TravelRule};

#[derive(Debug, Clone, FromRow)]
pub struct DepositRecord {
    pub id: String,
    pub kind: DepositKind,
    pub external_user_id: Option<String>,
    pub upstream_id: String,
    pub amount: String,
    pub currency: String,
    pub sender: Option<String>,
    pub status: String,
    pub travel_rule: Option<TravelRule>,
    pub tx_hash: Option<String>,
    pub received_at: Timestamp,
    pub updated_at: Timestamp,
}

const SELECT: &str = "SELECT id, kind, external_user_id, upstream_id, amount, currency, sender, status, travel_rule,
        tx_hash, received_at, updated_at FROM deposits";

/// Statuses after which a deposit never changes (WEBHOOKS.md §4.2; SEPA's INFERRED).
pub const FINAL: [&str; 5] = ["SUCCESSFUL", "UNSUCCESSFUL", "FAILED", "REJECTED", "CANCELLED"];
/// The status in which P100 holds a crypto deposit for travel rule data.
pub const WAITING_FOR_TR_DATA: &str = "WAITING_FOR_TR_DATA";

/// What one event says about a deposit.
pub struct DepositEvent<'a> {
    pub kind: DepositKind,
    pub external_user_id: Option<&'a str>,
    pub upstream_id: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
    pub sender: Option<&'a str>,
    pub status: &'a str,
    pub tx_hash: Option<&'a str>,
    pub received_at: Timestamp,
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Inserted,
    Moved,
    Unchanged,
}

pub async fn find(db: &Db, upstream_id: &str) -> Result<Option<DepositRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE upstream_id = $1"))
        .bind(upstream_id)
        .fetch_optional(db)
        .await
}

/// Records the deposit if it is new, else moves its status when it is not final and differs
/// (filling in a transaction hash or sender the first event lacked). Being held for travel rule
/// data marks it `needed`, unless the data was already sent.
pub async fn upsert(tx: &mut Tx, event: &DepositEvent<'_>, now: Timestamp) -> Result<Upsert, sqlx::Error> {
    let needed = (event.status == WAITING_FOR_TR_DATA).then_some(TravelRule::Needed);
    let inserted = sqlx::query(
        "INSERT INTO deposits (id, kind, external_user_id, upstream_id, amount, currency, sender, status, travel_rule,
             tx_hash, received_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (upstream_id) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(event.kind)
    .bind(event.external_user_id)
    .bind(event.upstream_id)
    .bind(event.amount)
    .bind(event.currency)
    .bind(event.sender)
    .bind(event.status)
    .bind(needed)
    .bind(event.tx_hash)
    .bind(event.received_at)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Upsert::Inserted);
    }
    let mut update = Statement::new("UPDATE deposits SET status = ");
    update
        .push_bind(event.status)
        .push(", updated_at = ")
        .push_bind(now)
        .push(", tx_hash = COALESCE(tx_hash, ")
        .push_bind(event.tx_hash)
        .push("), sender = COALESCE(sender, ")
        .push_bind(event.sender)
        .push("), travel_rule = COALESCE(travel_rule, ")
        .push_bind(needed)
        .push(") WHERE upstream_id = ")
        .push_bind(event.upstream_id)
        .push(" AND status <> ")
        .push_bind(event.status)
        .push(" AND status NOT IN (")
        .push_list(FINAL)
        .push(")");
    let moved = update.build().execute(&mut **tx).await?.rows_affected();
    Ok(if moved == 1 { Upsert::Moved } else { Upsert::Unchanged })
}

/// Staff sent the travel rule data for a held deposit and P100 accepted it.
pub async fn set_travel_rule_sent(db: &Db, upstream_id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deposits SET travel_rule = $2, updated_at = $3 WHERE upstream_id = $1")
        .bind(upstream_id)
        .bind(TravelRule::Sent)
        .bind(now)
        .execute(db)
        .await
        .map(|_| ())
}

/// Crypto deposits P100 holds for travel rule data that nobody has sent yet, oldest first.
pub async fn waiting_for_travel_rule(db: &Db, limit: i64) -> Result<Vec<DepositRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE status = $1 AND travel_rule = $2 ORDER BY received_at, id LIMIT $3"
    ))
    .bind(WAITING_FOR_TR_DATA)
    .bind(TravelRule::Needed)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What the list shows; every part optional.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub kind: Option<DepositKind>,
    pub status: Option<String>,
    pub currency: Option<String>,
    /// `Some(None)`: the partner's own; `Some(Some(id))`: one user's.
    pub user: Option<Option<String>>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Deposits matching `filter`, newest first, after the `before` (received_at, id) position, so an
/// export can read them all in batches.
pub async fn page(
    db: &Db,
    filter: &ListFilter,
    before: Option<(Timestamp, String)>,
    limit: i64,
) -> Result<Vec<DepositRecord>, sqlx::Error> {
    let mut query = Statement::new(SELECT);
    query.push(" WHERE 1 = 1");
    if let Some(kind) = filter.kind {
        query.push(" AND kind = ").push_bind(kind);
    }
    for (column, value) in [("status", &filter.status), ("currency", &filter.currency)] {
        if let Some(value) = value {
            query.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    match &filter.user {
        Some(None) => {
            query.push(" AND external_user_id IS NULL");
        }
        Some(Some(user)) => {
            query.push(" AND external_user_id = ").push_bind(user.clone());
        }
        None => {}
    }
    if let Some(from) = filter.from {
        query.push(" AND received_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND received_at < ").push_bind(to);
    }
    if let Some((at, id)) = before {
        query
            .push(" AND (received_at < ")
            .push_bind(at)
            .push(" OR (received_at = ")
            .push_bind(at)
            .push(" AND id < ")
            .push_bind(id)
            .push("))");
    }
    query
        .push(" ORDER BY received_at DESC, id DESC LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

#[derive(Debug, Clone, FromRow)]
pub struct IbanCheckRecord {
    pub iban: String,
    pub status: String,
    pub updated_at: Timestamp,
}

/// Statuses after which an IBAN check never changes.
pub const IBAN_FINAL: [&str; 2] = ["APPROVED", "REJECTED"];

pub async fn iban_check(db: &Db, external_user_id: &str, iban: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM iban_checks WHERE external_user_id = $1 AND iban = $2")
        .bind(external_user_id)
        .bind(iban)
        .fetch_optional(db)
        .await
}

/// Records P100's word on payments from `iban` to the user: new, or moved on from a status that
/// is not final and differs. `true` when it changed.
pub async fn set_iban_check(
    tx: &mut Tx,
    external_user_id: &str,
    iban: &str,
    status: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let mut query = Statement::new("INSERT INTO iban_checks (external_user_id, iban, status, updated_at) VALUES (");
    query
        .push_list([external_user_id, iban, status])
        .push(", ")
        .push_bind(now)
        .push(
            ") ON CONFLICT (external_user_id, iban) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
             WHERE iban_checks.status <> excluded.status AND iban_checks.status NOT IN (",
        )
        .push_list(IBAN_FINAL)
        .push(")");
    Ok(query.build().execute(&mut **tx).await?.rows_affected() == 1)
}

/// The user's IBAN checks, latest first.
pub async fn iban_checks(db: &Db, external_user_id: &str) -> Result<Vec<IbanCheckRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT iban, status, updated_at FROM iban_checks WHERE external_user_id = $1 ORDER BY updated_at DESC, iban",
    )
    .bind(external_user_id)
    .fetch_all(db)
    .await
}
