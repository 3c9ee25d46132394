//! Money that arrives: SEPA and crypto deposits as P100's webhooks announce them, and the IBAN
//! status of a user's incoming SEPA payments. Listed for the partner and per user, read-only.

use serde::{Deserialize, Serialize};

use super::UtcTime;

named_enum!(
    /// The two ways money arrives.
    DepositKind {
        Sepa => "sepa",
        Crypto => "crypto",
    }
);

impl DepositKind {
    pub fn label(self) -> &'static str {
        match self {
            DepositKind::Sepa => "SEPA deposit",
            DepositKind::Crypto => "Crypto deposit",
        }
    }
}

named_enum!(
    /// Where a crypto deposit stands with the travel rule: P100 held it for the sender's data
    /// (`needed`), or staff sent the data and P100 accepted it (`sent`). Never asked: none.
    TravelRule {
        Needed => "needed",
        Sent => "sent",
    }
);

impl TravelRule {
    pub fn label(self) -> &'static str {
        match self {
            TravelRule::Needed => "data needed",
            TravelRule::Sent => "data sent",
        }
    }
}

/// The status words P100 uses for deposits (WEBHOOKS.md §4.2; SEPA's are INFERRED), for the filter.
/// Stored as received, so a word P100 adds later is kept and shown too.
pub const STATUSES: [&str; 5] = [
    "WAITING_FOR_VERIFICATION",
    "WAITING_FOR_TR_DATA",
    "PENDING",
    "SUCCESSFUL",
    "UNSUCCESSFUL",
];

/// A deposit status in words; a status P100 adds later reads as its code, lower case.
pub fn status_label(status: &str) -> String {
    match status {
        "WAITING_FOR_VERIFICATION" => "Waiting for verification".into(),
        "WAITING_FOR_TR_DATA" => "Held for travel rule".into(),
        "PENDING" => "Pending".into(),
        "SUCCESSFUL" => "Successful".into(),
        "UNSUCCESSFUL" => "Unsuccessful".into(),
        other => other.to_lowercase().replace('_', " "),
    }
}

/// One deposit as the lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositView {
    pub id: String,
    pub kind: DepositKind,
    /// The user credited; `None`: the partner.
    pub user: Option<String>,
    /// `Partner` or `User <id>`.
    pub holder: String,
    /// Exact decimal text, at the currency's scale.
    pub amount: String,
    /// Upper-case code.
    pub currency: String,
    /// Who sent it, where P100 says: name and IBAN for SEPA, an address for crypto.
    pub sender: Option<String>,
    /// P100's status word as received.
    pub status: String,
    pub travel_rule: Option<TravelRule>,
    pub tx_hash: Option<String>,
    pub upstream_id: String,
    pub received_at: UtcTime,
    pub updated_at: UtcTime,
}

/// The list's filters as the URL carries them; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DepositFilter {
    pub kind: String,
    pub status: String,
    pub currency: String,
    /// A user's id, or `partner`.
    pub user: String,
    pub from: String,
    pub to: String,
}

impl DepositFilter {
    pub const KEYS: [&'static str; 6] = ["kind", "status", "currency", "user", "from", "to"];

    pub fn values(&self) -> [&str; 6] {
        [
            &self.kind,
            &self.status,
            &self.currency,
            &self.user,
            &self.from,
            &self.to,
        ]
        .map(String::as_str)
    }

    pub fn from_pairs<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Self {
        let mut take = |k: &str| get(k).unwrap_or_default().to_owned();
        DepositFilter {
            kind: take("kind"),
            status: take("status"),
            currency: take("currency"),
            user: take("user"),
            from: take("from"),
            to: take("to"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositList {
    pub rows: Vec<DepositView>,
    /// More matched than the page shows: narrow the filters (the CSV export has them all).
    pub truncated: bool,
}

/// The latest IBAN status P100 reported for payments from one sending IBAN to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IbanCheck {
    pub iban: String,
    pub status: String,
    pub updated_at: UtcTime,
}

/// What the user page shows about money arriving for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDeposits {
    pub deposits: Vec<DepositView>,
    pub ibans: Vec<IbanCheck>,
}
