//! Password hashing with argon2id at the OWASP parameters, always on a blocking thread.

use std::sync::LazyLock;

use argon2::password_hash::{SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};

fn argon2() -> Argon2<'static> {
    // OWASP: m=19456 KiB, t=2, p=1.
    let params = Params::new(19_456, 2, 1, None).expect("the OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Compared against when the email is unknown, so a wrong email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_now("not anyone's password at all"));

fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any input")
        .to_string()
}

pub async fn hash(password: SecretString) -> String {
    tokio::task::spawn_blocking(move || hash_now(password.expose_secret()))
        .await
        .expect("the hashing thread does not panic")
}

/// Checks `password` against `stored` (a PHC string), or against a dummy hash when there is none.
pub async fn verify(password: SecretString, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        argon2()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .expect("the hashing thread does not panic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let stored = hash(SecretString::from("correct horse battery")).await;
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify(SecretString::from("correct horse battery"), Some(stored.clone())).await);
        assert!(!verify(SecretString::from("wrong horse battery"), Some(stored)).await);
        assert!(!verify(SecretString::from("not anyone's password at all"), None).await);
    }
}
