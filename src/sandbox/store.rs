//! The sandbox's storage: every SQL statement on its `sandbox_*` tables. Only the sandbox calls
//! these; the app sees its state through its HTTP API alone.

use sqlx::FromRow;

use crate::kernel::db::{Conn, Db, Flag, Timestamp, Tx, begin_write};

pub const PARTNER: &str = "partner";

// ---- Settings -------------------------------------------------------------------------------

pub async fn setting(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    setting_on(&mut *db.acquire().await?, key).await
}

pub async fn setting_on(conn: &mut Conn, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM sandbox_settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
}

pub async fn set_setting(tx: &mut Tx, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn take_setting(tx: &mut Tx, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM sandbox_settings WHERE key = $1 RETURNING value")
        .bind(key)
        .fetch_optional(&mut **tx)
        .await
}

// ---- Users ----------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub external_user_id: String,
    pub user_id: String,
    pub profile: String,
    pub status: String,
    pub verification_status: String,
    pub attempt_status: Option<String>,
    pub rejection_reason: Option<String>,
    pub poa_status: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub async fn insert_user(tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_users (external_user_id, user_id, profile, status, verification_status, attempt_status,
           rejection_reason, poa_status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&user.external_user_id)
    .bind(&user.user_id)
    .bind(&user.profile)
    .bind(&user.status)
    .bind(&user.verification_status)
    .bind(&user.attempt_status)
    .bind(&user.rejection_reason)
    .bind(&user.poa_status)
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn user(tx: &mut Tx, external_user_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_users WHERE external_user_id = $1")
        .bind(external_user_id)
        .fetch_optional(&mut **tx)
        .await
}

/// Every sandbox user, oldest first.
pub async fn all_users(db: &Db) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_users ORDER BY created_at, external_user_id")
        .fetch_all(db)
        .await
}

pub async fn update_user(tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sandbox_users SET profile = $2, status = $3, verification_status = $4, attempt_status = $5,
           rejection_reason = $6, poa_status = $7, updated_at = $8
         WHERE external_user_id = $1",
    )
    .bind(&user.external_user_id)
    .bind(&user.profile)
    .bind(&user.status)
    .bind(&user.verification_status)
    .bind(&user.attempt_status)
    .bind(&user.rejection_reason)
    .bind(&user.poa_status)
    .bind(user.updated_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn user_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_users")
        .fetch_one(db)
        .await
}

// ---- Balances -------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct BalanceRow {
    pub owner: String,
    pub currency: String,
    pub id: String,
    pub amount: String,
    pub wallet: Option<String>,
    pub iban: Option<String>,
    pub status: String,
}

pub async fn insert_balance(tx: &mut Tx, balance: &BalanceRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_balances (owner, currency, id, amount, wallet, iban, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&balance.owner)
    .bind(&balance.currency)
    .bind(&balance.id)
    .bind(&balance.amount)
    .bind(&balance.wallet)
    .bind(&balance.iban)
    .bind(&balance.status)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn balances(tx: &mut Tx, owner: &str) -> Result<Vec<BalanceRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_balances WHERE owner = $1 ORDER BY currency")
        .bind(owner)
        .fetch_all(&mut **tx)
        .await
}

pub async fn balance(tx: &mut Tx, owner: &str, currency: &str) -> Result<Option<BalanceRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_balances WHERE owner = $1 AND currency = $2")
        .bind(owner)
        .bind(currency)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn update_balance(tx: &mut Tx, balance: &BalanceRow) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sandbox_balances SET amount = $3, wallet = $4, iban = $5, status = $6 WHERE owner = $1 AND currency = $2")
        .bind(&balance.owner)
        .bind(&balance.currency)
        .bind(&balance.amount)
        .bind(&balance.wallet)
        .bind(&balance.iban)
        .bind(&balance.status)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

// ---- Rate locks -----------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct LockRow {
    pub id: String,
    pub owner: String,
    pub kind: String,
    pub payload: String,
    pub valid_until: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub async fn insert_lock(tx: &mut Tx, lock: &LockRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_locks (id, owner, kind, payload, valid_until, used_at) VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(&lock.id)
    .bind(&lock.owner)
    .bind(&lock.kind)
    .bind(&lock.payload)
    .bind(lock.valid_until)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn lock(tx: &mut Tx, id: &str) -> Result<Option<LockRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_locks WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn use_lock(tx: &mut Tx, id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sandbox_locks SET used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

// ---- Movements ------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct MovementRow {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub status: String,
    pub details: String,
    pub settle_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub async fn insert_movement(tx: &mut Tx, movement: &MovementRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_movements (id, kind, owner, status, details, settle_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&movement.id)
    .bind(&movement.kind)
    .bind(&movement.owner)
    .bind(&movement.status)
    .bind(&movement.details)
    .bind(movement.settle_at)
    .bind(movement.created_at)
    .bind(movement.updated_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn movement(tx: &mut Tx, id: &str) -> Result<Option<MovementRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_movements WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn update_movement(tx: &mut Tx, movement: &MovementRow) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sandbox_movements SET status = $2, details = $3, settle_at = $4, updated_at = $5 WHERE id = $1")
        .bind(&movement.id)
        .bind(&movement.status)
        .bind(&movement.details)
        .bind(movement.settle_at)
        .bind(movement.updated_at)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// P100 loses a record (a reconciliation scenario).
pub async fn delete_movement(tx: &mut Tx, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sandbox_movements WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ids of movements whose next step is due.
pub async fn due_movements(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM sandbox_movements WHERE settle_at <= $1 ORDER BY settle_at LIMIT $2")
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// How many movements of `kind` exist (tests count upstream movements with it).
pub async fn movement_count(db: &Db, kind: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_movements WHERE kind = $1")
        .bind(kind)
        .fetch_one(db)
        .await
}

// ---- Transaction history --------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct TransactionRow {
    pub id: String,
    pub owner: String,
    pub kind: String,
    pub currency: String,
    pub amount: String,
    pub status: String,
    pub created_at: Timestamp,
}

pub async fn insert_transaction(tx: &mut Tx, row: &TransactionRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_transactions (id, owner, kind, currency, amount, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.owner)
    .bind(&row.kind)
    .bind(&row.currency)
    .bind(&row.amount)
    .bind(&row.status)
    .bind(row.created_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Newest first; `from`/`to` bound `created_at` (inclusive, exclusive).
pub async fn transactions(
    db: &Db,
    owner: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    offset: i64,
    limit: i64,
) -> Result<Vec<TransactionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM sandbox_transactions
         WHERE owner = $1 AND ($2 IS NULL OR created_at >= $2) AND ($3 IS NULL OR created_at < $3)
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5",
    )
    .bind(owner)
    .bind(from)
    .bind(to)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

// ---- Faults ---------------------------------------------------------------------------------

/// Every column of `sandbox_faults`, `timeout` as a number (see `Flag`).
const FAULT_COLUMNS: &str = "endpoint, latency_ms, http_status, CASE WHEN timeout THEN 1 ELSE 0 END AS timeout, p_code, \
     applied, malformed, reset, remaining";

#[derive(Debug, Clone, FromRow)]
pub struct FaultRow {
    pub endpoint: String,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub timeout: bool,
    pub p_code: Option<String>,
    /// 1 applied, 0 not, NULL as P100 mostly does (see `domain::sandbox::Fault`).
    pub applied: Option<i64>,
    pub malformed: i64,
    pub reset: i64,
    pub remaining: i64,
}

pub async fn set_fault(db: &Db, fault: &FaultRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_faults (endpoint, latency_ms, http_status, timeout, p_code, applied, malformed, reset,
             remaining)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (endpoint) DO UPDATE SET latency_ms = excluded.latency_ms, http_status = excluded.http_status,
           timeout = excluded.timeout, p_code = excluded.p_code, applied = excluded.applied,
           malformed = excluded.malformed, reset = excluded.reset, remaining = excluded.remaining",
    )
    .bind(&fault.endpoint)
    .bind(fault.latency_ms)
    .bind(fault.http_status)
    .bind(fault.timeout)
    .bind(&fault.p_code)
    .bind(fault.applied)
    .bind(fault.malformed)
    .bind(fault.reset)
    .bind(fault.remaining)
    .execute(db)
    .await
    .map(|_| ())
}

/// Uses up one call of the fault on `endpoint`, if one is armed.
pub async fn take_fault(db: &Db, endpoint: &str) -> Result<Option<FaultRow>, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let fault: Option<FaultRow> = sqlx::query_as(
        &format!("UPDATE sandbox_faults SET remaining = remaining - 1 WHERE endpoint = $1 AND remaining > 0 RETURNING {FAULT_COLUMNS}"),
    )
    .bind(endpoint)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM sandbox_faults WHERE remaining <= 0")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(fault)
}

pub async fn faults(db: &Db) -> Result<Vec<FaultRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {FAULT_COLUMNS} FROM sandbox_faults ORDER BY endpoint"))
        .fetch_all(db)
        .await
}

pub async fn clear_faults(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sandbox_faults").execute(db).await.map(|_| ())
}

// ---- Outgoing webhooks ----------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct WebhookRow {
    pub id: String,
    pub route: String,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub created_at: Timestamp,
}

/// Queues a delivery due at `now`; its id.
pub async fn enqueue_webhook(tx: &mut Tx, route: &str, payload: &str, now: Timestamp) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO sandbox_webhooks (id, route, payload, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(&id)
    .bind(route)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Moves a queued delivery to `at` (held back, or sent again later).
pub async fn reschedule_webhook(tx: &mut Tx, id: &str, at: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sandbox_webhooks SET next_attempt_at = $2 WHERE id = $1 AND delivered_at IS NULL")
        .bind(id)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn due_webhooks(db: &Db, now: Timestamp) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_webhooks WHERE next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT 50")
        .bind(now)
        .fetch_all(db)
        .await
}

/// Takes a due webhook for one delivery attempt: its next attempt moves to `until`, so no other app
/// instance sharing the database sends it meanwhile. `false` when another one took it first.
pub async fn claim_webhook(db: &Db, hook: &WebhookRow, until: Timestamp) -> Result<bool, sqlx::Error> {
    let claimed =
        sqlx::query("UPDATE sandbox_webhooks SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2")
            .bind(&hook.id)
            .bind(hook.next_attempt_at)
            .bind(until)
            .execute(db)
            .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Records one delivery attempt; `next` is when to try again, `None` when done (delivered or given up).
pub async fn record_webhook_attempt(
    db: &Db,
    id: &str,
    status: Option<u16>,
    delivered: Option<Timestamp>,
    next: Option<Timestamp>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sandbox_webhooks SET attempts = attempts + 1, last_status = $2, delivered_at = $3, next_attempt_at = $4
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.map(i64::from))
    .bind(delivered)
    .bind(next)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn webhooks(db: &Db) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM sandbox_webhooks ORDER BY created_at DESC LIMIT 200")
        .fetch_all(db)
        .await
}
