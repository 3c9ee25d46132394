//! The sandbox's JSON control endpoint (`sandbox::control::router`), as the app serves it: only
//! to a signed-in member holding `sandbox.control` (admins), and every change audited like the
//! Sandbox page's actions, with the body that asked for it.

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::{error_response, request_meta};
use crate::domain::audit::Outcome;
use crate::domain::{Need, Permission};
use crate::server::audit::{self, Event};
use crate::server::auth::authorize;
use crate::server::state::AppState;

/// A control request's body at most (a fault, a setting, an amendment: a few hundred bytes).
const BODY_LIMIT: usize = 64 * 1024;

pub async fn guard(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let meta = request_meta(&parts.headers, &parts.extensions);
    // Nested under `CONTROL_PATH`, the request's own URI has lost its prefix.
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
    let what = format!("{} {path}", parts.method);
    let need = Need::All(&[Permission::SandboxControl]);
    let actor = match authorize(&state, &session, meta, need, &path).await {
        Ok(actor) => actor,
        Err(err) => return error_response(err),
    };
    let Ok(body) = to_bytes(body, BODY_LIMIT).await else {
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "The control request is too large.",
        )
            .into_response();
    };
    let reads = parts.method == axum::http::Method::GET;
    let asked = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if !reads {
        let outcome = if response.status().is_success() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let event = Event::new("sandbox.control", outcome)
            .target("sandbox", what)
            .change(None, asked);
        if let Err(err) = audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await {
            // The change is made: say so, and that its audit row is missing.
            tracing::error!(%err, "a sandbox control change could not be audited");
            return error_response(err.into());
        }
    }
    response
}
