//! Small labels: roles, outcomes, account states.

use leptos::prelude::*;

use crate::domain::Role;

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
