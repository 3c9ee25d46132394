//! Quick find: one box on every page that finds a user, a payout, an exchange, an order or payment
//! link, a staff member or an audit row from whatever a member was just given (a name, an email, an id of ours or of P100's).

use serde::{Deserialize, Serialize};

/// The longest term the box takes: no id, name or email anyone types is longer.
pub const MAX_TERM: usize = 100;

/// At most this many results of each kind.
pub const PER_KIND: usize = 5;

named_enum!(
    /// What a result is, in the order the box lists them.
    FoundKind {
        User => "user",
        Movement => "movement",
        Exchange => "exchange",
        Collection => "collection",
        Staff => "staff",
        Audit => "audit",
    }
);

impl FoundKind {
    pub fn heading(self) -> &'static str {
        match self {
            FoundKind::User => "Users",
            FoundKind::Movement => "Payouts, withdrawals and transfers",
            FoundKind::Exchange => "Exchanges",
            FoundKind::Collection => "Orders and payment links",
            FoundKind::Staff => "Staff",
            FoundKind::Audit => "Audit log",
        }
    }
}

/// One result: what it is, how it reads, and the page it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub kind: FoundKind,
    pub title: String,
    pub detail: String,
    pub href: String,
}
