//! Defences every response gets: cross-site request refusal, security headers, and a correlation
//! id instead of a stack trace when a handler panics.

use std::panic::AssertUnwindSafe;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use futures::FutureExt;
use tower_http::set_header::SetResponseHeaderLayer;

/// CSRF defence. Anything but a read must come from our own pages: a browser names the page's
/// origin in `Origin` and says `Sec-Fetch-Site: cross-site`/`same-site` for foreign pages.
/// Clients that send neither (scripts, tests) are not browsers and carry no ambient cookies risk.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let foreign_fetch =
        text(HeaderName::from_static("sec-fetch-site")).is_some_and(|s| s != "same-origin" && s != "none");
    let foreign_origin = text(header::ORIGIN).is_some_and(|origin| {
        let origin_host = url::Url::parse(origin).ok().map(|u| match u.port() {
            Some(port) => format!("{}:{port}", u.host_str().unwrap_or_default()),
            None => u.host_str().unwrap_or_default().to_owned(),
        });
        origin_host.as_deref() != text(header::HOST)
    });
    if foreign_fetch || foreign_origin {
        tracing::warn!("cross-site request refused");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(request).await
}

/// Security headers on every response. Pages set their own CSP (with a nonce) first; everything
/// else gets one that allows nothing.
pub fn with_default_headers<S: Clone + Send + Sync + 'static>(router: Router<S>, https: bool) -> Router<S> {
    // Served over TLS, browsers are told to use nothing else for a year (OWASP ASVS 5.0 V12.1).
    let router = if https {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    };
    [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ]
    .into_iter()
    .fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// A panic becomes a plain error page that quotes the request id; the details stay in the log.
/// (tower-http's CatchPanicLayer cannot see the request, so it cannot name the id.)
pub async fn catch_panic(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!("request handler panicked");
            let page = format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Server error</title></head>\
                 <body><h1>Something went wrong on our side</h1><p>Quote this reference when you report it: \
                 <code>{id}</code></p><p><a href=\"/\">Back to the back office</a></p></body></html>"
            );
            (StatusCode::INTERNAL_SERVER_ERROR, Html(page)).into_response()
        }
    }
}
