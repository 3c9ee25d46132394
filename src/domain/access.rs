//! Roles and permissions: the one table that says who may do what.
//!
//! The browser uses it only to hide what a role cannot do; every server function checks it again.

use serde::{Deserialize, Serialize};

named_enum!(
    /// One thing a staff member may do. Creating and approving are always separate permissions.
    Permission {
        UsersRead => "users.read",
        UsersCreate => "users.create",
        UsersUpdate => "users.update",
        UsersNote => "users.note",
        KycSubmit => "kyc.submit",
        KycReview => "kyc.review",
        UsersSuspend => "users.suspend",
        UsersDelete => "users.delete",
        PiiView => "pii.view",
        BalancesRead => "balances.read",
        ExchangesCreate => "exchanges.create",
        CollectionsRead => "collections.read",
        CollectionsCreate => "collections.create",
        PayoutsCreate => "payouts.create",
        PayoutsApprove => "payouts.approve",
        PayoutsResolve => "payouts.resolve",
        TransfersCreate => "transfers.create",
        TravelRuleSubmit => "travel_rule.submit",
        ApprovalsDecide => "approvals.decide",
        ReconciliationManage => "reconciliation.manage",
        ExportsCreate => "exports.create",
        WebhooksRead => "webhooks.read",
        AuditRead => "audit.read",
        StaffManage => "staff.manage",
        SettingsManage => "settings.manage",
        SandboxControl => "sandbox.control",
    }
);

named_enum!(
    /// A named set of permissions. A staff member may hold several; they get the union.
    Role {
        Admin => "admin",
        Onboarding => "onboarding",
        Compliance => "compliance",
        Finance => "finance",
        Viewer => "viewer",
    }
);

impl Role {
    /// The permission table. Change access here and nowhere else.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => Permission::ALL,
            Role::Onboarding => &[UsersRead, UsersCreate, UsersUpdate, UsersNote, KycSubmit, PiiView],
            Role::Compliance => &[
                UsersRead,
                UsersNote,
                KycReview,
                UsersSuspend,
                UsersDelete,
                PiiView,
                BalancesRead,
                TravelRuleSubmit,
                ApprovalsDecide,
                ExportsCreate,
                AuditRead,
                CollectionsRead,
            ],
            Role::Finance => &[
                UsersRead,
                BalancesRead,
                ExchangesCreate,
                CollectionsRead,
                CollectionsCreate,
                PayoutsCreate,
                PayoutsApprove,
                PayoutsResolve,
                TransfersCreate,
                TravelRuleSubmit,
                ApprovalsDecide,
                ReconciliationManage,
                ExportsCreate,
                WebhooksRead,
            ],
            Role::Viewer => &[UsersRead, BalancesRead, CollectionsRead, AuditRead, ExportsCreate],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Onboarding => "Onboarding",
            Role::Compliance => "Compliance",
            Role::Finance => "Finance",
            Role::Viewer => "Viewer",
        }
    }
}

/// What a server function or route asks of the member: every permission listed, or one of them.
#[derive(Debug, Clone, Copy)]
pub enum Need<'a> {
    All(&'a [Permission]),
    Any(&'a [Permission]),
}

impl Need<'_> {
    /// In words, for the audit row of a refusal.
    pub fn describe(self) -> String {
        let (list, joiner) = match self {
            Need::All(list) => (list, ", "),
            Need::Any(list) => (list, " or "),
        };
        list.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(joiner)
    }
}

/// The permissions a staff member holds: the union of their roles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions(Vec<Permission>);

impl Permissions {
    pub fn of_roles(roles: &[Role]) -> Self {
        let mut all: Vec<Permission> = roles.iter().flat_map(|r| r.permissions()).copied().collect();
        all.sort();
        all.dedup();
        Self(all)
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.0.binary_search(&permission).is_ok()
    }

    pub fn has_all(&self, required: &[Permission]) -> bool {
        required.iter().all(|p| self.has(*p))
    }

    pub fn meets(&self, need: Need<'_>) -> bool {
        match need {
            Need::All(all) => self.has_all(all),
            Need::Any(any) => any.iter().any(|p| self.has(*p)),
        }
    }

    /// A role may be granted only by someone who already holds every permission it carries,
    /// so staff administration can never be used to gain access one does not have.
    pub fn may_grant(&self, role: Role) -> bool {
        self.has_all(role.permissions())
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(*p));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn roles_union_and_grants() {
        let finance = Permissions::of_roles(&[Role::Finance]);
        assert!(finance.has(Permission::PayoutsCreate));
        assert!(!finance.has(Permission::StaffManage));
        assert!(!finance.may_grant(Role::Admin));
        assert!(finance.may_grant(Role::Finance));
        assert!(!finance.may_grant(Role::Onboarding));

        let both = Permissions::of_roles(&[Role::Finance, Role::Onboarding]);
        assert!(both.has(Permission::PayoutsCreate) && both.has(Permission::UsersCreate));

        let admin = Permissions::of_roles(&[Role::Admin]);
        assert!(Role::ALL.iter().all(|r| admin.may_grant(*r)));
    }

    #[test]
    fn only_admin_manages_staff_and_viewer_never_mutates() {
        for role in Role::ALL {
            let p = Permissions::of_roles(&[*role]);
            assert_eq!(p.has(Permission::StaffManage), *role == Role::Admin);
        }
        let viewer = Permissions::of_roles(&[Role::Viewer]);
        let read_only = [
            Permission::UsersRead,
            Permission::BalancesRead,
            Permission::CollectionsRead,
            Permission::AuditRead,
            Permission::ExportsCreate,
        ];
        assert!(viewer.iter().all(|p| read_only.contains(&p)));
    }
}
