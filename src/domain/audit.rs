//! The audit log as the audit page reads it.

use serde::{Deserialize, Serialize};

use super::UtcTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: UtcTime,
    pub staff_email: Option<String>,
    pub staff_roles: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub upstream_request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntryView {
    /// The entry without the client behind it (address, browser), for members without `audit.read`.
    pub fn without_client(self) -> Self {
        AuditEntryView {
            ip: None,
            user_agent: None,
            ..self
        }
    }
}

/// The audit page's filters exactly as typed; `parse` turns them into an `AuditQuery`.
/// Also the query string of the page and of the CSV export, so a filtered view can be shared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub staff: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// One row, by its number (`seq`).
    #[serde(default)]
    pub row: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass back as `before` to read the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// The server's half: turning typed filters into a checked query.
#[cfg(feature = "ssr")]
mod ssr {
    use time::Date;

    use super::AuditFilter;
    use crate::domain::{AppError, FieldErrors};

    /// Checked audit filters. Text filters match by prefix, case-insensitively; dates are UTC days, inclusive.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct AuditQuery {
        pub staff: Option<String>,
        pub action: Option<String>,
        pub target: Option<String>,
        pub from: Option<Date>,
        pub to: Option<Date>,
        pub row: Option<i64>,
    }

    impl AuditFilter {
        pub fn parse(&self) -> Result<AuditQuery, AppError> {
            let text = |s: &str| Some(s.trim().to_lowercase()).filter(|s| !s.is_empty());
            let mut errors = FieldErrors::default();
            let (from, to) = crate::domain::parse_day_range(&mut errors, &self.from, &self.to);
            let row = match self.row.trim().trim_start_matches('#') {
                "" => None,
                text => match text.parse::<i64>() {
                    Ok(seq) if seq > 0 => Some(seq),
                    _ => {
                        errors.add("row", "A row number, like 1042.");
                        None
                    }
                },
            };
            errors.into_result(|| AuditQuery {
                staff: text(&self.staff),
                action: text(&self.action),
                target: text(&self.target),
                from,
                to,
                row,
            })
        }
    }

    #[cfg(test)]
    mod tests {
        use crate::domain::audit::AuditFilter;

        #[test]
        fn filters_are_checked() {
            let q = AuditFilter {
                staff: " Ada@X ".into(),
                from: "2026-01-02".into(),
                ..Default::default()
            }
            .parse()
            .unwrap();
            assert_eq!(q.staff.as_deref(), Some("ada@x"));
            assert_eq!(q.from.unwrap().to_string(), "2026-01-02");
            assert_eq!(q.action, None);

            let err = AuditFilter {
                from: "2026-02-01".into(),
                to: "2026-01-01".into(),
                ..Default::default()
            }
            .parse()
            .unwrap_err();
            assert!(err.field_errors().unwrap().get("to").is_some());
            let err = AuditFilter {
                from: "yesterday".into(),
                ..Default::default()
            }
            .parse()
            .unwrap_err();
            assert!(err.field_errors().unwrap().get("from").is_some());
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::AuditQuery;
