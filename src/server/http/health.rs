//! Liveness and readiness for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode};

use crate::server::db::{self, Db};

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
pub async fn readyz(State(db): State<Db>) -> (StatusCode, &'static str) {
    match db::ping(&db).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
