//! A mode that cannot be mixed up (OWASP ASVS 5.0 V13: configuration): the database remembers the
//! mode it was created in and, when live, the P100 it belongs to. Starting it in the other mode, or
//! live against another P100, is refused with what to do instead; live mode refuses to start while
//! a demo account (whose password the README prints) exists.

use super::config::{Config, P100Mode};
use super::db::{self, Db, Timestamp};
use crate::domain::staff::DEMO_STAFF;

const SANDBOX: &str = "sandbox";
const LIVE: &str = "live";

/// Why this start is refused, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Mixed(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Checks this start against the database's recorded mode (recording it at the first start).
pub async fn check(db: &Db, config: &Config) -> Result<(), Refusal> {
    let (mode, base_url) = match &config.p100 {
        P100Mode::Sandbox => (SANDBOX, None),
        P100Mode::Live { base_url, .. } => (LIVE, Some(base_url.as_str().trim_end_matches('/').to_owned())),
    };
    if mode == LIVE {
        for member in DEMO_STAFF {
            let (email, _) = member.credentials();
            if db::staff::find_by_email(db, &email).await?.is_some() {
                return Err(Refusal::Mixed(format!(
                    "live mode refuses to start: the demo account {email} exists in this database (its password \
                     is in the README). Use a database made for live mode, or delete the demo accounts first."
                )));
            }
        }
    }
    match db::deployment::recorded(db).await? {
        None => db::deployment::record(db, mode, base_url.as_deref(), Timestamp::now()).await?,
        Some((recorded, _)) if recorded != mode => {
            return Err(Refusal::Mixed(format!(
                "this database was created in {recorded} mode and will not start in {mode} mode. {}",
                if mode == LIVE {
                    "Give live mode a new database (DATABASE_URL); sandbox data never meets real money."
                } else {
                    "Unset P100_BASE_URL and P100_API_KEY only for a sandbox database of its own (DATABASE_URL)."
                }
            )));
        }
        Some((_, recorded)) if recorded.is_some() && recorded != base_url => {
            return Err(Refusal::Mixed(format!(
                "this database belongs to the P100 at {}, not {}: its users and movements exist only there. \
                 Point P100_BASE_URL back at it, or give this P100 a database of its own.",
                recorded.unwrap_or_default(),
                base_url.unwrap_or_default()
            )));
        }
        Some(_) => {}
    }
    Ok(())
}
