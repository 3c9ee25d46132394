//! The webhook event log: every delivery as stored, its raw payload, and processing one again,
//! with a dry run that says what that would change before anything is written.

use serde_json::{Value, json};

use super::{Preview, handle, preview, status_of};
use crate::domain::audit::Outcome;
use crate::domain::reconciliation::{EventStatus, Reprocess, WebhookDetail, WebhookEvent, WebhookFilter, WebhookList};
use crate::domain::{AppError, FieldErrors};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db::webhooks::{EventRow, ListFilter};
use crate::server::db::{self, Db, Timestamp};
use crate::server::state::AppState;

const LIST_LIMIT: i64 = 200;

fn view(r: EventRow) -> WebhookEvent {
    WebhookEvent {
        status: r.status,
        id: r.id,
        route: r.route,
        kind: r.kind,
        subject: r.subject,
        authenticated: r.authenticated,
        error: r.error,
        deliveries: r.deliveries,
        reprocessed: r.reprocessed,
        received_at: r.received_at.into(),
        processed_at: r.processed_at.map(Into::into),
    }
}

pub async fn list(db: &Db, filter: &WebhookFilter) -> Result<WebhookList, AppError> {
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut errors = FieldErrors::default();
    let status = text(&filter.status).and_then(|s| {
        let status = EventStatus::parse(&s);
        if status.is_none() {
            errors.add("status", "Choose a status from the list.");
        }
        status
    });
    let (from, to) = crate::domain::parse_day_range(&mut errors, &filter.from, &filter.to);
    let filter = errors.into_result(|| ListFilter {
        kind: text(&filter.kind),
        status,
        subject: text(&filter.subject),
        from: from.map(|d| Timestamp::from(d.midnight().assume_utc())),
        to: to.map(|d| Timestamp::from(d.next_day().unwrap_or(d).midnight().assume_utc())),
    })?;
    Ok(WebhookList {
        rows: db::webhooks::list(db, &filter, LIST_LIMIT)
            .await?
            .into_iter()
            .map(view)
            .collect(),
        kinds: db::webhooks::kinds(db).await?,
    })
}

async fn find(db: &Db, id: &str) -> Result<EventRow, AppError> {
    db::webhooks::event(db, id).await?.ok_or(AppError::NotFound)
}

pub async fn detail(db: &Db, id: &str) -> Result<WebhookDetail, AppError> {
    let event = find(db, id).await?;
    let payload = serde_json::from_str::<Value>(&event.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| event.payload.clone());
    Ok(WebhookDetail {
        event: view(event),
        payload,
    })
}

/// Processes a stored event again, as if it had just arrived (audited), or with `dry_run` only says
/// what that would change. P100 is read either way; only a real run writes.
pub async fn reprocess(state: &AppState, actor: &Actor, id: &str, dry_run: bool) -> Result<Reprocess, AppError> {
    let event = find(&state.db, id).await?;
    if !event.authenticated {
        return Err(AppError::Refused(
            "This delivery did not carry our webhook token, so it is never processed.".into(),
        ));
    }
    let planned = preview(state, &event)
        .await
        .unwrap_or_else(|error| Preview::new(format!("Processing would fail: {error}")));
    if dry_run {
        return Ok(Reprocess {
            dry_run,
            changes: planned.changes,
            summary: planned.summary,
            event: view(event),
        });
    }
    let outcome = handle(state, &event).await;
    let (status, error) = status_of(&outcome);
    db::webhooks::finish(&state.db, id, status, error, Timestamp::now(), true).await?;
    let summary = match &outcome {
        Ok(_) if planned.changes.is_empty() => planned.summary.clone(),
        Ok(_) => format!("Processed again: {}", planned.summary),
        Err(error) => format!("Processing failed again: {error}"),
    };
    let audit_event = Event::new(
        "webhooks.reprocess",
        if outcome.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        },
    )
    .target("webhook_event", id)
    .reason(summary.clone())
    .change(
        Some(json!({ "status": event.status, "error": event.error })),
        Some(json!({ "status": status, "error": error, "changes": planned.changes.len() })),
    );
    audit::record_alone(&state.db, &actor.who(), &actor.meta, audit_event).await?;
    Ok(Reprocess {
        dry_run,
        changes: planned.changes,
        summary,
        event: view(find(&state.db, id).await?),
    })
}
