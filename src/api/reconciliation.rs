//! Reconciliation: the report and its mismatch queue, resolving a mismatch, the finance home's
//! counts, and the webhook event log with re-processing.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::reconciliation::{
    FinanceHome, Report, ReportFilter, ReportRow, Reprocess, ResolveInput, WebhookDetail, WebhookFilter, WebhookList,
};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::{reconciliation as service, webhooks::log};

#[server(endpoint = "reconciliation/report", input = leptos::server_fn::codec::Json)]
pub async fn fetch_report(filter: ReportFilter) -> Result<Report, AppError> {
    let (request, _) = super::ssr::guard(&[ReconciliationManage]).await?;
    service::report(&request.state.db, &filter, service::PAGE_ROWS).await
}

#[server(endpoint = "reconciliation/resolve", input = leptos::server_fn::codec::Json)]
pub async fn resolve_mismatch(input: ResolveInput) -> Result<ReportRow, AppError> {
    let (request, actor) = super::ssr::guard(&[ReconciliationManage]).await?;
    service::resolve(&request.state.db, &actor, &input).await
}

#[server(endpoint = "reconciliation/home", input = leptos::server_fn::codec::Json)]
pub async fn fetch_finance_home() -> Result<FinanceHome, AppError> {
    let (request, actor) = super::ssr::guard(&[ReconciliationManage]).await?;
    service::home(&request.state.db, &actor).await
}

#[server(endpoint = "webhooks/list", input = leptos::server_fn::codec::Json)]
pub async fn fetch_webhook_events(filter: WebhookFilter) -> Result<WebhookList, AppError> {
    let (request, _) = super::ssr::guard(&[WebhooksRead]).await?;
    log::list(&request.state.db, &filter).await
}

#[server(endpoint = "webhooks/get", input = leptos::server_fn::codec::Json)]
pub async fn fetch_webhook_event(id: String) -> Result<WebhookDetail, AppError> {
    let (request, _) = super::ssr::guard(&[WebhooksRead]).await?;
    log::detail(&request.state.db, &id).await
}

#[server(endpoint = "webhooks/reprocess", input = leptos::server_fn::codec::Json)]
pub async fn reprocess_webhook(id: String, dry_run: bool) -> Result<Reprocess, AppError> {
    let (request, actor) = super::ssr::guard(&[WebhooksRead, ReconciliationManage]).await?;
    log::reprocess(&request.state, &actor, &id, dry_run).await
}
