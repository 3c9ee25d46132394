//! The audit log: who did what, to what, with which outcome. Append-only and hash-chained:
//! each row's hash covers its content and the previous row's hash, so an edit anywhere breaks
//! every later link, and `verify` names the first broken row. The chain is keyed (HMAC-SHA256
//! under `AUDIT_KEY`), so someone who can write to the database but does not hold the key cannot
//! rebuild a chain that verifies; a checkpoint of its head goes to the log output every hour, for
//! a system outside the database to hold.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Duration;

use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::db::{self, Db, Timestamp, Tx, audit::AuditRow};
use crate::domain::audit::{AuditEntryView, Outcome};

/// Who acted. `None` fields mean nobody was signed in (a failed sign-in, a CLI command, start-up).
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub staff_id: Option<String>,
    pub staff_email: Option<String>,
    pub roles: String,
}

impl Who {
    pub fn system() -> Self {
        Who {
            staff_id: None,
            staff_email: None,
            roles: "system".into(),
        }
    }
}

/// Where a request came from; carried into every audit row it causes.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What happened. Build with `Event::new` and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct Event {
    action: &'static str,
    target: Option<(&'static str, String)>,
    outcome: Outcome,
    reason: Option<String>,
    upstream_request_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
}

impl Event {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        Event {
            action,
            target: None,
            outcome,
            reason: None,
            upstream_request_id: None,
            before: None,
            after: None,
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.target = Some((kind, id.into()));
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The P100 call this event made, for its request id.
    pub fn upstream(mut self, call: &crate::p100::CallRecord) -> Self {
        self.upstream_request_id = Some(call.request_id.clone());
        self
    }

    pub fn change(mut self, before: Option<Value>, after: Option<Value>) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

/// The key the chain is keyed with. The sandbox's is published (its chain proves only that nothing
/// was changed by accident); outside the sandbox `AUDIT_KEY` is required and kept off the database.
#[derive(Clone)]
pub struct AuditKey {
    key: Arc<SecretSlice<u8>>,
    published: bool,
}

/// The sandbox's key, published in this source.
const SANDBOX_KEY: &[u8] = b"partner-backoffice sandbox audit key (published)";

impl AuditKey {
    pub fn secret(bytes: Vec<u8>) -> Self {
        AuditKey {
            key: Arc::new(SecretSlice::from(bytes)),
            published: false,
        }
    }

    pub fn sandbox() -> Self {
        AuditKey {
            key: Arc::new(SecretSlice::from(SANDBOX_KEY.to_vec())),
            published: true,
        }
    }

    /// Whether `bytes` is the published sandbox key (never acceptable as `AUDIT_KEY`).
    pub fn is_published(bytes: &[u8]) -> bool {
        bytes == SANDBOX_KEY
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.published {
            "AuditKey(sandbox)"
        } else {
            "AuditKey(..)"
        })
    }
}

/// Each database's key, by its URL (a process may hold several databases: the tests do).
static KEYS: LazyLock<RwLock<HashMap<String, AuditKey>>> = LazyLock::new(Default::default);

/// Keys `db`'s chain with `key` from now on in this process (at start, before anything is written).
pub fn use_key(db: &Db, key: AuditKey) {
    let url = db.connect_options().database_url.as_str().to_owned();
    KEYS.write().unwrap_or_else(|p| p.into_inner()).insert(url, key);
}

fn key_of(database: &str) -> Result<AuditKey, sqlx::Error> {
    KEYS.read()
        .unwrap_or_else(|p| p.into_inner())
        .get(database)
        .cloned()
        .ok_or_else(|| sqlx::Error::Configuration("no audit key was set for this database".into()))
}

/// How often the chain's head is written to the log output.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(3600);

/// Writes the chain's head (row count and hash) to the log output, for an outside system to keep:
/// a later chain that does not pass through it was rewritten, whoever held the key.
pub async fn checkpoint(db: &Db) -> Result<(), sqlx::Error> {
    let (seq, hash) = db::audit::head(db).await?;
    tracing::info!(target: "audit_checkpoint", rows = seq, head = %hash, "audit chain checkpoint");
    Ok(())
}

/// Appends `event` inside `tx`, so the row commits or rolls back with the change it describes.
pub async fn record(tx: &mut Tx, who: &Who, meta: &RequestMeta, event: Event) -> Result<i64, sqlx::Error> {
    let key = key_of(tx.database())?;
    let (seq, prev_hash) = db::audit::advance_head(tx).await?;
    let mut row = AuditRow {
        seq,
        at: Timestamp::now(),
        staff_id: who.staff_id.clone(),
        staff_email: who.staff_email.clone(),
        staff_roles: who.roles.clone(),
        action: event.action.to_owned(),
        target_kind: event.target.as_ref().map(|(kind, _)| (*kind).to_owned()),
        target_id: event.target.map(|(_, id)| id),
        outcome: event.outcome.as_str().to_owned(),
        reason: event.reason,
        request_id: meta.request_id.clone(),
        upstream_request_id: event.upstream_request_id,
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        before_data: event.before.map(|v| redact(v).to_string()),
        after_data: event.after.map(|v| redact(v).to_string()),
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain_hash(&row, Some(&key));
    db::audit::insert(tx, &row).await?;
    Ok(seq)
}

/// Appends `event` on its own, for things that change nothing else (sign-in attempts, denials).
pub async fn record_alone(db: &Db, who: &Who, meta: &RequestMeta, event: Event) -> Result<i64, sqlx::Error> {
    let mut tx = db::begin_write(db).await?;
    let seq = record(&mut tx, who, meta, event).await?;
    tx.commit().await?;
    Ok(seq)
}

/// Records that P100 refused or did not answer `event`'s call (its code, words and request id) and
/// returns the error for the page. The audit row is written on its own: nothing else changed.
pub async fn upstream_failure(
    db: &Db,
    who: &Who,
    meta: &RequestMeta,
    event: Event,
    failure: crate::p100::Failure,
) -> crate::domain::AppError {
    match record_alone(db, who, meta, refused_upstream(event, &failure)).await {
        Ok(_) => failure.into(),
        Err(err) => err.into(),
    }
}

/// `event` as P100 refused or left unanswered: a failure with P100's code, words and request id.
pub fn refused_upstream(event: Event, failure: &crate::p100::Failure) -> Event {
    event.outcome(Outcome::Failure).upstream(&failure.call).reason(format!(
        "{}: {}",
        failure.error.code(),
        failure.error.staff_message()
    ))
}

/// HMAC-SHA256 under `key` (plain SHA-256 without one: rows written before the chain was keyed)
/// over the previous hash and every stored field but the hash itself, as a JSON array in column
/// order: unambiguous, and the same bytes whichever database stored the row.
fn chain_hash(row: &AuditRow, key: Option<&AuditKey>) -> String {
    let content = serde_json::json!([
        row.seq,
        row.at.to_text(),
        row.staff_id,
        row.staff_email,
        row.staff_roles,
        row.action,
        row.target_kind,
        row.target_id,
        row.outcome,
        row.reason,
        row.request_id,
        row.upstream_request_id,
        row.ip,
        row.user_agent,
        row.before_data,
        row.after_data,
    ]);
    let content = content.to_string();
    match key {
        Some(key) => {
            let mut mac = Hmac::<Sha256>::new_from_slice(key.key.expose_secret()).expect("HMAC takes any key length");
            mac.update(row.prev_hash.as_bytes());
            mac.update(content.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        None => {
            let mut hasher = Sha256::new();
            hasher.update(row.prev_hash.as_bytes());
            hasher.update(content.as_bytes());
            hex::encode(hasher.finalize())
        }
    }
}

const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
];

/// Replaces the value of every key that names a secret, at any depth.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, v)| {
                    let lower = key.to_lowercase();
                    if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        (key, Value::String("[redacted]".into()))
                    } else {
                        (key, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact { rows: i64 },
    Broken { seq: i64, problem: String },
}

/// Walks the whole chain and names the first row that does not link or does not match its hash
/// under `key`. Under the published sandbox key, rows from before the chain was keyed (plain
/// SHA-256) still verify: that chain never proved anything against someone holding the database.
pub async fn verify(db: &Db, key: &AuditKey) -> Result<Verdict, sqlx::Error> {
    let (head_seq, head_hash) = db::audit::head(db).await?;
    let mut rows = db::audit::all_in_order(db);
    let mut expected_seq = 1;
    let mut prev_hash = "0".repeat(64);
    while let Some(row) = rows.try_next().await? {
        let problem = if row.seq != expected_seq {
            Some(format!("expected row {expected_seq} here; a row is missing"))
        } else if row.prev_hash != prev_hash {
            Some("does not link to the previous row's hash".to_owned())
        } else if chain_hash(&row, Some(key)) != row.hash && !(key.published && chain_hash(&row, None) == row.hash) {
            Some("content does not match its hash (the row was changed)".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Ok(Verdict::Broken { seq: row.seq, problem });
        }
        prev_hash = row.hash;
        expected_seq += 1;
    }
    let last = expected_seq - 1;
    if head_seq != last || head_hash != prev_hash {
        return Ok(Verdict::Broken {
            seq: last + 1,
            problem: format!("the head says row {head_seq}; rows after {last} are missing"),
        });
    }
    Ok(Verdict::Intact { rows: last })
}

impl From<AuditRow> for AuditEntryView {
    fn from(row: AuditRow) -> Self {
        AuditEntryView {
            seq: row.seq,
            at: row.at.into(),
            staff_email: row.staff_email,
            staff_roles: row.staff_roles,
            action: row.action,
            target_kind: row.target_kind,
            target_id: row.target_id,
            outcome: Outcome::parse(&row.outcome).unwrap_or(Outcome::Failure),
            reason: row.reason,
            request_id: row.request_id,
            upstream_request_id: row.upstream_request_id,
            ip: row.ip,
            user_agent: row.user_agent,
            before: row.before_data,
            after: row.after_data,
        }
    }
}

/// Rows per audit page.
pub const PAGE_SIZE: i64 = 50;

pub async fn page(
    db: &Db,
    query: &crate::domain::audit::AuditQuery,
    before: Option<i64>,
) -> Result<crate::domain::audit::AuditPage, crate::domain::AppError> {
    let mut rows = db::audit::page(db, query, before, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_before = if more { rows.last().map(|r| r.seq) } else { None };
    Ok(crate::domain::audit::AuditPage {
        entries: rows.into_iter().map(AuditEntryView::from).collect(),
        next_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = serde_json::json!({"email": "a@b.c", "Password": "x", "nested": [{"api_key": "k", "n": 1}]});
        let r = redact(v);
        assert_eq!(r["email"], "a@b.c");
        assert_eq!(r["Password"], "[redacted]");
        assert_eq!(r["nested"][0]["api_key"], "[redacted]");
        assert_eq!(r["nested"][0]["n"], 1);
    }
}
