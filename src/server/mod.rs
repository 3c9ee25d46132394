//! Everything that runs only on the server: configuration, database, authentication, audit,
//! services and the HTTP surface.

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod background;
pub mod balances;
pub mod cli;
pub mod collections;
pub mod config;
pub mod db;
pub mod demo;
pub mod deployment;
pub mod deposits;
pub mod error;
pub mod exchanges;
pub mod find;
pub mod http;
pub mod money;
pub mod movements;
pub mod qr;
pub mod reconciliation;
pub mod settings;
pub mod staff;
pub mod state;
pub mod users;
pub mod webhooks;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use leptos::config::LeptosOptions;
use secrecy::ExposeSecret;
use tower_sessions::ExpiredDeletion;

use config::{Config, LogFormat, P100Mode};

use crate::p100;
use crate::sandbox::Sandbox;
use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Mode(#[from] deployment::Refusal),
    #[error("seeding the sandbox: {0}")]
    Seed(crate::domain::AppError),
    #[error("reopening payouts failed on an unclear answer: {0}")]
    Reopen(crate::domain::AppError),
    #[error("P100 client: {0}")]
    Client(#[from] reqwest::Error),
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

/// Opens the database, applies migrations, connects P100 (or starts the sandbox and its demo
/// staff), and builds the router. `local` is the address the listener got: in sandbox mode the
/// client and the sandbox's webhooks reach this same server there.
pub async fn build(
    config: Config,
    leptos_options: LeptosOptions,
    local: SocketAddr,
) -> Result<(AppState, Router), StartError> {
    let db = db::connect(config.database_url.expose_secret()).await?;
    audit::use_key(&db, config.audit_key.clone());
    deployment::check(&db, &config).await?;
    if config.sandbox_unchosen {
        tracing::warn!(
            "\n==================================================================================\n\
             SANDBOX MODE IN A PRODUCTION BUILD: P100_BASE_URL and P100_API_KEY are not set, so\n\
             the built-in simulator answers and no real money moves. If this is meant, say so\n\
             with P100_MODE=sandbox; otherwise set the P100 variables.\n\
             =================================================================================="
        );
    }
    reconciliation::check::init(&db).await?;
    let sessions = http::sessions::Sessions::open(config.database_url.expose_secret()).await?;
    tokio::spawn(sessions.clone().continuously_delete_expired(Duration::from_secs(3600)));
    let settings = p100::Settings {
        timeout: config.p100_timeout,
        ..p100::Settings::default()
    };
    let (p100, sandbox) = match &config.p100 {
        P100Mode::Live { base_url, api_key } => (p100::Client::new(base_url.clone(), api_key.clone(), settings)?, None),
        P100Mode::Sandbox => {
            staff::seed_demo_staff(&db).await.map_err(StartError::Seed)?;
            let host = if local.ip().is_unspecified() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                local.ip()
            };
            let origin = url::Url::parse(&format!("http://{}", SocketAddr::new(host, local.port())))
                .expect("a socket address makes a URL");
            let key = config.sandbox_api_key.clone();
            let webhook_token = config
                .webhook_secret
                .clone()
                .expect("sandbox mode always has a webhook token");
            let webhooks = origin.join(http::routes::WEBHOOKS).expect("a path joins");
            let sandbox = Sandbox::new(db.clone(), key.clone(), webhooks, webhook_token);
            sandbox.start().await?;
            let imported = users::import_sandbox_users(&db, sandbox.seeded_users().await?).await?;
            if imported > 0 {
                tracing::info!(imported, "sandbox users added to the registry");
            }
            let client = p100::Client::new(origin.join(crate::sandbox::MOUNT).expect("a path joins"), key, settings)?;
            (client, Some(sandbox))
        }
    };
    let state = AppState {
        leptos_options,
        db,
        config: Arc::new(config),
        p100,
        sandbox,
        instance: Arc::from(uuid::Uuid::new_v4().to_string()),
        webhook_limits: Arc::default(),
        users_search: Arc::default(),
    };
    let reopened = reopen_unclear_failures(&state).await.map_err(StartError::Reopen)?;
    if reopened > 0 {
        tracing::warn!(
            reopened,
            "payouts and exchanges recorded failed on an unclear answer are unknown again"
        );
    }
    background::spawn(state.clone(), "webhooks.work", webhooks::WORK_EVERY, webhooks::work);
    background::spawn(
        state.clone(),
        "audit.checkpoint",
        audit::CHECKPOINT_EVERY,
        |s| async move { Ok(audit::checkpoint(&s.db).await?) },
    );
    background::spawn(state.clone(), "exchanges.follow", money::FOLLOW_EVERY, |s| async move {
        exchanges::follow_due(&s).await
    });
    background::spawn(
        state.clone(),
        "collections.follow",
        money::FOLLOW_EVERY,
        |s| async move { collections::follow_due(&s).await },
    );
    background::spawn(state.clone(), "movements.follow", money::FOLLOW_EVERY, |s| async move {
        movements::follow_due(&s).await
    });
    background::spawn(
        state.clone(),
        "reconciliation.check",
        reconciliation::check::EVERY,
        |s| async move { reconciliation::check::round(&s).await },
    );
    background::spawn(
        state.clone(),
        "database.optimize",
        Duration::from_secs(3600),
        |s| async move { Ok(db::optimize(&s.db).await?) },
    );
    if state.sandbox.is_some() && state.config.demo_data {
        // Through the sandbox's HTTP routes on this server: it answers once the listener serves.
        tokio::spawn(demo::seed(state.clone()));
    }
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

/// Payouts, withdrawals, transfers and exchanges an earlier version recorded `failed` on an answer
/// that may mean "accepted" become unknown again (`money::recovery::reopen_unclear_failures`).
pub async fn reopen_unclear_failures(state: &AppState) -> Result<usize, crate::domain::AppError> {
    use money::recovery::reopen_unclear_failures as reopen;
    Ok(reopen::<db::movements::MovementRecord>(state).await? + reopen::<db::exchanges::ExchangeRecord>(state).await?)
}
