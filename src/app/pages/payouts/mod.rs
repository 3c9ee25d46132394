//! Money out and between balances: the list of every movement started here, the new-movement forms
//! with their review step, one movement's page, and travel rule data for held crypto deposits.

pub mod detail;
pub mod new;
pub mod travel_rule;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::movements::fetch_movements;
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{BUTTON_PRIMARY, BUTTON_SECONDARY, currency_options};
use crate::app::components::status::MovementBadge;
use crate::app::components::{ErrorNotice, Loads, PageHeader, TableFrame, table};
use crate::domain::movements::{MovementFilter, MovementKind, MovementList, MovementStatus, NEEDS_DECISION};
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission};

/// The new-movement page for `kind`.
pub fn new_href(kind: MovementKind) -> String {
    format!("/payouts/new?kind={}", kind.as_str())
}

#[component]
pub fn PayoutsPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| MovementFilter::from_pairs(|k| q.get_str(k))));
    let list = Resource::new(move || filter.get(), fetch_movements);
    let can_pay = me.can(Permission::PayoutsCreate);
    let can_transfer = me.can(Permission::TransfersCreate);
    let can_travel = me.can(Permission::TravelRuleSubmit);
    view! {
        <PageHeader title="Payouts" subtitle="SEPA payouts, crypto withdrawals and transfers started here, newest first.">
            <div class="flex flex-wrap gap-2">
                {can_travel.then(|| view! { <a href="/payouts/travel-rule" class=BUTTON_SECONDARY>"Travel rule"</a> })}
                {can_transfer.then(|| view! { <a href=new_href(MovementKind::Transfer) class=BUTTON_SECONDARY>"New transfer"</a> })}
                {can_pay.then(|| view! {
                    <a href=new_href(MovementKind::Crypto) class=BUTTON_SECONDARY>"New crypto withdrawal"</a>
                    <a href=new_href(MovementKind::Sepa) class=BUTTON_PRIMARY>"New SEPA payout"</a>
                })}
            </div>
        </PageHeader>
        <Loads>
            {move || Suspend::new(async move {
                let current = filter.get_untracked();
                match list.await {
                    Err(AppError::Invalid(errors)) => view! { <Filters current makers=Vec::new() errors/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! { <Filters current makers=list.makers.clone()/> <MovementTable list/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn Filters(
    current: MovementFilter,
    makers: Vec<(String, String)>,
    #[prop(optional)] errors: FieldErrors,
) -> impl IntoView {
    let kinds = MovementKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let statuses = MovementStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .chain([(NEEDS_DECISION.to_owned(), "Needs a decision".to_owned())])
        .collect();
    let fields = vec![
        FilterField::select("kind", "Kind", kinds, "Any"),
        FilterField::select("status", "Status", statuses, "Any"),
        FilterField::select("currency", "Currency", currency_options(), "Any"),
        FilterField::text("user", "User (id or partner)", "partner"),
        FilterField::select("maker", "Made by", makers, "Anyone"),
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    view! {
        <FilterForm path="/payouts" fields current errors testid="movement-filters"
            class="mb-4 grid-cols-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-4 xl:grid-cols-[repeat(3,minmax(0,1.25fr))_repeat(4,minmax(0,1fr))_auto]"/>
    }
}

#[component]
fn MovementTable(list: MovementList) -> impl IntoView {
    let empty = list.rows.is_empty();
    view! {
        <TableFrame label="Payouts, withdrawals and transfers">
            <table class=table::TABLE data-testid="movements">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Made (UTC)"</th>
                        <th>"Kind"</th>
                        <th>"From"</th>
                        <th>"To"</th>
                        <th class="text-right">"Amount"</th>
                        <th>"Status"</th>
                        <th>"Made by"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="7" class="p-3 text-center text-slate-500">"No movements match."</td></tr> })}
                    {list.rows.into_iter().map(|m| view! {
                        <tr data-movement-id=m.id.clone()>
                            <td class="whitespace-nowrap">
                                <a href=format!("/payouts/{}", m.id) class="text-indigo-700 hover:underline">{m.created_at.display()}</a>
                            </td>
                            <td class="whitespace-nowrap">{m.kind.label()}</td>
                            <td class="whitespace-nowrap">{m.from}</td>
                            <td class="max-w-72 truncate font-mono text-xs" title=m.to.clone()>{m.to.clone()}</td>
                            <td class=table::NUM>{m.amount}</td>
                            <td>
                                <MovementBadge status=m.status/>
                                {m.decision.is_some().then(|| view! {
                                    <span class="ml-1 whitespace-nowrap text-xs font-medium text-amber-800" data-testid="row-needs-decision">"needs a decision"</span>
                                })}
                            </td>
                            <td class="whitespace-nowrap">{m.created_by}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}
