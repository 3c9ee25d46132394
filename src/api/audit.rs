//! Reading the audit log (permission audit.read).

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::audit::{AuditFilter, AuditPage};

/// One page (newest first) of the rows matching `filter`, older than `before` when given.
#[server(endpoint = "audit/page", input = leptos::server_fn::codec::Json)]
pub async fn fetch_audit_page(filter: AuditFilter, before: Option<i64>) -> Result<AuditPage, AppError> {
    let (request, _) = super::ssr::guard(&[crate::domain::Permission::AuditRead]).await?;
    crate::server::audit::page(&request.state.db, &filter.parse()?, before).await
}
