//! Collections: every crypto order, payment link and hosted checkout created here (filters, CSV),
//! a new one (an order's rate locked for a EUR amount, or a link), and one collection's page: what
//! the payer must send and where (QR, copy), its progress at P100, the order created from its lock.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::collections::{
    CreateLink, CreateOrder, LockOrder, fetch_collection, fetch_collections, fetch_order_rates,
};
use crate::api::sandbox::SandboxPay;
use crate::app::areas::SandboxMode;
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextField, choices, currency_options, field_error,
};
use crate::app::components::qr::QrCopy;
use crate::app::components::status::CollectionBadge;
use crate::app::components::{
    Card, ErrorNotice, Loading, Loads, NOTICE_FAILED, NOTICE_UNCLEAR, PageHeader, TableFrame, filtered_href,
    load_in_browser, table,
};
use crate::domain::collections::{
    CollectionFilter, CollectionKind, CollectionList, CollectionStatus, CollectionView, LinkInput, ORDER_ASSETS,
    OrderInput,
};
use crate::domain::sandbox::Payment;
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission};

// ---- The list ---------------------------------------------------------------------------------

#[component]
pub fn CollectionsPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| CollectionFilter::from_pairs(|k| q.get_str(k))));
    let list = Resource::new(move || filter.get(), fetch_collections);
    let export = move || {
        let filter = filter.get();
        filtered_href(
            "/exports/collections.csv",
            CollectionFilter::KEYS.into_iter().zip(filter.values()),
        )
    };
    view! {
        <PageHeader title="Collections" subtitle="Crypto orders, payment links and hosted checkouts created here, newest first.">
            {me.can(Permission::ExportsCreate).then(|| view! {
                <a href=export class=BUTTON_SECONDARY download="" data-testid="export-collections">"Export CSV"</a>
            })}
            {me.can(Permission::CollectionsCreate).then(|| view! {
                <a href="/collections/new" class=BUTTON_PRIMARY>"New order or link"</a>
            })}
        </PageHeader>
        <Loads>
            {move || Suspend::new(async move {
                let current = filter.get_untracked();
                match list.await {
                    Err(AppError::Invalid(errors)) => view! { <ListFilters current creators=Vec::new() errors/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! { <ListFilters current creators=list.creators.clone()/> <CollectionTable list/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn ListFilters(
    current: CollectionFilter,
    creators: Vec<(String, String)>,
    #[prop(optional)] errors: FieldErrors,
) -> impl IntoView {
    let kinds = CollectionKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let statuses = CollectionStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let fields = vec![
        FilterField::select("kind", "Kind", kinds, "Any"),
        FilterField::select("status", "Status", statuses, "Any"),
        FilterField::select("currency", "Paid in", currency_options(), "Any"),
        FilterField::select("created_by", "Created by", creators, "Anyone"),
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    view! {
        <FilterForm path="/collections" fields current errors testid="collection-filters"
            class="mb-4 grid-cols-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-4 xl:grid-cols-[repeat(4,minmax(0,1.25fr))_repeat(2,minmax(0,1fr))_auto]"/>
    }
}

#[component]
fn CollectionTable(list: CollectionList) -> impl IntoView {
    let empty = list.rows.is_empty();
    view! {
        <TableFrame label="Collections">
            <table class=table::TABLE data-testid="collections">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Created (UTC)"</th>
                        <th>"Kind"</th>
                        <th class="text-right">"Settles"</th>
                        <th class="text-right">"Received"</th>
                        <th>"Status"</th>
                        <th>"Reference"</th>
                        <th>"Created by"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="7" class="p-3 text-center text-slate-500">"No orders or links match."</td></tr> })}
                    {list.rows.into_iter().map(|c| {
                        let paid_in = match (&c.due, &c.received) {
                            (Some(due), Some(received)) => format!("{received} of {due}"),
                            (Some(due), None) => due.clone(),
                            _ => c.settled.clone().unwrap_or_else(|| "—".into()),
                        };
                        view! {
                            <tr data-collection-id=c.id.clone() data-testid="collection-row">
                                <td class="whitespace-nowrap">
                                    <a href=format!("/collections/{}", c.id) class=table::LINK>{c.created_at.display()}</a>
                                </td>
                                <td class="whitespace-nowrap">{c.kind.label()}</td>
                                <td class=table::NUM>{c.eur.clone()}</td>
                                <td class=table::NUM>{paid_in}</td>
                                <td><CollectionBadge status=c.status/></td>
                                <td class="max-w-48 truncate">{c.reference.clone().or(c.description.clone()).unwrap_or_default()}</td>
                                <td class="whitespace-nowrap">{c.created_by.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
        {list.truncated.then(|| view! {
            <p class="mt-2 text-xs text-slate-500">"Showing the newest 200: narrow the filters, or export them all."</p>
        })}
    }
}

// ---- A new order or link ----------------------------------------------------------------------

#[component]
pub fn NewCollectionPage() -> impl IntoView {
    view! {
        <Title text="New order or link"/>
        <PageHeader title="New order or link" subtitle="Collect crypto from a customer; P100 settles it in EUR on the partner balance."/>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-2">
            <OrderForm/>
            <LinkForm/>
        </div>
    }
}

fn asset_options() -> Vec<(String, String)> {
    ORDER_ASSETS
        .iter()
        .map(|(c, n, label)| (format!("{c}:{n}"), (*label).to_owned()))
        .collect()
}

/// Go to the collection's page once the action made one.
fn open_when_made(value: crate::app::components::form::ActionValue<CollectionView>) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(view)) = value.get() {
            navigate(&format!("/collections/{}", view.id), Default::default());
        }
    });
}

#[component]
fn OrderForm() -> impl IntoView {
    let amount = RwSignal::new(String::new());
    let asset = RwSignal::new(format!("{}:{}", ORDER_ASSETS[0].0, ORDER_ASSETS[0].1));
    let lock = ServerAction::<LockOrder>::new();
    open_when_made(lock.value());
    let rates = load_in_browser(fetch_order_rates);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        lock.dispatch(LockOrder {
            input: OrderInput {
                amount: amount.get(),
                asset: asset.get(),
            },
        });
    };
    let rate = move || {
        let chosen = asset.get();
        rates.with(|r| match r {
            Some(Ok(list)) => list
                .iter()
                .find(|r| r.asset == chosen)
                .map_or_else(|| "no rate from P100".to_owned(), |r| r.rate.clone()),
            Some(Err(_)) => "unknown (P100 did not answer)".to_owned(),
            None => "…".to_owned(),
        })
    };
    view! {
        <Card title="Crypto order">
            <p class="mb-3 text-sm text-slate-600">"Lock P100's rate for the EUR to settle: it gives the exact crypto the payer sends. Create the order before the lock ends."</p>
            <form on:submit=submit novalidate data-testid="order-form">
                <div class="grid grid-cols-1 gap-x-3 md:grid-cols-2">
                    <TextField label="Settle (EUR)" name="amount" value=amount error=field_error(lock.value(), "amount") placeholder="e.g. 250.00"/>
                    <SelectField label="Payer pays in" name="asset" value=asset options=asset_options() error=field_error(lock.value(), "asset")/>
                </div>
                <p class="-mt-2 mb-3 text-xs text-slate-500" data-testid="indicative-rate">"Indicative, display only: " {rate}</p>
                <ActionError result=lock.value()/>
                <button type="submit" class=BUTTON_PRIMARY disabled=move || lock.pending().get()>
                    {move || if lock.pending().get() { "Locking…" } else { "Lock rate" }}
                </button>
            </form>
        </Card>
    }
}

#[component]
fn LinkForm() -> impl IntoView {
    let kind = RwSignal::new(CollectionKind::PaymentLink.as_str().to_owned());
    let (amount, description, reference, hours) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let create = ServerAction::<CreateLink>::new();
    open_when_made(create.value());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateLink {
            input: LinkInput {
                kind: kind.get(),
                amount: amount.get(),
                description: description.get(),
                reference: reference.get(),
                expires_in_hours: hours.get(),
            },
        });
    };
    let kinds = choices(&[
        ("payment_link", "Payment link (P100's checkout)"),
        ("hosted_checkout", "Hosted checkout (our branding)"),
    ]);
    let error = move |field: &'static str| field_error(create.value(), field);
    view! {
        <Card title="Payment link">
            <p class="mb-3 text-sm text-slate-600">"A link the customer opens to pay a EUR amount in crypto, in one or more transfers. Description, reference and expiry are sent as P100's undocumented fields (INFERRED)."</p>
            <form on:submit=submit novalidate data-testid="link-form">
                <div class="grid grid-cols-1 gap-x-3 md:grid-cols-2">
                    <SelectField label="Kind" name="kind" value=kind options=kinds error=error("kind")/>
                    <TextField label="Amount (EUR)" name="link_amount" value=amount error=error("amount") placeholder="e.g. 120.00"/>
                    <TextField label="Description (optional)" name="description" value=description error=error("description") placeholder="Invoice 2026-114"/>
                    <TextField label="Reference (optional)" name="reference" value=reference error=error("reference") placeholder="Our order number"/>
                    <TextField label="Expires in hours (optional)" name="expires_in_hours" value=hours error=error("expires_in_hours") placeholder="P100's default"/>
                </div>
                <ActionError result=create.value()/>
                <button type="submit" class=BUTTON_PRIMARY disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create link" }}
                </button>
            </form>
        </Card>
    }
}

// ---- One collection ---------------------------------------------------------------------------

#[component]
pub fn CollectionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let version = RwSignal::new(0u32);
    let collection = load_in_browser(move || {
        version.track();
        fetch_collection(id.get())
    });
    // Seconds since it was last read: drives the lock's countdown and the polling.
    let ticks = RwSignal::new(0u32);
    Effect::new(move |_| {
        collection.track();
        ticks.set(0);
    });
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || ticks.update(|t| *t += 1), Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    // While P100 moves it, read it again every three seconds.
    Effect::new(move |_| {
        let moving = collection.with_untracked(
            |c| matches!(c, Some(Ok(v)) if v.status.followed() || v.status == CollectionStatus::Creating),
        );
        if ticks.get() == 3 && moving {
            version.update(|v| *v += 1);
        }
    });
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        {move || match collection.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            Some(Ok(c)) => view! { <CollectionDetail c ticks reload/> }.into_any(),
        }}
    }
}

/// A `<dt>`/`<dd>` pair when there is a value.
fn line(label: &'static str, value: Option<String>) -> Option<AnyView> {
    value.map(|v| {
        view! { <dt class="text-slate-500">{label}</dt><dd class="min-w-0 break-all tabular-nums">{v}</dd> }.into_any()
    })
}

#[component]
fn CollectionDetail(c: CollectionView, ticks: RwSignal<u32>, reload: Callback<()>) -> impl IntoView {
    let me = expect_context::<Me>();
    let sandbox = use_context::<SandboxMode>().is_some_and(|s| s.0);
    let status = c.status;
    let title = format!("{} · {}", c.kind.label(), c.eur);
    let left = {
        let start = c.seconds_left;
        Signal::derive(move || start.saturating_sub(ticks.get()))
    };
    let pay_to = match (&c.qr, &c.wallet_address, &c.url) {
        (Some(qr), Some(address), _) => Some((address.clone(), qr.clone(), "Copy address")),
        (Some(qr), None, Some(url)) => Some((url.clone(), qr.clone(), "Copy link")),
        _ => None,
    };
    let confirmations = c
        .confirmations
        .filter(|(_, of)| *of > 0)
        .map(|(n, of)| format!("{n} / {of}"));
    let can_create = me.can(Permission::CollectionsCreate) && status == CollectionStatus::Locked;
    let payable = matches!(status, CollectionStatus::AwaitingPayment | CollectionStatus::Underpaid);
    let payer = (sandbox && me.can(Permission::SandboxControl) && payable)
        .then(|| c.upstream_id.clone())
        .flatten();
    let waiting_for_address = status == CollectionStatus::WaitingForAddress;
    let is_link = c.kind.is_link();
    let terms: Vec<AnyView> = [
        line("Settles", Some(c.eur.clone())),
        line(
            "Payer sends",
            c.due.clone().map(|due| match &c.network {
                Some(n) => format!("{due} on {n}"),
                None => due,
            }),
        ),
        line("Received", c.received.clone()),
        line("Settled so far", c.settled.clone()),
        line("Locked rate", c.rate.clone()),
        line("Confirmations", confirmations),
        line("Transaction", c.transaction_hash.clone()),
        line("Description", c.description.clone()),
        line("Reference", c.reference.clone()),
        line(
            "Lock ends (UTC)",
            c.lock_until
                .clone()
                .map(|t| t.display())
                .filter(|_| matches!(status, CollectionStatus::Locked | CollectionStatus::LockExpired)),
        ),
        line("Expires (UTC)", c.expires_at.clone().map(|t| t.display())),
        line("P100 id", c.upstream_id.clone()),
        line("P100 status", c.upstream_status.clone()),
        line(
            "Created",
            Some(format!("{} UTC by {}", c.created_at.display(), c.created_by.clone())),
        ),
        line("Last read", Some(format!("{} UTC", c.updated_at.display()))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let transfers = (!c.transfers.is_empty()).then(|| view! { <Transfers c=c.clone()/> });
    view! {
        <Title text=title.clone()/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <p class="text-xs text-slate-500"><a href="/collections" class="hover:underline">"Collections"</a>" / " <span class="font-mono">{c.id.clone()}</span></p>
                <h1 class="text-lg font-semibold text-slate-900">{title}</h1>
            </div>
            <span data-testid="collection-status"><CollectionBadge status/></span>
        </div>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title="Terms">
                    <dl class="grid grid-cols-[11rem_1fr] gap-y-1.5 text-sm" data-testid="collection-terms">
                        {terms}
                    </dl>
                    {c.failure.clone().map(|f| view! {
                        <div class=if status == CollectionStatus::Unknown { NOTICE_UNCLEAR } else { NOTICE_FAILED } data-testid="collection-failure">{f}</div>
                    })}
                    {waiting_for_address.then(|| view! {
                        <p class="mt-3 text-sm text-slate-600">"P100 is assigning the wallet address the payer sends to; this page follows it."</p>
                    })}
                    {(status == CollectionStatus::Underpaid).then(|| view! {
                        <p class="mt-3 text-sm text-slate-600">
                            "The payer sent less than is due; it stays open for the rest until it expires. "
                            {if is_link { "Each transfer settles in EUR as it arrives." } else { "Nothing settles for an order until it is paid in full." }}
                        </p>
                    })}
                </Card>
                {pay_to.map(|(text, qr_svg, copy_label)| view! {
                    <Card title="Where the payer pays">
                        <QrCopy text qr_svg copy_label/>
                    </Card>
                })}
                {transfers}
                {can_create.then(|| view! { <CreateOrderCard id=c.id.clone() left reload/> })}
            </div>
            <div class="space-y-4">
                {payer.map(|id| view! { <SandboxPayer id reload/> })}
            </div>
        </div>
    }
}

/// Every blockchain transfer a payment link received.
#[component]
fn Transfers(c: CollectionView) -> impl IntoView {
    view! {
        <TableFrame label="Transfers received">
            <table class=table::TABLE data-testid="transfers">
                <thead class=table::HEAD>
                    <tr><th>"Transaction"</th><th class="text-right">"Amount"</th><th>"Network"</th><th>"Status"</th><th class="text-right">"Settled"</th></tr>
                </thead>
                <tbody>
                    {c.transfers.into_iter().map(|t| view! {
                        <tr>
                            <td class="max-w-64 truncate font-mono text-xs" title=t.hash.clone()>{t.hash.clone()}</td>
                            <td class=table::NUM>{t.amount}</td>
                            <td>{t.network.unwrap_or_default()}</td>
                            <td>{t.status.to_lowercase()}</td>
                            <td class=table::NUM>{t.settled.unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}

/// The lock's countdown and the order created from it, once.
#[component]
fn CreateOrderCard(id: String, left: Signal<u32>, reload: Callback<()>) -> impl IntoView {
    let create = ServerAction::<CreateOrder>::new();
    // Whatever the answer, the page reads it again: a refusal may have ended the lock.
    Effect::new(move |_| {
        if create.value().with(Option::is_some) {
            reload.run(());
        }
    });
    view! {
        <Card title="Create the order">
            {move || if left.get() == 0 {
                view! {
                    <p class="text-sm text-slate-700" data-testid="lock-expired">"The lock has ended; P100 will not create an order with it. "
                        <a href="/collections/new" class="text-indigo-700 hover:underline">"Lock a new rate"</a>"."</p>
                }.into_any()
            } else {
                let id = id.clone();
                view! {
                    <div>
                        <p class="mb-3 text-sm text-slate-700">
                            "The rate is locked for " <span class="font-semibold tabular-nums" data-testid="countdown">{move || left.get()}</span> " more seconds."
                        </p>
                        <ActionError result=create.value()/>
                        <button type="button" class=BUTTON_PRIMARY data-testid="create-order"
                            disabled=move || create.pending().get()
                            on:click=move |_| { create.dispatch(CreateOrder { id: id.clone() }); }>
                            {move || if create.pending().get() { "Creating…" } else { "Create order" }}
                        </button>
                    </div>
                }.into_any()
            }}
        </Card>
    }
}

/// Sandbox only: the simulated customer pays what is due, less, or more.
#[component]
fn SandboxPayer(id: String, reload: Callback<()>) -> impl IntoView {
    let pay = ServerAction::<SandboxPay>::new();
    Effect::new(move |_| {
        if pay.value().with(|r| matches!(r, Some(Ok(_)))) {
            reload.run(());
        }
    });
    view! {
        <Card title="Sandbox payer">
            <p class="mb-3 text-sm text-slate-600">"Plays the customer: one transfer on chain to this order or link."</p>
            <ActionError result=pay.value()/>
            <div class="flex flex-wrap gap-2">
                {Payment::ALL.iter().map(|payment| {
                    let (id, payment) = (id.clone(), *payment);
                    view! {
                        <button type="button" class=BUTTON_SECONDARY data-testid=format!("pay-{payment}")
                            disabled=move || pay.pending().get()
                            on:click=move |_| { pay.dispatch(SandboxPay { id: id.clone(), payment }); }>
                            {payment.label()}
                        </button>
                    }
                }).collect_view()}
            </div>
        </Card>
    }
}
