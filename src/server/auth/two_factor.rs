//! Two-factor sign-in: TOTP (RFC 6238, computed by `totp-rs`) with one 30-second step of skew
//! either way, no code accepted twice (the step is recorded with a conditional update), recovery
//! codes stored as argon2id hashes, who must use it, and an admin's reset.

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};

use tower_sessions::Session;

use super::sign_in::{WRONG_CODE, count_failure, refuse_if_locked};
use super::{Actor, ENROLMENT_KEY, password};
use crate::domain::audit::Outcome;
use crate::domain::contact::Email;
use crate::domain::two_factor::{
    Enrolment, RECOVERY_ALPHABET, RECOVERY_CODES, RECOVERY_LENGTH, RecoveryCodes, SecondFactor, TwoFactorStatus,
};
use crate::domain::{AppError, Role};
use crate::server::audit::{self, Event, RequestMeta, Who};
use crate::server::db::{self, Db, Timestamp, staff::StaffRecord};
use crate::server::state::AppState;

/// Seconds per code.
const STEP: u64 = 30;
/// What authenticator apps show above the code.
const ISSUER: &str = "Partner back office";
/// The setting listing the roles that must use two-factor in the sandbox (outside it, all do).
const REQUIRED_ROLES: &str = "two_factor.required_roles";

fn totp(secret: &str, account: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| crate::server::error::internal(format!("stored TOTP secret: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some(ISSUER.into()),
        account.to_owned(),
    )
    .map_err(crate::server::error::internal)
}

/// A new 160-bit secret, base32 as authenticator apps take it.
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

/// What the member scans or types to add `secret` to their app.
pub fn enrolment(secret: &str, email: &str) -> Result<Enrolment, AppError> {
    let url = totp(secret, email)?.get_url();
    let grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Enrolment {
        secret: grouped,
        qr_svg: crate::server::qr::svg(&url)?,
    })
}

fn unix_now() -> u64 {
    Timestamp::now().get().unix_timestamp().max(0) as u64
}

/// The step `code` belongs to if it is the code of the current step or of one either side of it.
/// (`TOTP::check` answers only yes or no; the step is what makes a code single-use.)
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    use subtle::ConstantTimeEq;
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| bool::from(totp.generate(step * STEP).as_bytes().ct_eq(code.as_bytes())))
        .map(|step| step as i64)
}

/// The current code for `secret`: the sandbox's demo member shows it on the sign-in page.
pub fn current_code(secret: &str) -> Result<String, AppError> {
    Ok(totp(secret, "demo")?.generate(unix_now()))
}

/// How a second factor was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    Recovery { left: usize },
}

impl Accepted {
    pub fn words(self) -> String {
        match self {
            Accepted::Totp => "authenticator code".into(),
            Accepted::Recovery { left } => format!("recovery code ({left} left)"),
        }
    }
}

/// Checks an enrolled member's second factor and uses it up if it is right. `None`: wrong, or
/// already used.
pub async fn check(db: &Db, staff: &StaffRecord, factor: &SecondFactor) -> Result<Option<Accepted>, AppError> {
    let Some(enrolled) = &staff.two_factor else {
        return Ok(None);
    };
    match factor {
        SecondFactor::Totp(code) => {
            let totp = totp(enrolled.secret.expose_secret(), &staff.email)?;
            let Some(step) = matching_step(&totp, code, unix_now()) else {
                return Ok(None);
            };
            let fresh = db::two_factor::accept_step(db, &staff.id, step).await?;
            Ok(fresh.then_some(Accepted::Totp))
        }
        SecondFactor::Recovery(code) => {
            let unused = db::two_factor::unused_recovery_codes(db, &staff.id).await?;
            let typed = SecondFactor::recovery_display(code);
            for hash in &unused {
                if password::verify(SecretString::from(typed.clone()), Some(hash.clone())).await {
                    let used = db::two_factor::use_recovery_code(db, &staff.id, hash, Timestamp::now()).await?;
                    return Ok(used.then_some(Accepted::Recovery { left: unused.len() - 1 }));
                }
            }
            Ok(None)
        }
    }
}

/// Checks the code that confirms a new enrolment of `secret`; the step it was for.
pub fn confirming_step(secret: &str, code: &SecondFactor) -> Result<Option<i64>, AppError> {
    match code {
        SecondFactor::Totp(code) => Ok(matching_step(&totp(secret, "")?, code, unix_now())),
        SecondFactor::Recovery(_) => Ok(None),
    }
}

/// Stores a confirmed enrolment with ten new recovery codes, audited; returns the codes to show
/// once.
pub async fn enrol(
    db: &Db,
    staff: &StaffRecord,
    who: &Who,
    meta: &RequestMeta,
    secret: &str,
    step: i64,
) -> Result<Vec<String>, AppError> {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let mut hashes = Vec::with_capacity(codes.len());
    for code in &codes {
        hashes.push(password::hash(SecretString::from(code.clone())).await);
    }
    let mut tx = db::begin_write(db).await?;
    db::two_factor::enrol(&mut tx, &staff.id, secret, step, &hashes, Timestamp::now()).await?;
    let event = Event::new("auth.two_factor.enrol", Outcome::Success)
        .target("staff", &staff.id)
        .change(None, Some(json!({ "recovery_codes": codes.len() })));
    audit::record(&mut tx, who, meta, event).await?;
    tx.commit().await?;
    Ok(codes)
}

fn recovery_code() -> String {
    let mut rng = rand::rng();
    let compact: String = (0..RECOVERY_LENGTH)
        .map(|_| RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char)
        .collect();
    SecondFactor::recovery_display(&compact)
}

/// Whether a member holding `roles` must use two-factor: everyone outside the sandbox; in the
/// sandbox, the roles an admin chose.
pub async fn required_for(state: &AppState, roles: &[Role]) -> Result<bool, AppError> {
    if !state.config.sandbox() {
        return Ok(true);
    }
    let required = required_roles(&state.db).await?;
    Ok(roles.iter().any(|r| required.contains(r)))
}

pub async fn required_roles(db: &Db) -> Result<Vec<Role>, AppError> {
    Ok(db::settings::get(db, REQUIRED_ROLES)
        .await?
        .unwrap_or_default()
        .split(',')
        .filter_map(Role::parse)
        .collect())
}

/// Sets the roles that must use two-factor in the sandbox, audited with the step-up it took.
pub async fn set_required_roles(db: &Db, actor: &Actor, roles: &[Role]) -> Result<Vec<Role>, AppError> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    let before = required_roles(db).await?;
    let text = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
    let mut tx = db::begin_write(db).await?;
    db::settings::put(
        &mut tx,
        REQUIRED_ROLES,
        (!text.is_empty()).then_some(text.as_str()),
        &actor.staff.id,
    )
    .await?;
    let event = Event::new("settings.two_factor_roles", Outcome::Success)
        .target("settings", REQUIRED_ROLES)
        .change(
            Some(json!({ "roles": before })),
            Some(actor.stepped_up(json!({ "roles": roles }))),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(roles)
}

/// A member's own state, for the account page.
pub async fn status(state: &AppState, staff: &StaffRecord) -> Result<TwoFactorStatus, AppError> {
    let left = match staff.two_factor {
        Some(_) => db::two_factor::unused_recovery_codes(&state.db, &staff.id).await?.len() as u32,
        None => 0,
    };
    Ok(TwoFactorStatus {
        enrolled_at: staff.two_factor.as_ref().map(|t| t.enrolled_at.into()),
        recovery_codes_left: left,
        required: required_for(state, &staff.roles).await?,
    })
}

/// An admin removes a member's enrolment (a lost phone): their sessions end, and their next
/// sign-in sets it up again where it is required.
pub async fn reset(db: &Db, actor: &Actor, staff_id: &str) -> Result<(), AppError> {
    let after = actor.stepped_up(json!({ "two_factor": false }));
    remove(db, &actor.who(), &actor.meta, staff_id, after).await
}

/// The same from the command line, for someone with the server's credentials when no admin can
/// sign in (the only admin lost their phone and their recovery codes).
pub async fn reset_from_command_line(db: &Db, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let member = db::staff::find_by_email(db, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let meta = RequestMeta {
        user_agent: Some("backoffice reset-two-factor".into()),
        ..RequestMeta::default()
    };
    remove(db, &Who::system(), &meta, &member.id, json!({ "two_factor": false })).await
}

async fn remove(
    db: &Db,
    who: &Who,
    meta: &RequestMeta,
    staff_id: &str,
    after: serde_json::Value,
) -> Result<(), AppError> {
    let mut tx = db::begin_write(db).await?;
    let member = db::staff::find_in(&mut tx, staff_id).await?.ok_or(AppError::NotFound)?;
    if member.two_factor.is_none() {
        return Err(AppError::Refused(
            "This member has not set up two-factor sign-in.".into(),
        ));
    }
    db::two_factor::reset(&mut tx, staff_id, Timestamp::now()).await?;
    let event = Event::new("staff.reset_two_factor", Outcome::Success)
        .target("staff", staff_id)
        .change(Some(json!({ "two_factor": true })), Some(after));
    audit::record(&mut tx, who, meta, event).await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in member starts setting up two-factor from their account page: a new secret waits in
/// their session for the code that confirms it.
pub async fn begin_enrolment(session: &Session, actor: &Actor) -> Result<Enrolment, AppError> {
    if actor.staff.two_factor.is_some() {
        return Err(AppError::Refused(
            "Two-factor is already set up. To move it to a new phone, ask an admin to reset it.".into(),
        ));
    }
    let secret = new_secret();
    let shown = enrolment(&secret, &actor.staff.email)?;
    session.insert(ENROLMENT_KEY, secret).await?;
    Ok(shown)
}

/// Confirms the enrolment begun with `begin_enrolment` with the app's first code; returns the
/// recovery codes, shown once. The code counts as a fresh second factor for step-up.
pub async fn confirm_enrolment(
    state: &AppState,
    session: &Session,
    actor: &Actor,
    code: &str,
) -> Result<RecoveryCodes, AppError> {
    let secret: String = session
        .get(ENROLMENT_KEY)
        .await?
        .ok_or_else(|| AppError::Refused("Start the set-up again: it was not begun in this session.".into()))?;
    let factor = SecondFactor::parse(code).map_err(|m| AppError::field("code", m))?;
    let now = Timestamp::now();
    refuse_if_locked(state, &actor.meta, &actor.staff.email, now).await?;
    let Some(step) = confirming_step(&secret, &factor)? else {
        count_failure(
            state,
            &actor.meta,
            &actor.staff.email,
            now,
            ("auth.two_factor.enrol", "wrong code confirming enrolment"),
        )
        .await?;
        return Err(AppError::field("code", WRONG_CODE));
    };
    let codes = enrol(&state.db, &actor.staff, &actor.who(), &actor.meta, &secret, step).await?;
    session.remove::<String>(ENROLMENT_KEY).await?;
    super::guard::mark_second_factor(session, now).await?;
    Ok(RecoveryCodes {
        codes,
        next: "/account".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let secret = new_secret();
        let totp = totp(&secret, "a@b.test").unwrap();
        let now = 1_800_000_015;
        let step = (now / STEP) as i64;
        for (offset, expected) in [
            (-2i64, None),
            (-1, Some(step - 1)),
            (0, Some(step)),
            (1, Some(step + 1)),
            (2, None),
        ] {
            let at = (now as i64 + offset * STEP as i64) as u64;
            assert_eq!(
                matching_step(&totp, &totp.generate(at), now),
                expected,
                "offset {offset}"
            );
        }
    }

    #[test]
    fn the_enrolment_url_names_the_issuer_and_the_member() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let url = totp(&secret, "ada@bank.test").unwrap().get_url();
        assert!(
            url.starts_with("otpauth://totp/Partner%20back%20office:ada%40bank.test?secret="),
            "{url}"
        );
        let shown = enrolment(&secret, "ada@bank.test").unwrap();
        assert_eq!(shown.secret.replace(' ', ""), secret);
        assert!(shown.qr_svg.contains("<svg"));
    }

    #[test]
    fn recovery_codes_read_back_as_recovery_codes() {
        let code = recovery_code();
        assert_eq!(code.len(), RECOVERY_LENGTH + 1);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(
            SecondFactor::parse(&typed),
            Ok(SecondFactor::Recovery(code.replace('-', "")))
        );
        assert_eq!(
            SecondFactor::parse(" 123 456 "),
            Ok(SecondFactor::Totp("123456".into()))
        );
        assert!(SecondFactor::parse("12345").is_err());
        assert!(SecondFactor::parse("").is_err());
    }
}
