//! Signing in and out.
//!
//! The answer never tells whether an email belongs to someone: a wrong email and a wrong password
//! get the same words after the same argon2 work, and lockouts are kept per typed email whether or
//! not it exists.

use std::time::Duration;

use secrecy::SecretString;
use tower_sessions::Session;

use super::guard::signed_in_record;
use super::{Actor, SESSION_KEY, password};
use crate::domain::audit::Outcome;
use crate::domain::contact::Email;
use crate::domain::{AppError, Permissions};
use crate::server::audit::{self, Event, RequestMeta, Who};
use crate::server::db::{self, Timestamp, throttle::Scope};
use crate::server::state::AppState;

/// Failures in a row that lock an email, and for how long.
pub const EMAIL_MAX_FAILURES: i64 = 5;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Failures from one IP within `IP_WINDOW` before it must wait out the window.
pub const IP_MAX_FAILURES: i64 = 20;
pub const IP_WINDOW: Duration = Duration::from_secs(15 * 60);

pub const WRONG_CREDENTIALS: &str = "Email or password is wrong.";

pub async fn sign_in(
    state: &AppState,
    session: &Session,
    meta: RequestMeta,
    email: &str,
    password: SecretString,
) -> Result<Actor, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let now = Timestamp::now();
    let ip = meta.ip.clone().unwrap_or_default();
    let attempt = |outcome, reason: &str| {
        Event::new("auth.sign_in", outcome)
            .target("staff_email", email.as_str())
            .reason(reason)
    };

    let account_locked = format!("Sign-in for this account is locked after {EMAIL_MAX_FAILURES} failed attempts.");
    let locks = [
        (
            Scope::Ip,
            ip.as_str(),
            "too many failures from this IP",
            "Too many failed sign-ins from this network.",
        ),
        (Scope::Email, email.as_str(), "account locked", account_locked.as_str()),
    ];
    for (scope, subject, reason, message) in locks {
        if let Some(until) = db::throttle::locked_until(&state.db, scope, subject, now).await? {
            // The first refusal of a lockout is audited; the rest are only counted on the lock
            // (ASVS 5.0 V16: logging must not be a way to flood the append-only log).
            if db::throttle::count_refused(&state.db, scope, subject).await? <= 1 {
                let reason = format!("{reason}; further attempts while locked are counted, not each written");
                audit::record_alone(&state.db, &Who::default(), &meta, attempt(Outcome::Denied, &reason)).await?;
            }
            let wait = minutes_until(now, until);
            return Err(AppError::TooManyAttempts(format!("{message} Try again in {wait}.")));
        }
    }

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
            let email_failures =
                db::throttle::record_failure(&state.db, Scope::Email, email.as_str(), now, None).await?;
            if email_failures >= EMAIL_MAX_FAILURES {
                db::throttle::lock(&state.db, Scope::Email, email.as_str(), now + LOCKOUT).await?;
            }
            let ip_failures =
                db::throttle::record_failure(&state.db, Scope::Ip, &ip, now, Some(now - IP_WINDOW)).await?;
            if ip_failures >= IP_MAX_FAILURES {
                db::throttle::lock(&state.db, Scope::Ip, &ip, now + IP_WINDOW).await?;
            }
            audit::record_alone(&state.db, &Who::default(), &meta, attempt(Outcome::Failure, reason)).await?;
            return Err(AppError::Refused(WRONG_CREDENTIALS.into()));
        }
    };

    db::throttle::clear(&state.db, Scope::Email, email.as_str()).await?;
    // A fresh id at every sign-in, so an id planted before sign-in is worth nothing after it.
    session.cycle_id().await?;
    session.insert(SESSION_KEY, signed_in_record(&staff)).await?;
    let actor = Actor {
        permissions: Permissions::of_roles(&staff.roles),
        staff,
        meta,
    };
    let mut tx = db::begin_write(&state.db).await?;
    db::staff::record_sign_in(&mut tx, &actor.staff.id, now).await?;
    audit::record(
        &mut tx,
        &actor.who(),
        &actor.meta,
        Event::new("auth.sign_in", Outcome::Success).target("staff", &actor.staff.id),
    )
    .await?;
    tx.commit().await?;
    Ok(actor)
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
