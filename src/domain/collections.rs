//! Collections: money the partner collects from its customers in crypto and receives in EUR. An
//! order locks a EUR amount against an exact crypto amount the payer sends to a wallet address; a
//! payment link (or a hosted checkout, P100's white-label page) takes one or more transfers until a
//! EUR amount is covered (REFERENCE §2.6, §2.7).

use serde::{Deserialize, Serialize};

use super::UtcTime;

named_enum!(
    /// What was created at P100.
    CollectionKind {
        Order => "order",
        PaymentLink => "payment_link",
        HostedCheckout => "hosted_checkout",
    }
);

impl CollectionKind {
    pub fn label(self) -> &'static str {
        match self {
            CollectionKind::Order => "Crypto order",
            CollectionKind::PaymentLink => "Payment link",
            CollectionKind::HostedCheckout => "Hosted checkout",
        }
    }

    pub fn is_link(self) -> bool {
        self != CollectionKind::Order
    }
}

named_enum!(
    /// Where a collection stands. Before P100 has it: `locked` (an order's rate, create until the lock
    /// ends), `lock_expired`, `sending` (sent, no answer yet), `unknown` (P100 did not answer the
    /// create call: nothing was confirmed, lock again), `failed` (P100 refused it). Then P100's states:
    /// an order waits for its wallet address, then for payment; a link waits for payment; a link paid
    /// in part is `underpaid` until the rest comes; `confirming` on chain; `paid` (settled in EUR);
    /// `expired` (nobody paid in time).
    CollectionStatus {
        Locked => "locked",
        LockExpired => "lock_expired",
        Creating => "sending",
        Unknown => "unknown",
        Failed => "failed",
        WaitingForAddress => "waiting_for_address",
        AwaitingPayment => "awaiting_payment",
        Underpaid => "underpaid",
        Confirming => "confirming",
        Paid => "paid",
        Expired => "expired",
    }
);

impl CollectionStatus {
    pub fn label(self) -> &'static str {
        match self {
            CollectionStatus::Locked => "Rate locked",
            CollectionStatus::LockExpired => "Lock expired",
            CollectionStatus::Creating => "Sending to P100",
            CollectionStatus::Unknown => "Outcome unknown",
            CollectionStatus::Failed => "Refused by P100",
            CollectionStatus::WaitingForAddress => "Waiting for wallet address",
            CollectionStatus::AwaitingPayment => "Awaiting payment",
            CollectionStatus::Underpaid => "Underpaid: awaiting the rest",
            CollectionStatus::Confirming => "Confirming on chain",
            CollectionStatus::Paid => "Paid",
            CollectionStatus::Expired => "Expired",
        }
    }

    /// P100 still moves it: the page, the follower and the webhooks keep reading its details.
    pub fn followed(self) -> bool {
        matches!(
            self,
            CollectionStatus::WaitingForAddress
                | CollectionStatus::AwaitingPayment
                | CollectionStatus::Underpaid
                | CollectionStatus::Confirming
        )
    }

    /// Its stage in the money engine's terms, for reconciliation: paid is completed, expired failed;
    /// `None` before P100 had it.
    #[cfg(feature = "ssr")]
    pub fn stage(self) -> Option<crate::server::db::sent::Stage> {
        use crate::server::db::sent::Stage;
        Some(match self {
            CollectionStatus::Locked | CollectionStatus::LockExpired => return None,
            CollectionStatus::Creating => Stage::Submitting,
            CollectionStatus::Unknown => Stage::Unknown,
            CollectionStatus::Failed | CollectionStatus::Expired => Stage::Failed,
            CollectionStatus::WaitingForAddress
            | CollectionStatus::AwaitingPayment
            | CollectionStatus::Underpaid
            | CollectionStatus::Confirming => Stage::Pending,
            CollectionStatus::Paid => Stage::Completed,
        })
    }
}

/// Whether P100's status word for an order or a link says it is paid and settled: `COMPLETED` for
/// an order (REFERENCE §2.6.4), `PAID` for a link (INFERRED, §2.7). Any case.
pub fn settled_at_p100(word: &str) -> bool {
    matches!(word.trim().to_ascii_uppercase().as_str(), "COMPLETED" | "PAID")
}

/// The crypto an order can be paid in, on which network: `(currency, network, label)`
/// (REFERENCE §1.8; the network P100 names in the order lock).
pub const ORDER_ASSETS: [(&str, &str, &str); 9] = [
    ("usdc", "polygon", "USDC on Polygon"),
    ("usdc", "ethereum", "USDC on Ethereum"),
    ("usdt", "polygon", "USDT on Polygon"),
    ("usdt", "ethereum", "USDT on Ethereum"),
    ("btc", "btc", "Bitcoin"),
    ("eth", "ethereum", "Ether"),
    ("ltc", "ltc", "Litecoin"),
    ("pol", "polygon", "POL on Polygon"),
    ("doge", "dogecoin", "Dogecoin"),
];

/// A new order as typed: the EUR to settle and the asset the payer pays in (`usdc:polygon`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderInput {
    pub amount: String,
    pub asset: String,
}

/// A new payment link or hosted checkout as typed. `expires_in_hours` empty: P100's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkInput {
    /// `payment_link` or `hosted_checkout`.
    pub kind: String,
    pub amount: String,
    pub description: String,
    pub reference: String,
    pub expires_in_hours: String,
}

/// P100's indicative rate for one order asset: display only (the FAQ), a lock fixes the real one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicativeRate {
    pub asset: String,
    pub label: String,
    /// `1 USDC = 0.84 EUR`.
    pub rate: String,
}

/// One transfer a payment link received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkTransfer {
    pub hash: String,
    /// Formatted, with the currency.
    pub amount: String,
    pub network: Option<String>,
    pub status: String,
    /// The EUR it settled, where P100 says.
    pub settled: Option<String>,
}

/// One collection as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionView {
    pub id: String,
    pub kind: CollectionKind,
    pub status: CollectionStatus,
    /// P100's status word as last read.
    pub upstream_status: Option<String>,
    pub upstream_id: Option<String>,
    /// The EUR to settle, formatted.
    pub eur: String,
    /// Order: the crypto, its network, what is due and what came, formatted.
    pub crypto: Option<String>,
    pub network: Option<String>,
    pub due: Option<String>,
    pub received: Option<String>,
    /// `1 USDC = 0.84 EUR` at the lock.
    pub rate: Option<String>,
    pub confirmations: Option<(u32, u32)>,
    pub wallet_address: Option<String>,
    pub transaction_hash: Option<String>,
    /// Payment links: where the payer pays.
    pub url: Option<String>,
    /// The wallet address or the link as a QR code (SVG), when there is one.
    pub qr: Option<String>,
    pub description: Option<String>,
    pub reference: Option<String>,
    pub transfers: Vec<LinkTransfer>,
    /// The EUR settled so far, where P100 says per transfer (links).
    pub settled: Option<String>,
    /// Seconds of the lock left when the server answered (0 once ended).
    pub seconds_left: u32,
    pub lock_until: Option<UtcTime>,
    pub expires_at: Option<UtcTime>,
    /// P100's words and code when it refused, or what is not known.
    pub failure: Option<String>,
    pub created_by: String,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

/// The list's filters as the URL carries them; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CollectionFilter {
    pub kind: String,
    pub status: String,
    pub currency: String,
    pub created_by: String,
    pub from: String,
    pub to: String,
}

impl CollectionFilter {
    pub const KEYS: [&'static str; 6] = ["kind", "status", "currency", "created_by", "from", "to"];

    pub fn values(&self) -> [&str; 6] {
        [
            &self.kind,
            &self.status,
            &self.currency,
            &self.created_by,
            &self.from,
            &self.to,
        ]
        .map(String::as_str)
    }

    pub fn from_pairs<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Self {
        let mut take = |k: &str| get(k).unwrap_or_default().to_owned();
        CollectionFilter {
            kind: take("kind"),
            status: take("status"),
            currency: take("currency"),
            created_by: take("created_by"),
            from: take("from"),
            to: take("to"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionList {
    pub rows: Vec<CollectionView>,
    /// More matched than the page shows: narrow the filters (the CSV export has them all).
    pub truncated: bool,
    /// `(staff id, name)` of everyone who created one, for the filter.
    pub creators: Vec<(String, String)>,
}
