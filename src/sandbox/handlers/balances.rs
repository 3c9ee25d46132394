//! Balances and history: the partner's and each user's balances at the market's rates, their
//! transaction history (in the shape the controls set), and the partner's crypto wallets.

use std::str::FromStr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde_json::json;

use super::{Answer, Shared, begin, body, known, live_user, new_movement, now_unix, ok};
use crate::domain::money::{Amount, Currency};
use crate::domain::sandbox::HistoryShape;
use crate::kernel::db::{Timestamp, Tx};
use crate::p100::error::PCode;
use crate::p100::types::*;
use crate::sandbox::store::{self, PARTNER};
use crate::sandbox::{Refusal, Sandbox, control, market};

async fn balances_of(sandbox: &Sandbox, owner: &str) -> Result<Balances, Refusal> {
    let mut tx = begin(sandbox).await?;
    if owner != PARTNER {
        live_user(&mut tx, owner).await?;
    }
    let balances = balances_in(&mut tx, owner).await?;
    tx.commit().await?;
    Ok(balances)
}

/// `owner`'s balances as P100 reports them. A user has none before Add User Verification (REFERENCE
/// §0 C2); the sandbox then answers with empty lists (P100 may answer P459 instead: a fault on
/// `user.balances` produces that shape).
pub(super) async fn balances_in(tx: &mut Tx, owner: &str) -> Result<Balances, Refusal> {
    let rows = store::balances(tx, owner).await?;
    let now = now_unix();
    let mut balances = Balances {
        fiat_balances: vec![],
        crypto_balances: vec![],
    };
    for row in rows {
        let currency = Currency::parse(&row.currency);
        let amount = Amount::from_str(&row.amount).map_err(Refusal::internal)?;
        let rate = Num(market::rate(&currency, now).into());
        if currency.is_fiat() {
            balances.fiat_balances.push(FiatBalance {
                id: row.id,
                amount,
                name: currency,
                rate,
                iban: row.iban,
                status: BalanceStatus::parse(&row.status),
            });
        } else {
            balances.crypto_balances.push(CryptoBalance {
                id: row.id,
                amount,
                network_config: market::network_config(&currency),
                name: currency,
                wallet: row.wallet,
                rate,
            });
        }
    }
    Ok(balances)
}

pub(super) async fn partner_balances(State(sandbox): Shared) -> Answer {
    ok(balances_of(&sandbox, PARTNER).await?)
}

pub(super) async fn user_balances(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    ok(balances_of(&sandbox, &user).await?)
}

#[derive(serde::Deserialize)]
pub(super) struct HistoryParams {
    page: Option<i64>,
    limit: Option<i64>,
    from: Option<String>,
    to: Option<String>,
}

async fn history(sandbox: &Sandbox, owner: &str, params: HistoryParams) -> Answer {
    let day = |text: Option<String>, field: &str| -> Result<Option<Timestamp>, Refusal> {
        let Some(text) = text else { return Ok(None) };
        let date = time::Date::parse(&text, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| Refusal::invalid(format!("{field} must be a date as YYYY-MM-DD")))?;
        Ok(Some(Timestamp::from(date.midnight().assume_utc())))
    };
    let from = day(params.from, "from")?;
    let to = day(params.to, "to")?.map(|t| t + Duration::from_secs(86_400));
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let offset = (params.page.unwrap_or(1).max(1) - 1) * limit;
    let rows = store::transactions(&sandbox.db, owner, from, to, offset, limit).await?;
    let shape = control::history_shape(sandbox).await?;
    let items: Vec<Transaction> = rows
        .into_iter()
        .map(|r| Transaction {
            id: r.id.clone(),
            kind: r.kind,
            currency: Currency::parse(&r.currency),
            amount: Amount::from_str(&r.amount).unwrap_or_default(),
            status: (shape != HistoryShape::NoStatus).then_some(r.status),
            created_at: written_as(r.created_at, shape),
            // Ledger lines are named `<movement id>:<kind>:<currency>`.
            extra: r
                .id
                .split_once(':')
                .map(|(movement, _)| [("referenceId".to_owned(), json!(movement))].into())
                .unwrap_or_default(),
        })
        .collect();
    ok(items)
}

/// A history entry's time in the shape the sandbox is set to write.
fn written_as(at: Timestamp, shape: HistoryShape) -> String {
    use time::format_description::well_known::Rfc3339;
    let text = at.to_text();
    let at = at.get();
    match shape {
        HistoryShape::Plain | HistoryShape::NoStatus => text,
        HistoryShape::Seconds => at
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default(),
        HistoryShape::Micros => at
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .unwrap_or_default(),
        HistoryShape::Offset => time::UtcOffset::from_hms(2, 0, 0)
            .ok()
            .and_then(|offset| at.to_offset(offset).format(&Rfc3339).ok())
            .unwrap_or_default(),
    }
}

pub(super) async fn partner_transactions(State(sandbox): Shared, Query(params): Query<HistoryParams>) -> Answer {
    history(&sandbox, PARTNER, params).await
}

pub(super) async fn user_transactions(
    State(sandbox): Shared,
    Path(user): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Answer {
    let mut tx = begin(&sandbox).await?;
    live_user(&mut tx, &user).await?;
    tx.commit().await?;
    history(&sandbox, &user, params).await
}

pub(super) async fn create_wallet(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: CreateWallet = body(&bytes)?;
    known(&request.currency)?;
    if request.currency.is_fiat() {
        return Err(Refusal::invalid("currency must be a crypto currency"));
    }
    let mut tx = begin(&sandbox).await?;
    let row = store::balance(&mut tx, PARTNER, request.currency.code())
        .await?
        .ok_or_else(|| Refusal::code(PCode::P410, "invalid-currency", "Currency not found"))?;
    // Like P100 may, it answers before the wallet exists: the clock makes the address and sends
    // the wallet created webhook (`clock::create_wallet`).
    if row.wallet.is_none() {
        let id = format!("wallet:{}:{}", request.currency.code(), uuid::Uuid::new_v4());
        let details = json!({ "currency": request.currency, "network": request.network });
        let settle_at = Some(sandbox.settle_at().await);
        new_movement(&mut tx, &id, "wallet", PARTNER, "PENDING", &details, settle_at).await?;
    }
    tx.commit().await?;
    ok(Wallet {
        currency: request.currency,
        wallet: row.wallet,
    })
}
