//! The home page: for finance, the live figures of the day; for everyone, the areas they may use.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::reconciliation::fetch_finance_home;
use crate::app::areas::{Area, SandboxMode};
use crate::app::components::{ErrorNotice, PageHeader, load_in_browser};
use crate::domain::Permission;
use crate::domain::money::display_text;
use crate::domain::reconciliation::FinanceHome;
use crate::domain::staff::Me;

/// How often the finance figures are read again while the page is open.
const REFRESH: Duration = Duration::from_secs(10);

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
        {me.can(Permission::ReconciliationManage).then(|| view! { <FinancePanel/> })}
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
        <p class="mt-6 text-xs text-slate-500">"Your permissions: " {permissions}</p>
    }
}

/// Pending approvals, stuck movements, open mismatches, today's completed totals and the last
/// webhook, read again every `REFRESH` without reloading the page.
#[component]
fn FinancePanel() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let figures = load_in_browser(move || {
        version.track();
        fetch_finance_home()
    });
    Effect::new(move |_| {
        if figures.with(Option::is_some) {
            set_timeout(move || version.update(|v| *v += 1), REFRESH);
        }
    });
    view! {
        <section class="mb-6" data-testid="finance-home">
            <h2 class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">"Finance today"</h2>
            {move || match figures.get() {
                None => view! { <p class="text-sm text-slate-500">"Loading…"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(f)) => view! { <Figures f/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Figures(f: FinanceHome) -> impl IntoView {
    let tile = |label: &'static str, value: String, href: &'static str, alert: bool, testid: &'static str| {
        let tone = if alert {
            "border-amber-300 bg-amber-50"
        } else {
            "border-slate-200 bg-white"
        };
        view! {
            <a href=href class=format!("block rounded-lg border px-3 py-2 shadow-sm hover:border-indigo-300 {tone}")>
                <div class="text-xs text-slate-500">{label}</div>
                <div class="text-lg font-semibold tabular-nums text-slate-900" data-testid=testid>{value}</div>
            </a>
        }
    };
    let today = if f.today.is_empty() {
        "Nothing completed yet".to_owned()
    } else {
        f.today
            .iter()
            .map(|t| format!("{} ({})", display_text(&t.amount, &t.currency), t.count))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    view! {
        <div class="grid grid-cols-2 gap-3 lg:grid-cols-7">
            {tile("Approvals waiting for you", f.pending_approvals.to_string(), "/approvals", f.pending_approvals > 0, "home-approvals")}
            {tile("Movements stuck", f.stuck.to_string(), "/payouts?status=unknown", f.stuck > 0, "home-stuck")}
            {tile("Need a decision", f.needs_decision.to_string(), "/payouts?status=needs_decision", f.needs_decision > 0, "home-needs-decision")}
            {tile("Open mismatches (30 days)", f.open_mismatches.to_string(), "/reconciliation?view=mismatch", f.open_mismatches > 0, "home-mismatches")}
            {tile("Last webhook (UTC)", f.last_webhook.as_ref().map_or_else(|| "none yet".into(), |t| t.display()), "/webhooks", false, "home-last-webhook")}
            {tile("Unrecognised webhooks", f.unrecognised_webhooks.to_string(), "/webhooks?kind=unrecognised", f.unrecognised_webhooks > 0, "home-unrecognised")}
            {tile("Webhooks not applied", f.stuck_webhooks.to_string(), "/webhooks?status=received", f.stuck_webhooks > 0, "home-webhooks-waiting")}
        </div>
        <p class="mt-2 text-sm text-slate-600" data-testid="home-today">"Completed today (UTC): " {today}</p>
        <p class="mt-1 text-xs text-slate-500">"As of " {f.as_of.display()} " UTC; refreshes every 10 seconds."</p>
    }
}
