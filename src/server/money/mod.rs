//! The money engine: the one life of everything the back office sends to P100 that moves money
//! (payouts, withdrawals and transfers in `server::movements`, exchange finalizes in
//! `server::exchanges`). A kind records itself and claims the send (`submitting`) in its own way;
//! from there the engine owns it:
//!
//! ```text
//!   submitting --accepted--> pending --details/webhook--> completed | failed
//!       |  \--refused (P100 checked before any effect)--> failed
//!       |--maybe accepted (P500, 5xx, timeout, ...)--> unknown
//!       \--cut off (a restart mid-call, after SEND_GRACE)--> unknown
//!   unknown --found once in the payer's history--> pending
//!   unknown --ambiguous, or still not found after UNKNOWN_DEADLINE--> a person decides (resolution)
//! ```
//!
//! Nothing is ever sent twice: an unclear answer is looked for at P100, never re-sent. Every change
//! is a conditional update (`db::sent::transition`) audited in the same transaction.
//!
//! A kind plugs in what differs through `Sent`: its table and statuses, how it is sent, how P100's
//! details of it read, what they must show to be it, and what its final state records.

pub mod recovery;
pub mod resolution;

use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};

use self::recovery::{Lookup, Sought};
use super::audit::{self, Event, RequestMeta, Who};
use super::db::sent::{self, Change, Stage, Status, Stored, Transition};
use super::db::{self, Db, Timestamp};
use super::state::AppState;
use super::users::kyc::Applied;
use super::webhooks::Preview;
use crate::domain::AppError;
use crate::domain::audit::Outcome;
use crate::domain::movements::{Decision, Unclear};
use crate::p100::error::MoneyAnswer;
use crate::p100::{CallRecord, Failure};

/// How often records P100 is still working on are read again when no webhook came, and how many per
/// round: a bounded load on P100 whatever the backlog.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(15);
pub const FOLLOW_BATCH: i64 = 20;

/// The audit actions of one kind.
pub struct Actions {
    /// P100's answer to the send.
    pub send: &'static str,
    /// A change P100 or the sweep made.
    pub status: &'static str,
    /// Found in P100's history (or decided by a person to be an entry there).
    pub recover: &'static str,
    pub needs_decision: &'static str,
    /// A person's decision that P100 never received it.
    pub resolve: &'static str,
    /// An earlier version's `failed` on an unclear answer, taken back to `unknown`.
    pub reopen: &'static str,
}

/// What P100's details say about a record: still moving (with P100's status), or its final state.
pub enum Settled {
    Moving(String),
    Final(Settlement),
}

/// A record's final state as P100's details give it.
pub struct Settlement {
    /// `Completed` or `Failed`.
    pub to: Stage,
    /// P100's status, in its words.
    pub upstream_status: String,
    /// What else the record keeps (P100's fee, what arrived, the failure in words).
    pub change: Change,
    /// The audit row's reason, and its before and after.
    pub reason: String,
    pub before: Value,
    pub after: Value,
    /// `(field, before, after)` lines for the webhook log's dry run, besides the status.
    pub preview: Vec<(&'static str, String, String)>,
}

/// A kind of record the engine runs: stored with the engine's columns (`Stored`), and what differs.
pub trait Sent: Stored {
    type Details: Send + Sync;
    const SUBJECT: Unclear;
    /// What staff call one (`payout`, `exchange`), in the webhook log's words.
    const NOUN: &'static str;
    const ACTIONS: Actions;
    /// What a history entry's details were matched on, in words for the audit row.
    const MATCHED_ON: &'static str;

    fn id(&self) -> &str {
        self.columns().id
    }

    fn status(&self) -> Self::Status {
        self.columns().status
    }

    fn upstream_id(&self) -> Option<&str> {
        self.columns().upstream_id
    }

    fn decision(&self) -> Option<Decision> {
        let columns = self.columns();
        Decision::from_stored(columns.decision.map(str::to_owned), columns.candidates)
    }

    /// Why its outcome is unclear, in words (the decision asked for, or the failure recorded).
    fn unclear_why(&self) -> String {
        let columns = self.columns();
        columns.decision.or(columns.failure).unwrap_or_default().to_owned()
    }

    /// The other unknown records that would fit the same P100 entries, sent between `from` and `to`.
    fn rivals(
        &self,
        db: &Db,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<String>, sqlx::Error>> + Send;

    /// Where and when to look for it in its payer's P100 history.
    fn sought(&self, state: &AppState) -> Sought;
    fn details(
        &self,
        state: &AppState,
        upstream_id: &str,
    ) -> impl Future<Output = Result<Self::Details, Failure>> + Send;
    /// Whether P100's details show this record (amount, currencies, destination).
    fn fits(&self, details: &Self::Details) -> bool;
    fn settled(&self, details: &Self::Details) -> Settled;
    /// What the checker of a person's decision about it is shown.
    fn review(&self) -> Vec<(String, String)>;
}

fn target<K: Sent>() -> &'static str {
    K::SUBJECT.as_str()
}

/// What P100's answer to a send meant.
pub enum Answer {
    Accepted,
    /// It may have been made: the record is `unknown` and looked for at P100.
    Unclear,
    Refused(Failure),
}

/// Records P100's `reply` to the send of record `id`, which this caller moved to `submitting` and
/// sent (audited as `event` extended with the answer). Nothing is sent again, whatever the answer.
pub async fn answer<K: Sent>(
    state: &AppState,
    who: &Who,
    meta: &RequestMeta,
    id: &str,
    event: Event,
    reply: Result<(String, CallRecord), Failure>,
) -> Result<Answer, AppError> {
    let (to, change, event, answer) = match reply {
        Ok((upstream_id, call)) => {
            let event = event
                .upstream(&call)
                .reason(format!("P100 accepted it as {upstream_id}"))
                .change(
                    Some(json!({ "status": K::Status::of(Stage::Submitting).text() })),
                    Some(json!({ "status": K::Status::of(Stage::Pending).text(), "upstreamId": upstream_id })),
                );
            (
                Stage::Pending,
                Change::default().upstream_id(&upstream_id),
                event,
                Answer::Accepted,
            )
        }
        Err(failure) => {
            let to = match failure.error.money_answer() {
                MoneyAnswer::MaybeAccepted => Stage::Unknown,
                MoneyAnswer::Refused => Stage::Failed,
            };
            let event = audit::refused_upstream(event, &failure).change(
                Some(json!({ "status": K::Status::of(Stage::Submitting).text() })),
                Some(json!({ "status": K::Status::of(to).text() })),
            );
            let change = Change::default().failure(&failure.error.money_words());
            let answer = if to == Stage::Unknown {
                Answer::Unclear
            } else {
                Answer::Refused(failure)
            };
            (to, change, event, answer)
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    record_answer::<K>(&mut tx, id, to, &change).await?;
    audit::record(&mut tx, who, meta, event).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Records P100's answer to a send this caller made: the record is `submitting`, or `unknown` if
/// the sweep took it there meanwhile (P100's answer then replaces the guess). That it is in neither
/// is an error, logged with the ids: an answer must not be lost silently.
async fn record_answer<K: Sent>(tx: &mut db::Tx, id: &str, to: Stage, change: &Change) -> Result<(), AppError> {
    let to = K::Status::of(to);
    for from in [Stage::Submitting, Stage::Unknown] {
        match sent::transition(tx, id, K::Status::of(from), to, change).await {
            Err(Transition::Elsewhere(_)) => continue,
            done => return Ok(done?),
        }
    }
    tracing::error!(subject = %K::SUBJECT, %id, %to, upstream_id = ?change.text("upstream_id"),
        "P100's answer found the record neither submitting nor unknown");
    Err(super::error::internal(format!(
        "{} {id} was neither submitting nor unknown when P100's answer came",
        K::SUBJECT
    )))
}

/// One round of following a kind: sends cut off by a restart become unknown, then records P100
/// is working on are read again and unknown ones looked for, a bounded number each.
pub async fn follow_due<K: Sent>(state: &AppState) -> Result<(), AppError> {
    let now = Timestamp::now();
    let submitting = K::Status::of(Stage::Submitting);
    for record in sent::stale::<K>(&state.db, submitting, now - state.config.send_grace, FOLLOW_BATCH).await? {
        cut_off(state, &record).await?;
    }
    for stage in [Stage::Pending, Stage::Unknown] {
        for record in sent::stale::<K>(&state.db, K::Status::of(stage), now - FOLLOW_EVERY, FOLLOW_BATCH).await? {
            if let Err(err) = step(state, &record).await {
                tracing::warn!(subject = %K::SUBJECT, id = %record.id(), %err, "following");
            }
        }
    }
    Ok(())
}

/// A send whose answer was never recorded (the server stopped mid-call) becomes unknown.
async fn cut_off<K: Sent>(state: &AppState, record: &K) -> Result<(), AppError> {
    let words = "The call to P100 was cut off before its answer was recorded. It is not sent again: the back \
                 office looks for it in P100's history.";
    let (from, to) = (K::Status::of(Stage::Submitting), K::Status::of(Stage::Unknown));
    let mut tx = db::begin_write(&state.db).await?;
    let change = Change::default().failure(words);
    if Transition::or_elsewhere(sent::transition(&mut tx, record.id(), from, to, &change).await)? {
        let event = Event::new(K::ACTIONS.status, Outcome::Failure)
            .target(target::<K>(), record.id())
            .reason(words)
            .change(
                Some(json!({ "status": from.text() })),
                Some(json!({ "status": to.text() })),
            );
        audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One record brought up to date: a pending one from P100's details, an unknown one looked for in
/// its payer's history.
pub async fn step<K: Sent>(state: &AppState, record: &K) -> Result<(), AppError> {
    match (record.status().stage(), record.upstream_id()) {
        (Some(Stage::Pending), Some(upstream_id)) => {
            let details = record.details(state, upstream_id).await?;
            settle(&state.db, record, &details).await?;
        }
        (Some(Stage::Unknown), _) if !recover(state, record).await? => {
            sent::touch(&state.db, K::Status::TABLE, record.id()).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Records P100's final word on a pending record (audited, as the system). `false`: still moving,
/// or someone else recorded it first.
async fn settle<K: Sent>(db: &Db, record: &K, details: &K::Details) -> Result<bool, AppError> {
    let Settled::Final(settlement) = record.settled(details) else {
        return Ok(false);
    };
    let (from, to) = (K::Status::of(Stage::Pending), K::Status::of(settlement.to));
    let mut tx = db::begin_write(db).await?;
    if !Transition::or_elsewhere(sent::transition(&mut tx, record.id(), from, to, &settlement.change).await)? {
        return Ok(false);
    }
    let outcome = if settlement.to == Stage::Failed {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let event = Event::new(K::ACTIONS.status, outcome)
        .target(target::<K>(), record.id())
        .reason(settlement.reason)
        .change(Some(settlement.before), Some(settlement.after));
    audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    tx.commit().await?;
    Ok(true)
}

/// Looks for an unknown record at P100 (`recovery`): adopted when exactly one entry of its payer's
/// history fits and no other unknown record of ours could be it; put before a person when several
/// could be, or when it is still not found past the deadline. `true` when adopted.
async fn recover<K: Sent>(state: &AppState, record: &K) -> Result<bool, AppError> {
    let sought = record.sought(state);
    let (from, to) = sought.rival_span();
    let rivals = record.rivals(&state.db, from, to).await?;
    let found = recovery::in_window(state, &sought).await?;
    let lookup = recovery::conclude(
        found,
        rivals.len(),
        |id| async move { Ok(upstream_known::<K>(&state.db, &id).await?) },
        |id| async move {
            match record.details(state, &id).await {
                Ok(details) => Ok(record.fits(&details).then_some(details)),
                // Listed in the history but unknown to its details: not this record.
                Err(failure) if failure.error.not_found() => Ok(None),
                Err(failure) => Err(failure.into()),
            }
        },
    )
    .await?;
    if let Lookup::Found(upstream_id, details) = &lookup {
        let why = format!(
            "found in P100's history as {upstream_id} (the only entry with the same {} and time); not sent again",
            K::MATCHED_ON
        );
        adopt(
            state,
            record,
            upstream_id,
            details,
            &Who::system(),
            &Default::default(),
            &why,
        )
        .await?;
        return Ok(true);
    }
    let deadline = state.config.unknown_deadline;
    if let Some((words, candidates)) = recovery::undecided(K::SUBJECT, &lookup, &rivals, sought.sent_at, deadline) {
        recovery::needs_decision::<K>(state, record.id(), &words, &candidates).await?;
    }
    Ok(false)
}

async fn upstream_known<K: Sent>(db: &Db, upstream_id: &str) -> Result<bool, sqlx::Error> {
    sent::upstream_known(&mut *db.acquire().await?, K::Status::TABLE, upstream_id).await
}

/// Takes an unknown record to `pending` as P100's `upstream_id` (audited by `who` with `why`), then
/// applies what its details say. `false` when another record holds that id or this one is no
/// longer unknown.
pub async fn adopt<K: Sent>(
    state: &AppState,
    record: &K,
    upstream_id: &str,
    details: &K::Details,
    who: &Who,
    meta: &RequestMeta,
    why: &str,
) -> Result<bool, AppError> {
    let (from, to) = (K::Status::of(Stage::Unknown), K::Status::of(Stage::Pending));
    let mut tx = db::begin_write(&state.db).await?;
    // Checked where it is written: another instance may have adopted the same id meanwhile.
    if sent::upstream_known(&mut tx, K::Status::TABLE, upstream_id).await? {
        return Ok(false);
    }
    let change = Change::default().upstream_id(upstream_id);
    if !Transition::or_elsewhere(sent::transition(&mut tx, record.id(), from, to, &change).await)? {
        return Ok(false);
    }
    let event = Event::new(K::ACTIONS.recover, Outcome::Success)
        .target(target::<K>(), record.id())
        .reason(why.to_owned())
        .change(
            Some(json!({ "status": from.text() })),
            Some(json!({ "status": to.text(), "upstreamId": upstream_id })),
        );
    audit::record(&mut tx, who, meta, event).await?;
    tx.commit().await?;
    let record = sent::find::<K>(&state.db, record.id())
        .await?
        .ok_or(AppError::NotFound)?;
    settle(&state.db, &record, details).await?;
    Ok(true)
}

/// The record a webhook about this kind is about, if it is pending here; otherwise why not.
async fn webhook_target<K: Sent>(db: &Db, upstream_id: &str) -> Result<Result<K, String>, sqlx::Error> {
    Ok(match sent::find_by_upstream::<K>(db, upstream_id).await? {
        None => Err(format!("{} {upstream_id} was not started here", K::SUBJECT)),
        Some(r) if r.status().stage() != Some(Stage::Pending) => {
            Err(format!("{} {upstream_id} is already {}", K::SUBJECT, r.status()))
        }
        Some(r) => Ok(r),
    })
}

/// A webhook about the record of this kind P100 knows as `upstream_id`. Like every event it is a
/// hint: P100's details say what happened, and settling is a conditional update, so a second
/// delivery changes nothing.
pub async fn apply_webhook<K: Sent>(state: &AppState, upstream_id: &str) -> Result<Applied, AppError> {
    match webhook_target::<K>(&state.db, upstream_id).await? {
        Err(reason) => Ok(Applied::Ignored(reason)),
        Ok(record) => {
            step(state, &record).await?;
            Ok(Applied::Done)
        }
    }
}

/// What `apply_webhook` would change now, read from P100 but not written (the log's dry run).
pub async fn preview_webhook<K: Sent>(state: &AppState, upstream_id: &str) -> Result<Preview, AppError> {
    let record = match webhook_target::<K>(&state.db, upstream_id).await? {
        Err(reason) => return Ok(Preview::nothing(reason)),
        Ok(record) => record,
    };
    let upstream_id = record.upstream_id().unwrap_or_default().to_owned();
    let details = record.details(state, &upstream_id).await?;
    let settlement = match record.settled(&details) {
        Settled::Moving(status) => {
            return Ok(Preview::nothing(format!("P100 still reports {upstream_id} {status}")));
        }
        Settled::Final(settlement) => settlement,
    };
    let to = K::Status::of(settlement.to);
    let target = format!("{} {}", K::NOUN, record.id());
    let mut preview = Preview::new(format!(
        "P100 reports {upstream_id} {}: the {} becomes {to}.",
        settlement.upstream_status,
        K::NOUN
    ))
    .change(&target, "status", record.status().text(), to.text());
    for (field, before, after) in &settlement.preview {
        preview = preview.change(&target, field, before, after);
    }
    Ok(preview)
}
