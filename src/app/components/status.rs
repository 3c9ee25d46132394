//! Small labels: roles, outcomes, account states.

use leptos::prelude::*;

use crate::domain::Role;
use crate::domain::approvals::ApprovalStatus;
use crate::domain::collections::CollectionStatus;
use crate::domain::exchanges::ExchangeStatus;
use crate::domain::movements::MovementStatus;
use crate::domain::users::{AccountState, KycState, account_label};

#[derive(Clone, Copy)]
pub enum Tone {
    Neutral,
    Good,
    Warn,
    Bad,
    Info,
}

impl Tone {
    /// The badge's classes (style/tailwind.css).
    pub fn badge(self) -> &'static str {
        match self {
            Tone::Neutral => "badge badge-neutral",
            Tone::Good => "badge badge-good",
            Tone::Warn => "badge badge-warn",
            Tone::Bad => "badge badge-bad",
            Tone::Info => "badge badge-info",
        }
    }
}

#[component]
pub fn Badge(tone: Tone, children: Children) -> impl IntoView {
    view! { <span class=tone.badge()>{children()}</span> }
}

#[component]
pub fn RoleBadges(roles: Vec<Role>) -> impl IntoView {
    view! {
        <span class="inline-flex flex-wrap gap-1">
            {roles.into_iter().map(|r| view! { <Badge tone=Tone::Info>{r.label()}</Badge> }).collect_view()}
        </span>
    }
}

pub fn kyc_tone(state: KycState) -> Tone {
    match state {
        KycState::Verified => Tone::Good,
        KycState::Pending | KycState::InReview => Tone::Info,
        KycState::Rejected | KycState::Expired => Tone::Bad,
        KycState::NotStarted => Tone::Neutral,
    }
}

/// An account status as P100 reports it; one it adds later reads as neutral.
pub fn account_tone(status: &str) -> Tone {
    match AccountState::parse(status) {
        Some(AccountState::Active) => Tone::Good,
        Some(AccountState::Suspended) => Tone::Warn,
        Some(AccountState::Deleted) => Tone::Bad,
        _ => Tone::Neutral,
    }
}

#[component]
pub fn KycBadge(state: KycState) -> impl IntoView {
    view! { <Badge tone=kyc_tone(state) attr:data-kyc=state.as_str()>{state.label()}</Badge> }
}

/// An account status as P100 reports it; one it adds later shows as it came.
#[component]
pub fn AccountBadge(#[prop(into)] status: String) -> impl IntoView {
    let label = account_label(&status);
    view! { <Badge tone=account_tone(&status) attr:data-account=status>{label}</Badge> }
}

#[component]
pub fn ApprovalBadge(status: ApprovalStatus) -> impl IntoView {
    let tone = match status {
        ApprovalStatus::Pending | ApprovalStatus::Approved => Tone::Warn,
        ApprovalStatus::Executed => Tone::Good,
        ApprovalStatus::Failed | ApprovalStatus::Rejected => Tone::Bad,
        ApprovalStatus::Expired | ApprovalStatus::Withdrawn => Tone::Neutral,
    };
    view! { <Badge tone attr:data-approval=status.as_str()>{status.label()}</Badge> }
}

#[component]
pub fn ExchangeBadge(status: ExchangeStatus) -> impl IntoView {
    let tone = match status {
        ExchangeStatus::Locked => Tone::Info,
        ExchangeStatus::Submitting | ExchangeStatus::Pending | ExchangeStatus::Unknown => Tone::Warn,
        ExchangeStatus::Completed => Tone::Good,
        ExchangeStatus::Failed => Tone::Bad,
        ExchangeStatus::Expired => Tone::Neutral,
    };
    view! { <Badge tone attr:data-exchange=status.as_str()>{status.label()}</Badge> }
}

#[component]
pub fn MovementBadge(status: MovementStatus) -> impl IntoView {
    let tone = match status {
        MovementStatus::AwaitingApproval => Tone::Info,
        MovementStatus::Submitting | MovementStatus::Pending | MovementStatus::Unknown => Tone::Warn,
        MovementStatus::Completed => Tone::Good,
        MovementStatus::Failed => Tone::Bad,
        MovementStatus::Cancelled => Tone::Neutral,
    };
    view! { <Badge tone attr:data-movement=status.as_str()>{status.label()}</Badge> }
}

#[component]
pub fn CollectionBadge(status: CollectionStatus) -> impl IntoView {
    let tone = match status {
        CollectionStatus::Locked | CollectionStatus::WaitingForAddress | CollectionStatus::AwaitingPayment => {
            Tone::Info
        }
        CollectionStatus::Creating
        | CollectionStatus::Unknown
        | CollectionStatus::Underpaid
        | CollectionStatus::Confirming => Tone::Warn,
        CollectionStatus::Paid => Tone::Good,
        CollectionStatus::Failed => Tone::Bad,
        CollectionStatus::LockExpired | CollectionStatus::Expired => Tone::Neutral,
    };
    view! { <Badge tone attr:data-collection=status.as_str()>{status.label()}</Badge> }
}
