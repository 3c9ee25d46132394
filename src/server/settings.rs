//! Settings an admin changes at run time: the four-eyes threshold of each currency. A movement
//! above its currency's threshold waits for a second member; a currency without one always does.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::json;

use super::audit::{self, Event};
use super::auth::Actor;
use super::db::{self, Db};
use crate::domain::audit::Outcome;
use crate::domain::money::{Currency, parse_amount};
use crate::domain::movements::Threshold;
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

/// Saves the thresholds that changed, with one audit row listing each change (before and after).
/// Messages go under `threshold.<currency>`.
pub async fn update_thresholds(db: &Db, actor: &Actor, typed: &[Threshold]) -> Result<Vec<Threshold>, AppError> {
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
            wanted.push((key(&currency), value));
        }
    }
    errors.into_result(|| ())?;
    let current: BTreeMap<String, String> = db::settings::with_prefix(db, THRESHOLD).await?.into_iter().collect();
    let changed: Vec<_> = wanted
        .into_iter()
        .filter(|(k, v)| current.get(k) != v.as_ref())
        .collect();
    if !changed.is_empty() {
        let mut tx = db::begin_write(db).await?;
        for (k, v) in &changed {
            db::settings::put(&mut tx, k, v.as_deref(), &actor.staff.id).await?;
        }
        let before: BTreeMap<_, _> = changed
            .iter()
            .map(|(k, _)| (k.clone(), current.get(k).cloned()))
            .collect();
        let after: BTreeMap<_, _> = changed.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let event = Event::new("settings.update", Outcome::Success)
            .target("settings", "approval_thresholds")
            .reason("four-eyes thresholds")
            .change(Some(json!(before)), Some(json!(after)));
        audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
        tx.commit().await?;
    }
    thresholds(db).await
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
