//! Staff authentication: passwords, sessions, sign-in and the permission guard.

pub mod guard;
pub mod password;
pub mod sign_in;

pub use guard::{Actor, authorize, current_staff};

use serde::{Deserialize, Serialize};

/// The key under which a signed-in session keeps its `SignedIn` record.
const SESSION_KEY: &str = "signed_in";

/// What a session remembers about its staff member. Times are Unix seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedIn {
    staff_id: String,
    /// The member's `session_generation` at sign-in; disabling or a password reset bumps it.
    generation: i64,
    signed_in_at: i64,
    last_seen: i64,
}
