//! Integration tests: the real server on an ephemeral port, a fresh database per test (SQLite, or
//! PostgreSQL when TEST_POSTGRES_URL names a server: scripts/with-postgres.sh), and
//! HTTP with a cookie jar, as a browser would.

mod helpers;

mod attacks;
mod audit;
mod auth;
mod collections;
mod contract;
mod demo;
mod deposits;
mod fault_matrix;
mod find;
mod http;
mod instances;
mod lifecycle;
mod money;
mod p100;
mod payouts;
mod permissions;
mod reconciliation;
mod schema;
mod staff;
mod two_factor;
mod users;
mod webhooks;
