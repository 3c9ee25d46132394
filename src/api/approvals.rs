//! Approvals: the inbox, one request, deciding and withdrawing. What each request does is defined
//! where it is asked for (deleting a user: `api::users`).

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::approvals::{ApprovalInbox, ApprovalQuery, ApprovalView, Decision};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::approvals as service;

#[server(endpoint = "approvals/inbox", input = leptos::server_fn::codec::Json)]
pub async fn fetch_approvals(query: ApprovalQuery) -> Result<ApprovalInbox, AppError> {
    let (request, actor) = super::ssr::guard(&[ApprovalsDecide]).await?;
    service::inbox(&request.state.db, &actor, &query).await
}

#[server(endpoint = "approvals/get", input = leptos::server_fn::codec::Json)]
pub async fn fetch_approval(id: String) -> Result<ApprovalView, AppError> {
    let (request, actor) = super::ssr::guard(&[ApprovalsDecide]).await?;
    service::get(&request.state.db, &actor, &id).await
}

/// Approve (which runs the action at once, after a step-up) or reject. The action's own checker permissions and
/// "not the maker" are checked by the service, inside the transaction that records the decision.
#[server(endpoint = "approvals/decide", input = leptos::server_fn::codec::Json)]
pub async fn decide_approval(id: String, decision: Decision, code: Option<String>) -> Result<ApprovalView, AppError> {
    let (request, actor) = match decision {
        Decision::Approve { .. } => super::ssr::guard_stepped_up(&[ApprovalsDecide], code.as_deref()).await?,
        Decision::Reject { .. } => super::ssr::guard(&[ApprovalsDecide]).await?,
    };
    service::decide(&request.state, &actor, &id, decision).await
}

#[server(endpoint = "approvals/withdraw", input = leptos::server_fn::codec::Json)]
pub async fn withdraw_approval(id: String) -> Result<ApprovalView, AppError> {
    let (request, actor) = super::ssr::guard(&[ApprovalsDecide]).await?;
    service::withdraw(&request.state.db, &actor, &id).await
}
