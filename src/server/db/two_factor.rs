//! Authenticator enrolments and recovery codes. Accepting a code is one conditional statement, so
//! two instances checking the same code at once cannot both accept it.

use super::{Db, Timestamp, Tx};

/// Stores a confirmed enrolment (the step its confirming code was for counts as used) and its
/// recovery code hashes, replacing any earlier ones.
pub async fn enrol(
    tx: &mut Tx,
    staff_id: &str,
    secret: &str,
    step: i64,
    code_hashes: &[String],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE staff SET totp_secret = $2, totp_enrolled_at = $3, totp_last_step = $4, updated_at = $3 WHERE id = $1",
    )
    .bind(staff_id)
    .bind(secret)
    .bind(now)
    .bind(step)
    .execute(&mut **tx)
    .await?;
    delete_recovery_codes(tx, staff_id).await?;
    for hash in code_hashes {
        sqlx::query("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2)")
            .bind(staff_id)
            .bind(hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Removes a member's enrolment and recovery codes and ends their sessions.
pub async fn reset(tx: &mut Tx, staff_id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE staff SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL,
             session_generation = session_generation + 1, updated_at = $2
         WHERE id = $1",
    )
    .bind(staff_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    delete_recovery_codes(tx, staff_id).await
}

async fn delete_recovery_codes(tx: &mut Tx, staff_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Marks `step` used if no code of it or a later step was accepted before; `false`: it was.
pub async fn accept_step(db: &Db, staff_id: &str, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE staff SET totp_last_step = $2
         WHERE id = $1 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(staff_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The hashes of the member's recovery codes not used yet.
pub async fn unused_recovery_codes(db: &Db, staff_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT code_hash FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL")
        .bind(staff_id)
        .fetch_all(db)
        .await
}

/// Marks a recovery code used; `false` if it was used meanwhile.
pub async fn use_recovery_code(db: &Db, staff_id: &str, hash: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE staff_recovery_codes SET used_at = $3 WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(staff_id)
    .bind(hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
