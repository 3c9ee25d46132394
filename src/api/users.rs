//! Users: the registry and its search, onboarding, KYC and the queue, notes and personal data, and
//! the account lifecycle (suspend, unsuspend, delete through approval).
//! Identity documents are uploaded through `POST /uploads/users/...` (see `server::http::uploads`),
//! a plain route because a server function cannot report upload progress.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::approvals::ApprovalView;
use crate::domain::users::{
    BulkOutcome, ContactChangeInput, DeleteInput, DocumentKind, HostedVerification, KycQueue, NewUserForm,
    NewUserInput, Pii, SuspendInput, UserCards, UserDetail, UserList, UserQuery, UserSummary,
};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::users::{self as service, cards, kyc, lifecycle, onboarding};

#[server(endpoint = "users/search", input = leptos::server_fn::codec::Json)]
pub async fn search_users(query: UserQuery) -> Result<UserList, AppError> {
    let (request, actor) = super::ssr::guard(&[UsersRead]).await?;
    service::search(&request.state, &actor, &query).await
}

#[server(endpoint = "users/detail", input = leptos::server_fn::codec::Json)]
pub async fn fetch_user(id: String) -> Result<UserDetail, AppError> {
    let (request, actor) = super::ssr::guard(&[UsersRead]).await?;
    service::detail(&request.state.db, &actor, &id).await
}

#[server(endpoint = "users/cards", input = leptos::server_fn::codec::Json)]
pub async fn fetch_user_cards(id: String) -> Result<UserCards, AppError> {
    let (request, _) = super::ssr::guard(&[UsersRead]).await?;
    cards::of_user(&request.state, &id).await
}

#[server(endpoint = "users/reveal", input = leptos::server_fn::codec::Json)]
pub async fn reveal_user_pii(id: String) -> Result<Pii, AppError> {
    let (request, actor) = super::ssr::guard(&[UsersRead, PiiView]).await?;
    service::reveal(&request.state.db, &actor, &id).await
}

#[server(endpoint = "users/add_note", input = leptos::server_fn::codec::Json)]
pub async fn add_user_note(id: String, note: String) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[UsersRead, UsersNote]).await?;
    service::add_note(&request.state.db, &actor, &id, &note).await
}

#[server(endpoint = "users/new_form", input = leptos::server_fn::codec::Json)]
pub async fn fetch_new_user_form() -> Result<NewUserForm, AppError> {
    super::ssr::guard(&[UsersCreate]).await?;
    Ok(onboarding::new_form())
}

#[server(endpoint = "users/create", input = leptos::server_fn::codec::Json)]
pub async fn create_user(input: NewUserInput) -> Result<UserSummary, AppError> {
    let (request, actor) = super::ssr::guard(&[UsersCreate]).await?;
    onboarding::create(&request.state, &actor, &input).await
}

#[server(endpoint = "users/update_contact", input = leptos::server_fn::codec::Json)]
pub async fn update_user_contact(id: String, input: ContactChangeInput) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[UsersUpdate, PiiView]).await?;
    onboarding::update_contact(&request.state, &actor, &id, &input).await
}

#[server(endpoint = "users/start_hosted_kyc", input = leptos::server_fn::codec::Json)]
pub async fn start_hosted_kyc(id: String) -> Result<HostedVerification, AppError> {
    let (request, actor) = super::ssr::guard(&[KycSubmit]).await?;
    kyc::start_hosted(&request.state, &actor, &id).await
}

#[server(endpoint = "users/hosted_kyc_link", input = leptos::server_fn::codec::Json)]
pub async fn hosted_kyc_link(id: String) -> Result<HostedVerification, AppError> {
    let (request, _) = super::ssr::guard(&[KycSubmit]).await?;
    kyc::hosted_link(&request.state, &id).await
}

#[server(endpoint = "users/add_verification", input = leptos::server_fn::codec::Json)]
pub async fn add_user_verification(id: String, kind: DocumentKind, number: String) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[KycSubmit]).await?;
    kyc::add_verification(&request.state, &actor, &id, kind, &number).await
}

/// Reads one user's KYC status from P100; `false` when P100 has no verification for them yet.
#[server(endpoint = "users/refresh_kyc", input = leptos::server_fn::codec::Json)]
pub async fn refresh_user_kyc(id: String) -> Result<bool, AppError> {
    let (request, _) = super::ssr::guard_any(&[KycReview, KycSubmit]).await?;
    kyc::refresh(&request.state, &id).await
}

#[server(endpoint = "users/kyc_queue", input = leptos::server_fn::codec::Json)]
pub async fn fetch_kyc_queue() -> Result<KycQueue, AppError> {
    let (request, _) = super::ssr::guard(&[KycReview]).await?;
    kyc::queue(&request.state.db).await
}

/// Re-reads every queued user's status from P100; answers how many were read and how many failed.
#[server(endpoint = "users/refresh_queue", input = leptos::server_fn::codec::Json)]
pub async fn refresh_kyc_queue() -> Result<(u32, u32), AppError> {
    let (request, _) = super::ssr::guard(&[KycReview]).await?;
    let tally = kyc::refresh_queue(&request.state).await?;
    Ok((tally.read, tally.failed))
}

#[server(endpoint = "users/suspend", input = leptos::server_fn::codec::Json)]
pub async fn suspend_user(id: String, input: SuspendInput) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[UsersSuspend]).await?;
    lifecycle::suspend(&request.state, &actor, &id, &input).await
}

#[server(endpoint = "users/unsuspend", input = leptos::server_fn::codec::Json)]
pub async fn unsuspend_user(id: String, note: String) -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[UsersSuspend]).await?;
    lifecycle::unsuspend(&request.state, &actor, &id, &note).await
}

/// Suspends each listed user on its own; the answer says per user what happened.
#[server(endpoint = "users/bulk_suspend", input = leptos::server_fn::codec::Json)]
pub async fn bulk_suspend_users(ids: Vec<String>, input: SuspendInput) -> Result<Vec<BulkOutcome>, AppError> {
    let (request, actor) = super::ssr::guard(&[UsersSuspend]).await?;
    lifecycle::bulk_suspend(&request.state, &actor, &ids, &input).await
}

/// Asks for the user's deletion; it runs when a second member approves it.
#[server(endpoint = "users/request_delete", input = leptos::server_fn::codec::Json)]
pub async fn request_user_delete(id: String, input: DeleteInput) -> Result<ApprovalView, AppError> {
    let (request, actor) = super::ssr::guard(&[UsersDelete]).await?;
    lifecycle::request_delete(&request.state, &actor, &id, &input).await
}
