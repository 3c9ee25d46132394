//! The home page: the areas this member may use.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::app::areas::{Area, SandboxMode};
use crate::app::components::PageHeader;
use crate::domain::staff::Me;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = expect_context::<Me>();
    let areas = Area::open_to(&me, expect_context::<SandboxMode>());
    let first_name = me.name.split_whitespace().next().unwrap_or_default().to_owned();
    let permissions = me.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
    view! {
        <Title text="Home"/>
        <PageHeader title="Home" subtitle="Your areas of the back office."/>
        <p class="mb-4 text-slate-600" data-testid="welcome">"Welcome, " {first_name} "."</p>
        <div class="grid grid-cols-1 gap-3 md:grid-cols-2 xl:grid-cols-3" data-testid="area-cards">
            {areas.into_iter().map(|area| view! {
                <A href=area.path() attr:class="block rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-indigo-300 hover:shadow">
                    <div class="flex items-center justify-between">
                        <span class="font-medium text-slate-900">{area.label()}</span>
                    </div>
                    <p class="mt-1 text-xs text-slate-500">{area.summary()}</p>
                </A>
            }).collect_view()}
        </div>
        <p class="mt-6 text-xs text-slate-400">"Your permissions: " {permissions}</p>
    }
}
