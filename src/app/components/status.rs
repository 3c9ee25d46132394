//! Small labels: roles, outcomes, account states.

use leptos::prelude::*;

use crate::domain::Role;
use crate::domain::approvals::ApprovalStatus;
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

#[component]
pub fn Badge(tone: Tone, children: Children) -> impl IntoView {
    let colours = match tone {
        Tone::Neutral => "bg-slate-100 text-slate-700 ring-slate-200",
        Tone::Good => "bg-emerald-50 text-emerald-700 ring-emerald-200",
        Tone::Warn => "bg-amber-50 text-amber-800 ring-amber-200",
        Tone::Bad => "bg-red-50 text-red-700 ring-red-200",
        Tone::Info => "bg-indigo-50 text-indigo-700 ring-indigo-200",
    };
    view! {
        <span class=format!("inline-flex items-center rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset {colours}")>
            {children()}
        </span>
    }
}

#[component]
pub fn RoleBadges(roles: Vec<Role>) -> impl IntoView {
    view! {
        <span class="inline-flex flex-wrap gap-1">
            {roles.into_iter().map(|r| view! { <Badge tone=Tone::Info>{r.label()}</Badge> }).collect_view()}
        </span>
    }
}

#[component]
pub fn KycBadge(state: KycState) -> impl IntoView {
    let tone = match state {
        KycState::Verified => Tone::Good,
        KycState::Pending | KycState::InReview => Tone::Info,
        KycState::Rejected | KycState::Expired => Tone::Bad,
        KycState::NotStarted => Tone::Neutral,
    };
    view! { <span data-kyc=state.as_str()><Badge tone>{state.label()}</Badge></span> }
}

/// An account status as P100 reports it; one it adds later shows as it came.
#[component]
pub fn AccountBadge(#[prop(into)] status: String) -> impl IntoView {
    let tone = match AccountState::parse(&status) {
        Some(AccountState::Active) => Tone::Good,
        Some(AccountState::Suspended) => Tone::Warn,
        Some(AccountState::Deleted) => Tone::Bad,
        _ => Tone::Neutral,
    };
    let label = account_label(&status);
    view! { <span data-account=status><Badge tone>{label}</Badge></span> }
}

#[component]
pub fn ApprovalBadge(status: ApprovalStatus) -> impl IntoView {
    let tone = match status {
        ApprovalStatus::Pending | ApprovalStatus::Approved => Tone::Warn,
        ApprovalStatus::Executed => Tone::Good,
        ApprovalStatus::Failed | ApprovalStatus::Rejected => Tone::Bad,
        ApprovalStatus::Expired | ApprovalStatus::Withdrawn => Tone::Neutral,
    };
    view! { <span data-approval=status.as_str()><Badge tone>{status.label()}</Badge></span> }
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
    view! { <span data-exchange=status.as_str()><Badge tone>{status.label()}</Badge></span> }
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
    view! { <span data-movement=status.as_str()><Badge tone>{status.label()}</Badge></span> }
}
