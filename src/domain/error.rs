//! The error every server function returns. It crosses the wire as JSON, so the browser shows the
//! same words the server chose; internal causes stay in the server log under the reference.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Encodes};
use serde::{Deserialize, Serialize};

/// Messages for individual form fields, keyed by the field's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no field failed, else every message at once.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, AppError> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(AppError::Invalid(self))
        }
    }

    /// Runs a field parser and records its message under `field` on failure.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|m| self.add(field, m)).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Sign in again.")]
    Unauthenticated,
    #[error("You do not have permission to do this.")]
    Forbidden,
    #[error("Some fields need attention.")]
    Invalid(FieldErrors),
    /// A business rule said no; the message says which and what to do instead.
    #[error("{0}")]
    Refused(String),
    /// An open request already asks for the same thing; the page links it.
    #[error("{message}")]
    AlreadyPending { message: String, approval_id: String },
    #[error("{0}")]
    TooManyAttempts(String),
    /// The action needs a fresh code from the member's authenticator app (step-up): the page asks
    /// for it and sends the action again with it.
    #[error("Confirm with a fresh code from your authenticator app.")]
    StepUpRequired,
    #[error("Not found.")]
    NotFound,
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    /// P100 said no or did not answer: its words for staff, and the code to quote.
    #[error("{message} ({code})")]
    Upstream { code: String, message: String },
    #[error("The back office server could not be reached. Check the connection and try again.")]
    Unreachable,
    #[error("Something went wrong on our side. Reference: {reference}")]
    Internal { reference: String },
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Refused(_) | AppError::AlreadyPending { .. } => 409,
            AppError::Invalid(_) => 422,
            AppError::TooManyAttempts(_) => 429,
            AppError::StepUpRequired => 428,
            AppError::BadRequest(_) => 400,
            AppError::Upstream { .. } => 502,
            AppError::Unreachable => 503,
            AppError::Internal { .. } => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::BadRequest(m)
            }
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            other => AppError::Internal {
                reference: other.to_string(),
            },
        }
    }

    /// Called on the server exactly when a server function answers with this error, which makes it
    /// the one place that turns the error into its HTTP status (otherwise every error is a 500).
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = axum::http::StatusCode::from_u16(self.status())
        {
            response.set_status(status);
        }
        <JsonEncoding as Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| Bytes::from_static(br#"{"Internal":{"reference":"unencodable error"}}"#))
    }
}
