//! Staff accounts and their roles.

use secrecy::SecretString;
use sqlx::FromRow;

use super::{Conn, Db, Flag, Timestamp, Tx};
use crate::domain::Role;

/// A staff row with its roles. Holds the password hash, so it is deliberately not `Serialize`:
/// what the browser sees is `StaffView`.
#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub session_generation: i64,
    pub created_at: Timestamp,
    pub last_sign_in_at: Option<Timestamp>,
    pub roles: Vec<Role>,
    pub two_factor: Option<TwoFactor>,
}

/// A member's authenticator enrolment.
#[derive(Debug, Clone)]
pub struct TwoFactor {
    pub secret: SecretString,
    pub enrolled_at: Timestamp,
    /// The last 30-second step a code was accepted for.
    pub last_step: Option<i64>,
}

#[derive(FromRow)]
struct StaffRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    #[sqlx(try_from = "Flag")]
    disabled: bool,
    session_generation: i64,
    created_at: Timestamp,
    last_sign_in_at: Option<Timestamp>,
    totp_secret: Option<String>,
    totp_enrolled_at: Option<Timestamp>,
    totp_last_step: Option<i64>,
}

impl StaffRow {
    fn with_roles(self, roles: Vec<Role>) -> StaffRecord {
        StaffRecord {
            id: self.id,
            email: self.email,
            name: self.name,
            password_hash: self.password_hash,
            disabled: self.disabled,
            session_generation: self.session_generation,
            created_at: self.created_at,
            last_sign_in_at: self.last_sign_in_at,
            roles,
            two_factor: self
                .totp_secret
                .zip(self.totp_enrolled_at)
                .map(|(secret, enrolled_at)| TwoFactor {
                    secret: secret.into(),
                    enrolled_at,
                    last_step: self.totp_last_step,
                }),
        }
    }
}

/// `disabled` is read as a number (see `Flag`).
const COLUMNS: &str = "id, email, name, password_hash, CASE WHEN disabled THEN 1 ELSE 0 END AS disabled,
    session_generation, created_at, last_sign_in_at, totp_secret, totp_enrolled_at, totp_last_step";

pub struct NewStaffRow<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub roles: &'a [Role],
    pub now: Timestamp,
}

/// Inserts a member; a taken email is a unique violation (see `db::is_unique_violation`).
pub async fn insert(tx: &mut Tx, staff: NewStaffRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO staff (id, email, name, password_hash, disabled, session_generation, created_at, updated_at)
         VALUES ($1, $2, $3, $4, FALSE, 0, $5, $5)",
    )
    .bind(staff.id)
    .bind(staff.email)
    .bind(staff.name)
    .bind(staff.password_hash)
    .bind(staff.now)
    .execute(&mut **tx)
    .await?;
    replace_roles(tx, staff.id, staff.roles).await
}

pub async fn replace_roles(tx: &mut Tx, staff_id: &str, roles: &[Role]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_roles WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut **tx)
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2)")
            .bind(staff_id)
            .bind(role.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<StaffRecord>, sqlx::Error> {
    find_by(&mut *db.acquire().await?, "id", id).await
}

/// `find` inside a write transaction, to check a change before it commits.
pub async fn find_in(tx: &mut Tx, id: &str) -> Result<Option<StaffRecord>, sqlx::Error> {
    find_by(tx, "id", id).await
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<StaffRecord>, sqlx::Error> {
    find_by(&mut *db.acquire().await?, "email", email).await
}

async fn find_by(conn: &mut Conn, column: &'static str, value: &str) -> Result<Option<StaffRecord>, sqlx::Error> {
    let row: Option<StaffRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff WHERE {column} = $1"))
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let names: Vec<String> = sqlx::query_scalar("SELECT role FROM staff_roles WHERE staff_id = $1")
        .bind(&row.id)
        .fetch_all(&mut *conn)
        .await?;
    let mut roles: Vec<Role> = names.iter().filter_map(|n| Role::parse(n)).collect();
    roles.sort();
    Ok(Some(row.with_roles(roles)))
}

/// Every member, by name, with roles (two queries, whatever the number of staff).
pub async fn list(db: &Db) -> Result<Vec<StaffRecord>, sqlx::Error> {
    let rows: Vec<StaffRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff ORDER BY name, email"))
        .fetch_all(db)
        .await?;
    let pairs: Vec<(String, String)> = sqlx::query_as("SELECT staff_id, role FROM staff_roles")
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut roles: Vec<Role> = pairs
                .iter()
                .filter(|(id, _)| *id == row.id)
                .filter_map(|(_, r)| Role::parse(r))
                .collect();
            roles.sort();
            row.with_roles(roles)
        })
        .collect())
}

/// Active members holding the admin role.
pub async fn count_active_admins(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff s JOIN staff_roles r ON r.staff_id = s.id
         WHERE r.role = $1 AND s.disabled = FALSE",
    )
    .bind(crate::domain::Role::Admin.as_str())
    .fetch_one(&mut **tx)
    .await
}

/// Disables or enables a member; either way their open sessions end.
pub async fn set_disabled(tx: &mut Tx, id: &str, disabled: bool, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE staff SET disabled = $2, session_generation = session_generation + 1, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(disabled)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Sets a new password hash and ends the member's open sessions.
pub async fn set_password_hash(tx: &mut Tx, id: &str, hash: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE staff SET password_hash = $2, session_generation = session_generation + 1, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn touch(tx: &mut Tx, id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn record_sign_in(tx: &mut Tx, id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff SET last_sign_in_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}
