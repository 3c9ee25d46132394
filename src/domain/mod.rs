//! Types both sides share: what crosses the wire between the browser and the server functions.

/// A closed set of names that cross the wire as their text (`"users.read"`, `"pending"`), with
/// `ALL`, `as_str` and `parse`, stored in the database as that text. Declared before the modules below so each can use it.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "&'static str", try_from = "String")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> Self { value.as_str() }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                $name::parse(&text).ok_or_else(|| format!("unknown {}: {text}", stringify!($name)))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        // Stored as its text; a value outside the set is a decode error, never a guess.
        #[cfg(feature = "ssr")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Any>>::decode(value)?;
                Ok($name::try_from(text.to_owned())?)
            }
        }
    };
}

pub mod access;
pub mod approvals;
pub mod audit;
pub mod balances;
pub mod collections;
pub mod contact;
pub mod deposits;
#[cfg(feature = "ssr")]
pub mod destinations;
pub mod error;
pub mod exchanges;
pub mod find;
pub mod money;
pub mod movements;
pub mod reconciliation;
pub mod sandbox;
pub mod staff;
pub mod two_factor;
pub mod users;

pub use access::{Need, Permission, Permissions, Role};
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

/// Text a form requires: trimmed, not empty (`missing` says what to write), at most `max` characters.
pub fn required_text(text: &str, missing: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    match text.chars().count() {
        0 => Err(missing.to_owned()),
        n if n > max => Err(format!("Keep it under {max} characters.")),
        _ => Ok(text.to_owned()),
    }
}

/// `key=value&...` of a page's filters, leaving out the empty ones; values are escaped by `escape`
/// (the router's `Url::escape` in the browser), so a filtered page can be shared and reloaded.
pub fn query_string<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    escape: impl Fn(&str) -> String,
) -> String {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", escape(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

/// A `from`..`to` range of UTC days as typed (`YYYY-MM-DD`, both optional, inclusive); messages go
/// under the `from` and `to` fields.
#[cfg(feature = "ssr")]
pub fn parse_day_range(errors: &mut FieldErrors, from: &str, to: &str) -> (Option<time::Date>, Option<time::Date>) {
    fn day(text: &str) -> Result<Option<time::Date>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
            .map(Some)
            .map_err(|_| "Enter a date as YYYY-MM-DD.".into())
    }
    let from = errors.check("from", day(from)).flatten();
    let to = errors.check("to", day(to)).flatten();
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        errors.add("to", "The end date is before the start date.");
    }
    (from, to)
}
