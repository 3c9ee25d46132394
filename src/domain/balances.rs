//! Balances and transaction history, of the partner and of each user, as the pages show them.

use serde::{Deserialize, Serialize};

use super::UtcTime;
use super::money::{Amount, Currency};

/// Whose money a page shows or moves: the partner's own balances, or one user's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Holder {
    #[default]
    Partner,
    User(String),
}

impl Holder {
    /// From a page's `user` parameter: absent or empty means the partner.
    pub fn from_param(user: Option<String>) -> Self {
        match user.map(|u| u.trim().to_owned()) {
            Some(user) if !user.is_empty() => Holder::User(user),
            _ => Holder::Partner,
        }
    }

    pub fn user(&self) -> Option<&str> {
        match self {
            Holder::Partner => None,
            Holder::User(id) => Some(id),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Holder::Partner => "Partner".into(),
            Holder::User(id) => format!("User {id}"),
        }
    }

    /// `user=<id>` for a user, empty for the partner: the query part that keeps the holder in a link.
    pub fn param(&self) -> (&'static str, &str) {
        ("user", self.user().unwrap_or_default())
    }
}

/// Every balance of one holder, read live from P100, with EUR equivalents at P100's rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceSheet {
    pub holder: Holder,
    pub lines: Vec<BalanceLine>,
    /// The sum of the EUR equivalents, formatted.
    pub total_eur: String,
    /// When the rates were read (P100 gives no time of its own).
    pub rates_at: UtcTime,
    /// Crypto currencies without a deposit wallet yet (the partner can create one).
    pub without_wallet: Vec<Currency>,
    /// `false`: a user whose balances P100 has not opened yet; they open after Add User
    /// Verification (REFERENCE §0 C2), which is normal, not an error.
    pub opened: bool,
}

/// What every page that reads a user's balances says before they exist.
pub const NOT_OPENED: &str = "This user has no balances yet: P100 opens them after Add User Verification (the identity document's data on the KYC panel).";

impl BalanceSheet {
    pub fn line(&self, currency: &Currency) -> Option<&BalanceLine> {
        self.lines.iter().find(|l| &l.currency == currency)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceLine {
    pub currency: Currency,
    pub amount: Amount,
    /// `1,234.50 EUR`: the currency's decimals, thousands separated.
    pub shown: String,
    /// The EUR equivalent at the indicative rate, formatted.
    pub eur: String,
    /// `1 BTC = 55,647.81453411 EUR`.
    pub rate: String,
    /// The IBAN of a fiat balance, the deposit wallet of a crypto one.
    pub account: Option<String>,
    /// `ACTIVE` / `WAITING_TO_BE_ACTIVATED` for fiat balances.
    pub status: Option<String>,
}

/// The kinds of history entry the sandbox writes and P100 is expected to (INFERRED names).
pub const TRANSACTION_KINDS: &[(&str, &str)] = &[
    ("sepa_deposit", "SEPA deposit"),
    ("sepa_transfer", "SEPA payout"),
    ("exchange", "Exchange"),
    ("exchange_refund", "Exchange refund"),
    ("crypto_deposit", "Crypto deposit"),
    ("crypto_withdrawal", "Crypto withdrawal"),
    ("crypto_withdrawal_refund", "Crypto withdrawal refund"),
    ("internal_transfer", "Transfer out"),
    ("internal_transfer_in", "Transfer in"),
    ("internal_transfer_refund", "Transfer refund"),
    ("order_settlement", "Order settlement"),
];

pub const TRANSACTION_STATUSES: &[&str] = &["SUCCESSFUL", "COMPLETED", "PENDING", "FAILED"];

/// A readable name for a history entry's type; an unknown one is shown as sent.
pub fn kind_label(kind: &str) -> String {
    TRANSACTION_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or_else(|| kind.replace('_', " "), |(_, label)| (*label).to_owned())
}

/// The history filters as typed on the page (and kept in its address). Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryFilter {
    pub kind: String,
    pub currency: String,
    pub status: String,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub from: String,
    pub to: String,
    /// Bounds on the amount's size, whichever direction it moved.
    pub min: String,
    pub max: String,
    /// 1-based.
    pub page: u32,
}

impl HistoryFilter {
    pub const KEYS: [&'static str; 7] = ["kind", "currency", "status", "from", "to", "min", "max"];

    pub fn values(&self) -> [&str; 7] {
        [
            &self.kind,
            &self.currency,
            &self.status,
            &self.from,
            &self.to,
            &self.min,
            &self.max,
        ]
        .map(String::as_str)
    }

    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> Self {
        let [kind, currency, status, from, to, min, max] = Self::KEYS.map(|k| get(k).unwrap_or_default());
        HistoryFilter {
            kind,
            currency,
            status,
            from,
            to,
            min,
            max,
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1),
        }
    }
}

/// One page of history entries that match the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub rows: Vec<HistoryLine>,
    pub page: u32,
    pub has_next: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub id: String,
    pub kind: String,
    pub currency: Currency,
    pub amount: Amount,
    pub shown: String,
    pub status: String,
    pub at: String,
    /// Every field P100 sent for the entry, as sent, for the detail drawer.
    pub fields: Vec<(String, String)>,
}
