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
    /// Answer with this P-code instead.
    pub p_code: Option<String>,
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
}

/// A change P100 makes to its own record of a movement (`None`: left as it is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Amendment {
    pub amount: Option<String>,
    pub status: Option<String>,
}

/// What the Sandbox page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub users: i64,
    pub faults: Vec<Fault>,
    pub kyc_next: String,
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
