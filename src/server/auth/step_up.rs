//! Step-up: approving money, changing thresholds, roles or who must use two-factor asks for a fresh
//! second factor when the member's last one is older than `STEP_UP_WINDOW`. It is checked in the
//! same server function as the action, and the action's audit row records how it was given.

use tower_sessions::Session;

use super::sign_in::{WRONG_CODE, count_failure, refuse_if_locked};
use super::two_factor::{self, Accepted};
use super::{Actor, SESSION_KEY, SignedIn};
use crate::domain::AppError;
use crate::domain::two_factor::SecondFactor;
use crate::server::db::Timestamp;
use crate::server::state::AppState;

/// How the member confirmed an action that asks for a fresh second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SteppedUp {
    /// With a code entered for this action.
    Now(Accepted),
    /// With the code given this long ago (seconds), within the window.
    Recently(i64),
    /// Not at all: the member has no second factor and is not required to (the sandbox only).
    NotEnrolled,
}

impl SteppedUp {
    pub fn words(&self) -> String {
        match self {
            SteppedUp::Now(accepted) => format!("stepped up: {} entered for this action", accepted.words()),
            SteppedUp::Recently(seconds) => format!("stepped up: code given {seconds} s before"),
            SteppedUp::NotEnrolled => "not stepped up: two-factor not set up (sandbox)".into(),
        }
    }
}

/// Lets `actor` go on with a sensitive action, or asks for a code (`AppError::StepUpRequired`), or
/// refuses a wrong one (counted against the lockout like a wrong password).
pub async fn require(
    state: &AppState,
    session: &Session,
    actor: &mut Actor,
    code: Option<&str>,
) -> Result<(), AppError> {
    let now = Timestamp::now();
    if actor.staff.two_factor.is_none() {
        if two_factor::required_for(state, &actor.staff.roles).await? {
            return Err(AppError::Refused(
                "This needs two-factor sign-in. Set it up on your Account page first.".into(),
            ));
        }
        actor.second_factor = Some(SteppedUp::NotEnrolled);
        return Ok(());
    }
    let record = session
        .get::<SignedIn>(SESSION_KEY)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let unix = now.get().unix_timestamp();
    let window = state.config.step_up_window.as_secs() as i64;
    if let Some(at) = record.second_factor_at.filter(|at| unix - at < window) {
        actor.second_factor = Some(SteppedUp::Recently(unix - at));
        return Ok(());
    }
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Err(AppError::StepUpRequired);
    };
    let factor = SecondFactor::parse(code).map_err(|m| AppError::field("code", m))?;
    refuse_if_locked(state, &actor.meta, &actor.staff.email, now).await?;
    match two_factor::check(&state.db, &actor.staff, &factor).await? {
        Some(accepted) => {
            super::guard::mark_second_factor(session, now).await?;
            actor.second_factor = Some(SteppedUp::Now(accepted));
            Ok(())
        }
        None => {
            count_failure(
                state,
                &actor.meta,
                &actor.staff.email,
                now,
                ("auth.step_up", "wrong or used step-up code"),
            )
            .await?;
            Err(AppError::field("code", WRONG_CODE))
        }
    }
}
