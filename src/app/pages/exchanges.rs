//! Currency exchange: the list of exchanges started here, a new exchange (quote, then lock), and one
//! exchange's page (countdown to the lock's expiry, finalize, the outcome as P100 reports it).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::balances::fetch_balances;
use crate::api::exchanges::{FinalizeExchange, LockExchange, QuoteExchange, fetch_exchange, fetch_exchanges};
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{
    ActionError, ActionValue, BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextField, currency_options, field_error,
};
use crate::app::components::resolve::Resolve;
use crate::app::components::status::ExchangeBadge;
use crate::app::components::{
    Card, DecisionNotice, ErrorNotice, Loading, Loads, NOTICE_FAILED, NOTICE_UNCLEAR, PageHeader, TableFrame,
    load_in_browser, table,
};
use crate::domain::balances::{Holder, NOT_OPENED};
use crate::domain::exchanges::{ExchangeFilter, ExchangeInput, ExchangeList, ExchangeStatus, ExchangeView, Quote};
use crate::domain::money::Currency;
use crate::domain::movements::Unclear;
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission};

fn holder_link(holder: &Holder) -> AnyView {
    match holder.user() {
        Some(id) => view! { <a href=format!("/users/{id}") class="font-mono text-indigo-700 hover:underline">{id.to_owned()}</a> }.into_any(),
        None => view! { <span>"Partner"</span> }.into_any(),
    }
}

// ---- The list ---------------------------------------------------------------------------------

#[component]
pub fn ExchangesPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let [status, currency, started_by, holder] = ExchangeFilter::KEYS.map(|k| q.get(k).unwrap_or_default());
            ExchangeFilter {
                status,
                currency,
                started_by,
                holder,
            }
        })
    });
    let list = Resource::new(move || filter.get(), fetch_exchanges);
    view! {
        <PageHeader title="Exchanges" subtitle="Every exchange started from the back office, newest first.">
            {me.can(Permission::ExchangesCreate).then(|| view! { <a href="/exchanges/new" class=BUTTON_PRIMARY>"New exchange"</a> })}
        </PageHeader>
        <Loads>
            {move || Suspend::new(async move {
                let current = filter.get_untracked();
                match list.await {
                    Err(AppError::Invalid(errors)) => view! { <ListFilters current starters=Vec::new() errors/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! { <ListFilters current starters=list.starters.clone()/> <ExchangeTable list/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn ListFilters(
    current: ExchangeFilter,
    starters: Vec<(String, String)>,
    #[prop(optional)] errors: FieldErrors,
) -> impl IntoView {
    let statuses = ExchangeStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let fields = vec![
        FilterField::select("status", "Status", statuses, "Any"),
        FilterField::select("currency", "Currency", currency_options(), "Any"),
        FilterField::select("started_by", "Started by", starters, "Anyone"),
        FilterField::text("holder", "Holder (user id or partner)", "partner"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    view! {
        <FilterForm path="/exchanges" fields current errors testid="exchange-filters"
            class="mb-4 grid-cols-1 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-[repeat(4,minmax(0,12rem))_auto]"/>
    }
}

#[component]
fn ExchangeTable(list: ExchangeList) -> impl IntoView {
    let empty = list.rows.is_empty();
    view! {
        <TableFrame label="Exchanges">
            <table class=table::TABLE data-testid="exchanges">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Started (UTC)"</th>
                        <th>"Holder"</th>
                        <th class="text-right">"Exchanged"</th>
                        <th class="text-right">"Received"</th>
                        <th>"Rate"</th>
                        <th>"Status"</th>
                        <th>"Started by"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="7" class="p-3 text-center text-slate-500">"No exchanges match."</td></tr> })}
                    {list.rows.into_iter().map(|x| view! {
                        <tr data-exchange-id=x.id.clone()>
                            <td class="whitespace-nowrap">
                                <a href=format!("/exchanges/{}", x.id) class="text-indigo-700 hover:underline">{x.created_at.display()}</a>
                            </td>
                            <td>{holder_link(&x.holder)}</td>
                            <td class=table::NUM>{x.amount_from}</td>
                            <td class=table::NUM>{x.amount_to}</td>
                            <td class="whitespace-nowrap text-xs text-slate-500">{x.rate}</td>
                            <td><ExchangeBadge status=x.status/></td>
                            <td>{x.started_by}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}

// ---- A new exchange ---------------------------------------------------------------------------

#[component]
pub fn NewExchangePage() -> impl IntoView {
    let holder = use_query_map().with_untracked(|q| Holder::from_param(q.get("user")));
    let (from, to, amount) = (
        RwSignal::new("eur".to_owned()),
        RwSignal::new("btc".to_owned()),
        RwSignal::new(String::new()),
    );
    let input = {
        let holder = holder.clone();
        move || ExchangeInput {
            holder: holder.clone(),
            from: from.get(),
            to: to.get(),
            amount: amount.get(),
        }
    };
    let quote = ServerAction::<QuoteExchange>::new();
    let lock = ServerAction::<LockExchange>::new();
    // Field messages come from whichever of the two was asked last.
    let locked_last = RwSignal::new(false);
    let field = move |name: &'static str| {
        let (q, l) = (field_error(quote.value(), name), field_error(lock.value(), name));
        Signal::derive(move || if locked_last.get() { l.get() } else { q.get() })
    };
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(view)) = lock.value().get() {
            navigate(&format!("/exchanges/{}", view.id), Default::default());
        }
    });
    let ask_quote = {
        let input = input.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            locked_last.set(false);
            quote.dispatch(QuoteExchange { input: input() });
        }
    };
    let ask_lock = move |_| {
        locked_last.set(true);
        lock.dispatch(LockExchange { input: input() });
    };
    let balances = load_in_browser({
        let holder = holder.clone();
        move || fetch_balances(holder.clone())
    });
    let available = move || {
        let code = from.get();
        balances.with(|b| match b {
            Some(Ok(sheet)) if !sheet.opened => NOT_OPENED.to_owned(),
            Some(Ok(sheet)) => sheet
                .line(&Currency::parse(&code))
                .map_or_else(|| "none".to_owned(), |l| l.shown.clone()),
            Some(Err(_)) => "unknown (P100 did not answer)".to_owned(),
            None => "…".to_owned(),
        })
    };
    let title = format!("New exchange · {}", holder.label());
    view! {
        <Title text=title.clone()/>
        <PageHeader title="New exchange" subtitle="Quote at the indicative rate, then lock P100's rate for 40 seconds and finalize."/>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-2">
            <Card title="Exchange">
                <p class="mb-3 text-sm text-slate-600">"Holder: " {holder_link(&holder)}</p>
                <form on:submit=ask_quote novalidate data-testid="exchange-form">
                    <div class="grid grid-cols-1 gap-x-3 md:grid-cols-3">
                        <SelectField label="From" name="from" value=from options=currency_options() error=field("from")/>
                        <SelectField label="To" name="to" value=to options=currency_options() error=field("to")/>
                        <TextField label="Amount (in From)" name="amount" value=amount error=field("amount") placeholder="e.g. 1000.00"/>
                    </div>
                    <p class="-mt-2 mb-3 text-xs text-slate-500" data-testid="available">"Available: " {available}</p>
                    <ActionError result=quote.value()/>
                    <ActionError result=lock.value()/>
                    <div class="flex gap-2">
                        <button type="submit" class=BUTTON_SECONDARY disabled=move || quote.pending().get()>"Get quote"</button>
                        <button type="button" class=BUTTON_PRIMARY disabled=move || lock.pending().get() on:click=ask_lock>"Lock rate"</button>
                    </div>
                </form>
            </Card>
            {move || match quote.value().get() {
                Some(Ok(q)) if !locked_last.get() => view! { <QuoteCard quote=q/> }.into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}

#[component]
fn QuoteCard(quote: Quote) -> impl IntoView {
    view! {
        <Card title="Indicative quote">
            <dl class="grid grid-cols-[10rem_1fr] gap-y-1.5 text-sm" data-testid="quote">
                <dt class="text-slate-500">"Rate"</dt><dd class="tabular-nums">{quote.rate}</dd>
                <dt class="text-slate-500">"Fee"</dt><dd class="tabular-nums">{quote.fee} " (" {quote.fee_percent} ", standard)"</dd>
                <dt class="text-slate-500">"You receive about"</dt><dd class="font-semibold tabular-nums">{quote.receive}</dd>
                <dt class="text-slate-500">"Available"</dt><dd class="tabular-nums">{quote.available}</dd>
            </dl>
            <p class="mt-2 text-xs text-slate-500">"Read at " {quote.at.display()} " UTC. Not guaranteed: locking fixes the rate and the fee."</p>
        </Card>
    }
}

// ---- One exchange -----------------------------------------------------------------------------

#[component]
pub fn ExchangePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let version = RwSignal::new(0u32);
    let exchange = load_in_browser(move || {
        version.track();
        fetch_exchange(id.get())
    });
    // Seconds since the exchange was last read: drives the countdown and the polling.
    let ticks = RwSignal::new(0u32);
    Effect::new(move |_| {
        exchange.track();
        ticks.set(0);
    });
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || ticks.update(|t| *t += 1), Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    // While P100 works on it, read it again every two seconds.
    Effect::new(move |_| {
        let in_flight = exchange.with_untracked(|x| matches!(x, Some(Ok(v)) if v.status.in_flight()));
        if ticks.get() == 2 && in_flight {
            version.update(|v| *v += 1);
        }
    });
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        {move || match exchange.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(x)) => view! { <ExchangeDetail x ticks reload/> }.into_any(),
        }}
    }
}

#[component]
fn ExchangeDetail(x: ExchangeView, ticks: RwSignal<u32>, reload: Callback<()>) -> impl IntoView {
    let me = expect_context::<Me>();
    let can_act = me.can(Permission::ExchangesCreate);
    let left = {
        let start = x.seconds_left;
        move || start.saturating_sub(ticks.get())
    };
    let locked = x.status == ExchangeStatus::Locked;
    let status = x.status;
    let title = format!(
        "Exchange {} → {}",
        x.from.code().to_uppercase(),
        x.to.code().to_uppercase()
    );
    let holder = holder_link(&x.holder);
    let balances = view! { <HolderBalances holder=x.holder.clone() pair=[x.from.clone(), x.to.clone()]/> };
    let candidates = x.decision.clone().map(|d| d.candidates).unwrap_or_default();
    let pending = x.pending_resolution.clone();
    // A person decides once the back office asks for one (or while a decision waits).
    let decide = status == ExchangeStatus::Unknown && (x.decision.is_some() || pending.is_some());
    view! {
        <Title text=title.clone()/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <p class="text-xs text-slate-500"><a href="/exchanges" class="hover:underline">"Exchanges"</a>" / " <span class="font-mono">{x.id.clone()}</span></p>
                <h1 class="text-lg font-semibold text-slate-900">{title}</h1>
            </div>
            <span data-testid="exchange-status"><ExchangeBadge status/></span>
        </div>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title="Locked terms">
                    <dl class="grid grid-cols-[10rem_1fr] gap-y-1.5 text-sm" data-testid="exchange-terms">
                        <dt class="text-slate-500">"Holder"</dt><dd>{holder}</dd>
                        <dt class="text-slate-500">"Exchanged"</dt><dd class="tabular-nums">{x.amount_from.clone()}</dd>
                        <dt class="text-slate-500">"Locked rate"</dt><dd class="tabular-nums">{x.rate.clone()}</dd>
                        <dt class="text-slate-500">"Fee"</dt><dd class="tabular-nums">{x.fee.clone()}</dd>
                        <dt class="text-slate-500">"Received"</dt><dd class="font-semibold tabular-nums" data-testid="amount-to">{x.amount_to.clone()}</dd>
                        <dt class="text-slate-500">"Lock"</dt><dd class="font-mono text-xs">{x.lock_id.clone()} " · until " {x.valid_until.display()} " UTC"</dd>
                        <dt class="text-slate-500">"P100 exchange id"</dt><dd class="font-mono text-xs">{x.upstream_id.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt class="text-slate-500">"Started"</dt><dd>{x.created_at.display()} " UTC by " {x.started_by.clone()}</dd>
                        {x.finalized_at.clone().map(|at| view! { <dt class="text-slate-500">"Finalized"</dt><dd>{at.display()} " UTC"</dd> })}
                    </dl>
                    {x.failure.clone().map(|f| view! {
                        <div class=if status == ExchangeStatus::Unknown { NOTICE_UNCLEAR } else { NOTICE_FAILED } data-testid="exchange-failure">{f}</div>
                    })}
                    {status.in_flight().then(|| view! {
                        <p class="mt-3 text-sm text-slate-600">"P100 has the funds reserved and is completing the exchange; this page follows it."</p>
                    })}
                    {(status == ExchangeStatus::Unknown).then(|| view! {
                        <p class="mt-3 text-sm text-slate-600">"Do not exchange the same again before it is found at P100 or a person decides."</p>
                    })}
                    {x.decision.clone().map(|decision| view! { <DecisionNotice decision/> })}
                </Card>
                {decide.then(|| view! {
                    <Resolve subject=Unclear::Exchange id=x.id.clone() candidates pending reload/>
                })}
                {(can_act && (locked || status == ExchangeStatus::Expired)).then(|| view! {
                    <FinalizeCard id=x.id.clone() again=x.again.clone() left=Signal::derive(left) reload/>
                })}
            </div>
            {balances}
        </div>
    }
}

/// The countdown, finalize while it runs, a new lock once it ran out.
#[component]
fn FinalizeCard(id: String, again: ExchangeInput, left: Signal<u32>, reload: Callback<()>) -> impl IntoView {
    let finalize = ServerAction::<FinalizeExchange>::new();
    let relock = ServerAction::<LockExchange>::new();
    // Whatever the answer, the page reads the exchange again: a refusal may have expired it.
    Effect::new(move |_| {
        if finalize.value().with(Option::is_some) {
            reload.run(());
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(view)) = relock.value().get() {
            navigate(&format!("/exchanges/{}", view.id), Default::default());
        }
    });
    let expired = move || left.get() == 0;
    let result: ActionValue<ExchangeView> = finalize.value();
    view! {
        <Card title="Finalize">
            {move || if expired() {
                let again = again.clone();
                view! {
                    <div data-testid="lock-expired">
                        <p class="mb-3 text-sm text-slate-700">"The locked rate has expired; P100 will not exchange at it. Lock a new rate for the same amount to go on."</p>
                        <ActionError result=relock.value()/>
                        <button type="button" class=BUTTON_PRIMARY disabled=move || relock.pending().get()
                            on:click=move |_| { relock.dispatch(LockExchange { input: again.clone() }); }>"Lock a new rate"</button>
                    </div>
                }.into_any()
            } else {
                let id = id.clone();
                view! {
                    <div>
                        <p class="mb-3 text-sm text-slate-700">
                            "The rate is locked for " <span class="font-semibold tabular-nums" data-testid="countdown">{move || left.get()}</span> " more seconds."
                        </p>
                        <ActionError result/>
                        <button type="button" class=BUTTON_PRIMARY data-testid="finalize"
                            disabled=move || finalize.pending().get()
                            on:click=move |_| { finalize.dispatch(FinalizeExchange { id: id.clone() }); }>
                            {move || if finalize.pending().get() { "Finalizing…" } else { "Finalize exchange" }}
                        </button>
                    </div>
                }.into_any()
            }}
        </Card>
    }
}

/// The holder's two balances the exchange moves, read again each time the exchange is.
#[component]
fn HolderBalances(holder: Holder, pair: [Currency; 2]) -> impl IntoView {
    let sheet = load_in_browser(move || fetch_balances(holder.clone()));
    view! {
        <Card title="Balances now (live from P100)">
            {move || match sheet.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(sheet)) => view! {
                    <dl class="grid grid-cols-[5rem_1fr] gap-y-1.5 text-sm" data-testid="pair-balances">
                        {pair.clone().into_iter().map(|c| {
                            let shown = sheet.line(&c).map_or_else(|| "—".to_owned(), |l| l.shown.clone());
                            view! {
                                <dt class="uppercase text-slate-500">{c.code().to_owned()}</dt>
                                <dd class="text-right tabular-nums" data-balance=c.code().to_owned()>{shown}</dd>
                            }
                        }).collect_view()}
                    </dl>
                }.into_any(),
            }}
        </Card>
    }
}
