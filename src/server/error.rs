//! Turning internal failures into `AppError::Internal`: the cause goes to the log, the browser gets
//! only the request id to quote.

use std::fmt::Display;

use crate::domain::AppError;

/// Logs `cause` and returns an error that names this request's id.
pub fn internal(cause: impl Display) -> AppError {
    let reference = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get("x-request-id")?.to_str().ok().map(str::to_owned))
        .unwrap_or_else(|| "none".to_owned());
    tracing::error!(%cause, "internal error");
    AppError::Internal { reference }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        internal(format_args!("database: {err}"))
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        internal(format_args!("session: {err}"))
    }
}

impl From<crate::p100::Failure> for AppError {
    fn from(failure: crate::p100::Failure) -> Self {
        tracing::warn!(endpoint = failure.call.endpoint, request_id = %failure.call.request_id, error = %failure.error, "P100 refused");
        AppError::Upstream {
            code: failure.error.code(),
            message: failure.error.staff_message(),
        }
    }
}
