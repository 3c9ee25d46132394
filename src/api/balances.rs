//! Balances and transaction history of the partner and of users (the CSV export is a download
//! route: `server::http::exports`).

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::balances::{BalanceSheet, HistoryFilter, HistoryPage, Holder};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::balances as service;

#[server(endpoint = "balances/sheet", input = leptos::server_fn::codec::Json)]
pub async fn fetch_balances(holder: Holder) -> Result<BalanceSheet, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::sheet(&request.state, &holder).await
}

#[server(endpoint = "balances/history", input = leptos::server_fn::codec::Json)]
pub async fn fetch_history(holder: Holder, filter: HistoryFilter) -> Result<HistoryPage, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::history(&request.state, &holder, &filter).await
}

/// A deposit wallet for one of the partner's crypto currencies. It opens the currency for
/// exchanges into it, so it needs the exchange permission (there is no narrower one).
#[server(endpoint = "balances/create_wallet", input = leptos::server_fn::codec::Json)]
pub async fn create_wallet(currency: String) -> Result<BalanceSheet, AppError> {
    let (request, actor) = super::ssr::guard(&[BalancesRead, ExchangesCreate]).await?;
    service::create_wallet(&request.state, &actor, &currency).await
}
