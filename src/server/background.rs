//! Background work every app instance starts and one instance at a time does: each round, the
//! instance holding the work's lease (renewed every round) runs it; the others skip the round, and
//! take over if the holder stops. So reading P100 "at a bounded rate" stays bounded however many
//! instances share the database.

use std::future::Future;
use std::time::Duration;

use super::db::{self, Timestamp};
use super::state::AppState;
use crate::domain::AppError;

/// A lease outlives this many missed rounds before another instance takes the work over.
const ROUNDS_HELD: u32 = 3;

/// Runs `work` every `period` on whichever instance holds the lease `name`.
pub fn spawn<F, Fut>(state: AppState, name: &'static str, period: Duration, work: F)
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), AppError>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        loop {
            every.tick().await;
            match holds(&state, name, period * ROUNDS_HELD).await {
                Ok(true) => {
                    if let Err(err) = work(state.clone()).await {
                        tracing::warn!(%err, work = name, "background round");
                    }
                }
                Ok(false) => {}
                Err(err) => tracing::warn!(%err, work = name, "background lease"),
            }
        }
    });
}

/// Takes or renews the lease `name` for this instance for `term`: whether this instance holds it.
pub async fn holds(state: &AppState, name: &str, term: Duration) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    db::leases::take(&state.db, name, &state.instance, now, now + term).await
}
