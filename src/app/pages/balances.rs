//! Balances and transaction history: the partner's own on `/balances`, a user's on
//! `/balances/users/<id>` (picked by search) and on the user page. Everything here is read live from
//! P100 once the page shows, so a slow P100 never holds the page.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use leptos_router::location::Url;

use crate::api::balances::{CreateWallet, fetch_balances, fetch_history};
use crate::api::users::search_users;
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{ActionError, BUTTON_SECONDARY, INPUT, currency_options, when_ok};
use crate::app::components::status::{Badge, Tone};
use crate::app::components::{Card, ErrorNotice, Loading, PageHeader, TableFrame, load_in_browser, table};
use crate::domain::balances::{
    BalanceSheet, HistoryFilter, HistoryLine, HistoryPage, Holder, NOT_OPENED, TRANSACTION_KINDS, TRANSACTION_STATUSES,
    kind_label,
};
use crate::domain::money::Currency;
use crate::domain::staff::Me;
use crate::domain::users::UserQuery;
use crate::domain::{AppError, FieldErrors, Permission};

#[component]
pub fn BalancesPage() -> impl IntoView {
    view! {
        <PageHeader title="Balances" subtitle="The partner's balances and history, live from P100. Pick a user to see theirs."/>
        <div class="space-y-4">
            <UserFinder/>
            <HolderMoney holder=Holder::Partner/>
        </div>
    }
}

#[component]
pub fn UserBalancesPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    view! {
        <div class="mb-4">
            <p class="text-xs text-slate-500"><a href="/balances" class="hover:underline">"Balances"</a>" / user"</p>
            <h1 class="text-lg font-semibold text-slate-900">
                "Balances of " <a href=format!("/users/{id}") class="font-mono text-indigo-700 hover:underline">{id.clone()}</a>
            </h1>
        </div>
        <div class="space-y-4">
            <UserFinder/>
            <HolderMoney holder=Holder::User(id)/>
        </div>
    }
}

/// A search box that leads to a user's balances.
#[component]
fn UserFinder() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let (results, set_results) = signal(None::<Result<Vec<(String, String, String)>, AppError>>);
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let query = UserQuery {
            q: text.get(),
            ..UserQuery::default()
        };
        leptos::task::spawn_local(async move {
            let found = search_users(query).await.map(|list| {
                list.rows
                    .into_iter()
                    .take(8)
                    .map(|u| (u.external_user_id, u.name, u.account_status))
                    .collect()
            });
            set_results.set(Some(found));
        });
    };
    view! {
        <form class="flex flex-wrap items-start gap-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm" on:submit=search novalidate data-testid="user-finder">
            <label for="find-user" class="sr-only">"Find a user"</label>
            <input id="find-user" class=format!("{INPUT} max-w-sm border-slate-300") placeholder="Find a user by name, email or id"
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
            <button type="submit" class=BUTTON_SECONDARY>"Find user"</button>
            {move || results.get().map(|found| match found {
                Err(error) => view! { <div class="w-full"><ErrorNotice error/></div> }.into_any(),
                Ok(rows) if rows.is_empty() => view! { <p class="w-full text-sm text-slate-500">"No user matches."</p> }.into_any(),
                Ok(rows) => view! {
                    <ul class="w-full divide-y divide-slate-100 text-sm">
                        {rows.into_iter().map(|(id, name, status)| view! {
                            <li class="flex gap-3 py-1.5">
                                <a href=format!("/balances/users/{id}") class=table::LINK>{name}</a>
                                <span class="font-mono text-xs text-slate-500">{id}</span>
                                <span class="text-xs text-slate-500">{crate::domain::users::account_label(&status)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </form>
    }
}

/// A holder's balances and history, as the balances pages and the user page show them.
#[component]
pub fn HolderMoney(holder: Holder) -> impl IntoView {
    view! {
        <BalancesCard holder=holder.clone()/>
        <HistoryCard holder/>
    }
}

#[component]
fn BalancesCard(holder: Holder) -> impl IntoView {
    let me = expect_context::<Me>();
    let version = RwSignal::new(0u32);
    let sheet = load_in_browser({
        let holder = holder.clone();
        move || {
            version.track();
            fetch_balances(holder.clone())
        }
    });
    let create = ServerAction::<CreateWallet>::new();
    when_ok(create.value(), move || version.update(|v| *v += 1));
    // Create Wallet may answer before the wallet exists (P100's webhook says when it does): the
    // balances are read again every 2 s while a wallet asked for here has no address yet.
    let requested = RwSignal::new(Vec::<Currency>::new());
    Effect::new(move |_| {
        let waiting = sheet.with(|s| match s {
            Some(Ok(sheet)) => requested.with(|r| r.iter().any(|c| sheet.without_wallet.contains(c))),
            _ => false,
        });
        if waiting {
            set_timeout(move || version.update(|v| *v += 1), std::time::Duration::from_secs(2));
        }
    });
    let exchange_href = match holder.user() {
        Some(id) => format!("/exchanges/new?user={}", Url::escape(id)),
        None => "/exchanges/new".to_owned(),
    };
    let payout_href = crate::app::components::filtered_href("/payouts/new", [("kind", "sepa"), holder.param()]);
    let can_exchange = me.can(Permission::ExchangesCreate);
    let can_pay = me.can(Permission::PayoutsCreate);
    let can_wallet = can_exchange && holder == Holder::Partner;
    view! {
        <Card title="Balances (live from P100)">
            {(can_exchange || can_pay).then(|| view! {
                <div class="-mt-9 mb-3 flex justify-end gap-2">
                    {can_pay.then(|| view! { <a href=payout_href class=BUTTON_SECONDARY data-testid="payout-link">"Pay out"</a> })}
                    {can_exchange.then(|| view! { <a href=exchange_href class=BUTTON_SECONDARY data-testid="exchange-link">"Exchange currency"</a> })}
                </div>
            })}
            <ActionError result=create.value()/>
            {move || match sheet.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(sheet)) if !sheet.opened => view! {
                    <p class="text-sm text-slate-600" data-testid="balances-not-opened">{NOT_OPENED}</p>
                }.into_any(),
                Some(Ok(sheet)) => view! { <BalanceTable sheet create=can_wallet.then_some((create, requested))/> }.into_any(),
            }}
        </Card>
    }
}

#[component]
fn BalanceTable(
    sheet: BalanceSheet,
    /// The create-wallet action and the currencies asked for on this page, when the member may.
    create: Option<(ServerAction<CreateWallet>, RwSignal<Vec<Currency>>)>,
) -> impl IntoView {
    let missing = sheet.without_wallet.clone();
    view! {
        <TableFrame label="Balances" class="overflow-x-auto">
            <table class=table::TABLE data-testid="balances">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Currency"</th>
                        <th class="text-right">"Balance"</th>
                        <th class="text-right">"≈ EUR"</th>
                        <th class="hidden 2xl:table-cell">"Indicative rate"</th>
                        <th>"IBAN / wallet"</th>
                    </tr>
                </thead>
                <tbody>
                    {sheet.lines.into_iter().map(|line| {
                        let code = line.currency.code().to_owned();
                        let needs_wallet = missing.contains(&line.currency);
                        let title = line.account.clone().unwrap_or_default();
                        let (cell, label) = (code.clone(), code.clone());
                        view! {
                            <tr data-currency=cell.clone()>
                                <td class="font-medium uppercase">{label}</td>
                                <td class=table::NUM data-testid="balance-amount">{line.shown}</td>
                                <td class=format!("{} text-slate-600", table::NUM) title=line.rate.clone()>{line.eur}</td>
                                <td class="hidden whitespace-nowrap text-xs text-slate-500 2xl:table-cell">{line.rate}</td>
                                <td class="max-w-64 truncate font-mono text-xs text-slate-500" title=title>
                                    {match (line.account, create.filter(|_| needs_wallet)) {
                                        (Some(account), _) => account.into_any(),
                                        (None, Some((_, requested))) if requested.with_untracked(|r| r.contains(&line.currency)) => view! {
                                            <span class="font-sans text-xs text-slate-500" data-testid="wallet-pending">"Being created at P100…"</span>
                                        }.into_any(),
                                        (None, Some((create, requested))) => {
                                            let currency = line.currency.clone();
                                            view! {
                                                <button type="button" class="font-sans text-xs font-medium text-indigo-700 hover:underline disabled:opacity-50"
                                                    disabled=move || create.pending().get()
                                                    on:click=move |_| {
                                                        requested.update(|r| r.push(currency.clone()));
                                                        create.dispatch(CreateWallet { currency: code.clone() });
                                                    }>
                                                    "Create wallet"
                                                </button>
                                            }.into_any()
                                        }
                                        (None, None) => line.status.unwrap_or_else(|| "no wallet".into()).into_any(),
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
        <p class="mt-2 text-xs text-slate-500" data-testid="balances-total">
            "Total ≈ " <span class="font-medium text-slate-700">{sheet.total_eur}</span>
            " at P100's indicative rates, read " {sheet.rates_at.display()} " UTC."
        </p>
    }
}

fn history_href(path: &str, filter: &HistoryFilter, page: u32) -> String {
    let page = page.to_string();
    let pairs = HistoryFilter::KEYS
        .into_iter()
        .zip(filter.values())
        .chain((page != "1").then_some(("page", page.as_str())));
    crate::app::components::filtered_href(path, pairs)
}

#[component]
fn HistoryCard(holder: Holder) -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| HistoryFilter::from_pairs(|k| q.get(k))));
    let history = load_in_browser({
        let holder = holder.clone();
        move || fetch_history(holder.clone(), filter.get())
    });
    let selected = RwSignal::new(None::<HistoryLine>);
    let export = move || {
        let filter = filter.get();
        let pairs = HistoryFilter::KEYS
            .into_iter()
            .zip(filter.values())
            .chain(std::iter::once(holder.param()));
        crate::app::components::filtered_href("/exports/transactions.csv", pairs)
    };
    view! {
        <Card title="Transaction history (live from P100)">
            {me.can(Permission::ExportsCreate).then(|| view! {
                <div class="-mt-9 mb-3 flex justify-end">
                    <a href=export class=BUTTON_SECONDARY download="" data-testid="export-history">"Export CSV"</a>
                </div>
            })}
            {move || {
                let errors = match history.get() {
                    Some(Err(AppError::Invalid(errors))) => errors,
                    _ => FieldErrors::default(),
                };
                view! { <HistoryFilters current=filter.get() errors/> }
            }}
            {move || match history.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(AppError::Invalid(_))) => ().into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(page)) => view! { <HistoryTable page filter=filter.get() selected/> }.into_any(),
            }}
            <Drawer selected/>
        </Card>
    }
}

#[component]
fn HistoryFilters(current: HistoryFilter, errors: FieldErrors) -> impl IntoView {
    let kinds = TRANSACTION_KINDS
        .iter()
        .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
        .collect();
    let statuses = TRANSACTION_STATUSES
        .iter()
        .map(|s| ((*s).to_owned(), s.to_lowercase()))
        .collect();
    let fields = vec![
        FilterField::select("kind", "Type", kinds, "Any"),
        FilterField::select("currency", "Currency", currency_options(), "Any"),
        FilterField::select("status", "Status", statuses, "Any"),
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
        FilterField::text("min", "Amount at least", "0"),
        FilterField::text("max", "Amount at most", "any"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    // The user page and the balances pages both carry the history: it filters where it is.
    let path = use_location().pathname.get_untracked();
    view! {
        <FilterForm path fields current errors testid="history-filters" class="mb-3 grid-cols-2 md:grid-cols-4 2xl:grid-cols-8"/>
    }
}

#[component]
fn HistoryTable(page: HistoryPage, filter: HistoryFilter, selected: RwSignal<Option<HistoryLine>>) -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    let previous = (page.page > 1).then(|| history_href(&path, &filter, page.page - 1));
    let next = page.has_next.then(|| history_href(&path, &filter, page.page + 1));
    let empty = page.rows.is_empty();
    view! {
        <TableFrame label="Transactions" class="overflow-x-auto">
            <table class=table::TABLE data-testid="transactions">
                <thead class=table::HEAD>
                    <tr>
                        <th>"When (UTC)"</th>
                        <th>"Type"</th>
                        <th>"Status"</th>
                        <th class="text-right">"Amount"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="4" class="p-3 text-center text-slate-500">"No transactions match."</td></tr> })}
                    {page.rows.into_iter().map(|row| {
                        let line = row.clone();
                        let tone = if row.amount.get().is_sign_negative() { "text-slate-900" } else { "text-emerald-700" };
                        view! {
                            <tr class="cursor-pointer" data-tx=row.id.clone() on:click=move |_| selected.set(Some(line.clone()))>
                                <td class="whitespace-nowrap text-slate-600">{row.at.get(..19).unwrap_or(&row.at).replace('T', " ")}</td>
                                <td>{kind_label(&row.kind)}</td>
                                <td><TransactionStatus status=row.status.clone()/></td>
                                <td class=format!("{} {tone}", table::NUM)>{row.shown}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
        <div class="mt-2 flex items-center justify-between text-xs text-slate-500">
            <span>{format!("Page {}", page.page)}</span>
            <span class="flex gap-2">
                {previous.map(|href| view! { <a href=href class=BUTTON_SECONDARY>"Previous"</a> })}
                {next.map(|href| view! { <a href=href class=BUTTON_SECONDARY data-testid="history-next">"Next"</a> })}
            </span>
        </div>
    }
}

#[component]
fn TransactionStatus(status: String) -> impl IntoView {
    let tone = match status.to_ascii_uppercase().as_str() {
        "SUCCESSFUL" | "COMPLETED" => Tone::Good,
        "FAILED" => Tone::Bad,
        _ => Tone::Warn,
    };
    view! { <Badge tone>{status.to_lowercase()}</Badge> }
}

/// Every field of one history entry, in a panel at the side; Escape or a click beside it closes it.
#[component]
fn Drawer(selected: RwSignal<Option<HistoryLine>>) -> impl IntoView {
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" {
                selected.set(None);
            }
        });
        on_cleanup(move || handle.remove());
    });
    move || {
        selected.get().map(|line| {
            view! {
                <div class="fixed inset-0 z-20 bg-slate-900/20" on:click=move |_| selected.set(None)></div>
                <aside class="fixed inset-y-0 right-0 z-30 flex w-full max-w-md flex-col border-l border-slate-200 bg-white shadow-xl" role="dialog" aria-label="Transaction details" data-testid="tx-drawer">
                    <div class="flex items-center justify-between border-b border-slate-200 px-4 py-3">
                        <div>
                            <p class="text-xs uppercase tracking-wide text-slate-500">{kind_label(&line.kind)}</p>
                            <p class="text-base font-semibold tabular-nums">{line.shown.clone()}</p>
                        </div>
                        <button type="button" class=BUTTON_SECONDARY on:click=move |_| selected.set(None)>"Close"</button>
                    </div>
                    <dl class="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-2 overflow-y-auto px-4 py-3 text-sm">
                        {line.fields.into_iter().map(|(k, v)| view! {
                            <dt class="text-slate-500">{k}</dt>
                            <dd class="break-all font-mono text-xs text-slate-800">{v}</dd>
                        }).collect_view()}
                    </dl>
                    <p class="mt-auto border-t border-slate-100 px-4 py-2 text-xs text-slate-500">"As P100 returned it."</p>
                </aside>
            }
        })
    }
}
