//! Money that arrives: every SEPA and crypto deposit P100 announced, for the partner and per user,
//! with the travel rule state of crypto deposits. Read-only: P100's webhooks write it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::deposits::fetch_deposits;
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{BUTTON_SECONDARY, currency_options};
use crate::app::components::status::{Badge, Tone};
use crate::app::components::{ErrorNotice, Loads, PageHeader, TableFrame, filtered_href, table};
use crate::domain::deposits::{DepositFilter, DepositKind, DepositList, DepositView, STATUSES, status_label};
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission, money};

#[component]
pub fn DepositsPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| DepositFilter::from_pairs(|k| q.get_str(k))));
    let list = Resource::new(move || filter.get(), fetch_deposits);
    let export = move || {
        let filter = filter.get();
        filtered_href(
            "/exports/deposits.csv",
            DepositFilter::KEYS.into_iter().zip(filter.values()),
        )
    };
    view! {
        <PageHeader title="Deposits" subtitle="SEPA and crypto deposits P100 announced, newest first.">
            {me.can(Permission::ExportsCreate).then(|| view! {
                <a href=export class=BUTTON_SECONDARY download="" data-testid="export-deposits">"Export CSV"</a>
            })}
        </PageHeader>
        <Loads>
            {move || Suspend::new(async move {
                let current = filter.get_untracked();
                match list.await {
                    Err(AppError::Invalid(errors)) => view! { <Filters current errors/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! { <Filters current/> <DepositTable list/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn Filters(current: DepositFilter, #[prop(optional)] errors: FieldErrors) -> impl IntoView {
    let kinds = DepositKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let statuses = STATUSES.iter().map(|s| (s.to_string(), status_label(s))).collect();
    let fields = vec![
        FilterField::select("kind", "Kind", kinds, "Any"),
        FilterField::select("status", "Status", statuses, "Any"),
        FilterField::select("currency", "Currency", currency_options(), "Any"),
        FilterField::text("user", "Holder (user id or partner)", "partner"),
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    view! {
        <FilterForm path="/deposits" fields current errors testid="deposit-filters"
            class="mb-4 grid-cols-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-4 xl:grid-cols-[repeat(4,minmax(0,1.25fr))_repeat(2,minmax(0,1fr))_auto]"/>
    }
}

/// P100's status word as a badge: credited, failed, or on its way.
#[component]
pub fn DepositBadge(status: String) -> impl IntoView {
    let tone = match status.as_str() {
        "SUCCESSFUL" | "APPROVED" => Tone::Good,
        "UNSUCCESSFUL" | "FAILED" | "REJECTED" | "CANCELLED" => Tone::Bad,
        "WAITING_FOR_TR_DATA" => Tone::Warn,
        _ => Tone::Info,
    };
    view! { <Badge tone>{status_label(&status)}</Badge> }
}

/// The travel rule cell: only crypto deposits have one.
fn travel_rule(d: &DepositView) -> &'static str {
    match (d.kind, d.travel_rule) {
        (DepositKind::Sepa, _) => "",
        (DepositKind::Crypto, None) => "not asked",
        (DepositKind::Crypto, Some(t)) => t.label(),
    }
}

/// The deposits as rows; `holder` adds the holder column (the list of all holders).
#[component]
pub fn DepositRows(rows: Vec<DepositView>, holder: bool) -> impl IntoView {
    let columns = if holder { 8 } else { 7 };
    let empty = rows.is_empty();
    view! {
        <TableFrame label="Deposits">
            <table class=table::TABLE data-testid="deposits">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Received (UTC)"</th>
                        <th>"Kind"</th>
                        {holder.then(|| view! { <th>"Holder"</th> })}
                        <th class="text-right">"Amount"</th>
                        <th>"Sender"</th>
                        <th>"Status"</th>
                        <th>"Travel rule"</th>
                        <th>"P100 id"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan=columns class="p-3 text-center text-slate-500">"No deposits match."</td></tr> })}
                    {rows.into_iter().map(|d| {
                        let rule = travel_rule(&d);
                        let user_href = d.user.as_ref().map(|u| format!("/users/{u}"));
                        view! {
                            <tr data-deposit-id=d.upstream_id.clone() data-testid="deposit-row">
                                <td class="whitespace-nowrap">{d.received_at.display()}</td>
                                <td class="whitespace-nowrap">{d.kind.label()}</td>
                                {holder.then(|| view! {
                                    <td class="whitespace-nowrap">
                                        {match user_href {
                                            Some(href) => view! { <a href=href class="text-indigo-700 hover:underline">{d.holder.clone()}</a> }.into_any(),
                                            None => d.holder.clone().into_any(),
                                        }}
                                    </td>
                                })}
                                <td class=table::NUM data-testid="deposit-amount">{money::display_text(&d.amount, &d.currency)}</td>
                                <td class="max-w-48 truncate text-xs" title=d.sender.clone().unwrap_or_default()>{d.sender.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="whitespace-nowrap" data-testid="deposit-status"><DepositBadge status=d.status.clone()/></td>
                                <td class="whitespace-nowrap">{rule}</td>
                                <td class="max-w-48 truncate font-mono text-xs" title=d.tx_hash.clone().unwrap_or_default()>{d.upstream_id.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}

#[component]
fn DepositTable(list: DepositList) -> impl IntoView {
    view! {
        <DepositRows rows=list.rows holder=true/>
        {list.truncated.then(|| view! {
            <p class="mt-2 text-xs text-slate-500" data-testid="deposits-truncated">"Showing the newest 200: narrow the filters, or export them all."</p>
        })}
    }
}
