//! Server functions, one module per area. Each is thin: `guard` first, then one service call.
//!
//! Every function here must also appear in the permission matrix test (tests/permissions.rs),
//! which fails for any registered server function it does not know.

pub mod account;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod balances;
pub mod collections;
pub mod deposits;
pub mod exchanges;
pub mod find;
pub mod movements;
pub mod reconciliation;
pub mod sandbox;
pub mod settings;
pub mod staff;
pub mod users;

#[cfg(feature = "ssr")]
mod ssr {
    use axum::http::request::Parts;
    use leptos::prelude::use_context;
    use tower_sessions::Session;

    use crate::domain::{AppError, Need, Permission};
    use crate::server::auth::{Actor, authorize};
    use crate::server::error::internal;
    use crate::server::http::request_meta;
    use crate::server::state::AppState;

    /// What a server function needs from its request: the app, the session, and who asked from where.
    pub struct Request {
        pub state: AppState,
        pub session: Session,
        pub parts: Parts,
    }

    pub fn request() -> Result<Request, AppError> {
        let state = use_context::<AppState>().ok_or_else(|| internal("no AppState in context"))?;
        let parts = use_context::<Parts>().ok_or_else(|| internal("no request parts in context"))?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| internal("no session layer"))?;
        Ok(Request { state, session, parts })
    }

    impl Request {
        pub fn meta(&self) -> crate::server::audit::RequestMeta {
            request_meta(&self.parts.headers, &self.parts.extensions)
        }
    }

    /// The signed-in staff member, if they hold every permission in `required` (none: any member).
    pub async fn guard(required: &[Permission]) -> Result<(Request, Actor), AppError> {
        guard_for(Need::All(required)).await
    }

    /// The signed-in staff member, if they hold at least one permission in `any_of`.
    pub async fn guard_any(any_of: &[Permission]) -> Result<(Request, Actor), AppError> {
        guard_for(Need::Any(any_of)).await
    }

    /// `guard`, then step-up: a fresh second factor (`code`, or one given within the window). The
    /// actor carries how it was given, for the action's audit row.
    pub async fn guard_stepped_up(required: &[Permission], code: Option<&str>) -> Result<(Request, Actor), AppError> {
        let (request, mut actor) = guard(required).await?;
        crate::server::auth::step_up::require(&request.state, &request.session, &mut actor, code).await?;
        Ok((request, actor))
    }

    async fn guard_for(need: Need<'_>) -> Result<(Request, Actor), AppError> {
        let request = request()?;
        let what = request.parts.uri.path().to_owned();
        let actor = authorize(&request.state, &request.session, request.meta(), need, &what).await?;
        Ok((request, actor))
    }
}
