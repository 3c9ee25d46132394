//! The app's database: every SQL statement the app runs (one module per table group), on the pool,
//! transactions and column types of `kernel::db` (re-exported here). Nothing outside this module
//! builds a query.

pub mod approvals;
pub mod audit;
pub mod collections;
pub mod deployment;
pub mod deposits;
pub mod exchanges;
pub mod leases;
pub mod movements;
pub mod reconciliation;
pub mod sent;
pub mod settings;
pub mod staff;
pub mod throttle;
pub mod two_factor;
pub mod users;
pub mod webhooks;

pub mod statement;

pub use crate::kernel::db::{
    Backend, Conn, Db, Flag, Timestamp, Tx, begin_write, connect, is_unique_violation, optimize, ping, writer_turn,
};
pub use statement::Statement;
