//! Money out and between balances: SEPA payouts, crypto withdrawals, partner <-> user transfers.
//! Each is reviewed (exactly what will be sent, its fee, whether a second member must approve),
//! then submitted once under the review's key, then followed until P100 settles it.

use serde::{Deserialize, Serialize};

use super::UtcTime;
use super::approvals::ApprovalStatus;
use super::audit::AuditEntryView;
use super::balances::Holder;

named_enum!(
    /// The three ways money leaves a balance from the back office.
    MovementKind {
        Sepa => "sepa",
        Crypto => "crypto",
        Transfer => "transfer",
    }
);

impl MovementKind {
    pub fn label(self) -> &'static str {
        match self {
            MovementKind::Sepa => "SEPA payout",
            MovementKind::Crypto => "Crypto withdrawal",
            MovementKind::Transfer => "Internal transfer",
        }
    }
}

named_enum!(
    /// Where a movement stands. `awaiting_approval` waits for a second member; `submitting` is
    /// recorded and being sent; `pending` is accepted by P100; `unknown` means P100's answer never
    /// came: it is looked up in P100's history, never sent again.
    MovementStatus {
        AwaitingApproval => "awaiting_approval",
        Cancelled => "cancelled",
        Submitting => "submitting",
        Pending => "pending",
        Completed => "completed",
        Failed => "failed",
        Unknown => "unknown",
    }
);

impl MovementStatus {
    pub fn label(self) -> &'static str {
        match self {
            MovementStatus::AwaitingApproval => "Awaiting approval",
            MovementStatus::Cancelled => "Not sent",
            MovementStatus::Submitting => "Sending to P100",
            MovementStatus::Pending => "Processing at P100",
            MovementStatus::Completed => "Completed",
            MovementStatus::Failed => "Failed",
            MovementStatus::Unknown => "Outcome unknown",
        }
    }

    /// Still moving: the page keeps asking until it is not.
    pub fn in_flight(self) -> bool {
        matches!(
            self,
            MovementStatus::Submitting | MovementStatus::Pending | MovementStatus::Unknown
        )
    }
}

named_enum!(
    /// An internal transfer's direction: the API routes user to user through the partner, so
    /// only these two exist.
    Direction {
        ToUser => "to_user",
        ToPartner => "to_partner",
    }
);

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::ToUser => "Partner to user (funding)",
            Direction::ToPartner => "User to partner (collection)",
        }
    }
}

/// A SEPA payout as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SepaInput {
    pub holder: Holder,
    pub beneficiary: String,
    pub iban: String,
    pub bic: String,
    pub amount: String,
    pub reference: String,
}

/// A crypto withdrawal as typed. `beneficiary`, `wallet_type` and `receiver_type` are the travel
/// rule data P100 requires with every withdrawal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CryptoInput {
    pub holder: Holder,
    pub currency: String,
    pub network: String,
    pub address: String,
    pub amount: String,
    pub memo: String,
    pub beneficiary: String,
    pub wallet_type: String,
    pub receiver_type: String,
}

/// An internal transfer as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransferInput {
    pub user: String,
    pub direction: String,
    pub currency: String,
    pub amount: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovementInput {
    Sepa(SepaInput),
    Crypto(CryptoInput),
    Transfer(TransferInput),
}

impl MovementInput {
    pub fn kind(&self) -> MovementKind {
        match self {
            MovementInput::Sepa(_) => MovementKind::Sepa,
            MovementInput::Crypto(_) => MovementKind::Crypto,
            MovementInput::Transfer(_) => MovementKind::Transfer,
        }
    }
}

/// What submitting will do, shown before the member confirms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub kind: MovementKind,
    /// Label and value lines: from, to, amount, fee, what arrives, what leaves the balance.
    pub lines: Vec<(String, String)>,
    /// The exact request body P100 will receive, pretty-printed.
    pub request: String,
    /// `Some(threshold)` when the amount is above it and a second member must approve.
    pub approval_above: Option<String>,
    /// Submitting with this key records the movement once, however often it arrives.
    pub key: String,
}

/// A crypto balance's networks with P100's service fee and minimum, for the withdrawal form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkChoice {
    pub currency: String,
    pub network: String,
    pub label: String,
    pub service_fee: String,
    pub minimum: String,
    pub available: String,
}

/// What the new-movement forms need: balances to pick from, SEPA contacts, deposit info.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayoutContext {
    pub holder: Holder,
    /// `(currency code, formatted available amount)` of every balance.
    pub available: Vec<(String, String)>,
    pub networks: Vec<NetworkChoice>,
    /// `(name, IBAN)` from P100's contact list (the accounts closed-loop payouts may go to).
    pub contacts: Vec<(String, String)>,
    /// Where to pay in: IBAN, reference, BIC, account holder.
    pub deposit: Option<DepositInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositInfo {
    pub iban: String,
    pub reference: String,
    pub bic: String,
    pub holder: String,
}

/// The approval a movement waited for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementApproval {
    pub id: String,
    pub status: ApprovalStatus,
    pub checker: Option<String>,
    pub decided_at: Option<UtcTime>,
}

/// One movement as the list and its page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementView {
    pub id: String,
    pub kind: MovementKind,
    /// Whose balance pays: the partner or a user (for a transfer, where it comes from).
    pub from: String,
    /// IBAN, address, or the receiving balance.
    pub to: String,
    pub user: Option<String>,
    pub currency: String,
    pub amount: String,
    pub fee: String,
    pub network: Option<String>,
    pub beneficiary: Option<String>,
    pub bic: Option<String>,
    pub reference: Option<String>,
    pub status: MovementStatus,
    pub upstream_id: Option<String>,
    pub upstream_status: Option<String>,
    /// P100's words and code when it refused or failed the movement.
    pub failure: Option<String>,
    /// Set when a person must decide what became of it at P100.
    pub decision: Option<Decision>,
    pub approval: Option<MovementApproval>,
    pub created_by: String,
    pub created_at: UtcTime,
    pub submitted_at: Option<UtcTime>,
    pub updated_at: UtcTime,
}

/// A movement's page: the movement, the request sent and every audit row about it and its approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementDetail {
    pub movement: MovementView,
    pub request: String,
    pub timeline: Vec<AuditEntryView>,
    /// A person's decision about an unclear movement, waiting for a second member.
    pub pending_resolution: Option<super::approvals::PendingApproval>,
}

named_enum!(
    /// What a record whose outcome P100 left unclear is: a payout, withdrawal or transfer, or an
    /// exchange.
    Unclear {
        Movement => "movement",
        Exchange => "exchange",
    }
);

/// What a member decides became of an unclear record: it is P100's `upstream_id` (one of the
/// candidates shown), or P100 never received it (`None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveInput {
    pub subject: Unclear,
    pub id: String,
    pub upstream_id: Option<String>,
    pub note: String,
}

/// The list's status filter for unknown movements a person must decide (not a status of its own).
pub const NEEDS_DECISION: &str = "needs_decision";

/// The list's filters as the URL carries them; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MovementFilter {
    pub kind: String,
    pub status: String,
    pub currency: String,
    pub user: String,
    pub maker: String,
    pub from: String,
    pub to: String,
}

impl MovementFilter {
    pub const KEYS: [&'static str; 7] = ["kind", "status", "currency", "user", "maker", "from", "to"];

    pub fn values(&self) -> [&str; 7] {
        [
            &self.kind,
            &self.status,
            &self.currency,
            &self.user,
            &self.maker,
            &self.from,
            &self.to,
        ]
        .map(String::as_str)
    }

    pub fn from_pairs<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Self {
        let mut take = |k: &str| get(k).unwrap_or_default().to_owned();
        MovementFilter {
            kind: take("kind"),
            status: take("status"),
            currency: take("currency"),
            user: take("user"),
            maker: take("maker"),
            from: take("from"),
            to: take("to"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementList {
    pub rows: Vec<MovementView>,
    /// `(staff id, name)` of everyone who made one, for the filter.
    pub makers: Vec<(String, String)>,
}

/// One currency's four-eyes threshold as the settings page shows and edits it: empty means every
/// movement in that currency waits for a second member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub currency: String,
    pub amount: String,
}

/// The thresholds in force, and a change of them waiting for a second admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub thresholds: Vec<Threshold>,
    pub pending: Option<super::approvals::PendingApproval>,
}

/// A crypto deposit P100 holds until its travel rule data arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingDeposit {
    pub id: String,
    pub user: Option<String>,
    pub currency: String,
    pub amount: String,
    pub received_at: UtcTime,
}

/// The sender's travel rule data for a held deposit, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TravelRuleInput {
    pub deposit_id: String,
    pub name: String,
    pub wallet_type: String,
    pub sender_type: String,
}

/// Why a person must decide what became of a payout, withdrawal, transfer or exchange whose outcome
/// P100 left unclear, and the P100 ids that fit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub reason: String,
    pub candidates: Vec<String>,
}

impl Decision {
    /// From the stored reason and its JSON list of candidates.
    pub fn from_stored(reason: Option<String>, candidates: Option<&str>) -> Option<Decision> {
        reason.map(|reason| Decision {
            reason,
            candidates: candidates
                .and_then(|c| serde_json::from_str(c).ok())
                .unwrap_or_default(),
        })
    }
}
