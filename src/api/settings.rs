//! Run-time settings: the four-eyes thresholds and reconciliation's grace.

use leptos::prelude::*;

use crate::domain::movements::{Threshold, Thresholds};
use crate::domain::{AppError, Role};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::settings as service;

#[server(endpoint = "settings/thresholds", input = leptos::server_fn::codec::Json)]
pub async fn fetch_thresholds() -> Result<Thresholds, AppError> {
    let (request, _) = super::ssr::guard(&[SettingsManage]).await?;
    service::thresholds_page(&request.state.db).await
}

/// Asks a second admin to approve the thresholds that changed.
#[server(endpoint = "settings/update_thresholds", input = leptos::server_fn::codec::Json)]
pub async fn update_thresholds(thresholds: Vec<Threshold>, code: Option<String>) -> Result<Thresholds, AppError> {
    let (request, actor) = super::ssr::guard_stepped_up(&[SettingsManage], code.as_deref()).await?;
    service::request_thresholds(&request.state, &actor, &thresholds).await
}

#[server(endpoint = "settings/grace", input = leptos::server_fn::codec::Json)]
pub async fn fetch_grace() -> Result<i64, AppError> {
    let (request, _) = super::ssr::guard(&[SettingsManage]).await?;
    crate::server::reconciliation::grace_minutes(&request.state.db).await
}

#[server(endpoint = "settings/update_grace", input = leptos::server_fn::codec::Json)]
pub async fn update_grace(minutes: String) -> Result<i64, AppError> {
    let (request, actor) = super::ssr::guard(&[SettingsManage]).await?;
    service::update_grace(&request.state.db, &actor, &minutes).await
}

/// The roles that must use two-factor sign-in (in the sandbox; outside it, every member must).
#[server(endpoint = "settings/two_factor_roles", input = leptos::server_fn::codec::Json)]
pub async fn fetch_two_factor_roles() -> Result<Vec<Role>, AppError> {
    let (request, _) = super::ssr::guard(&[SettingsManage]).await?;
    crate::server::auth::two_factor::required_roles(&request.state.db).await
}

#[server(endpoint = "settings/update_two_factor_roles", input = leptos::server_fn::codec::Json)]
pub async fn update_two_factor_roles(roles: Vec<Role>, code: Option<String>) -> Result<Vec<Role>, AppError> {
    let (request, actor) = super::ssr::guard_stepped_up(&[SettingsManage], code.as_deref()).await?;
    crate::server::auth::two_factor::set_required_roles(&request.state.db, &actor, &roles).await
}
