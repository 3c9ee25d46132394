use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{config::Config, db::Db};
use crate::p100;
use crate::sandbox::Sandbox;

/// What every handler and server function can reach (server functions through the Leptos context).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    /// P100, or the built-in sandbox over HTTP: the same client either way.
    pub p100: p100::Client,
    /// The simulator's controls, in sandbox mode.
    pub sandbox: Option<Arc<Sandbox>>,
    /// This instance among those sharing the database (random per start): the holder of the
    /// leases it takes (`server::background`).
    pub instance: Arc<str>,
    /// The webhook intake's per-source rate limits (this instance's).
    pub webhook_limits: Arc<super::webhooks::Limits>,
    /// What the users search keeps between requests (this instance's).
    pub users_search: Arc<super::users::SearchMemory>,
}
