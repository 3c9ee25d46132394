//! The sandbox's controls as the Sandbox page and tests use them.

use serde::{Deserialize, Serialize};

use super::UtcTime;

/// A fault for the next `count` calls of one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// An endpoint name from `p100::endpoints`, e.g. `partner.sepa_transfer`.
    pub endpoint: String,
    #[serde(default)]
    pub latency_ms: u32,
    /// Answer with this HTTP status (5xx) instead.
    pub http_status: Option<u16>,
    /// Hold the answer past the client's timeout (money movements still happen).
    #[serde(default)]
    pub timeout: bool,
    /// Answer with this P-code instead (with `http_status` when both are set: P500 comes on a 400,
    /// but any status can be chosen).
    pub p_code: Option<String>,
    /// Whether the request takes effect at P100 before the faulty answer. `None`: as P100 mostly
    /// does (a timeout lets a money movement happen; a P-code or a status answers before anything).
    #[serde(default)]
    pub applied: Option<bool>,
    /// Answer 2xx with a body that lacks the fields the documents promise.
    #[serde(default)]
    pub malformed: bool,
    /// Drop the connection in the middle of the answer.
    #[serde(default)]
    pub reset: bool,
    pub count: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub settle_ms: Option<u64>,
    pub webhook_retry_base_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub lock_ttl_ms: Option<u64>,
    /// Method B answers with a JSON `{url}` (`true`) or, as P100 does, an HTML page (`false`).
    #[serde(default)]
    pub kyc_redirect_json: Option<bool>,
    /// P100 has switched its virtual card module back on (`true`) or keeps it suspended, as it does.
    #[serde(default)]
    pub cards_on: Option<bool>,
}

/// A change P100 makes to its own record of a movement (`None`: left as it is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Amendment {
    pub amount: Option<String>,
    pub status: Option<String>,
}

/// "A SEPA deposit of `amount` EUR arrives for `holder`" (a user's id, or `partner` / empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SepaDepositInput {
    pub holder: String,
    pub amount: String,
}

/// What the Sandbox page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub users: i64,
    pub faults: Vec<Fault>,
    pub kyc_next: String,
    pub history_shape: HistoryShape,
    /// Whether webhooks go to each event's route (else to the registered base URL itself).
    pub webhooks_to_routes: bool,
    pub webhooks: Vec<WebhookDelivery>,
    /// What a fault can name: every endpoint, every documented P-code.
    pub endpoints: Vec<String>,
    pub p_codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub route: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub delivered_at: Option<UtcTime>,
    pub next_attempt_at: Option<UtcTime>,
    pub created_at: UtcTime,
}

named_enum!(
    /// How the sandbox delivers the webhooks it owes, as P100 may: to the registered base URL (the
    /// default) or to each event's route; and for the next one, twice, out of order (after the one
    /// that follows it), or again an hour later (the same body, a new event).
    DeliveryMode {
        BaseUrl => "base_url",
        Routes => "routes",
        NextTwice => "next_twice",
        NextOutOfOrder => "next_out_of_order",
        NextAgainInAnHour => "next_again_in_an_hour",
    }
);

impl DeliveryMode {
    pub fn label(self) -> &'static str {
        match self {
            DeliveryMode::BaseUrl => "All to the base URL",
            DeliveryMode::Routes => "Each to its route",
            DeliveryMode::NextTwice => "Next one twice",
            DeliveryMode::NextOutOfOrder => "Next one out of order",
            DeliveryMode::NextAgainInAnHour => "Next one again in an hour",
        }
    }
}

named_enum!(
    /// How the sandbox writes history entries: as its seed does, or in one of the shapes P100's
    /// documents allow (REFERENCE.md §0: `status` optional; RFC 3339 times in any precision and offset).
    HistoryShape {
        Plain => "plain",
        NoStatus => "no_status",
        Seconds => "seconds",
        Micros => "micros",
        Offset => "offset",
    }
);

impl HistoryShape {
    pub fn label(self) -> &'static str {
        match self {
            HistoryShape::Plain => "as documented (milliseconds, UTC, with status)",
            HistoryShape::NoStatus => "entries without status",
            HistoryShape::Seconds => "times without fractional seconds",
            HistoryShape::Micros => "times with 6 fractional digits",
            HistoryShape::Offset => "times with a +02:00 offset",
        }
    }
}

named_enum!(
    /// How much the sandbox's payer sends to an order or a payment link: half of what is still due,
    /// exactly that, or a fifth more.
    Payment {
        Under => "under",
        Exact => "exact",
        Over => "over",
    }
);

impl Payment {
    pub fn label(self) -> &'static str {
        match self {
            Payment::Under => "Pay half (under)",
            Payment::Exact => "Pay exactly",
            Payment::Over => "Pay 20% more (over)",
        }
    }
}
