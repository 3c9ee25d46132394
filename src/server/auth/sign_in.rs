//! Signing in and out.
//!
//! The answer never tells whether an email belongs to someone: a wrong email and a wrong password
//! get the same words after the same argon2 work, and lockouts are kept per typed email whether or
//! not it exists.

use std::time::Duration;

use secrecy::SecretString;
use tower_sessions::Session;

use super::guard::signed_in_record;
use super::{Actor, PENDING_KEY, Pending, SESSION_KEY, password, two_factor};
use crate::domain::AppError;
use crate::domain::audit::Outcome;
use crate::domain::contact::Email;
use crate::domain::two_factor::{RecoveryCodes, SecondFactor, SignInStep};
use crate::server::audit::{self, Event, RequestMeta, Who};
use crate::server::db::{self, Timestamp, staff::StaffRecord, throttle::Scope};
use crate::server::state::AppState;

/// Failures in a row that lock an email, and for how long.
pub const EMAIL_MAX_FAILURES: i64 = 5;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Failures from one IP within `IP_WINDOW` before it must wait out the window.
pub const IP_MAX_FAILURES: i64 = 20;
pub const IP_WINDOW: Duration = Duration::from_secs(15 * 60);

pub const WRONG_CREDENTIALS: &str = "Email or password is wrong.";
pub const WRONG_CODE: &str = "That code is not right, or was used already. Enter the code your app shows now.";
/// How long a sign-in may wait between its password and its code.
pub const PENDING_FOR: Duration = Duration::from_secs(5 * 60);

/// The first step: the password. Right, it signs the member in, or asks for their code (enrolled),
/// or has them set up two-factor first (required and not set up). The lockout counter is cleared
/// only once the whole sign-in succeeds, so the password alone never buys more code guesses.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    meta: RequestMeta,
    email: &str,
    password: SecretString,
    next: String,
) -> Result<SignInStep, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let now = Timestamp::now();
    refuse_if_locked(state, &meta, email.as_str(), now).await?;

    let staff = db::staff::find_by_email(&state.db, email.as_str()).await?;
    let matches = password::verify(password, staff.as_ref().map(|s| s.password_hash.clone())).await;
    let staff = match staff {
        Some(staff) if matches && !staff.disabled => staff,
        found => {
            let reason = match found {
                Some(s) if s.disabled && matches => "account disabled",
                Some(_) => "wrong password",
                None => "unknown email",
            };
            count_failure(state, &meta, email.as_str(), now, ("auth.sign_in", reason)).await?;
            return Err(AppError::Refused(WRONG_CREDENTIALS.into()));
        }
    };

    let enrolling = match &staff.two_factor {
        Some(_) => None,
        None if two_factor::required_for(state, &staff.roles).await? => Some(two_factor::new_secret()),
        None => {
            complete(state, session, staff, meta, None).await?;
            return Ok(SignInStep::Done { next });
        }
    };
    let step = match &enrolling {
        Some(secret) => SignInStep::Enrol(two_factor::enrolment(secret, &staff.email)?),
        None => SignInStep::Code,
    };
    let pending = Pending {
        staff_id: staff.id,
        generation: staff.session_generation,
        started_at: now.get().unix_timestamp(),
        next,
        enrolling,
    };
    session.insert(PENDING_KEY, pending).await?;
    Ok(step)
}

/// The second step: the code from the member's authenticator app, or one of their recovery codes.
pub async fn second_factor(
    state: &AppState,
    session: &Session,
    meta: RequestMeta,
    code: &str,
) -> Result<SignInStep, AppError> {
    let (pending, staff) = pending(state, session).await?;
    let factor = SecondFactor::parse(code).map_err(|m| AppError::field("code", m))?;
    let now = Timestamp::now();
    refuse_if_locked(state, &meta, &staff.email, now).await?;
    match two_factor::check(&state.db, &staff, &factor).await? {
        Some(accepted) => {
            session.remove::<Pending>(PENDING_KEY).await?;
            complete(state, session, staff, meta, Some(accepted.words())).await?;
            Ok(SignInStep::Done { next: pending.next })
        }
        None => {
            count_failure(
                state,
                &meta,
                &staff.email,
                now,
                ("auth.sign_in", "wrong or used second-factor code"),
            )
            .await?;
            Err(AppError::field("code", WRONG_CODE))
        }
    }
}

/// The second step for a member who must set up two-factor: the first code from the app they just
/// added the secret to. Returns the recovery codes, shown once.
pub async fn enrol(
    state: &AppState,
    session: &Session,
    meta: RequestMeta,
    code: &str,
) -> Result<RecoveryCodes, AppError> {
    let (pending, staff) = pending(state, session).await?;
    let Some(secret) = pending.enrolling.as_deref() else {
        return Err(AppError::Refused(
            "This sign-in asks for your code, not a new enrolment.".into(),
        ));
    };
    let factor = SecondFactor::parse(code).map_err(|m| AppError::field("code", m))?;
    let now = Timestamp::now();
    refuse_if_locked(state, &meta, &staff.email, now).await?;
    let Some(step) = two_factor::confirming_step(secret, &factor)? else {
        count_failure(
            state,
            &meta,
            &staff.email,
            now,
            ("auth.sign_in", "wrong code confirming enrolment"),
        )
        .await?;
        return Err(AppError::field("code", WRONG_CODE));
    };
    let who = Actor::new(staff.clone(), meta.clone()).who();
    let codes = two_factor::enrol(&state.db, &staff, &who, &meta, secret, step).await?;
    session.remove::<Pending>(PENDING_KEY).await?;
    complete(
        state,
        session,
        staff,
        meta,
        Some("authenticator code (just enrolled)".into()),
    )
    .await?;
    Ok(RecoveryCodes {
        codes,
        next: pending.next,
    })
}

/// The sign-in waiting for its second step, if it is still good: at most `PENDING_FOR` old, and
/// the member still enabled with no password reset or disable since.
async fn pending(state: &AppState, session: &Session) -> Result<(Pending, StaffRecord), AppError> {
    let expired = || AppError::Refused("This sign-in has expired. Enter your email and password again.".into());
    let pending = session.get::<Pending>(PENDING_KEY).await?.ok_or_else(expired)?;
    let age = Timestamp::now().get().unix_timestamp() - pending.started_at;
    let staff = db::staff::find(&state.db, &pending.staff_id).await?;
    match staff {
        Some(staff)
            if !staff.disabled
                && staff.session_generation == pending.generation
                && age < PENDING_FOR.as_secs() as i64 =>
        {
            Ok((pending, staff))
        }
        _ => {
            session.remove::<Pending>(PENDING_KEY).await?;
            Err(expired())
        }
    }
}

/// Signs the member in: a fresh session id, the lockout counter cleared, the sign-in recorded and
/// audited with how the member proved it was them.
async fn complete(
    state: &AppState,
    session: &Session,
    staff: StaffRecord,
    meta: RequestMeta,
    second_factor: Option<String>,
) -> Result<(), AppError> {
    let now = Timestamp::now();
    db::throttle::clear(&state.db, Scope::Email, &staff.email).await?;
    // A fresh id at every sign-in, so an id planted before sign-in is worth nothing after it.
    session.cycle_id().await?;
    let mut record = signed_in_record(&staff);
    record.second_factor_at = second_factor.is_some().then_some(record.signed_in_at);
    session.insert(SESSION_KEY, record).await?;
    let actor = Actor::new(staff, meta);
    let mut tx = db::begin_write(&state.db).await?;
    db::staff::record_sign_in(&mut tx, &actor.staff.id, now).await?;
    let how = match second_factor {
        Some(factor) => format!("password and {factor}"),
        None => "password only (two-factor not set up)".into(),
    };
    let event = Event::new("auth.sign_in", Outcome::Success)
        .target("staff", &actor.staff.id)
        .reason(how);
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses any attempt (password or code) while the typed email or the client address is locked
/// out. The first refusal of a lockout is audited; the rest are only counted on the lock (ASVS 5.0
/// V16: logging must not be a way to flood the append-only log).
pub(super) async fn refuse_if_locked(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let ip = meta.ip.clone().unwrap_or_default();
    let account_locked = format!("Sign-in for this account is locked after {EMAIL_MAX_FAILURES} failed attempts.");
    let locks = [
        (
            Scope::Ip,
            ip.as_str(),
            "too many failures from this IP",
            "Too many failed sign-ins from this network.",
        ),
        (Scope::Email, email, "account locked", account_locked.as_str()),
    ];
    for (scope, subject, reason, message) in locks {
        if let Some(until) = db::throttle::locked_until(&state.db, scope, subject, now).await? {
            if db::throttle::count_refused(&state.db, scope, subject).await? <= 1 {
                let reason = format!("{reason}; further attempts while locked are counted, not each written");
                audit::record_alone(
                    &state.db,
                    &Who::default(),
                    meta,
                    attempt("auth.sign_in", email, Outcome::Denied, &reason),
                )
                .await?;
            }
            let wait = minutes_until(now, until);
            return Err(AppError::TooManyAttempts(format!("{message} Try again in {wait}.")));
        }
    }
    Ok(())
}

/// Counts a failed attempt (a wrong password or a wrong code alike) against the email and the
/// client address, locks either past its limit, and audits the failure.
pub(super) async fn count_failure(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    now: Timestamp,
    (action, reason): (&'static str, &str),
) -> Result<(), AppError> {
    let ip = meta.ip.clone().unwrap_or_default();
    let email_failures = db::throttle::record_failure(&state.db, Scope::Email, email, now, None).await?;
    if email_failures >= EMAIL_MAX_FAILURES {
        db::throttle::lock(&state.db, Scope::Email, email, now + LOCKOUT).await?;
    }
    let ip_failures = db::throttle::record_failure(&state.db, Scope::Ip, &ip, now, Some(now - IP_WINDOW)).await?;
    if ip_failures >= IP_MAX_FAILURES {
        db::throttle::lock(&state.db, Scope::Ip, &ip, now + IP_WINDOW).await?;
    }
    audit::record_alone(
        &state.db,
        &Who::default(),
        meta,
        attempt(action, email, Outcome::Failure, reason),
    )
    .await?;
    Ok(())
}

fn attempt(action: &'static str, email: &str, outcome: Outcome, reason: &str) -> Event {
    Event::new(action, outcome).target("staff_email", email).reason(reason)
}

pub async fn sign_out(state: &AppState, session: &Session, actor: &Actor) -> Result<(), AppError> {
    audit::record_alone(
        &state.db,
        &actor.who(),
        &actor.meta,
        Event::new("auth.sign_out", Outcome::Success).target("staff", &actor.staff.id),
    )
    .await?;
    session.flush().await?;
    Ok(())
}

fn minutes_until(now: Timestamp, until: Timestamp) -> String {
    let minutes = ((until.get() - now.get()).whole_seconds() + 59) / 60;
    if minutes <= 1 {
        "a minute".into()
    } else {
        format!("{minutes} minutes")
    }
}
