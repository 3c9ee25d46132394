//! Currency exchange: quote, lock, finalize, follow, list.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::exchanges::{ExchangeFilter, ExchangeInput, ExchangeList, ExchangeView, Quote};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::exchanges as service;

#[server(endpoint = "exchanges/quote", input = leptos::server_fn::codec::Json)]
pub async fn quote_exchange(input: ExchangeInput) -> Result<Quote, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead, ExchangesCreate]).await?;
    service::quote(&request.state, &input).await
}

#[server(endpoint = "exchanges/lock", input = leptos::server_fn::codec::Json)]
pub async fn lock_exchange(input: ExchangeInput) -> Result<ExchangeView, AppError> {
    let (request, actor) = super::ssr::guard(&[BalancesRead, ExchangesCreate]).await?;
    service::lock(&request.state, &actor, &input).await
}

#[server(endpoint = "exchanges/finalize", input = leptos::server_fn::codec::Json)]
pub async fn finalize_exchange(id: String) -> Result<ExchangeView, AppError> {
    let (request, actor) = super::ssr::guard(&[BalancesRead, ExchangesCreate]).await?;
    service::finalize(&request.state, &actor, &id).await
}

#[server(endpoint = "exchanges/get", input = leptos::server_fn::codec::Json)]
pub async fn fetch_exchange(id: String) -> Result<ExchangeView, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::follow(&request.state, &id).await
}

#[server(endpoint = "exchanges/list", input = leptos::server_fn::codec::Json)]
pub async fn fetch_exchanges(filter: ExchangeFilter) -> Result<ExchangeList, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::list(&request.state, &filter).await
}
