//! A member's own account: setting up two-factor sign-in.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::two_factor::{Enrolment, RecoveryCodes, TwoFactorStatus};

#[server(endpoint = "account/two_factor", input = leptos::server_fn::codec::Json)]
pub async fn fetch_two_factor() -> Result<TwoFactorStatus, AppError> {
    let (request, actor) = super::ssr::guard(&[]).await?;
    crate::server::auth::two_factor::status(&request.state, &actor.staff).await
}

#[server(endpoint = "account/enrol_begin", input = leptos::server_fn::codec::Json)]
pub async fn begin_enrolment() -> Result<Enrolment, AppError> {
    let (request, actor) = super::ssr::guard(&[]).await?;
    crate::server::auth::two_factor::begin_enrolment(&request.session, &actor).await
}

#[server(endpoint = "account/enrol_confirm", input = leptos::server_fn::codec::Json)]
pub async fn confirm_enrolment(code: String) -> Result<RecoveryCodes, AppError> {
    let (request, actor) = super::ssr::guard(&[]).await?;
    crate::server::auth::two_factor::confirm_enrolment(&request.state, &request.session, &actor, &code).await
}
