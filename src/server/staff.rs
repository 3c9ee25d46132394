//! Staff administration: create members, change their roles, disable them, reset passwords.
//! Every change is audited in the transaction that makes it.

use secrecy::SecretString;
use serde_json::json;

use super::audit::{self, Event, RequestMeta, Who};
use super::auth::{Actor, password};
use super::db::{self, Timestamp, staff::StaffRecord};
use crate::domain::audit::Outcome;
use crate::domain::staff::{
    DEMO_STAFF, DEMO_TOTP_SECRET, DEMO_TWO_FACTOR, NewStaff, NewStaffInput, StaffView, check_new_password, parse_roles,
};
use crate::domain::{AppError, Role};

impl From<StaffRecord> for StaffView {
    fn from(s: StaffRecord) -> Self {
        StaffView {
            id: s.id,
            name: s.name,
            email: s.email,
            roles: s.roles,
            disabled: s.disabled,
            created_at: s.created_at.into(),
            last_sign_in_at: s.last_sign_in_at.map(Into::into),
            two_factor_since: s.two_factor.as_ref().map(|t| t.enrolled_at.into()),
        }
    }
}

pub async fn list(db: &db::Db) -> Result<Vec<StaffView>, AppError> {
    Ok(db::staff::list(db).await?.into_iter().map(StaffView::from).collect())
}

pub async fn create(db: &db::Db, actor: &Actor, input: NewStaffInput) -> Result<StaffView, AppError> {
    let new = input.parse()?;
    check_grantable(actor, &new.roles)?;
    insert(db, &actor.who(), &actor.meta, new).await.map(StaffView::from)
}

/// Inserts a member with its audit row. Used by the staff page, the CLI and the sandbox seed.
pub async fn insert(db: &db::Db, who: &Who, meta: &RequestMeta, mut new: NewStaff) -> Result<StaffRecord, AppError> {
    let hash = password::hash(SecretString::from(std::mem::take(&mut new.password))).await;
    insert_hashed(db, who, meta, new, &hash).await
}

/// `insert` with the password already hashed.
async fn insert_hashed(
    db: &db::Db,
    who: &Who,
    meta: &RequestMeta,
    new: NewStaff,
    hash: &str,
) -> Result<StaffRecord, AppError> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db::begin_write(db).await?;
    let row = db::staff::NewStaffRow {
        id: &id,
        email: new.email.as_str(),
        name: new.name.as_str(),
        password_hash: hash,
        roles: &new.roles,
        now: Timestamp::now(),
    };
    if let Err(err) = db::staff::insert(&mut tx, row).await {
        return Err(if db::is_unique_violation(&err) {
            AppError::field("email", "A staff member with this email already exists.")
        } else {
            err.into()
        });
    }
    let after = json!({ "email": new.email.as_str(), "name": new.name.as_str(), "roles": new.roles });
    audit::record(
        &mut tx,
        who,
        meta,
        Event::new("staff.create", Outcome::Success)
            .target("staff", &id)
            .change(None, Some(after)),
    )
    .await?;
    let created = db::staff::find_in(&mut tx, &id)
        .await?
        .ok_or_else(|| super::error::internal("created staff vanished"))?;
    tx.commit().await?;
    Ok(created)
}

pub async fn set_roles(db: &db::Db, actor: &Actor, id: &str, roles: &[Role]) -> Result<StaffView, AppError> {
    let roles = parse_roles(roles).map_err(|m| AppError::field("roles", m))?;
    let mut tx = db::begin_write(db).await?;
    let before = db::staff::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    // Both what is added and what is taken away must be a role the actor could grant.
    let changed: Vec<Role> = Role::ALL
        .iter()
        .copied()
        .filter(|r| before.roles.contains(r) != roles.contains(r))
        .collect();
    check_grantable(actor, &changed)?;
    db::staff::replace_roles(&mut tx, id, &roles).await?;
    db::staff::touch(&mut tx, id, Timestamp::now()).await?;
    refuse_without_admin(&mut tx).await?;
    let event = Event::new("staff.set_roles", Outcome::Success)
        .target("staff", id)
        .change(
            Some(json!({ "roles": before.roles })),
            Some(actor.stepped_up(json!({ "roles": roles }))),
        );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    let after = db::staff::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(after.into())
}

/// Disables (ending every session of the member at once) or re-enables a member.
pub async fn set_disabled(db: &db::Db, actor: &Actor, id: &str, disabled: bool) -> Result<StaffView, AppError> {
    if disabled && actor.staff.id == id {
        return Err(AppError::Refused("You cannot disable your own account.".into()));
    }
    let mut tx = db::begin_write(db).await?;
    let before = db::staff::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    db::staff::set_disabled(&mut tx, id, disabled, Timestamp::now()).await?;
    refuse_without_admin(&mut tx).await?;
    let action = if disabled { "staff.disable" } else { "staff.enable" };
    let event = Event::new(action, Outcome::Success).target("staff", id).change(
        Some(json!({ "disabled": before.disabled })),
        Some(json!({ "disabled": disabled })),
    );
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    let after = db::staff::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(after.into())
}

/// Sets a new password chosen by an admin; the member's open sessions end.
pub async fn reset_password(db: &db::Db, actor: &Actor, id: &str, new_password: String) -> Result<(), AppError> {
    check_new_password(&new_password).map_err(|m| AppError::field("password", m))?;
    let hash = password::hash(SecretString::from(new_password)).await;
    let mut tx = db::begin_write(db).await?;
    db::staff::find_in(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    db::staff::set_password_hash(&mut tx, id, &hash, Timestamp::now()).await?;
    audit::record(
        &mut tx,
        &actor.who(),
        &actor.meta,
        Event::new("staff.reset_password", Outcome::Success).target("staff", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn check_grantable(actor: &Actor, roles: &[Role]) -> Result<(), AppError> {
    match roles.iter().find(|r| !actor.permissions.may_grant(**r)) {
        Some(role) => Err(AppError::field(
            "roles",
            format!(
                "You cannot grant or remove the {} role: it carries permissions you do not hold.",
                role.label()
            ),
        )),
        None => Ok(()),
    }
}

/// Checked after a change, inside its transaction: if it left no enabled admin, it is refused.
async fn refuse_without_admin(tx: &mut db::Tx) -> Result<(), AppError> {
    if db::staff::count_active_admins(tx).await? == 0 {
        return Err(AppError::Refused(
            "This would leave no enabled admin. Make someone else an admin first.".into(),
        ));
    }
    Ok(())
}

/// Creates whichever demo accounts (`DEMO_STAFF`) are missing.
pub async fn seed_demo_staff(db: &db::Db) -> Result<(), AppError> {
    // Their passwords are published, so one set of hashes serves every database a process seeds (the
    // tests build an app per test: ten argon2 hashes each were a tenth of their CPU time).
    static HASHES: tokio::sync::OnceCell<Vec<String>> = tokio::sync::OnceCell::const_new();
    for (i, member) in DEMO_STAFF.iter().enumerate() {
        let (email, password) = member.credentials();
        if db::staff::find_by_email(db, &email).await?.is_some() {
            continue;
        }
        let new = NewStaffInput {
            email,
            name: member.name.into(),
            password,
            roles: vec![member.role],
        }
        .parse()?;
        let hashes = HASHES
            .get_or_init(|| {
                let each = DEMO_STAFF
                    .iter()
                    .map(|m| password::hash(SecretString::from(m.credentials().1)));
                futures::future::join_all(each)
            })
            .await;
        let created = insert_hashed(db, &Who::system(), &RequestMeta::default(), new, &hashes[i]).await?;
        if member.handle == DEMO_TWO_FACTOR {
            enrol_demo(db, &created.id).await?;
        }
    }
    Ok(())
}

/// Enrols the two-factor demo member with the published secret (no recovery codes: the sign-in
/// page shows the current code instead).
async fn enrol_demo(db: &db::Db, id: &str) -> Result<(), AppError> {
    let mut tx = db::begin_write(db).await?;
    db::two_factor::enrol(&mut tx, id, DEMO_TOTP_SECRET, 0, &[], Timestamp::now()).await?;
    let event = Event::new("auth.two_factor.enrol", Outcome::Success)
        .target("staff", id)
        .reason("sandbox demo member, with the published secret");
    audit::record(&mut tx, &Who::system(), &RequestMeta::default(), event).await?;
    tx.commit().await?;
    Ok(())
}
