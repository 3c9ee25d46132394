//! What can go wrong calling P100, in words a staff member can act on (../shared/p100-api/ERRORS.md).

use std::time::Duration;

use serde::Deserialize;

macro_rules! p_codes {
    ($($code:ident => $message:literal,)+) => {
        /// A P-code from P100's business-error answers. Codes it adds later keep their text as `Other`.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum PCode {
            $($code,)+
            Other(String),
        }

        impl PCode {
            /// Every documented code, for tests and the sandbox's fault controls.
            pub const DOCUMENTED: &'static [PCode] = &[$(PCode::$code),+];

            pub fn parse(text: &str) -> PCode {
                match text.trim() {
                    $(stringify!($code) => PCode::$code,)+
                    other => PCode::Other(other.to_owned()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(PCode::$code => stringify!($code),)+
                    PCode::Other(code) => code,
                }
            }

            /// What it means and what to do, for the staff member who hit it.
            pub fn staff_message(&self) -> &'static str {
                match self {
                    $(PCode::$code => $message,)+
                    PCode::Other(_) => "P100 refused the request with a code this back office does not know yet.",
                }
            }
        }
    };
}

p_codes! {
    P403 => "P100 refused the input as invalid. Correct it and try again.",
    P410 => "P100 does not support this currency or network. Choose a supported one.",
    P411 => "A user with this external id already exists at P100. Open the existing user instead.",
    P412 => "P100 has no such user: the id is wrong or the user was deleted.",
    P418 => "P100 could not resolve our partner account. This is a configuration problem: contact P100.",
    P424 => "A transfer needs either a source or a destination user.",
    P428 => "P100 has no SEPA transfer with this id.",
    P433 => "The balance is too low for this. Top it up first.",
    P434 => "P100 has no such card.",
    P445 => "No KYC verification exists for this user yet. Start one first.",
    P451 => "Cards are not available to users of this country.",
    P454 => "The user still has active cards: block or delete them, then suspend again.",
    P455 => "The user is suspended. Unsuspend them first.",
    P459 => "The user has not passed verification yet. Wait for KYC to complete.",
    P461 => "The user is not on the extended tier.",
    P500 => "P100 failed unexpectedly. Check the operation's status before trying again.",
    P501 => "P100 is temporarily unavailable. Try again in a few minutes.",
}

/// The JSON body of a business or validation error.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_code: String,
    pub error_name: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum P100Error {
    /// A P-code answer. For P403 `message` is P100's own validation text, passed through.
    #[error("P100 refused the request ({code})")]
    Refused {
        code: PCode,
        name: Option<String>,
        message: Option<String>,
        status: u16,
    },
    /// 401 `Access Denied. xo1|xo2|xo3`: the API key or the IP allow-list.
    #[error("P100 denied access ({marker}): check P100_API_KEY and the IP allow-list")]
    AccessDenied { marker: String },
    /// 429: P100 asked us to slow down.
    #[error("P100 is rate limiting us; try again shortly")]
    RateLimited { retry_after: Option<Duration> },
    /// A 5xx, or an answer without a P-code that we cannot interpret.
    #[error("P100 answered HTTP {status}")]
    Unavailable { status: u16 },
    /// Nothing reached P100 (no connection): safe to try again.
    #[error("P100 could not be reached: {0}")]
    Unreachable(String),
    /// The request may have reached P100 but no answer came back. For a money movement this must be
    /// resolved by reading its details, never by sending it again.
    #[error("no answer from P100 for {endpoint}: the outcome is unknown until its details are read")]
    OutcomeUnknown { endpoint: &'static str },
    /// P100's answer did not have the shape we expect; names the field.
    #[error("unexpected answer from P100 for {endpoint}: {detail}")]
    Unexpected { endpoint: &'static str, detail: String },
    /// The virtual card module is suspended upstream.
    #[error("P100's virtual card module is suspended: card operations are not available")]
    CardsSuspended,
}

impl std::fmt::Display for PCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl P100Error {
    /// The code shown next to the words: a P-code, `xo1`.., or the HTTP status.
    pub fn code(&self) -> String {
        match self {
            P100Error::Refused { code, .. } => code.to_string(),
            P100Error::AccessDenied { marker } => marker.clone(),
            P100Error::RateLimited { .. } => "HTTP 429".into(),
            P100Error::Unavailable { status } => format!("HTTP {status}"),
            P100Error::Unreachable(_) => "unreachable".into(),
            P100Error::OutcomeUnknown { .. } => "timeout".into(),
            P100Error::Unexpected { .. } => "unexpected".into(),
            P100Error::CardsSuspended => "cards-suspended".into(),
        }
    }

    /// Words for a staff member: what happened and what to do.
    pub fn staff_message(&self) -> String {
        match self {
            P100Error::Refused { code: PCode::P403, message: Some(text), .. } => {
                format!("P100 refused the input: {text}")
            }
            P100Error::Refused { code, .. } => code.staff_message().to_owned(),
            P100Error::AccessDenied { .. } => {
                "P100 denied access to the back office. An admin must check the API key and P100's IP allow-list.".into()
            }
            P100Error::RateLimited { .. } => "P100 is busy. Try again in a minute.".into(),
            P100Error::Unavailable { .. } | P100Error::Unreachable(_) => {
                "P100 is not answering right now. Try again in a few minutes.".into()
            }
            P100Error::OutcomeUnknown { .. } => {
                "P100 did not answer in time. The operation may still have happened: check its status before trying again."
                    .into()
            }
            P100Error::Unexpected { .. } => {
                "P100 answered in a way this back office does not understand. The details are in the server log.".into()
            }
            P100Error::CardsSuspended => "Virtual cards are suspended at P100.".into(),
        }
    }

    /// Whether a money movement that got this may have happened anyway: no answer, a 5xx, or a 2xx
    /// we could not read. Such a movement is found by reading P100, never by sending it again.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            P100Error::OutcomeUnknown { .. } | P100Error::Unavailable { .. } | P100Error::Unexpected { .. }
        )
    }

    /// Whether P100 answered that the record asked for does not exist: P428, or a 404 with or
    /// without a P-code (INFERRED for exchanges, withdrawals and transfers: undocumented).
    pub fn not_found(&self) -> bool {
        matches!(
            self,
            P100Error::Refused { status: 404, .. }
                | P100Error::Refused { code: PCode::P428, .. }
                | P100Error::Unavailable { status: 404 }
        )
    }

    /// Whether repeating the same read could succeed (never consulted for money movements).
    pub fn transient(&self) -> bool {
        matches!(
            self,
            P100Error::RateLimited { .. }
                | P100Error::Unavailable { .. }
                | P100Error::Unreachable(_)
                | P100Error::OutcomeUnknown { .. }
                | P100Error::Refused { code: PCode::P501, .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_round_trips_and_has_words() {
        for code in PCode::DOCUMENTED {
            assert_eq!(&PCode::parse(code.as_str()), code);
            assert!(code.staff_message().ends_with('.'));
        }
        assert_eq!(PCode::parse("P999"), PCode::Other("P999".into()));
        assert_eq!(PCode::DOCUMENTED.len(), 17);
    }

    #[test]
    fn validation_text_is_passed_through() {
        let err = P100Error::Refused {
            code: PCode::P403,
            name: None,
            message: Some("amount must be positive".into()),
            status: 400,
        };
        assert_eq!(err.staff_message(), "P100 refused the input: amount must be positive");
        assert_eq!(err.code(), "P403");
        let funds = P100Error::Refused {
            code: PCode::P433,
            name: None,
            message: None,
            status: 400,
        };
        assert!(funds.staff_message().contains("balance is too low"));
    }
}
