//! Types both sides share: what crosses the wire between the browser and the server functions.

pub mod access;
pub mod audit;
pub mod error;
pub mod money;
pub mod sandbox;
pub mod staff;

pub use access::{Permission, Permissions, Role};
pub use error::{AppError, FieldErrors};

use serde::{Deserialize, Serialize};

/// A UTC instant as the server writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ`, fixed width. The browser only
/// shows times, so it gets them as text and needs no date library.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UtcTime(pub String);

impl UtcTime {
    /// `YYYY-MM-DD HH:MM:SS`, the way tables show times.
    pub fn display(&self) -> String {
        self.0.get(..19).unwrap_or(&self.0).replacen('T', " ", 1)
    }
}
