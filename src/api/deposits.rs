//! Money that arrives: SEPA and crypto deposits for the partner and per user, and a user's IBAN
//! checks (read-only; P100's webhooks write them).

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::deposits::{DepositFilter, DepositList, UserDeposits};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::deposits as service;

#[server(endpoint = "deposits/list", input = leptos::server_fn::codec::Json)]
pub async fn fetch_deposits(filter: DepositFilter) -> Result<DepositList, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::list(&request.state, &filter).await
}

#[server(endpoint = "deposits/of_user", input = leptos::server_fn::codec::Json)]
pub async fn fetch_user_deposits(id: String) -> Result<UserDeposits, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::of_user(&request.state, &id).await
}
