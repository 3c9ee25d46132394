//! The permission guard every server function and protected route calls first.

use std::time::Duration;

use tower_sessions::Session;

use super::{SESSION_KEY, SignedIn, SteppedUp};
use crate::domain::audit::Outcome;
use crate::domain::staff::{Me, SessionInfo};
use crate::domain::{AppError, Need, Permissions};
use crate::server::audit::{self, Event, RequestMeta, Who};
use crate::server::db::{self, Timestamp, staff::StaffRecord};
use crate::server::state::AppState;

/// A signed-in staff member who passed the guard, with the request they made.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff: StaffRecord,
    pub permissions: Permissions,
    pub meta: RequestMeta,
    /// How a fresh second factor was given for this request, when its action asks for one.
    pub second_factor: Option<SteppedUp>,
}

impl Actor {
    pub fn new(staff: StaffRecord, meta: RequestMeta) -> Self {
        Actor {
            permissions: Permissions::of_roles(&staff.roles),
            staff,
            meta,
            second_factor: None,
        }
    }

    /// An audit row's `after` data with the step-up that allowed the change, when it asked for one.
    pub fn stepped_up(&self, mut after: serde_json::Value) -> serde_json::Value {
        if let (Some(stepped), Some(fields)) = (&self.second_factor, after.as_object_mut()) {
            fields.insert("second_factor".into(), stepped.words().into());
        }
        after
    }

    pub fn who(&self) -> Who {
        Who {
            staff_id: Some(self.staff.id.clone()),
            staff_email: Some(self.staff.email.clone()),
            roles: self
                .staff
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

impl From<StaffRecord> for Me {
    fn from(staff: StaffRecord) -> Self {
        Me {
            permissions: Permissions::of_roles(&staff.roles),
            id: staff.id,
            name: staff.name,
            email: staff.email,
            roles: staff.roles,
        }
    }
}

/// The staff member this session belongs to, if the session is still good: not past its absolute
/// age, the member still enabled, and no password reset or disable since it began. A session that
/// fails any of these is flushed. Idle expiry is the session store's: each use (at most once a
/// minute) moves the expiry forward.
pub async fn current_staff(state: &AppState, session: &Session) -> Result<Option<StaffRecord>, AppError> {
    let Some(mut signed_in) = session.get::<SignedIn>(SESSION_KEY).await? else {
        return Ok(None);
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let max_age = state.config.session_max_age.as_secs() as i64;
    let staff = db::staff::find(&state.db, &signed_in.staff_id).await?;
    let valid = staff.filter(|s| {
        !s.disabled && s.session_generation == signed_in.generation && now - signed_in.signed_in_at < max_age
    });
    let Some(staff) = valid else {
        session.flush().await?;
        return Ok(None);
    };
    let touch_every = (state.config.session_idle_timeout / 4)
        .min(Duration::from_secs(60))
        .as_secs() as i64;
    if now - signed_in.last_seen >= touch_every {
        signed_in.last_seen = now;
        session.insert(SESSION_KEY, &signed_in).await?;
    }
    Ok(Some(staff))
}

/// What every page needs to know about this session (`SessionInfo`).
pub async fn session_info(state: &AppState, session: &Session) -> Result<SessionInfo, AppError> {
    let staff = current_staff(state, session).await?;
    let awaiting_decision = match &staff {
        Some(staff) => crate::server::approvals::awaiting_decision(&state.db, staff).await?,
        None => 0,
    };
    let demo_code = match (&staff, state.config.sandbox()) {
        (None, true) => Some(super::two_factor::current_code(crate::domain::staff::DEMO_TOTP_SECRET)?),
        _ => None,
    };
    Ok(SessionInfo {
        demo_code,
        me: staff.map(Into::into),
        sandbox: state.config.sandbox(),
        sandbox_unchosen: state.config.sandbox_unchosen,
        awaiting_decision,
    })
}

/// Lets the request through if its staff member holds every permission in `required`.
/// A refusal is audited as `access.denied` with `what` (the endpoint or page) as its target.
pub async fn authorize(
    state: &AppState,
    session: &Session,
    meta: RequestMeta,
    need: Need<'_>,
    what: &str,
) -> Result<Actor, AppError> {
    let staff = current_staff(state, session).await?.ok_or(AppError::Unauthenticated)?;
    let actor = Actor::new(staff, meta);
    if !actor.permissions.meets(need) {
        let needed = need.describe();
        tracing::warn!(staff = %actor.staff.id, %what, %needed, "permission denied");
        let event = Event::new("access.denied", Outcome::Denied)
            .target("endpoint", what)
            .reason(format!("needs {needed}"));
        audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await?;
        return Err(AppError::Forbidden);
    }
    Ok(actor)
}

pub(super) fn signed_in_record(staff: &StaffRecord) -> SignedIn {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    SignedIn {
        staff_id: staff.id.clone(),
        generation: staff.session_generation,
        signed_in_at: now,
        last_seen: now,
        second_factor_at: None,
    }
}

/// Records in the session that its member just gave a second factor (a step-up or an enrolment).
pub(super) async fn mark_second_factor(session: &Session, now: Timestamp) -> Result<(), AppError> {
    let mut record = session
        .get::<SignedIn>(SESSION_KEY)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    record.second_factor_at = Some(now.get().unix_timestamp());
    session.insert(SESSION_KEY, record).await?;
    Ok(())
}
