//! Quick find: what a term finds among the kinds of record the member may read. Each kind is
//! looked up the way its own page does (users through the users search, with its rules for
//! personal data and its audit row), ids exactly, so a term costs a few index reads.

use crate::domain::audit::{AuditFilter, AuditQuery};
use crate::domain::find::{Found, FoundKind, MAX_TERM, PER_KIND};
use crate::domain::money::display_text;
use crate::domain::users::UserQuery;
use crate::domain::{AppError, FieldErrors, Permission, UtcTime};
use crate::server::auth::Actor;
use crate::server::db::exchanges::ExchangeRecord;
use crate::server::db::movements::MovementRecord;
use crate::server::db::{self, sent};
use crate::server::state::AppState;

pub async fn find(state: &AppState, actor: &Actor, term: &str) -> Result<Vec<Found>, AppError> {
    let db = &state.db;
    let term = term.trim();
    if term.chars().count() > MAX_TERM {
        let mut errors = FieldErrors::default();
        errors.add("q", format!("At most {MAX_TERM} characters."));
        return Err(AppError::Invalid(errors));
    }
    let mut found = Vec::new();
    if term.is_empty() {
        return Ok(found);
    }
    let may = |permission| actor.permissions.has(permission);
    if may(Permission::UsersRead) {
        found.extend(users(state, actor, term).await?);
    }
    if may(Permission::BalancesRead) {
        if let Some(m) = sent::find_by_either_id::<MovementRecord>(db, term).await? {
            found.push(movement(m));
        }
        if let Some(e) = sent::find_by_either_id::<ExchangeRecord>(db, term).await? {
            found.push(exchange(e));
        }
    }
    if may(Permission::CollectionsRead)
        && let Some(c) = crate::server::collections::find_by_either_id(db, term).await?
    {
        found.push(Found {
            kind: FoundKind::Collection,
            title: format!("{} {}", c.kind.label(), c.eur),
            detail: format!("{} · {}", c.status.label(), c.upstream_id.as_deref().unwrap_or(&c.id)),
            href: format!("/collections/{}", c.id),
        });
    }
    if may(Permission::StaffManage) {
        let needle = term.to_lowercase();
        let staff = db::staff::list(db).await?;
        found.extend(
            staff
                .into_iter()
                .filter(|s| s.name.to_lowercase().contains(&needle) || s.email.to_lowercase().contains(&needle))
                .take(PER_KIND)
                .map(|s| Found {
                    kind: FoundKind::Staff,
                    title: s.name,
                    detail: s.email,
                    href: "/staff".into(),
                }),
        );
    }
    let row = AuditFilter {
        row: term.to_owned(),
        ..AuditFilter::default()
    };
    if may(Permission::AuditRead)
        && let Ok(query @ AuditQuery { row: Some(_), .. }) = row.parse()
        && let Some(row) = db::audit::page(db, &query, None, 1).await?.pop()
    {
        found.push(Found {
            kind: FoundKind::Audit,
            title: format!("#{} {}", row.seq, row.action),
            detail: format!(
                "{} UTC · {}",
                UtcTime::from(row.at).display(),
                row.staff_email.as_deref().unwrap_or("the system")
            ),
            href: format!("/audit?row={}", row.seq),
        });
    }
    Ok(found)
}

/// Users as the users page finds them; a term it does not take finds none.
async fn users(state: &AppState, actor: &Actor, term: &str) -> Result<Vec<Found>, AppError> {
    let query = UserQuery {
        q: term.to_owned(),
        ..UserQuery::default()
    };
    let list = match crate::server::users::search(state, actor, &query).await {
        Ok(list) => list,
        Err(AppError::Invalid(_)) => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    Ok(list
        .rows
        .into_iter()
        .take(PER_KIND)
        .map(|u| Found {
            kind: FoundKind::User,
            detail: format!("{} · {}", u.external_user_id, u.email),
            href: format!("/users/{}", u.external_user_id),
            title: u.name,
        })
        .collect())
}

fn movement(m: MovementRecord) -> Found {
    Found {
        kind: FoundKind::Movement,
        title: format!("{} {}", m.kind.label(), display_text(&m.amount, &m.currency)),
        detail: format!("{} · {}", m.status.label(), m.upstream_id.as_deref().unwrap_or(&m.id)),
        href: format!("/payouts/{}", m.id),
    }
}

fn exchange(e: ExchangeRecord) -> Found {
    Found {
        kind: FoundKind::Exchange,
        title: format!(
            "{} to {}",
            display_text(&e.amount_from, &e.currency_from),
            e.currency_to.to_uppercase()
        ),
        detail: format!("{} · {}", e.status.label(), e.upstream_id.as_deref().unwrap_or(&e.id)),
        href: format!("/exchanges/{}", e.id),
    }
}
