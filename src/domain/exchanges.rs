//! Currency exchange: quote, lock a rate, finalize by the lock's id, follow the outcome.

use serde::{Deserialize, Serialize};

use super::UtcTime;
use super::balances::Holder;
use super::money::Currency;

/// What staff fill in to exchange, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExchangeInput {
    pub holder: Holder,
    pub from: String,
    pub to: String,
    pub amount: String,
}

/// An indicative price: what the amount would fetch at the current rate and standard fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// `1 BTC = 55,647.81453411 EUR`.
    pub rate: String,
    pub fee: String,
    pub fee_percent: String,
    pub receive: String,
    /// What the holder has in the from-currency now.
    pub available: String,
    pub at: UtcTime,
}

named_enum!(
    /// Where an exchange started from the back office stands: `locked` (finalize until the lock
    /// expires), `expired`, `submitting` (recorded, sent, no answer yet), `pending` (P100 accepted and
    /// reserved the funds), `completed`, `failed`, `unknown` (P100 did not answer the finalize call).
    ExchangeStatus {
        Locked => "locked",
        Expired => "expired",
        Submitting => "submitting",
        Pending => "pending",
        Completed => "completed",
        Failed => "failed",
        Unknown => "unknown",
    }
);

impl ExchangeStatus {
    pub fn label(self) -> &'static str {
        match self {
            ExchangeStatus::Locked => "Rate locked",
            ExchangeStatus::Expired => "Lock expired",
            ExchangeStatus::Submitting => "Sending to P100",
            ExchangeStatus::Pending => "Processing at P100",
            ExchangeStatus::Completed => "Completed",
            ExchangeStatus::Failed => "Failed",
            ExchangeStatus::Unknown => "Outcome unknown",
        }
    }

    /// Still moving: the page keeps asking until it is not.
    pub fn in_flight(self) -> bool {
        matches!(self, ExchangeStatus::Submitting | ExchangeStatus::Pending)
    }
}

/// One exchange as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeView {
    pub id: String,
    pub holder: Holder,
    pub from: Currency,
    pub to: Currency,
    /// Formatted amounts: what leaves, the fee, what arrives.
    pub amount_from: String,
    pub fee: String,
    pub amount_to: String,
    pub rate: String,
    pub status: ExchangeStatus,
    pub lock_id: String,
    pub valid_until: UtcTime,
    /// Seconds of the lock left when the server answered (0 once expired): the page counts down
    /// from it with its own clock, so a browser clock that is off does not matter.
    pub seconds_left: u32,
    pub upstream_id: Option<String>,
    /// P100's words and code when it refused or failed the exchange.
    pub failure: Option<String>,
    /// Set when a person must decide what became of it at P100.
    pub decision: Option<super::movements::Decision>,
    /// A person's decision about it, waiting for a second member.
    pub pending_resolution: Option<super::approvals::PendingApproval>,
    pub started_by: String,
    pub created_at: UtcTime,
    pub finalized_at: Option<UtcTime>,
    /// The same exchange, for locking a new rate after this one expired.
    pub again: ExchangeInput,
}

/// The exchanges list's filters, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExchangeFilter {
    pub status: String,
    pub currency: String,
    pub started_by: String,
    /// A user's external id, or `partner`.
    pub holder: String,
}

impl ExchangeFilter {
    pub const KEYS: [&'static str; 4] = ["status", "currency", "started_by", "holder"];

    pub fn values(&self) -> [&str; 4] {
        [&self.status, &self.currency, &self.started_by, &self.holder].map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeList {
    pub rows: Vec<ExchangeView>,
    /// `(staff id, name)` of everyone who started one, for the filter.
    pub starters: Vec<(String, String)>,
}
