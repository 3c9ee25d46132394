//! CSV downloads. Plain GET routes rather than server functions, so a link downloads the file;
//! they pass the same guard as every server function.

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures::{StreamExt, stream};
use tower_sessions::Session;

use crate::domain::audit::{AuditFilter, Outcome};
use crate::domain::{AppError, Permission};
use crate::server::audit::{self, Event};
use crate::server::auth::authorize;
use crate::server::db::{self, Timestamp};
use crate::server::state::AppState;

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
    request: Request,
) -> Response {
    let meta = super::request_meta(request.headers(), request.extensions());
    let required = [Permission::AuditRead, Permission::ExportsCreate];
    let actor = match authorize(&state, &session, meta, &required, "GET /exports/audit.csv").await {
        Ok(actor) => actor,
        Err(AppError::Unauthenticated) => {
            let next = request.uri().to_string();
            return Redirect::to(&format!(
                "/sign-in?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response();
        }
        Err(err) => return error_response(err),
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

    let header_row = csv_line(AUDIT_COLUMNS.iter().map(|c| c.to_string()));
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
    let body = stream::once(async move { Ok(Bytes::from(header_row)) }).chain(batches);
    let filename = format!("audit-{}.csv", Timestamp::now().to_text().replace([':', '.'], "-"));
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

/// One CSV record. Cells that a spreadsheet would run as a formula are prefixed with `'`.
fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cells = cells.into_iter().map(|cell| {
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{cell}")
        } else {
            cell
        }
    });
    writer.write_record(cells).expect("writing to memory cannot fail");
    writer.into_inner().expect("flushing to memory cannot fail")
}

fn error_response(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, err.to_string()).into_response()
}
