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

/// Why an approved action did not run to its end, as its approval records it. An internal cause is
/// in the log under the reference; the approval and the page get only the reference.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// Nothing was done, and why in words.
    #[error("{0}")]
    Refused(String),
    /// Sent, but P100's answer did not say whether it was made: what was sent is followed as
    /// "outcome unknown" (never sent again).
    #[error("{0}")]
    MaybeSent(String),
    #[error("Something went wrong on our side. Reference: {reference}")]
    Internal { reference: String },
}

impl From<AppError> for ExecutionError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Internal { reference } => ExecutionError::Internal { reference },
            other => ExecutionError::Refused(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for ExecutionError {
    fn from(err: sqlx::Error) -> Self {
        AppError::from(err).into()
    }
}
