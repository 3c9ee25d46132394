//! Reconciliation: every movement started here beside what P100 and its webhooks say of it, the
//! mismatches finance resolves, the webhook event log, and the finance home's live counts.

use serde::{Deserialize, Serialize};

use super::UtcTime;

named_enum!(
    /// What a report row is: one of our movements, exchanges, orders or payment links (hosted
    /// checkouts among them), or a P100 movement we never started.
    Subject {
        Sepa => "sepa",
        Crypto => "crypto",
        Transfer => "transfer",
        Exchange => "exchange",
        Order => "order",
        PaymentLink => "payment_link",
        Foreign => "foreign",
    }
);

impl Subject {
    pub fn label(self) -> &'static str {
        match self {
            Subject::Sepa => "SEPA payout",
            Subject::Crypto => "Crypto withdrawal",
            Subject::Transfer => "Transfer",
            Subject::Exchange => "Exchange",
            Subject::Order => "Crypto order",
            Subject::PaymentLink => "Payment link",
            Subject::Foreign => "Not started here",
        }
    }
}

named_enum!(
    /// Why a row does not converge.
    Mismatch {
        StateDiffers => "state_differs",
        AmountDiffers => "amount_differs",
        CurrencyDiffers => "currency_differs",
        NoWebhook => "no_webhook",
        UpstreamMissing => "upstream_missing",
        NeverStarted => "never_started",
    }
);

impl Mismatch {
    pub fn label(self) -> &'static str {
        match self {
            Mismatch::StateDiffers => "State differs",
            Mismatch::AmountDiffers => "Amount differs",
            Mismatch::CurrencyDiffers => "Currency differs",
            Mismatch::NoWebhook => "No webhook",
            Mismatch::UpstreamMissing => "Missing at P100",
            Mismatch::NeverStarted => "Never started here",
        }
    }
}

named_enum!(
    /// Where a row stands.
    Verdict {
        Matched => "matched",
        Checking => "checking",
        Mismatch => "mismatch",
        Resolved => "resolved",
    }
);

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Matched => "Matched",
            Verdict::Checking => "Unchecked",
            Verdict::Mismatch => "Mismatch",
            Verdict::Resolved => "Resolved",
        }
    }
}

/// The report's filters as typed in the URL. `view`: empty (every row), or a verdict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportFilter {
    pub from: String,
    pub to: String,
    pub view: String,
    pub kind: String,
    pub currency: String,
}

impl ReportFilter {
    pub const KEYS: [&'static str; 5] = ["from", "to", "view", "kind", "currency"];

    pub fn values(&self) -> [&str; 5] {
        [&self.from, &self.to, &self.view, &self.kind, &self.currency].map(String::as_str)
    }

    pub fn from_pairs<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Self {
        let mut take = |k: &str| get(k).unwrap_or_default().to_owned();
        ReportFilter {
            from: take("from"),
            to: take("to"),
            view: take("view"),
            kind: take("kind"),
            currency: take("currency"),
        }
    }

    /// `(key, value)` of each filter, for links that keep them.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        Self::KEYS.into_iter().map(|k| k as &str).zip(self.values())
    }
}

/// One mismatch with the figures behind it, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub mismatch: Mismatch,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub by: String,
    pub at: UtcTime,
    pub note: String,
    pub mismatches: Vec<Mismatch>,
}

/// One movement as we, P100 and the webhooks see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    /// Our id, or P100's for a movement not started here.
    pub subject: String,
    pub kind: Subject,
    /// Where to open it in the back office.
    pub href: Option<String>,
    pub holder: String,
    /// Upper-case code.
    pub currency: String,
    /// Exact decimal text at the currency's scale.
    pub amount: String,
    /// Our status word (`None`: not ours).
    pub ours: Option<String>,
    pub upstream_id: Option<String>,
    /// P100's status word, "not found", or `None` while unchecked.
    pub upstream: Option<String>,
    pub upstream_amount: Option<String>,
    pub checked_at: Option<UtcTime>,
    pub webhooks: i64,
    pub last_webhook: Option<UtcTime>,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    /// The newest resolution, if any.
    pub resolution: Option<Resolution>,
    pub created_at: UtcTime,
}

/// Movements of one currency and status in the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Total {
    pub currency: String,
    pub status: String,
    pub count: i64,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The UTC days covered, inclusive.
    pub from: String,
    pub to: String,
    /// The newest rows the view shows (at most a page of them)...
    pub rows: Vec<ReportRow>,
    /// ...of this many.
    pub matching: usize,
    pub totals: Vec<Total>,
    /// Rows per verdict over the whole range (before the view filter).
    pub matched: usize,
    pub checking: usize,
    pub mismatched: usize,
    pub resolved: usize,
    /// More rows matched than one report holds; narrow the range.
    pub truncated: bool,
    pub grace_minutes: i64,
    /// When P100 was last read for a movement of ours.
    pub last_check: Option<UtcTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveInput {
    pub subject: String,
    pub note: String,
}

/// What the finance home shows; it refreshes itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinanceHome {
    pub pending_approvals: i64,
    /// In flight (sending, at P100, or unknown) longer than expected.
    pub stuck: i64,
    /// Unknown payouts and exchanges the machine could not settle: a person must decide.
    pub needs_decision: i64,
    pub open_mismatches: usize,
    /// Completed today (UTC) per currency: (currency, count, amount).
    pub today: Vec<Total>,
    pub last_webhook: Option<UtcTime>,
    /// Webhook events the route table could not place (kept, shown on the log).
    pub unrecognised_webhooks: i64,
    /// Webhook events received and still not applied after a few minutes.
    pub stuck_webhooks: i64,
    pub as_of: UtcTime,
}

// ---- The webhook event log ------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookFilter {
    pub kind: String,
    pub status: String,
    pub subject: String,
    pub from: String,
    pub to: String,
}

impl WebhookFilter {
    pub const KEYS: [&'static str; 5] = ["kind", "status", "subject", "from", "to"];

    pub fn values(&self) -> [&str; 5] {
        [&self.kind, &self.status, &self.subject, &self.from, &self.to].map(String::as_str)
    }

    pub fn from_pairs<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Self {
        let mut take = |k: &str| get(k).unwrap_or_default().to_owned();
        WebhookFilter {
            kind: take("kind"),
            status: take("status"),
            subject: take("subject"),
            from: take("from"),
            to: take("to"),
        }
    }
}

/// The kind stored for a webhook delivery the route table cannot place: kept, shown, counted.
pub const UNRECOGNISED: &str = "unrecognised";

named_enum!(
    /// Where a stored delivery stands.
    EventStatus {
        Received => "received",
        Processed => "processed",
        Ignored => "ignored",
        Failed => "failed",
        Rejected => "rejected",
    }
);

impl EventStatus {
    pub fn label(self) -> &'static str {
        match self {
            EventStatus::Received => "Received",
            EventStatus::Processed => "Processed",
            EventStatus::Ignored => "Ignored",
            EventStatus::Failed => "Failed",
            EventStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    pub route: String,
    pub kind: String,
    pub subject: Option<String>,
    pub authenticated: bool,
    pub status: EventStatus,
    pub error: Option<String>,
    pub deliveries: i64,
    pub reprocessed: i64,
    pub received_at: UtcTime,
    pub processed_at: Option<UtcTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookList {
    pub rows: Vec<WebhookEvent>,
    /// Every kind stored, for the filter.
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDetail {
    pub event: WebhookEvent,
    /// The raw payload, pretty-printed.
    pub payload: String,
}

/// One field a re-process would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub target: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

/// What processing an event again would do (dry run) or did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reprocess {
    pub dry_run: bool,
    pub changes: Vec<FieldChange>,
    /// In words: what was or would be done, or why nothing.
    pub summary: String,
    /// The event as it stands after (unchanged by a dry run).
    pub event: WebhookEvent,
}
