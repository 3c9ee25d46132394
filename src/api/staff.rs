//! Staff administration (permission staff.manage).

use leptos::prelude::*;

use crate::domain::staff::{NewStaffInput, StaffView};
use crate::domain::{AppError, Role};

#[cfg(feature = "ssr")]
use crate::domain::Permission::StaffManage;

#[server(endpoint = "staff/list", input = leptos::server_fn::codec::Json)]
pub async fn list_staff() -> Result<Vec<StaffView>, AppError> {
    let (request, _) = super::ssr::guard(&[StaffManage]).await?;
    crate::server::staff::list(&request.state.db).await
}

#[server(endpoint = "staff/create", input = leptos::server_fn::codec::Json)]
pub async fn create_staff(input: NewStaffInput) -> Result<StaffView, AppError> {
    let (request, actor) = super::ssr::guard(&[StaffManage]).await?;
    crate::server::staff::create(&request.state.db, &actor, input).await
}

#[server(endpoint = "staff/set_roles", input = leptos::server_fn::codec::Json)]
pub async fn set_staff_roles(id: String, roles: Vec<Role>, code: Option<String>) -> Result<StaffView, AppError> {
    let (request, actor) = super::ssr::guard_stepped_up(&[StaffManage], code.as_deref()).await?;
    crate::server::staff::set_roles(&request.state.db, &actor, &id, &roles).await
}

#[server(endpoint = "staff/set_disabled", input = leptos::server_fn::codec::Json)]
pub async fn set_staff_disabled(id: String, disabled: bool) -> Result<StaffView, AppError> {
    let (request, actor) = super::ssr::guard(&[StaffManage]).await?;
    crate::server::staff::set_disabled(&request.state.db, &actor, &id, disabled).await
}

#[server(endpoint = "staff/reset_password", input = leptos::server_fn::codec::Json)]
pub async fn reset_staff_password(id: String, password: String) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[StaffManage]).await?;
    crate::server::staff::reset_password(&request.state.db, &actor, &id, password).await
}

/// Removes a member's two-factor enrolment (a lost phone), ending their sessions.
#[server(endpoint = "staff/reset_two_factor", input = leptos::server_fn::codec::Json)]
pub async fn reset_staff_two_factor(id: String, code: Option<String>) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard_stepped_up(&[StaffManage], code.as_deref()).await?;
    crate::server::auth::two_factor::reset(&request.state.db, &actor, &id).await
}
