//! Reads P100 for the report in the background, at a bounded rate: each round asks for the details
//! of at most `BATCH` movements of ours (never checked first, then those checked longest ago), and
//! reads the newest pages of the partner's history for movements nobody started here.

use std::time::Duration;

use rust_decimal::Decimal;

use crate::domain::AppError;
use crate::domain::balances::Holder;
use crate::domain::collections::settled_at_p100;
use crate::domain::money::Currency;
use crate::domain::movements::MovementKind;
use crate::domain::reconciliation::Subject;
use crate::p100::api::HistoryQuery;
use crate::server::db::reconciliation::{self as store, Check, Due, ForeignRow};
use crate::server::db::{self, Timestamp};
use crate::server::state::AppState;

/// How often a round runs (on one instance at a time: `server::background`).
pub const EVERY: Duration = Duration::from_secs(20);
/// Details reads per round: at most 30 a minute, whatever the volume.
const BATCH: i64 = 10;
/// A movement's answer is read again after this long.
const RECHECK: Duration = Duration::from_secs(120);
/// Movements older than this are no longer read.
const KEEP_CHECKING: Duration = Duration::from_secs(31 * 86_400);
/// History read per round: the newest pages, back this far.
const SCAN_BACK: Duration = Duration::from_secs(2 * 86_400);
const SCAN_PAGE: u32 = 100;
const SCAN_PAGES: u32 = 3;
/// When the back office first ran: P100 movements before it are not ours to account for.
const SINCE_KEY: &str = "reconciliation.since";
/// Users' histories read per round (the newest page each), in turn from where the last round
/// stopped: every known user is read, at a bounded load on P100.
const USER_BATCH: i64 = 5;
const USER_CURSOR_KEY: &str = "reconciliation.user_cursor";
/// The partner history's entry types for the movements this back office starts (INFERRED, like the
/// history's shape: the types the sandbox writes).
const STARTED_HERE: [&str; 4] = ["sepa_transfer", "crypto_withdrawal", "internal_transfer", "exchange"];

/// Notes the first start (once; later starts leave it).
pub async fn init(db: &db::Db) -> Result<(), sqlx::Error> {
    db::settings::init(db, SINCE_KEY, &Timestamp::now().to_text()).await
}

/// One round: a batch of details, then the history's newest pages.
pub async fn round(state: &AppState) -> Result<(), AppError> {
    check_due(state).await?;
    scan_history(state).await
}

async fn check_due(state: &AppState) -> Result<(), AppError> {
    let now = Timestamp::now();
    for due in store::due(&state.db, now - KEEP_CHECKING, now - RECHECK, BATCH).await? {
        check(state, &due).await?;
    }
    Ok(())
}

/// P100's status, amount and currency for one movement of ours.
async fn check(state: &AppState, due: &Due) -> Result<(), AppError> {
    let answer = match Subject::parse(&due.kind) {
        Some(Subject::Exchange) => state.p100.exchange_details(&due.upstream_id).await.map(|r| {
            (
                r.value.status.to_string(),
                Some(r.value.amount_from.get()),
                r.value.currency_from,
            )
        }),
        Some(kind @ (Subject::Order | Subject::PaymentLink)) => collection(state, kind, due).await,
        kind => {
            let kind = match kind {
                Some(Subject::Crypto) => MovementKind::Crypto,
                Some(Subject::Transfer) => MovementKind::Transfer,
                _ => MovementKind::Sepa,
            };
            crate::server::movements::read_upstream(state, kind, &due.upstream_id)
                .await
                .map(|s| (s.status.to_string(), Some(s.amount), s.currency))
        }
    };
    let now = Timestamp::now();
    let mut check = Check {
        subject_id: &due.id,
        upstream_id: &due.upstream_id,
        found: true,
        status: None,
        amount: None,
        currency: None,
        checked_at: now,
    };
    match answer {
        Ok((status, amount, currency)) => {
            let amount = amount.map(|a| a.normalize().to_string());
            check.status = Some(&status);
            check.amount = amount.as_deref();
            check.currency = Some(currency.code());
            store::record_check(&state.db, &check).await?;
        }
        Err(failure) if failure.error.not_found() => {
            check.found = false;
            store::record_check(&state.db, &check).await?;
        }
        Err(failure) => {
            let words = format!("{} ({})", failure.error.staff_message(), failure.error.code());
            store::record_check_error(&state.db, &due.id, &due.upstream_id, &words, now).await?;
        }
    }
    Ok(())
}

/// An order's or payment link's status at P100 and, once P100 says it is paid, the EUR the
/// partner's history credits for it (an unpaid one's amount is not compared).
async fn collection(
    state: &AppState,
    kind: Subject,
    due: &Due,
) -> Result<(String, Option<Decimal>, Currency), crate::p100::Failure> {
    let status = match kind {
        Subject::Order => state
            .p100
            .order_details(&due.upstream_id)
            .await?
            .value
            .status
            .to_string(),
        _ => state.p100.payment_link_details(&due.upstream_id).await?.value.status,
    };
    let settled = match settled_at_p100(&status) {
        true => Some(settled_eur(state, &due.upstream_id, due.created_at).await?),
        false => None,
    };
    Ok((status, settled, Currency::Eur))
}

/// The EUR credits in the partner's history since `since` that name the order or link: by its id,
/// or `<id>/<n>` per transfer of a link (INFERRED: the sandbox's naming; the history's shape is
/// not documented).
async fn settled_eur(state: &AppState, upstream_id: &str, since: Timestamp) -> Result<Decimal, crate::p100::Failure> {
    let names = |id: &str| id == upstream_id || id.strip_prefix(upstream_id).is_some_and(|rest| rest.starts_with('/'));
    let mut query = HistoryQuery {
        page: 1,
        limit: SCAN_PAGE,
        from: Some(since.get().date().to_string()),
        to: None,
    };
    let mut settled = Decimal::ZERO;
    while query.page <= SCAN_PAGES {
        let entries = state.p100.partner_transactions(&query).await?.value;
        settled += entries
            .iter()
            .filter(|e| e.currency == Currency::Eur && e.movement_id().is_some_and(names))
            .map(|e| e.amount.get())
            .sum::<Decimal>();
        if entries.sent < SCAN_PAGE as usize {
            break;
        }
        query.page += 1;
    }
    Ok(settled)
}

/// Records the outgoing movements (of the kinds started here) in the partner's history and in a
/// batch of known users' histories (taken in turn, so every user is read at a bounded rate) whose
/// id no record of ours holds. One user's history that cannot be read does not stop the round.
async fn scan_history(state: &AppState) -> Result<(), AppError> {
    let since = db::settings::get(&state.db, SINCE_KEY)
        .await?
        .and_then(|t| Timestamp::parse(&t).ok())
        .unwrap_or_else(Timestamp::now);
    scan(state, &Holder::Partner, since, SCAN_PAGES).await?;
    let after = db::settings::get(&state.db, USER_CURSOR_KEY).await?.unwrap_or_default();
    let users = store::users_after(&state.db, &after, USER_BATCH).await?;
    // Past the last user, the next round starts again from the first.
    let next = if (users.len() as i64) < USER_BATCH {
        String::new()
    } else {
        users.last().cloned().unwrap_or_default()
    };
    for user in users {
        if let Err(err) = scan(state, &Holder::User(user.clone()), since, 1).await {
            tracing::warn!(%user, %err, "reading a user's history for movements not started here");
        }
    }
    Ok(db::settings::set_by_system(&state.db, USER_CURSOR_KEY, &next).await?)
}

async fn scan(state: &AppState, holder: &Holder, since: Timestamp, pages: u32) -> Result<(), AppError> {
    let from = since.max(Timestamp::now() - SCAN_BACK);
    let mut query = HistoryQuery {
        page: 1,
        limit: SCAN_PAGE,
        from: Some(from.get().date().to_string()),
        to: None,
    };
    while query.page <= pages {
        let entries = match holder {
            Holder::Partner => state.p100.partner_transactions(&query).await?,
            Holder::User(id) => state.p100.user_transactions(id, &query).await?,
        }
        .value;
        for entry in &entries {
            let Some(upstream_id) = entry.movement_id() else {
                continue;
            };
            let Ok(created_at) = Timestamp::parse_rfc3339(&entry.created_at) else {
                continue;
            };
            if created_at < since
                || !STARTED_HERE.contains(&entry.kind.as_str())
                || entry.amount.get() >= Decimal::ZERO
                || store::is_ours(&state.db, upstream_id).await?
            {
                continue;
            }
            let row = ForeignRow {
                upstream_id: upstream_id.to_owned(),
                kind: entry.kind.clone(),
                currency: entry.currency.code().to_owned(),
                amount: entry.amount.get().to_string(),
                status: entry.status.clone().unwrap_or_default(),
                created_at,
                seen_at: Timestamp::now(),
                holder: holder.user().map(str::to_owned),
            };
            store::upsert_foreign(&state.db, &row).await?;
        }
        if entries.sent < SCAN_PAGE as usize {
            break;
        }
        query.page += 1;
    }
    Ok(())
}
