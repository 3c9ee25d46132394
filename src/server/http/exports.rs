//! CSV downloads. Plain GET routes rather than server functions, so a link downloads the file;
//! they pass the same guard as every server function.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

use futures::{Stream, StreamExt, stream};
use tower_sessions::Session;

use super::error_response;
use crate::domain::audit::{AuditFilter, Outcome};
use crate::domain::balances::{HistoryFilter, Holder};
use crate::domain::collections::CollectionFilter;
use crate::domain::deposits::DepositFilter;
use crate::domain::reconciliation::{ReportFilter, Verdict};
use crate::domain::{AppError, Need, Permission};
use crate::server::audit::{self, Event};
use crate::server::auth::{Actor, authorize};
use crate::server::balances::{self, HistoryCriteria};
use crate::server::db::{self, Timestamp};
use crate::server::reconciliation;
use crate::server::state::AppState;
use crate::server::{collections, deposits};

const BATCH: i64 = 500;

const AUDIT_COLUMNS: [&str; 17] = [
    "seq",
    "at",
    "staff_email",
    "staff_roles",
    "action",
    "target_kind",
    "target_id",
    "outcome",
    "reason",
    "request_id",
    "upstream_request_id",
    "ip",
    "user_agent",
    "before",
    "after",
    "prev_hash",
    "hash",
];

/// The audit log matching the page's filters, newest first, streamed in batches so any size fits.
pub async fn audit_csv(
    State(state): State<AppState>,
    session: Session,
    Query(filter): Query<AuditFilter>,
    request: Parts,
) -> Response {
    let required = [Permission::AuditRead, Permission::ExportsCreate];
    let actor = match authorize_download(&state, &session, &request, &required).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let query = match filter.parse() {
        Ok(query) => query,
        Err(err) => return error_response(err),
    };
    let event = Event::new("audit.export", Outcome::Success).reason(format!(
        "filters: {}",
        serde_json::to_string(&filter).unwrap_or_default()
    ));
    if let Err(err) = audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await {
        return error_response(err.into());
    }

    let batches = stream::try_unfold(Some(None), move |cursor: Option<Option<i64>>| {
        let (db, query) = (state.db.clone(), query.clone());
        async move {
            let Some(before) = cursor else {
                return Ok(None);
            };
            let rows = db::audit::page(&db, &query, before, BATCH).await?;
            let next = (rows.len() as i64 == BATCH).then(|| rows.last().map(|r| r.seq));
            let mut out = Vec::new();
            for r in rows {
                out.extend(csv_line([
                    r.seq.to_string(),
                    r.at.to_text(),
                    r.staff_email.unwrap_or_default(),
                    r.staff_roles,
                    r.action,
                    r.target_kind.unwrap_or_default(),
                    r.target_id.unwrap_or_default(),
                    r.outcome,
                    r.reason.unwrap_or_default(),
                    r.request_id.unwrap_or_default(),
                    r.upstream_request_id.unwrap_or_default(),
                    r.ip.unwrap_or_default(),
                    r.user_agent.unwrap_or_default(),
                    r.before_data.unwrap_or_default(),
                    r.after_data.unwrap_or_default(),
                    r.prev_hash,
                    r.hash,
                ]));
            }
            Ok::<_, sqlx::Error>(Some((Bytes::from(out), next)))
        }
    });
    csv_download("audit", &AUDIT_COLUMNS, batches)
}

/// The partner's or a user's (`?user=`) transaction history matching the page's filters, read from
/// P100 page by page while the file is written, so neither time nor memory grows with its size.
pub async fn transactions_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
    request: Parts,
) -> Response {
    let required = [Permission::BalancesRead, Permission::ExportsCreate];
    let actor = match authorize_download(&state, &session, &request, &required).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let filter = HistoryFilter::from_pairs(|k| params.get(k).cloned());
    let holder = Holder::from_param(params.get("user").cloned());
    let criteria = match HistoryCriteria::parse(&filter) {
        Ok(criteria) => criteria,
        Err(err) => return error_response(err),
    };
    if let Holder::User(id) = &holder
        && let Err(err) = crate::server::users::find(&state.db, id).await
    {
        return error_response(err);
    }
    let target = holder
        .user()
        .map_or(("partner", "partner".to_owned()), |id| ("user", id.to_owned()));
    let event = Event::new("transactions.export", Outcome::Success)
        .target(target.0, target.1)
        .reason(format!(
            "filters: {}",
            serde_json::to_string(&filter).unwrap_or_default()
        ));
    if let Err(err) = audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await {
        return error_response(err.into());
    }
    let rows = balances::matching(state, holder.clone(), criteria, balances::EXPORT_BATCH)
        .chunks(100)
        .map(|chunk| {
            let mut out = Vec::new();
            for row in chunk {
                match row {
                    Ok(t) => out.extend(csv_line(balances::csv_cells(&t))),
                    // The file is already on its way: it ends here, short, and the log says why.
                    Err(err) => {
                        tracing::warn!(%err, "transaction export stopped");
                        return Err(std::io::Error::other(err.to_string()));
                    }
                }
            }
            Ok(Bytes::from(out))
        });
    let name = holder
        .user()
        .map_or_else(|| "partner".to_owned(), |id| format!("user-{id}"));
    csv_download(&format!("transactions-{name}"), &balances::CSV_COLUMNS, rows)
}

/// The deposits matching the Deposits page's filters, newest first, streamed in batches.
pub async fn deposits_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
    request: Parts,
) -> Response {
    let required = [Permission::BalancesRead, Permission::ExportsCreate];
    let actor = match authorize_download(&state, &session, &request, &required).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let filter = DepositFilter::from_pairs(|k| params.get(k).map(String::as_str));
    let criteria = match deposits::criteria(&filter) {
        Ok(criteria) => criteria,
        Err(err) => return error_response(err),
    };
    if let Err(response) = audit_export(&state, &actor, "deposits.export", &filter).await {
        return response;
    }
    let batches = keyset_batches(
        move |db, before| {
            let criteria = criteria.clone();
            async move { db::deposits::page(&db, &criteria, before, BATCH).await }
        },
        state.db,
        |r| (r.received_at, r.id.clone()),
        deposits::csv_cells,
    );
    csv_download("deposits", &deposits::CSV_COLUMNS, batches)
}

/// The orders and payment links matching the Collections page's filters, newest first.
pub async fn collections_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
    request: Parts,
) -> Response {
    let required = [Permission::CollectionsRead, Permission::ExportsCreate];
    let actor = match authorize_download(&state, &session, &request, &required).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let filter = CollectionFilter::from_pairs(|k| params.get(k).map(String::as_str));
    let criteria = match collections::criteria(&filter) {
        Ok(criteria) => criteria,
        Err(err) => return error_response(err),
    };
    if let Err(response) = audit_export(&state, &actor, "collections.export", &filter).await {
        return response;
    }
    let batches = keyset_batches(
        move |db, before| {
            let criteria = criteria.clone();
            async move { db::collections::page(&db, &criteria, before, BATCH).await }
        },
        state.db,
        |r| (r.created_at, r.id.clone()),
        collections::csv_cells,
    );
    csv_download("collections", &collections::CSV_COLUMNS, batches)
}

/// Audits an export with the filters it was asked with; the error answer if that failed.
async fn audit_export(
    state: &AppState,
    actor: &Actor,
    action: &'static str,
    filter: &impl serde::Serialize,
) -> Result<(), Response> {
    let event = Event::new(action, Outcome::Success).reason(format!(
        "filters: {}",
        serde_json::to_string(filter).unwrap_or_default()
    ));
    audit::record_alone(&state.db, &actor.who(), &actor.meta, event)
        .await
        .map(|_| ())
        .map_err(|err| error_response(err.into()))
}

/// CSV batches of rows read newest first by a `(time, id)` keyset: `page` reads the `BATCH` rows
/// after a position, `key` is a row's position, `cells` its CSV record. A short batch is the last.
fn keyset_batches<R, P, Fut, const N: usize>(
    page: P,
    db: db::Db,
    key: fn(&R) -> (Timestamp, String),
    cells: fn(R) -> [String; N],
) -> impl Stream<Item = Result<Bytes, sqlx::Error>> + Send + 'static
where
    R: Send + 'static,
    P: Fn(db::Db, Option<(Timestamp, String)>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<R>, sqlx::Error>> + Send,
{
    stream::try_unfold((Some(None), page), move |(cursor, page)| {
        let db = db.clone();
        async move {
            let Some(before) = cursor else {
                return Ok(None);
            };
            let rows = page(db, before).await?;
            let full = rows.len() as i64 == BATCH;
            let next = full.then(|| rows.last().map(key)).flatten();
            let out: Vec<u8> = rows.into_iter().flat_map(|r| csv_line(cells(r))).collect();
            Ok(Some((Bytes::from(out), (next.map(Some), page))))
        }
    })
}

/// The reconciliation report as the page's filters show it (with `view=mismatch`: the queue).
pub async fn reconciliation_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
    request: Parts,
) -> Response {
    let required = [Permission::ReconciliationManage, Permission::ExportsCreate];
    let actor = match authorize_download(&state, &session, &request, &required).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let filter = ReportFilter::from_pairs(|k| params.get(k).map(String::as_str));
    let reconciliation::Export { from, to, days } = match reconciliation::export(state.db.clone(), &filter) {
        Ok(export) => export,
        Err(err) => return error_response(err),
    };
    let event = Event::new("reconciliation.export", Outcome::Success).reason(format!(
        "{from} to {to}, filters: {}",
        serde_json::to_string(&filter).unwrap_or_default()
    ));
    if let Err(err) = audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await {
        return error_response(err.into());
    }
    let stem = if filter.view == Verdict::Mismatch.as_str() {
        "reconciliation-mismatches"
    } else {
        "reconciliation"
    };
    let rows = days.map(|day| {
        day.map(|rows| {
            Bytes::from(
                rows.iter()
                    .flat_map(|r| csv_line(reconciliation::csv_cells(r)))
                    .collect::<Vec<u8>>(),
            )
        })
        .map_err(|err| std::io::Error::other(err.to_string()))
    });
    csv_download(&format!("{stem}-{from}-to-{to}"), &reconciliation::CSV_COLUMNS, rows)
}

/// The member behind a download link, if they hold `required`; otherwise the answer to send
/// (sign-in for an ended session, the error for the rest). Audited like every guard.
async fn authorize_download(
    state: &AppState,
    session: &Session,
    request: &Parts,
    required: &[Permission],
) -> Result<Actor, Response> {
    let meta = super::request_meta(&request.headers, &request.extensions);
    let what = format!("GET {}", request.uri.path());
    match authorize(state, session, meta, Need::All(required), &what).await {
        Ok(actor) => Ok(actor),
        Err(AppError::Unauthenticated) => {
            let next = request.uri.to_string();
            Err(Redirect::to(&format!(
                "/sign-in?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response())
        }
        Err(err) => Err(error_response(err)),
    }
}

/// A CSV attachment named `<stem>-<time>.csv`: the header row, then `rows` as they come.
fn csv_download<E>(
    stem: &str,
    columns: &[&str],
    rows: impl Stream<Item = Result<Bytes, E>> + Send + 'static,
) -> Response
where
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let header_row = Bytes::from(csv_line(columns.iter().map(|c| c.to_string())));
    let body = stream::once(async move { Ok(header_row) }).chain(rows);
    let filename = format!("{stem}-{}.csv", Timestamp::now().to_text().replace([':', '.'], "-"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// One CSV record. Text that a spreadsheet would run as a formula is prefixed with `'` (OWASP's CSV
/// injection advice); a number stays a number, so a debit of `-12.50` is summed, not read as text.
fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cells = cells.into_iter().map(|cell| {
        let number = rust_decimal::Decimal::from_str_exact(&cell).is_ok();
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number {
            format!("'{cell}")
        } else {
            cell
        }
    });
    writer.write_record(cells).expect("writing to memory cannot fail");
    writer.into_inner().expect("flushing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn numbers_stay_numbers_and_formulas_become_text() {
        let line = |cell: &str| String::from_utf8(csv_line([cell.to_owned()])).unwrap();
        for number in ["-12.50", "+3", "-0.00100000", "42"] {
            assert_eq!(line(number), format!("{number}\n"));
        }
        for formula in ["=SUM(A1:A9)", "-1+1", "+cmd|' /C calc'!A0", "@SUM(1)", "-", "\tx"] {
            assert!(
                line(formula).trim_start_matches('"').starts_with('\''),
                "{formula}: {}",
                line(formula)
            );
        }
    }
}
