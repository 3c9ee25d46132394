//! Integration tests: the real server on an ephemeral port, a fresh SQLite database per test, and
//! HTTP with a cookie jar, as a browser would.

mod helpers;

mod audit;
mod auth;
mod contract;
mod http;
mod lifecycle;
mod money;
mod p100;
mod payouts;
mod permissions;
mod reconciliation;
mod staff;
mod users;
