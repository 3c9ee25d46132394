//! The areas of the back office: the sidebar, the home page and the route guards all read this.

use crate::domain::Permission;
use crate::domain::staff::Me;

/// Whether the app runs against the built-in P100 sandbox; provided as context to signed-in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxMode(pub bool);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Users,
    KycQueue,
    Payouts,
    Deposits,
    Exchanges,
    Collections,
    Balances,
    Approvals,
    Reconciliation,
    Webhooks,
    Audit,
    Staff,
    Settings,
    Sandbox,
}

impl Area {
    pub const ALL: [Area; 14] = [
        Area::Users,
        Area::KycQueue,
        Area::Payouts,
        Area::Deposits,
        Area::Exchanges,
        Area::Collections,
        Area::Balances,
        Area::Approvals,
        Area::Reconciliation,
        Area::Webhooks,
        Area::Audit,
        Area::Staff,
        Area::Settings,
        Area::Sandbox,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Area::Users => "/users",
            Area::KycQueue => "/kyc",
            Area::Payouts => "/payouts",
            Area::Deposits => "/deposits",
            Area::Exchanges => "/exchanges",
            Area::Collections => "/collections",
            Area::Balances => "/balances",
            Area::Approvals => "/approvals",
            Area::Reconciliation => "/reconciliation",
            Area::Webhooks => "/webhooks",
            Area::Audit => "/audit",
            Area::Staff => "/staff",
            Area::Settings => "/settings",
            Area::Sandbox => "/sandbox",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::Users => "Users",
            Area::KycQueue => "KYC queue",
            Area::Payouts => "Payouts",
            Area::Deposits => "Deposits",
            Area::Exchanges => "Exchanges",
            Area::Collections => "Collections",
            Area::Balances => "Balances",
            Area::Approvals => "Approvals",
            Area::Reconciliation => "Reconciliation",
            Area::Webhooks => "Webhooks",
            Area::Audit => "Audit log",
            Area::Staff => "Staff",
            Area::Settings => "Settings",
            Area::Sandbox => "Sandbox",
        }
    }

    /// The permission that opens the area.
    pub fn permission(self) -> Permission {
        match self {
            Area::Users => Permission::UsersRead,
            Area::KycQueue => Permission::KycReview,
            Area::Payouts | Area::Deposits | Area::Exchanges | Area::Balances => Permission::BalancesRead,
            Area::Collections => Permission::CollectionsRead,
            Area::Approvals => Permission::ApprovalsDecide,
            Area::Reconciliation => Permission::ReconciliationManage,
            Area::Webhooks => Permission::WebhooksRead,
            Area::Audit => Permission::AuditRead,
            Area::Staff => Permission::StaffManage,
            Area::Settings => Permission::SettingsManage,
            Area::Sandbox => Permission::SandboxControl,
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Area::Users => "Find any user, onboard new ones, run KYC and manage their accounts.",
            Area::KycQueue => "Every verification that is not final, oldest first, with its SLA.",
            Area::Payouts => "SEPA payouts, crypto withdrawals and partner-user transfers.",
            Area::Deposits => "SEPA and crypto deposits for the partner and its users.",
            Area::Exchanges => "Quote, lock and finalize currency exchanges.",
            Area::Collections => "Crypto orders and payment links: collect in crypto, settle in EUR.",
            Area::Balances => "Partner and user balances with their transaction history.",
            Area::Approvals => "Four-eyes decisions on deletions and large payouts.",
            Area::Reconciliation => "Our movements beside P100 and its webhooks; the mismatch queue.",
            Area::Webhooks => "Every delivery from P100, its processing, and processing it again.",
            Area::Audit => "Who did what, when, to whom: append-only and hash-chained.",
            Area::Staff => "Staff accounts, their roles, and access.",
            Area::Settings => "Four-eyes thresholds per currency; reconciliation's grace.",
            Area::Sandbox => "Scenarios and faults of the built-in P100 simulator.",
        }
    }

    /// The areas `me` may open, in sidebar order. The sandbox controls exist only in sandbox mode.
    pub fn open_to(me: &Me, sandbox: SandboxMode) -> Vec<Area> {
        Area::ALL
            .into_iter()
            .filter(|a| me.can(a.permission()) && (*a != Area::Sandbox || sandbox.0))
            .collect()
    }
}
