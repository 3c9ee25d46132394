//! Reconciliation for finance: every movement started here (payouts, withdrawals, transfers,
//! exchanges, and the EUR that orders and payment links settle) beside P100's latest answer and the webhooks that named it, the P100 movements in the
//! partner's history that nobody started here, the mismatch queue and its resolutions, totals,
//! and the finance home's counts. P100 is read by `check` in the background, never by a page.

pub mod check;
pub mod verdict;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::{Stream, StreamExt};
use rust_decimal::Decimal;
use serde_json::json;

use super::audit::{self, Event};
use super::auth::Actor;
use super::db::reconciliation::{self as store, ForeignRow, NewResolution, OursRow, ResolutionRow};
use super::db::sent::Status;
use super::db::{self, Db, Timestamp};
use crate::domain::audit::Outcome;
use crate::domain::balances::Holder;
use crate::domain::collections::CollectionStatus;
use crate::domain::exchanges::ExchangeStatus;
use crate::domain::money::{Amount, Currency};
use crate::domain::movements::{Direction, MovementStatus};
use crate::domain::reconciliation::{
    FinanceHome, Finding, Mismatch, Report, ReportFilter, ReportRow, Resolution, ResolveInput, Subject, Total, Verdict,
};
use crate::domain::{AppError, FieldErrors, required_text};
use verdict::{Ours, Upstream};

/// The rows the page shows at most, newest first; the export has them all.
pub const PAGE_ROWS: usize = 500;
/// At most this many rows of ours (and as many P100-only ones) in one report on the page; the
/// export reads a day at a time, uncapped.
pub const REPORT_LIMIT: i64 = 5_000;
/// Without dates the report covers the last this many days.
const DEFAULT_DAYS: i64 = 30;
/// The admin setting: minutes before a missing webhook or an unclaimed P100 movement is a mismatch.
pub const GRACE_KEY: &str = "reconciliation.grace_minutes";
const DEFAULT_GRACE_MINUTES: i64 = 15;
const NOTE_MAX: usize = 1_000;

pub async fn grace_minutes(db: &Db) -> Result<i64, AppError> {
    Ok(db::settings::get(db, GRACE_KEY)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_GRACE_MINUTES))
}

/// The filters, checked: `[from, to)` as instants, the verdict to show, the kind and currency.
#[derive(Clone)]
struct Criteria {
    from: time::Date,
    to: time::Date,
    view: Option<Verdict>,
    kind: Option<Subject>,
    currency: Option<String>,
}

fn criteria(filter: &ReportFilter) -> Result<Criteria, AppError> {
    let mut errors = FieldErrors::default();
    let (from, to) = crate::domain::parse_day_range(&mut errors, &filter.from, &filter.to);
    let view = match filter.view.trim() {
        "" => None,
        text => Verdict::parse(text).or_else(|| {
            errors.add("view", "Choose what to show from the list.");
            None
        }),
    };
    let kind = match filter.kind.trim() {
        "" => None,
        text => Subject::parse(text).or_else(|| {
            errors.add("kind", "Choose a kind from the list.");
            None
        }),
    };
    let currency = match filter.currency.trim() {
        "" => None,
        text => match Currency::parse(text) {
            Currency::Unknown(code) => {
                errors.add("currency", format!("{code} is not a currency P100 holds."));
                None
            }
            known => Some(known.code().to_owned()),
        },
    };
    let today = time::OffsetDateTime::now_utc().date();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to - time::Duration::days(DEFAULT_DAYS - 1));
    if from > to {
        errors.add("from", "The start date is after the end date.");
    }
    errors.into_result(|| Criteria {
        from,
        to,
        view,
        kind,
        currency,
    })
}

fn midnight(day: time::Date) -> Timestamp {
    Timestamp::from(day.midnight().assume_utc())
}

fn day_after(day: time::Date) -> Timestamp {
    midnight(day.next_day().unwrap_or(day))
}

fn subject_of(row: &OursRow) -> Subject {
    Subject::parse(&row.kind).unwrap_or(Subject::Sepa)
}

fn href(kind: Subject, id: &str) -> Option<String> {
    match kind {
        Subject::Exchange => Some(format!("/exchanges/{id}")),
        Subject::Order | Subject::PaymentLink => Some(format!("/collections/{id}")),
        Subject::Foreign => None,
        _ => Some(format!("/payouts/{id}")),
    }
}

/// Whose balance pays: the partner's, or the user's (a collection transfer is paid by the user).
fn holder(row: &OursRow) -> String {
    let user = row.external_user_id.clone();
    match Direction::parse(row.direction.as_deref().unwrap_or_default()) {
        Some(Direction::ToUser) => format!("Partner → user {}", user.unwrap_or_default()),
        Some(Direction::ToPartner) => format!("User {} → partner", user.unwrap_or_default()),
        None => Holder::from_param(user).label(),
    }
}

fn at_scale(text: &str, currency: &Currency) -> Decimal {
    Amount(text.parse().unwrap_or_default()).at_scale_of(currency)
}

fn resolution_of(r: &ResolutionRow) -> Resolution {
    Resolution {
        by: r.resolver_name.clone(),
        at: r.resolved_at.into(),
        note: r.note.clone(),
        mismatches: r.mismatches.split(',').filter_map(Mismatch::parse).collect(),
    }
}

fn our_row(row: OursRow, now: Timestamp, grace: Duration, resolution: Option<Resolution>) -> ReportRow {
    let kind = subject_of(&row);
    let currency = Currency::parse(&row.currency);
    let amount = at_scale(&row.amount, &currency);
    let found = row.found.map(bool::from);
    let upstream = found.zip(row.checked_at).map(|(found, checked_at)| Upstream {
        found,
        status: row.upstream_status.clone(),
        amount: row.upstream_amount.as_deref().and_then(|a| a.parse().ok()),
        currency: row.upstream_currency.clone(),
        checked_at,
    });
    let sent = match kind {
        Subject::Exchange => ExchangeStatus::parse(&row.status).and_then(Status::stage),
        Subject::Order | Subject::PaymentLink => CollectionStatus::parse(&row.status).and_then(CollectionStatus::stage),
        _ => MovementStatus::parse(&row.status).and_then(Status::stage),
    };
    let ours = Ours {
        kind,
        status: &row.status,
        sent,
        amount,
        currency: &row.currency,
        upstream_id: row.upstream_id.as_deref(),
        sent_at: row.submitted_at.unwrap_or(row.created_at),
        updated_at: row.updated_at,
        upstream,
        webhooks: row.webhooks,
        decision: row.decision.as_deref(),
    };
    let (findings, checking) = verdict::judge(&ours, now, grace);
    let covered = resolution.as_ref().map(|r| r.mismatches.as_slice());
    let verdict = verdict::verdict(&findings, checking, covered);
    let upstream = match (found, &row.upstream_status, &row.check_error) {
        (Some(false), ..) => Some("not found".to_owned()),
        (_, Some(status), _) => Some(status.clone()),
        (_, None, Some(error)) => Some(format!("not read: {error}")),
        _ => None,
    };
    ReportRow {
        href: href(kind, &row.id),
        holder: holder(&row),
        currency: currency.code().to_uppercase(),
        amount: amount.to_string(),
        ours: Some(row.status),
        upstream,
        upstream_amount: row.upstream_amount.map(|a| at_scale(&a, &currency).to_string()),
        checked_at: row.checked_at.map(Into::into),
        webhooks: row.webhooks,
        last_webhook: row.last_webhook.map(Into::into),
        findings,
        verdict,
        resolution,
        created_at: row.created_at.into(),
        upstream_id: row.upstream_id,
        subject: row.id,
        kind,
    }
}

fn foreign_row(row: ForeignRow, now: Timestamp, grace: Duration, resolution: Option<Resolution>) -> ReportRow {
    let currency = Currency::parse(&row.currency);
    let amount = at_scale(&row.amount, &currency).abs();
    // Just seen: the movement whose call went unanswered may still claim it (see payouts' recover).
    let settled = row.seen_at + grace <= now;
    let holder = Holder::from_param(row.holder.clone());
    let findings = if settled {
        vec![Finding {
            mismatch: Mismatch::NeverStarted,
            detail: format!(
                "P100's history of {} shows a {} of {amount} {} that no record here holds.",
                match &holder {
                    Holder::Partner => "the partner".to_owned(),
                    Holder::User(id) => format!("user {id}"),
                },
                row.kind.replace('_', " "),
                currency.code().to_uppercase()
            ),
        }]
    } else {
        Vec::new()
    };
    let covered = resolution.as_ref().map(|r| r.mismatches.as_slice());
    let verdict = verdict::verdict(&findings, !settled, covered);
    ReportRow {
        href: None,
        holder: holder.label(),
        currency: currency.code().to_uppercase(),
        amount: amount.to_string(),
        ours: None,
        upstream: Some(row.status),
        upstream_amount: Some(amount.to_string()),
        checked_at: Some(row.seen_at.into()),
        webhooks: 0,
        last_webhook: None,
        findings,
        verdict,
        resolution,
        created_at: row.created_at.into(),
        upstream_id: Some(row.upstream_id.clone()),
        subject: row.upstream_id,
        kind: Subject::Foreign,
    }
}

/// The newest resolution of each subject among `rows`.
fn newest(rows: Vec<ResolutionRow>) -> HashMap<String, Resolution> {
    let mut newest = HashMap::new();
    for r in rows {
        newest.entry(r.subject_id.clone()).or_insert_with(|| resolution_of(&r));
    }
    newest
}

async fn grace(db: &Db) -> Result<Duration, AppError> {
    Ok(Duration::from_secs(grace_minutes(db).await?.max(0) as u64 * 60))
}

/// Every row of the range (up to `limit` of ours and as many P100-only ones), judged, newest first,
/// before the view, kind and currency filters; `true` when the limit cut it short.
async fn rows_between(db: &Db, from: Timestamp, to: Timestamp, limit: i64) -> Result<(Vec<ReportRow>, bool), AppError> {
    let (now, grace) = (Timestamp::now(), grace(db).await?);
    let ours = store::ours(db, from, to, limit).await?;
    let foreign = store::foreign(db, from, to, limit).await?;
    let truncated = ours.len() as i64 == limit || foreign.len() as i64 == limit;
    let mut resolutions = newest(store::resolutions_since(db, from).await?);
    let mut rows = Vec::with_capacity(ours.len() + foreign.len());
    for row in foreign {
        let resolution = resolutions.remove(&row.upstream_id);
        rows.push(foreign_row(row, now, grace, resolution));
    }
    for row in ours {
        let resolution = resolutions.remove(&row.id);
        rows.push(our_row(row, now, grace, resolution));
    }
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok((rows, truncated))
}

/// One row, judged as the report would: an id of ours, or a P100 id not started here.
async fn find_row(db: &Db, subject: &str) -> Result<Option<ReportRow>, AppError> {
    let (now, grace) = (Timestamp::now(), grace(db).await?);
    let resolution = newest(store::resolutions_of(db, subject).await?).remove(subject);
    if let Some(row) = store::one_of_ours(db, subject).await? {
        return Ok(Some(our_row(row, now, grace, resolution)));
    }
    Ok(match store::one_foreign(db, subject).await? {
        Some(row) if !store::is_ours(db, subject).await? => Some(foreign_row(row, now, grace, resolution)),
        _ => None,
    })
}

/// Count and sum per currency and status (ours by our status; P100-only rows as "never started").
fn totals(rows: &[ReportRow]) -> Vec<Total> {
    let mut sums: BTreeMap<(String, String), (i64, Decimal)> = BTreeMap::new();
    for row in rows {
        let status = row.ours.clone().unwrap_or_else(|| "never started here".into());
        let entry = sums.entry((row.currency.clone(), status)).or_default();
        entry.0 += 1;
        entry.1 += row.amount.parse::<Decimal>().unwrap_or_default();
    }
    sums.into_iter()
        .map(|((currency, status), (count, amount))| Total {
            amount: Amount(amount).at_scale_of(&Currency::parse(&currency)).to_string(),
            currency,
            status,
            count,
        })
        .collect()
}
impl Criteria {
    /// Whether a row is of the kind and currency asked for (the view is applied after totals).
    fn selects_kind(&self, row: &ReportRow) -> bool {
        self.kind.is_none_or(|k| row.kind == k)
            && self
                .currency
                .as_deref()
                .is_none_or(|c| row.currency.eq_ignore_ascii_case(c))
    }

    fn selects(&self, row: &ReportRow) -> bool {
        self.selects_kind(row) && self.view.is_none_or(|v| row.verdict == v)
    }
}

/// The export: the range it covers, and its rows a day at a time.
pub struct Export<Days> {
    pub from: time::Date,
    pub to: time::Date,
    pub days: Days,
}

/// The export: every row the filters select, newest first, read a day at a time (no cap; memory
/// holds one day). Checked before anything is read; the days follow as the stream is polled.
pub fn export(
    db: Db,
    filter: &ReportFilter,
) -> Result<Export<impl Stream<Item = Result<Vec<ReportRow>, AppError>> + use<>>, AppError> {
    let criteria = criteria(filter)?;
    let days = std::iter::successors(Some(criteria.to), |d| d.previous_day()).take_while(move |d| *d >= criteria.from);
    let (from, to) = (criteria.from, criteria.to);
    let days = futures::stream::iter(days).then(move |day| {
        let (db, criteria) = (db.clone(), criteria.clone());
        async move {
            let (rows, _) = rows_between(&db, midnight(day), day_after(day), i64::MAX).await?;
            Ok(rows.into_iter().filter(|r| criteria.selects(r)).collect())
        }
    });
    Ok(Export { from, to, days })
}

/// The report for `filter`, with at most `show` rows (the page shows the newest `PAGE_ROWS`; an
/// export takes them all). Counts and totals always cover every row of the range.
pub async fn report(db: &Db, filter: &ReportFilter, show: usize) -> Result<Report, AppError> {
    let criteria = criteria(filter)?;
    let (rows, truncated) = rows_between(db, midnight(criteria.from), day_after(criteria.to), REPORT_LIMIT).await?;
    let rows: Vec<ReportRow> = rows.into_iter().filter(|r| criteria.selects_kind(r)).collect();
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let (matched, checking, mismatched, resolved) = (
        count(Verdict::Matched),
        count(Verdict::Checking),
        count(Verdict::Mismatch),
        count(Verdict::Resolved),
    );
    let totals = totals(&rows);
    let shown: Vec<ReportRow> = rows
        .into_iter()
        .filter(|r| criteria.view.is_none_or(|v| r.verdict == v))
        .collect();
    Ok(Report {
        from: criteria.from.to_string(),
        to: criteria.to.to_string(),
        matching: shown.len(),
        rows: shown.into_iter().take(show).collect(),
        totals,
        matched,
        checking,
        mismatched,
        resolved,
        truncated,
        grace_minutes: grace_minutes(db).await?,
        last_check: store::last_check(db).await?.map(Into::into),
    })
}

/// Resolves the row's current mismatches with the member's note (audited, in one transaction).
/// A row that matches, or whose mismatches are all resolved already, is refused.
pub async fn resolve(db: &Db, actor: &Actor, input: &ResolveInput) -> Result<ReportRow, AppError> {
    let mut errors = FieldErrors::default();
    let note = errors.check(
        "note",
        required_text(&input.note, "Say what was found and what was done.", NOTE_MAX),
    );
    errors.into_result(|| ())?;
    let note = note.unwrap_or_default();
    let row = find_row(db, &input.subject).await?.ok_or(AppError::NotFound)?;
    if row.verdict != Verdict::Mismatch {
        return Err(AppError::Refused(format!(
            "This row is {}: there is nothing to resolve.",
            row.verdict.label().to_lowercase()
        )));
    }
    let mismatches: Vec<&str> = row.findings.iter().map(|f| f.mismatch.as_str()).collect();
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db::begin_write(db).await?;
    store::insert_resolution(
        &mut tx,
        &NewResolution {
            id: &id,
            subject_id: &row.subject,
            mismatches: &mismatches.join(","),
            note: &note,
            resolved_by: &actor.staff.id,
            resolved_at: Timestamp::now(),
        },
    )
    .await?;
    let event = Event::new("reconciliation.resolve", Outcome::Success)
        .target(row.kind.as_str(), row.subject.clone())
        .reason(note)
        .change(
            Some(json!({ "verdict": "mismatch", "findings": row.findings.iter().map(|f| &f.detail).collect::<Vec<_>>() })),
            Some(json!({ "verdict": "resolved", "mismatches": mismatches })),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    find_row(db, &input.subject).await?.ok_or(AppError::NotFound)
}

/// The finance home's counts, read on every refresh.
pub async fn home(db: &Db, actor: &Actor) -> Result<FinanceHome, AppError> {
    let (now, grace) = (Timestamp::now(), grace(db).await?);
    let today = now.get().date();
    let (rows, _) = rows_between(
        db,
        midnight(today - time::Duration::days(DEFAULT_DAYS - 1)),
        day_after(today),
        REPORT_LIMIT,
    )
    .await?;
    let open_mismatches = rows.iter().filter(|r| r.verdict == Verdict::Mismatch).count();
    let completed_today: Vec<ReportRow> = rows
        .into_iter()
        .filter(|r| {
            r.ours.as_deref() == Some(MovementStatus::Completed.as_str())
                && r.created_at.0.starts_with(&today.to_string())
        })
        .collect();
    let (unrecognised_webhooks, stuck_webhooks) =
        db::webhooks::attention(db, super::webhooks::UNRECOGNISED, now - super::webhooks::STUCK_AFTER).await?;
    Ok(FinanceHome {
        pending_approvals: i64::from(super::approvals::awaiting_decision(db, &actor.staff).await?),
        stuck: store::stuck(db, now - grace).await?,
        needs_decision: db::sent::waiting(db).await?,
        open_mismatches,
        today: totals(&completed_today),
        last_webhook: db::webhooks::last_received(db).await?.map(Into::into),
        unrecognised_webhooks,
        stuck_webhooks,
        as_of: now.into(),
    })
}

pub const CSV_COLUMNS: [&str; 17] = [
    "made_at",
    "kind",
    "id",
    "holder",
    "currency",
    "amount",
    "our_status",
    "p100_id",
    "p100_status",
    "p100_amount",
    "checked_at",
    "webhooks",
    "last_webhook",
    "verdict",
    "mismatches",
    "resolved_by",
    "resolution_note",
];

pub fn csv_cells(r: &ReportRow) -> [String; 17] {
    let time = |t: &Option<crate::domain::UtcTime>| t.as_ref().map(|t| t.0.clone()).unwrap_or_default();
    [
        r.created_at.0.clone(),
        r.kind.as_str().to_owned(),
        r.subject.clone(),
        r.holder.clone(),
        r.currency.clone(),
        r.amount.clone(),
        r.ours.clone().unwrap_or_default(),
        r.upstream_id.clone().unwrap_or_default(),
        r.upstream.clone().unwrap_or_default(),
        r.upstream_amount.clone().unwrap_or_default(),
        time(&r.checked_at),
        r.webhooks.to_string(),
        time(&r.last_webhook),
        r.verdict.as_str().to_owned(),
        r.findings
            .iter()
            .map(|f| format!("{}: {}", f.mismatch.as_str(), f.detail))
            .collect::<Vec<_>>()
            .join(" | "),
        r.resolution.as_ref().map(|x| x.by.clone()).unwrap_or_default(),
        r.resolution.as_ref().map(|x| x.note.clone()).unwrap_or_default(),
    ]
}
