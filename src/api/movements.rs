//! SEPA payouts, crypto withdrawals and internal transfers: review, submit, follow, list; travel
//! rule data for held crypto deposits.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::approvals::ApprovalView;
use crate::domain::balances::Holder;
use crate::domain::movements::{
    MovementDetail, MovementFilter, MovementInput, MovementList, PayoutContext, ResolveInput, Review, TravelRuleInput,
    WaitingDeposit,
};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::movements as service;

#[server(endpoint = "payouts/context", input = leptos::server_fn::codec::Json)]
pub async fn fetch_payout_context(holder: Holder) -> Result<PayoutContext, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::context(&request.state, &holder).await
}

#[server(endpoint = "payouts/review", input = leptos::server_fn::codec::Json)]
pub async fn review_movement(input: MovementInput) -> Result<Review, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead, service::maker_permission(input.kind())]).await?;
    service::review(&request.state, &input).await
}

#[server(endpoint = "payouts/submit", input = leptos::server_fn::codec::Json)]
pub async fn submit_movement(input: MovementInput, key: String) -> Result<MovementDetail, AppError> {
    let (request, actor) = super::ssr::guard(&[BalancesRead, service::maker_permission(input.kind())]).await?;
    service::submit(&request.state, &actor, &input, &key).await
}

#[server(endpoint = "payouts/get", input = leptos::server_fn::codec::Json)]
pub async fn fetch_movement(id: String) -> Result<MovementDetail, AppError> {
    let (request, actor) = super::ssr::guard(&[BalancesRead]).await?;
    service::follow(&request.state, &actor, &id).await
}

/// A person's decision about a payout or exchange whose outcome P100 left unclear, for a second
/// member.
#[server(endpoint = "payouts/resolve", input = leptos::server_fn::codec::Json)]
pub async fn resolve_movement(input: ResolveInput) -> Result<ApprovalView, AppError> {
    use crate::domain::movements::Unclear;
    use crate::server::db::{exchanges::ExchangeRecord, movements::MovementRecord};
    use crate::server::money::resolution;
    let (request, actor) = super::ssr::guard(&[BalancesRead, PayoutsResolve]).await?;
    match input.subject {
        Unclear::Movement => resolution::request::<MovementRecord>(&request.state, &actor, &input).await,
        Unclear::Exchange => resolution::request::<ExchangeRecord>(&request.state, &actor, &input).await,
    }
}

#[server(endpoint = "payouts/list", input = leptos::server_fn::codec::Json)]
pub async fn fetch_movements(filter: MovementFilter) -> Result<MovementList, AppError> {
    let (request, _) = super::ssr::guard(&[BalancesRead]).await?;
    service::list(&request.state, &filter).await
}

#[server(endpoint = "payouts/waiting_deposits", input = leptos::server_fn::codec::Json)]
pub async fn fetch_waiting_deposits() -> Result<Vec<WaitingDeposit>, AppError> {
    let (request, _) = super::ssr::guard(&[TravelRuleSubmit]).await?;
    service::travel_rule::waiting(&request.state).await
}

#[server(endpoint = "payouts/travel_rule", input = leptos::server_fn::codec::Json)]
pub async fn submit_travel_rule(input: TravelRuleInput) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[TravelRuleSubmit]).await?;
    service::travel_rule::submit(&request.state, &actor, &input).await
}
