//! A typed client for the P100 Partner API (server only).
//!
//! `endpoints` holds every path, `types` every request and answer, `error` the P-codes, `client`
//! the one request path (key, timeouts, retries of reads, tracing), `api` one method per endpoint,
//! `webhooks` the routes P100 posts events to.

pub mod api;
pub mod client;
pub mod endpoints;
pub mod error;
pub mod types;
pub mod webhooks;

pub use client::{CallRecord, Client, Failure, Reply, Settings};
pub use error::{P100Error, PCode};
