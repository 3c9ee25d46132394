//! Page requests: the session is read before the page renders, so the frame and the page below it
//! are built once, from a known session (`app::KnownSession`), instead of inside a `<Suspense>`
//! waiting for it (which builds its children again once it resolves: every page's data was read
//! and sent twice).

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use crate::app::KnownSession;
use crate::server::auth;
use crate::server::state::AppState;

/// For a page (a GET: every server function is a POST), the session as the page will see it.
pub async fn known_session(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    if req.method() == Method::GET {
        let known = auth::session_info(&state, &session).await;
        req.extensions_mut().insert(KnownSession(known));
    }
    next.run(req).await
}
