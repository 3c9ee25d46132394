//! Everything that runs only on the server: configuration, database, authentication, audit,
//! services and the HTTP surface.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod staff;
pub mod state;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use leptos::config::LeptosOptions;
use tower_sessions::ExpiredDeletion;
use tower_sessions_sqlx_store::SqliteStore;

use config::{Config, LogFormat};
use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("seeding the sandbox: {0}")]
    Seed(crate::domain::AppError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// Where the compiled site (wasm, JS, CSS) is served from. cargo-leptos builds into `target/site`.
pub fn leptos_options() -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".to_owned());
    LeptosOptions::builder()
        .output_name("backoffice")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .build()
}

/// Opens the database, applies migrations, seeds the sandbox's demo staff, and builds the router.
pub async fn build(config: Config, leptos_options: LeptosOptions) -> Result<(AppState, Router), StartError> {
    let db = db::connect(&config.database_url).await?;
    let sessions = SqliteStore::new(db.clone());
    sessions.migrate().await?;
    tokio::spawn(sessions.clone().continuously_delete_expired(Duration::from_secs(3600)));
    if config.sandbox() {
        staff::seed_demo_staff(&db).await.map_err(StartError::Seed)?;
    }
    let state = AppState {
        leptos_options,
        db,
        config: Arc::new(config),
    };
    Ok((state.clone(), http::router(state, sessions)))
}

/// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log_level);
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
