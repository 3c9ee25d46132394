//! Finding at P100 a payout, withdrawal, transfer or exchange whose send got an answer that does not
//! say whether it was made (P500/P501, a 5xx, a timeout, an unreadable 2xx, a restart mid-call).
//! Nothing is ever sent again: the payer's history is read for the window in which P100 could have
//! applied it, each entry that fits is confirmed by its details, and a P100 id is adopted only when
//! exactly one fits and no other movement of ours could be it. Otherwise a person decides.

use std::time::Duration;

use serde_json::json;

use super::Sent;
use crate::domain::AppError;
use crate::domain::audit::Outcome;
use crate::domain::balances::Holder;
use crate::domain::money::Currency;
use crate::domain::movements::{Decision, Unclear};
use crate::p100::api::HistoryQuery;
use crate::p100::error::PCode;
use crate::server::audit::{self, Event, Who};
use crate::server::auth::Actor;
use crate::server::db::sent::{self, Change, Stage, Status, Transition};
use crate::server::db::{self, Timestamp};
use crate::server::state::AppState;

/// Clocks differ: an entry may be dated this much before the send began or after it ended.
const SLACK: Duration = Duration::from_secs(120);
/// History entries read per P100 call.
const PAGE: u32 = 100;
/// Pages read at most for one window (P100 may ignore the date filter); beyond it the window counts
/// as not fully read, so "P100 never received it" cannot be concluded from it.
const MAX_PAGES: u32 = 50;

/// What identifies a movement in its payer's history.
#[derive(Debug, Clone)]
pub struct Sought {
    pub payer: Holder,
    /// The history entry type P100 gives the kind (INFERRED, like the history's shape).
    pub history_kind: &'static str,
    /// The currency its debit entry is in.
    pub currency: Currency,
    /// When the send began.
    pub sent_at: Timestamp,
    /// How long after `sent_at` P100 may have applied it: the call's timeout.
    pub within: Duration,
}

impl Sought {
    fn window(&self) -> (Timestamp, Timestamp) {
        (self.sent_at - SLACK, self.sent_at + self.within + SLACK)
    }
}

/// The P100 ids of the payer's history entries that could be the sought movement, and whether the
/// whole window was read.
#[derive(Debug, Clone, Default)]
pub struct InWindow {
    pub ids: Vec<String>,
    pub complete: bool,
}

/// Reads the pages of the payer's history that cover the sought movement's window (newest first, as
/// P100 orders them) and returns the ids of the entries of its kind and currency dated inside it.
/// An entry without a readable time cannot be placed in the window and is left out.
pub async fn in_window(state: &AppState, sought: &Sought) -> Result<InWindow, AppError> {
    let (start, end) = sought.window();
    let mut query = HistoryQuery {
        page: 1,
        limit: PAGE,
        from: Some(start.get().date().to_string()),
        to: Some(end.get().date().to_string()),
    };
    let mut found = InWindow::default();
    loop {
        let page = match &sought.payer {
            Holder::Partner => state.p100.partner_transactions(&query).await?,
            Holder::User(id) => state.p100.user_transactions(id, &query).await?,
        }
        .value;
        let mut all_older = !page.entries.is_empty();
        for entry in &page.entries {
            let Ok(at) = Timestamp::parse_rfc3339(&entry.created_at) else {
                all_older = false;
                continue;
            };
            all_older &= at < start;
            let fits =
                (start..=end).contains(&at) && entry.kind == sought.history_kind && entry.currency == sought.currency;
            if let Some(id) = entry.movement_id().filter(|_| fits)
                && !found.ids.iter().any(|known| known == id)
            {
                found.ids.push(id.to_owned());
            }
        }
        // A short page is the last; a page wholly older than the window means the rest is older too.
        if page.sent < PAGE as usize || all_older {
            found.complete = true;
            return Ok(found);
        }
        if query.page >= MAX_PAGES {
            return Ok(found);
        }
        query.page += 1;
    }
}

/// What the search concluded.
#[derive(Debug)]
pub enum Lookup<T> {
    /// Exactly one entry fits and no other movement of ours could be it: adopt it.
    Found(String, T),
    /// Nothing fits (yet). `complete`: the whole window was read.
    NotFound { complete: bool },
    /// More than one entry fits, or another movement of ours fits the same entry: a person decides.
    Ambiguous(Vec<String>),
}

impl Sought {
    /// When another movement of ours must have been sent to fit the same entries: its window
    /// overlaps this one.
    pub fn rival_span(&self) -> (Timestamp, Timestamp) {
        let reach = self.within + SLACK * 2;
        (self.sent_at - reach, self.sent_at + reach)
    }
}

/// Confirms each candidate with `confirm` (`Some` when its details at P100 show the same movement;
/// a failed read ends this round, to be tried again, rather than passing a candidate over) and
/// concludes. `held` says whether a record of ours already holds an id; `rivals` counts the other
/// unknown movements of ours that would fit the same entries.
pub async fn conclude<T, C, CF, H, HF>(
    found: InWindow,
    rivals: usize,
    held: H,
    confirm: C,
) -> Result<Lookup<T>, AppError>
where
    C: Fn(String) -> CF,
    CF: std::future::Future<Output = Result<Option<T>, AppError>>,
    H: Fn(String) -> HF,
    HF: std::future::Future<Output = Result<bool, AppError>>,
{
    let mut fitting = Vec::new();
    for id in found.ids {
        if held(id.clone()).await? {
            continue;
        }
        if let Some(details) = confirm(id.clone()).await? {
            fitting.push((id, details));
        }
    }
    Ok(match fitting.len() {
        0 => Lookup::NotFound {
            complete: found.complete,
        },
        1 if rivals == 0 => {
            let (id, details) = fitting.remove(0);
            Lookup::Found(id, details)
        }
        _ => Lookup::Ambiguous(fitting.into_iter().map(|(id, _)| id).collect()),
    })
}

fn nouns(subject: Unclear) -> (&'static str, &'static str) {
    match subject {
        Unclear::Movement => ("a movement", "movements"),
        Unclear::Exchange => ("an exchange", "exchanges"),
    }
}

/// Why a person must decide what became of a record, if they must now: more than one P100 entry
/// (or another record here) fits it, or it is still not found `deadline` after it was sent. With
/// the P100 ids that fit.
pub fn undecided<T>(
    subject: Unclear,
    lookup: &Lookup<T>,
    rivals: &[String],
    sent_at: Timestamp,
    deadline: Duration,
) -> Option<(String, Vec<String>)> {
    match lookup {
        Lookup::Found(..) => None,
        Lookup::Ambiguous(candidates) => {
            let (one, many) = nouns(subject);
            let others = if rivals.is_empty() {
                String::new()
            } else {
                format!(" Other {many} here fit the same entries: {}.", rivals.join(", "))
            };
            Some((
                format!(
                    "P100's history shows {} that could be this one: {}.{others} A person decides which, if any, it is.",
                    if candidates.len() == 1 { one } else { many },
                    candidates.join(", ")
                ),
                candidates.clone(),
            ))
        }
        Lookup::NotFound { .. } if sent_at + deadline <= Timestamp::now() => Some((
            format!(
                "Still not found at P100 {} after it was sent. A person decides whether P100 received it.",
                humantime::format_duration(deadline)
            ),
            Vec::new(),
        )),
        Lookup::NotFound { .. } => None,
    }
}

/// Puts an unknown record before a person, with why and the P100 ids that fit (audited once per
/// reason, as the system).
pub async fn needs_decision<K: Sent>(
    state: &AppState,
    id: &str,
    words: &str,
    candidates: &[String],
) -> Result<(), AppError> {
    let listed = serde_json::to_string(candidates).map_err(crate::server::error::internal)?;
    let mut tx = db::begin_write(&state.db).await?;
    if sent::set_decision::<K::Status>(&mut tx, id, words, &listed).await? {
        let event = Event::new(K::ACTIONS.needs_decision, Outcome::Failure)
            .target(K::SUBJECT.as_str(), id)
            .reason(words.to_owned())
            .change(None, Some(json!({ "decision": words, "candidates": candidates })));
        audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Checks a person's decision about an unknown record before a second member sees it: only once the
/// back office asked for one (`asked`: it could not settle the record itself); one of the P100 ids
/// it showed that no other record holds (`held`), or "P100 never received it", which may be said
/// only once the history around the send (`sought`) was read in full. The decision in words.
pub async fn check_decision(
    state: &AppState,
    asked: Option<&Decision>,
    upstream_id: Option<&str>,
    held: bool,
    sought: &Sought,
) -> Result<String, AppError> {
    let Some(asked) = asked else {
        return Err(AppError::Refused(
            "The back office is still looking for it at P100; a person decides once it asks for one.".into(),
        ));
    };
    let candidates = &asked.candidates;
    match upstream_id {
        Some(id) if !candidates.iter().any(|c| c == id) => {
            Err(AppError::field("upstream_id", "Pick one of the P100 movements shown."))
        }
        Some(_) if held => Err(AppError::field(
            "upstream_id",
            "That P100 movement is already another record's here.",
        )),
        Some(id) => Ok(format!("It is {id} at P100: follow it from there")),
        None if !in_window(state, sought).await?.complete => Err(AppError::Refused(
            "P100's history around the send could not be read in full yet, so no one can say P100 never received \
             it. Try again in a few minutes."
                .into(),
        )),
        None => Ok("P100 never received it: it ends as failed, nothing moved".to_owned()),
    }
}

/// The code at the end of a failure text as recorded ("... (P500)", "... (HTTP 429)").
fn recorded_code(failure: &str) -> Option<&str> {
    failure
        .trim_end()
        .strip_suffix(')')?
        .rsplit_once('(')
        .map(|(_, code)| code)
}

/// Whether a failure recorded with `code` came from an answer that may mean "accepted": P500,
/// P501 or any code not checked before an effect, a 429 or a 5xx (`MoneyAnswer`).
fn unclear_code(code: &str) -> bool {
    match code.strip_prefix("HTTP ") {
        Some(status) => status == "429" || status.starts_with('5'),
        None => code.starts_with('P') && !PCode::parse(code).refused_before_effect(),
    }
}

/// Takes back to `unknown` every record of kind `K` an earlier version recorded `failed` on an
/// answer that may mean "accepted" (P500/P501 on HTTP 400, an unknown code, a 429): the money may
/// have left, so the record is looked for at P100 like any unknown one. Audited per record; run at
/// start, and a second run (or instance) finds nothing to do.
pub async fn reopen_unclear_failures<K: Sent>(state: &AppState) -> Result<usize, AppError> {
    let (from, to) = (K::Status::of(Stage::Failed), K::Status::of(Stage::Unknown));
    let mut reopened = 0;
    for (id, failure) in sent::failed_unsent::<K::Status>(&state.db).await? {
        let Some(code) = recorded_code(&failure).filter(|c| unclear_code(c)) else {
            continue;
        };
        let words = format!(
            "P100 answered {code}, which does not say whether it was made (it was recorded failed before this was \
             known). It is not sent again; the back office looks for it in P100's history."
        );
        let mut tx = db::begin_write(&state.db).await?;
        let change = Change::default().failure(&words);
        if Transition::or_elsewhere(sent::transition(&mut tx, &id, from, to, &change).await)? {
            let event = Event::new(K::ACTIONS.reopen, Outcome::Success)
                .target(K::SUBJECT.as_str(), id.clone())
                .reason(words.clone())
                .change(
                    Some(json!({ "status": from.text(), "failure": failure })),
                    Some(json!({ "status": to.text() })),
                );
            audit::record(&mut tx, &Who::system(), &Default::default(), event).await?;
            reopened += 1;
        }
        tx.commit().await?;
    }
    Ok(reopened)
}

/// Applies an approved "P100 never received it": the record ends `failed`, nothing was sent
/// again (audited by the checker, with who decided).
pub async fn never_received<K: Sent>(state: &AppState, actor: &Actor, id: &str, decided: &str) -> Result<(), AppError> {
    let words = format!("P100 never received it: {decided}. Nothing was sent again.");
    let (from, to) = (K::Status::of(Stage::Unknown), K::Status::of(Stage::Failed));
    let mut tx = db::begin_write(&state.db).await?;
    let change = Change::default().failure(&words);
    if !Transition::or_elsewhere(sent::transition(&mut tx, id, from, to, &change).await)? {
        return Err(AppError::Refused(format!(
            "The {} is no longer unknown; the decision was not applied.",
            K::SUBJECT
        )));
    }
    let event = Event::new(K::ACTIONS.resolve, Outcome::Success)
        .target(K::SUBJECT.as_str(), id)
        .reason(words)
        .change(
            Some(json!({ "status": from.text() })),
            Some(json!({ "status": to.text() })),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_on_unclear_answers_are_reopened() {
        let unclear = |failure: &str| recorded_code(failure).is_some_and(unclear_code);
        assert!(unclear(
            "P100 failed unexpectedly. Check the operation's status before trying again. (P500)"
        ));
        assert!(unclear(
            "P100 is temporarily unavailable. Try again in a few minutes. (P501)"
        ));
        assert!(unclear(
            "P100 refused the request with a code this back office does not know yet. (P999)"
        ));
        assert!(unclear("P100 is busy. Try again in a minute. (HTTP 429)"));
        assert!(!unclear("The balance is too low for this. Top it up first. (P433)"));
        assert!(!unclear("P100 refused the input: amount must be positive (P403)"));
        assert!(!unclear("Not sent: the approval was rejected."));
        assert!(!unclear("P100 reports it FAILED; the funds stay with the payer."));
    }
}
