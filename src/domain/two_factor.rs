//! Two-factor sign-in as the pages see it: the code a member types, an enrolment to scan, the
//! recovery codes shown once, and where a sign-in stands.

use serde::{Deserialize, Serialize};

use super::UtcTime;

/// What a member typed as their second factor: the six digits their authenticator app shows, or
/// one of their recovery codes (`XXXXX-XXXXX`). Spaces are ignored, and recovery codes are read
/// without regard to case or the dash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(String),
    Recovery(String),
}

/// The alphabet recovery codes are drawn from: no 0/O or 1/I/L to misread.
pub const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a recovery code (without its dash): 10 from 31 letters, about 50 bits.
pub const RECOVERY_LENGTH: usize = 10;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

impl SecondFactor {
    pub fn parse(text: &str) -> Result<Self, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if compact.is_empty() {
            return Err("Enter the code from your authenticator app.".into());
        }
        if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Self::Totp(compact));
        }
        let upper = compact.to_ascii_uppercase();
        if upper.len() == RECOVERY_LENGTH && upper.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
            return Ok(Self::Recovery(upper));
        }
        Err("Enter the 6 digits your authenticator app shows, or one of your recovery codes.".into())
    }

    /// A recovery code as it is shown and hashed: `XXXXX-XXXXX`.
    pub fn recovery_display(compact: &str) -> String {
        let (a, b) = compact.split_at(compact.len() / 2);
        format!("{a}-{b}")
    }
}

/// A secret to add to an authenticator app: scanned from the QR code or typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Base32, in groups of four for typing.
    pub secret: String,
    /// The QR code of the `otpauth://` URL, as an SVG document made on the server.
    pub qr_svg: String,
}

/// Where a sign-in stands after the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInStep {
    /// Signed in: go to `next`.
    Done { next: String },
    /// The password was right; now the code from the member's authenticator app.
    Code,
    /// The password was right, and this member must set up two-factor before going on.
    Enrol(Enrolment),
}

/// The codes made at enrolment, shown once and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
    /// Where a sign-in that ended with enrolment goes next.
    pub next: String,
}

/// A member's own two-factor state, for the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enrolled_at: Option<UtcTime>,
    pub recovery_codes_left: u32,
    /// Whether this member must use it (always outside the sandbox; per role inside it).
    pub required: bool,
}
