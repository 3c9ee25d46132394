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

/// What an answer to a call that moves money means for the money: the one table every such call
/// (SEPA, crypto withdrawal, internal transfer, exchange finalize, orders) is judged by. ERRORS.md
/// warns that P500/P501 come with HTTP 400 and that a money-moving POST "may have been accepted"
/// after a timeout, a 5xx, P500 or P501; there is no idempotency key, so only an answer P100 gives
/// before it does anything may be read as a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyAnswer {
    /// Nothing moved at P100: the movement is `failed` with P100's words and code.
    Refused,
    /// P100 may have applied it: the movement is `unknown` until it is found at P100 or a person
    /// decides. It is never sent again.
    MaybeAccepted,
}

impl PCode {
    /// Whether P100 gives this code only before the request has any effect. A code not listed
    /// (and any code P100 adds later) may come after an effect: never a refusal.
    pub fn refused_before_effect(&self) -> bool {
        match self {
            // Field validation: the request is refused as a whole before it is processed (ERRORS.md 1.3).
            PCode::P403
            // Unknown currency slug or network: nothing can be debited in a currency P100 cannot name.
            | PCode::P410
            // The user, the partner account, the transfer's parties, the card or the KYC record is
            // looked up first; without it there is nothing to debit.
            | PCode::P411
            | PCode::P412
            | PCode::P418
            | PCode::P424
            | PCode::P428
            | PCode::P434
            | PCode::P445
            // State checks on the user (cards, country, suspension, verification, tier) gate the
            // operation before it starts.
            | PCode::P451
            | PCode::P454
            | PCode::P455
            | PCode::P459
            | PCode::P461
            // Insufficient funds answered synchronously: the balance check failed, so no debit was
            // made (the newer SEPA flow reports it later as a FAILED status instead, never as a code
            // after a debit).
            | PCode::P433 => true,
            // "Unknown exception" and "temporarily unavailable": P100 may have failed after applying.
            PCode::P500 | PCode::P501 => false,
            // A code this back office does not know: it cannot say when P100 checks it.
            PCode::Other(_) => false,
        }
    }
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

    /// What this answer to a money-moving call means for the money (see [`MoneyAnswer`]).
    pub fn money_answer(&self) -> MoneyAnswer {
        match self {
            // A P-code P100 checks first, on a 4xx: refused. The same code on a 5xx is not trusted.
            P100Error::Refused { code, status, .. } if code.refused_before_effect() && *status < 500 => {
                MoneyAnswer::Refused
            }
            // The key and the IP allow-list are checked before any request is read.
            P100Error::AccessDenied { .. } | P100Error::CardsSuspended => MoneyAnswer::Refused,
            // The connection never opened: the request cannot have reached P100.
            P100Error::Unreachable(_) => MoneyAnswer::Refused,
            // P500/P501 or an unknown code, a 429 to a POST, a 5xx, no answer after sending, or a
            // 2xx we could not read.
            P100Error::Refused { .. }
            | P100Error::RateLimited { .. }
            | P100Error::Unavailable { .. }
            | P100Error::OutcomeUnknown { .. }
            | P100Error::Unexpected { .. } => MoneyAnswer::MaybeAccepted,
        }
    }

    /// What a movement that got this answer records as its failure: P100's words and code, and for
    /// an answer that may mean "accepted", what came back and that it is looked for, not sent again.
    pub fn money_words(&self) -> String {
        match self.money_answer() {
            MoneyAnswer::Refused => format!("{} ({})", self.staff_message(), self.code()),
            MoneyAnswer::MaybeAccepted => {
                let what = match self {
                    P100Error::OutcomeUnknown { .. } => "P100 did not answer in time (timeout)".to_owned(),
                    P100Error::Unexpected { .. } => "P100's answer could not be read (unexpected)".to_owned(),
                    other => format!("P100 answered {}", other.code()),
                };
                format!(
                    "{what}, which does not say whether it was made. It is not sent again; the back office looks \
                     for it in P100's history."
                )
            }
        }
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

    fn refused(code: &str, status: u16) -> P100Error {
        P100Error::Refused {
            code: PCode::parse(code),
            name: None,
            message: None,
            status,
        }
    }

    #[test]
    fn only_codes_checked_before_any_effect_are_refusals_of_money() {
        use MoneyAnswer::*;
        let table = [
            (refused("P403", 400), Refused),
            (refused("P410", 400), Refused),
            (refused("P412", 400), Refused),
            (refused("P424", 400), Refused),
            (refused("P433", 400), Refused),
            (refused("P455", 400), Refused),
            (refused("P500", 400), MaybeAccepted),
            (refused("P501", 400), MaybeAccepted),
            // A code nobody has documented yet is never read as a refusal.
            (refused("P999", 400), MaybeAccepted),
            (refused("P402", 400), MaybeAccepted),
            // A refusal code on a 5xx is not trusted.
            (refused("P433", 502), MaybeAccepted),
            (P100Error::RateLimited { retry_after: None }, MaybeAccepted),
            (P100Error::Unavailable { status: 503 }, MaybeAccepted),
            (
                P100Error::OutcomeUnknown {
                    endpoint: "partner.sepa_transfer",
                },
                MaybeAccepted,
            ),
            (
                P100Error::Unexpected {
                    endpoint: "partner.sepa_transfer",
                    detail: "missing field `transferId`".into(),
                },
                MaybeAccepted,
            ),
            (P100Error::Unreachable("connection refused".into()), Refused),
            (P100Error::AccessDenied { marker: "xo2".into() }, Refused),
        ];
        for (error, answer) in table {
            assert_eq!(error.money_answer(), answer, "{error:?}");
        }
        for code in PCode::DOCUMENTED {
            let expected = !matches!(code, PCode::P500 | PCode::P501);
            assert_eq!(code.refused_before_effect(), expected, "{code}");
        }
    }

    #[test]
    fn a_maybe_accepted_answer_says_it_is_not_sent_again() {
        let words = refused("P500", 400).money_words();
        assert!(words.starts_with("P100 answered P500,"), "{words}");
        assert!(words.contains("not sent again"), "{words}");
        assert_eq!(
            refused("P433", 400).money_words(),
            "The balance is too low for this. Top it up first. (P433)"
        );
    }
}
