//! Types both sides share: what crosses the wire between the browser and the server functions.

pub mod access;
pub mod audit;
pub mod error;
pub mod staff;

pub use access::{Permission, Permissions, Role};
pub use error::{AppError, FieldErrors};
