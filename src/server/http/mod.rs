//! The HTTP surface: the router and the layers every request passes through.

pub mod client;
mod exports;
mod health;
mod pages;
pub mod routes;
mod sandbox_control;
mod security;
pub mod sessions;
mod uploads;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::routing::{get, post};
use axum::{Router, middleware};
use leptos::prelude::provide_context;
use leptos_axum::LeptosRoutes;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::SetRequestHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::audit::RequestMeta;
use super::state::AppState;
use super::webhooks;
use crate::app::{App, shell};
use crate::domain::AppError;

/// The largest request body the app accepts.
const BODY_LIMIT: usize = 1024 * 1024;
/// The largest request body the sandbox accepts (identity document images).
const SANDBOX_BODY_LIMIT: usize = 12 * 1024 * 1024;
/// The longest a handler may take to start answering (a streamed download may then take longer).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The app's pages, listed once per process. Leptos lists them by rendering the app with every
/// resource's load switched off by a process-wide flag (`leptos_server`'s `SuppressResourceLoad`):
/// a page rendering meanwhile, for another router in the same process (tests build one per app),
/// waited forever on a resource that never loaded.
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| leptos_axum::generate_route_list(App)).clone()
}

pub fn router(state: AppState, sessions: sessions::Sessions) -> Router {
    let config = &state.config;
    let https = config.secure_cookies();
    let trusted: std::sync::Arc<[ipnet::IpNet]> = config.trusted_proxies.clone().into();
    let idle = time::Duration::try_from(config.session_idle_timeout).expect("the idle timeout fits a time::Duration");
    let sessions = SessionManagerLayer::new(sessions)
        .with_name("backoffice_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(https)
        .with_expiry(Expiry::OnInactivity(idle))
        .with_private(config.session_cookie_key());

    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            leptos::nonce::provide_nonce();
        }
    };
    let routes = page_routes();

    let sandbox = state.sandbox.clone();
    // Uploads have their own, larger, body limit; everything else the small one.
    let uploads = Router::new()
        .route(routes::UPLOADS, post(uploads::receive))
        .layer(DefaultBodyLimit::max(uploads::BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(uploads::BODY_LIMIT));
    let app = Router::new()
        .route(routes::HEALTHZ, get(health::healthz))
        .route(routes::READYZ, get(health::readyz))
        .route(routes::AUDIT_CSV, get(exports::audit_csv))
        .route(routes::TRANSACTIONS_CSV, get(exports::transactions_csv))
        .route(routes::RECONCILIATION_CSV, get(exports::reconciliation_csv))
        .route(routes::DEPOSITS_CSV, get(exports::deposits_csv))
        .route(routes::COLLECTIONS_CSV, get(exports::collections_csv))
        .route(routes::WEBHOOK_HEALTH, get(webhooks::health).post(webhooks::health))
        .route(routes::WEBHOOKS, post(webhooks::receive_at_base))
        .route(routes::WEBHOOKS_SLASH, post(webhooks::receive_at_base))
        .route(routes::WEBHOOKS_BELOW, post(webhooks::receive))
        .merge(
            Router::new()
                .leptos_routes_with_context(&state, routes, context.clone(), {
                    let options = state.leptos_options.clone();
                    move || shell(options.clone())
                })
                .route_layer(middleware::from_fn_with_state(state.clone(), pages::known_session)),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(uploads);
    // The sandbox's control endpoint: an admin's, audited (the simulator itself answers below).
    let app = match &sandbox {
        Some(sandbox) => app.nest_service(
            routes::SANDBOX_CONTROL,
            crate::sandbox::control::router(sandbox.clone())
                .layer(middleware::from_fn_with_state(state.clone(), sandbox_control::guard)),
        ),
        None => app,
    };
    let app = app
        .layer(sessions)
        .layer(middleware::from_fn(security::refuse_cross_site))
        .with_state(state);
    // The simulator answers on the same server, as P100 would on its own (KYC images are larger).
    let app = match sandbox {
        Some(sandbox) => app.merge(sandbox.router().layer(RequestBodyLimitLayer::new(SANDBOX_BODY_LIMIT))),
        None => app,
    };
    security::with_default_headers(app, https)
        .layer(middleware::from_fn_with_state(trusted, client::remember))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            RESPONSE_TIMEOUT,
        ))
        .layer(middleware::from_fn(security::catch_panic))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        // Always our own id: one sent by the client could carry markup into the logs and error page.
        .layer(SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-request-id"),
            |_: &Request<_>| HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok(),
        ))
}

/// An error as a plain answer to a route outside the server functions (downloads, controls).
fn error_response(err: AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, err.to_string()).into_response()
}

/// The request id, client IP and user agent of a request, for the audit log.
pub fn request_meta(headers: &HeaderMap, extensions: &Extensions) -> RequestMeta {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    RequestMeta {
        request_id: header("x-request-id"),
        // Set by `client::remember` for every request that came over a socket.
        ip: extensions
            .get::<client::ClientAddr>()
            .map(|client::ClientAddr(ip)| ip.to_string()),
        user_agent: header("user-agent").map(|ua| ua.chars().take(256).collect()),
    }
}
