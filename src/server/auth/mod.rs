//! Staff authentication: passwords, two-factor, sessions, sign-in, step-up and the permission guard.

pub mod guard;
pub mod password;
pub mod sign_in;
pub mod step_up;
pub mod two_factor;

pub use guard::{Actor, authorize, current_staff, session_info};
pub use step_up::SteppedUp;

use serde::{Deserialize, Serialize};

/// The key under which a signed-in session keeps its `SignedIn` record.
const SESSION_KEY: &str = "signed_in";
/// The key under which a sign-in halfway through (password right, second factor to come) waits.
const PENDING_KEY: &str = "sign_in_pending";
/// The key under which a signed-in member's enrolment waits for its confirming code.
const ENROLMENT_KEY: &str = "two_factor_enrolment";

/// What a session remembers about its staff member. Times are Unix seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedIn {
    staff_id: String,
    /// The member's `session_generation` at sign-in; disabling or a password reset bumps it.
    generation: i64,
    signed_in_at: i64,
    last_seen: i64,
    /// When the member last gave a second factor (at sign-in or a step-up); `None`: never.
    #[serde(default)]
    second_factor_at: Option<i64>,
}

/// A sign-in whose password was right, waiting for the member's code (or for their enrolment,
/// when two-factor is required and they have none: `enrolling` holds the secret being set up).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    staff_id: String,
    generation: i64,
    started_at: i64,
    next: String,
    enrolling: Option<String>,
}
