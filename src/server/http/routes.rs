//! Every route besides the pages and the server functions, with who may use it. `router` mounts
//! these paths from here; the permission matrix (tests/integration/permissions.rs) walks the
//! table, and `boundaries` fails on a route mounted with a path from anywhere else, so a new route
//! cannot go unchecked.

use crate::domain::Permission;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Probes for load balancers and P100.
    Anyone,
    /// P100 with the webhook token (`webhooks::receive`).
    WebhookToken,
    /// A signed-in member holding every permission listed.
    Members(&'static [Permission]),
}

/// One route: its method and path as mounted, who may use it, and a request the matrix makes to it.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub probe: &'static str,
}

pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const AUDIT_CSV: &str = "/exports/audit.csv";
pub const TRANSACTIONS_CSV: &str = "/exports/transactions.csv";
pub const RECONCILIATION_CSV: &str = "/exports/reconciliation.csv";
pub const DEPOSITS_CSV: &str = "/exports/deposits.csv";
pub const COLLECTIONS_CSV: &str = "/exports/collections.csv";
pub const UPLOADS: &str = "/uploads/users/{id}/{what}";
/// Where P100 is told to send events (the partner registers this base with P100); it may deliver
/// to the base itself or to any path below it (REFERENCE §0 C7).
pub const WEBHOOKS: &str = "/webhooks/p100";
pub const WEBHOOKS_SLASH: &str = "/webhooks/p100/";
pub const WEBHOOKS_BELOW: &str = "/webhooks/p100/{*route}";
pub const WEBHOOK_HEALTH: &str = "/webhooks/p100/webhook/health";
/// The sandbox's JSON control (`sandbox::control::router`), mounted in sandbox mode only.
pub const SANDBOX_CONTROL: &str = crate::sandbox::control::CONTROL_PATH;

const fn members(
    method: &'static str,
    path: &'static str,
    required: &'static [Permission],
    probe: &'static str,
) -> Declared {
    Declared {
        method,
        path,
        access: Access::Members(required),
        probe,
    }
}

pub const ALL: &[Declared] = {
    use Permission::*;
    &[
        Declared {
            method: "GET",
            path: HEALTHZ,
            access: Access::Anyone,
            probe: HEALTHZ,
        },
        Declared {
            method: "GET",
            path: READYZ,
            access: Access::Anyone,
            probe: READYZ,
        },
        members("GET", AUDIT_CSV, &[AuditRead, ExportsCreate], AUDIT_CSV),
        members(
            "GET",
            TRANSACTIONS_CSV,
            &[BalancesRead, ExportsCreate],
            TRANSACTIONS_CSV,
        ),
        members(
            "GET",
            RECONCILIATION_CSV,
            &[ReconciliationManage, ExportsCreate],
            RECONCILIATION_CSV,
        ),
        members("GET", DEPOSITS_CSV, &[BalancesRead, ExportsCreate], DEPOSITS_CSV),
        members(
            "GET",
            COLLECTIONS_CSV,
            &[CollectionsRead, ExportsCreate],
            COLLECTIONS_CSV,
        ),
        members("POST", UPLOADS, &[KycSubmit], "/uploads/users/demo-0002/front"),
        Declared {
            method: "POST",
            path: WEBHOOKS,
            access: Access::WebhookToken,
            probe: WEBHOOKS,
        },
        Declared {
            method: "POST",
            path: WEBHOOKS_SLASH,
            access: Access::WebhookToken,
            probe: WEBHOOKS_SLASH,
        },
        Declared {
            method: "POST",
            path: WEBHOOKS_BELOW,
            access: Access::WebhookToken,
            probe: "/webhooks/p100/webhook/user/status",
        },
        Declared {
            method: "GET",
            path: WEBHOOK_HEALTH,
            access: Access::Anyone,
            probe: WEBHOOK_HEALTH,
        },
        Declared {
            method: "POST",
            path: WEBHOOK_HEALTH,
            access: Access::Anyone,
            probe: WEBHOOK_HEALTH,
        },
        members(
            "GET",
            SANDBOX_CONTROL,
            &[SandboxControl],
            "/sandbox/p100/_control/state",
        ),
    ]
};
