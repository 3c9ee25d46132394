//! Settings an admin changes at run time: the four-eyes threshold of each currency (a change waits
//! for a second admin) and reconciliation's grace. A movement above its currency's threshold waits
//! for a second member; a currency without one always does.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::approvals::{NewRequest, Payload};
use super::audit::{self, Event};
use super::auth::Actor;
use super::db::approvals::ApprovalRecord;
use super::db::{self, Db};
use super::state::AppState;
use crate::domain::approvals::ApprovalAction;
use crate::domain::audit::Outcome;
use crate::domain::money::{Currency, display, parse_amount};
use crate::domain::movements::{Threshold, Thresholds};
use crate::domain::{AppError, FieldErrors};

const THRESHOLD: &str = "approval_threshold.";

fn key(currency: &Currency) -> String {
    format!("{THRESHOLD}{}", currency.code())
}

/// The amount above which a movement in `currency` needs a second member; `None`: every amount does.
pub async fn threshold(db: &Db, currency: &Currency) -> Result<Option<Decimal>, AppError> {
    Ok(db::settings::get(db, &key(currency))
        .await?
        .and_then(|v| v.parse().ok()))
}

/// Every currency's threshold, in the order the settings page lists them.
pub async fn thresholds(db: &Db) -> Result<Vec<Threshold>, AppError> {
    let stored: BTreeMap<String, String> = db::settings::with_prefix(db, THRESHOLD).await?.into_iter().collect();
    Ok(Currency::KNOWN
        .iter()
        .map(|c| Threshold {
            currency: c.code().to_owned(),
            amount: stored.get(&key(c)).cloned().unwrap_or_default(),
        })
        .collect())
}

/// The thresholds in force and a change waiting for a second admin, as the settings page shows them.
pub async fn thresholds_page(db: &Db) -> Result<Thresholds, AppError> {
    Ok(Thresholds {
        thresholds: thresholds(db).await?,
        pending: super::approvals::pending_for(db, ApprovalAction::Thresholds, TARGET.0, TARGET.1).await?,
    })
}

/// What a thresholds request targets (one open request at a time).
const TARGET: (&str, &str) = ("settings", "approval_thresholds");
/// The payload's call name: what the executor checks it is running.
const CALL: &str = "settings.thresholds";

/// A threshold as the page words it.
fn shown(value: Option<&String>, currency: &Currency) -> String {
    value
        .and_then(|v| v.parse().ok())
        .map_or_else(|| "every amount".to_owned(), |v: Decimal| display(v.into(), currency))
}

/// Asks a second admin to approve changing the thresholds that differ from those in force: a
/// lower bar for four-eyes is itself guarded by four eyes. Messages go under `threshold.<currency>`.
pub async fn request_thresholds(state: &AppState, actor: &Actor, typed: &[Threshold]) -> Result<Thresholds, AppError> {
    let db = &state.db;
    let mut errors = FieldErrors::default();
    let mut wanted = Vec::new();
    for t in typed {
        let currency = Currency::parse(&t.currency);
        if let Currency::Unknown(code) = &currency {
            return Err(AppError::BadRequest(format!("{code} is not a currency")));
        }
        let field = format!("threshold.{}", currency.code());
        let value = match t.amount.trim() {
            "" => Some(None),
            text => errors
                .check(&field, parse_amount(text, &currency))
                .map(|a| Some(a.get().normalize().to_string())),
        };
        if let Some(value) = value {
            wanted.push((currency, value));
        }
    }
    errors.into_result(|| ())?;
    let current: BTreeMap<String, String> = db::settings::with_prefix(db, THRESHOLD).await?.into_iter().collect();
    let changed: Vec<_> = wanted
        .into_iter()
        .filter(|(c, v)| current.get(&key(c)) != v.as_ref())
        .collect();
    if changed.is_empty() {
        return Err(AppError::Refused(
            "These are the thresholds in force: nothing to change.".into(),
        ));
    }
    let changes: BTreeMap<String, Value> = changed
        .iter()
        .map(|(c, v)| (key(c), json!({ "before": current.get(&key(c)), "after": v })))
        .collect();
    let review = changed
        .iter()
        .map(|(c, v)| {
            let from = shown(current.get(&key(c)), c);
            (c.code().to_uppercase(), format!("{from} → {}", shown(v.as_ref(), c)))
        })
        .collect();
    super::approvals::request(
        state,
        actor,
        NewRequest {
            action: ApprovalAction::Thresholds,
            target_kind: TARGET.0,
            target_id: TARGET.1,
            payload: Payload {
                upstream: json!({ "call": CALL, "changes": changes }),
                review,
            },
            reason: "change of the four-eyes thresholds",
        },
    )
    .await?;
    thresholds_page(db).await
}

/// Applies an approved change of thresholds, with one audit row listing each change (before and
/// after). Refused when any threshold changed since the request: what was approved is not what
/// would happen.
pub async fn execute_thresholds(
    state: &AppState,
    actor: &Actor,
    approval: &ApprovalRecord,
    payload: &Payload,
) -> Result<(), AppError> {
    let changes = match (&payload.upstream["call"], payload.upstream["changes"].as_object()) {
        (call, Some(changes)) if call == CALL => changes,
        _ => return Err(AppError::Refused("The payload does not change thresholds.".into())),
    };
    let db = &state.db;
    let current: BTreeMap<String, String> = db::settings::with_prefix(db, THRESHOLD).await?.into_iter().collect();
    if changes
        .iter()
        .any(|(k, change)| change["before"].as_str() != current.get(k).map(String::as_str))
    {
        return Err(AppError::Refused(
            "The thresholds changed since this was asked; nothing was applied. Ask again.".into(),
        ));
    }
    let mut tx = db::begin_write(db).await?;
    for (k, change) in changes {
        if !k.starts_with(THRESHOLD) {
            return Err(AppError::Refused(format!(
                "{k} is not a threshold; nothing was applied."
            )));
        }
        db::settings::put(&mut tx, k, change["after"].as_str(), &approval.maker_id).await?;
    }
    let before: BTreeMap<_, _> = changes.iter().map(|(k, c)| (k.clone(), c["before"].clone())).collect();
    let after: BTreeMap<_, _> = changes.iter().map(|(k, c)| (k.clone(), c["after"].clone())).collect();
    let event = Event::new("settings.update", Outcome::Success)
        .target(TARGET.0, TARGET.1)
        .reason(format!(
            "four-eyes thresholds: asked by {}, approved by {} (approval {})",
            approval.maker_name, actor.staff.name, approval.id
        ))
        .change(Some(json!(before)), Some(json!(after)));
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets how many minutes a missing webhook or an unclaimed P100 movement is allowed before
/// reconciliation calls it a mismatch (0 to 1440; audited with before and after).
pub async fn update_grace(db: &Db, actor: &Actor, typed: &str) -> Result<i64, AppError> {
    let minutes = match typed.trim().parse::<i64>() {
        Ok(m) if (0..=1440).contains(&m) => m,
        _ => return Err(AppError::field("grace_minutes", "Enter whole minutes from 0 to 1440.")),
    };
    let before = super::reconciliation::grace_minutes(db).await?;
    if before != minutes {
        let mut tx = db::begin_write(db).await?;
        db::settings::put(
            &mut tx,
            super::reconciliation::GRACE_KEY,
            Some(&minutes.to_string()),
            &actor.staff.id,
        )
        .await?;
        let event = Event::new("settings.update", Outcome::Success)
            .target("settings", super::reconciliation::GRACE_KEY)
            .reason("reconciliation grace")
            .change(Some(json!({ "minutes": before })), Some(json!({ "minutes": minutes })));
        audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
        tx.commit().await?;
    }
    Ok(minutes)
}
