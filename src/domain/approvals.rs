//! Four-eyes approvals: an action that must not rest on one person (deleting a user, a large payout)
//! is stored as a request with its exact payload; a second member approves that payload's hash, and
//! only then does it run, once.

use serde::{Deserialize, Serialize};

use super::{Permission, UtcTime};

named_enum!(
    /// An action that waits for a second person. Each names who may ask for it and who may decide.
    ApprovalAction {
        UserDelete => "users.delete",
        Payout => "payouts.send",
        Transfer => "transfers.send",
        Resolve => "payouts.resolve",
        ResolveExchange => "exchanges.resolve",
        Thresholds => "settings.thresholds",
    }
);

impl ApprovalAction {
    pub fn label(self) -> &'static str {
        match self {
            ApprovalAction::UserDelete => "Delete user",
            ApprovalAction::Payout => "Payout or withdrawal",
            ApprovalAction::Transfer => "Internal transfer",
            ApprovalAction::Resolve => "Decide an unclear payout",
            ApprovalAction::ResolveExchange => "Decide an unclear exchange",
            ApprovalAction::Thresholds => "Change four-eyes thresholds",
        }
    }

    /// What the maker must hold to ask.
    pub fn maker_permission(self) -> Permission {
        match self {
            ApprovalAction::UserDelete => Permission::UsersDelete,
            ApprovalAction::Payout => Permission::PayoutsCreate,
            ApprovalAction::Transfer => Permission::TransfersCreate,
            ApprovalAction::Resolve | ApprovalAction::ResolveExchange => Permission::PayoutsResolve,
            ApprovalAction::Thresholds => Permission::SettingsManage,
        }
    }

    /// What the checker must hold to decide: `approvals.decide` (which alone creates nothing) and
    /// the area's own permission, so a finance checker cannot approve deleting a user.
    pub fn checker_permissions(self) -> &'static [Permission] {
        match self {
            ApprovalAction::UserDelete => &[Permission::ApprovalsDecide, Permission::UsersDelete],
            ApprovalAction::Payout | ApprovalAction::Transfer => {
                &[Permission::ApprovalsDecide, Permission::PayoutsApprove]
            }
            ApprovalAction::Resolve | ApprovalAction::ResolveExchange => {
                &[Permission::ApprovalsDecide, Permission::PayoutsResolve]
            }
            ApprovalAction::Thresholds => &[Permission::ApprovalsDecide, Permission::SettingsManage],
        }
    }

    /// Where the request's target lives in the app.
    pub fn target_href(self, target_id: &str) -> String {
        match self {
            ApprovalAction::UserDelete => format!("/users/{target_id}"),
            ApprovalAction::Payout | ApprovalAction::Transfer | ApprovalAction::Resolve => {
                format!("/payouts/{target_id}")
            }
            ApprovalAction::ResolveExchange => format!("/exchanges/{target_id}"),
            ApprovalAction::Thresholds => "/settings".to_owned(),
        }
    }
}

named_enum!(
    /// Where a request stands. `Approved` is the short moment between the decision and the result.
    ApprovalStatus {
        Pending => "pending",
        Approved => "approved",
        Executed => "executed",
        Failed => "failed",
        Rejected => "rejected",
        Expired => "expired",
        Withdrawn => "withdrawn",
    }
);

impl ApprovalStatus {
    pub fn label(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "Awaiting approval",
            ApprovalStatus::Approved => "Approved, running",
            ApprovalStatus::Executed => "Approved and done",
            ApprovalStatus::Failed => "Approved, failed",
            ApprovalStatus::Rejected => "Rejected",
            ApprovalStatus::Expired => "Expired",
            ApprovalStatus::Withdrawn => "Withdrawn",
        }
    }

    /// Still open: the only states in which a second request for the same target is refused.
    pub fn open(self) -> bool {
        matches!(self, ApprovalStatus::Pending | ApprovalStatus::Approved)
    }
}

/// A request as the inbox and its page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: String,
    pub action: ApprovalAction,
    pub target_id: String,
    /// What the checker must see, as label and value lines (who, what, checks made).
    pub review: Vec<(String, String)>,
    /// The exact call that will be made upstream, pretty-printed.
    pub upstream: String,
    /// SHA-256 of the stored payload; approving sends it back.
    pub payload_hash: String,
    pub maker: String,
    pub reason: String,
    pub status: ApprovalStatus,
    pub created_at: UtcTime,
    pub expires_at: UtcTime,
    pub checker: Option<String>,
    pub decided_at: Option<UtcTime>,
    pub decision_reason: Option<String>,
    pub finished_at: Option<UtcTime>,
    /// Why execution failed, in words with the code.
    pub failure: Option<String>,
    /// The signed-in member asked for it (and so may withdraw it, never approve it).
    pub mine: bool,
    /// The signed-in member may approve or reject it now.
    pub may_decide: bool,
}

/// The inbox: open requests first (oldest first), then the latest decided ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalInbox {
    pub open: Vec<ApprovalView>,
    pub decided: Vec<ApprovalView>,
    /// Staff who made requests, for the maker filter: (id, name).
    pub makers: Vec<(String, String)>,
}

/// The inbox filters as the URL carries them; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalQuery {
    pub action: String,
    pub maker: String,
    /// Only requests older than this many hours.
    pub older_than_hours: String,
}

/// A checker's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Approve the payload whose hash the checker saw.
    Approve {
        payload_hash: String,
    },
    Reject {
        reason: String,
    },
}

/// A request as its target's page mentions it: "deletion awaiting approval since …".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingApproval {
    pub id: String,
    pub action: ApprovalAction,
    pub maker: String,
    pub created_at: UtcTime,
}
