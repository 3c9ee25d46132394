//! The webhook event log: every delivery P100 made, with its authentication result, processing
//! status and error; one event's raw payload; processing it again after a dry run.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::reconciliation::{ReprocessWebhook, fetch_webhook_event, fetch_webhook_events};
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{ActionError, BUTTON_PRIMARY, BUTTON_SECONDARY};
use crate::app::components::status::{Badge, Tone};
use crate::app::components::{Card, ErrorNotice, Loads, PageHeader, TableFrame, table};
use crate::domain::reconciliation::{
    EventStatus, Reprocess, UNRECOGNISED, WebhookDetail, WebhookEvent, WebhookFilter, WebhookList,
};
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission};

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| WebhookFilter::from_pairs(|k| q.get_str(k))));
    let list = Resource::new(move || filter.get(), fetch_webhook_events);
    view! {
        <PageHeader title="Webhooks" subtitle="Every delivery from P100 as it arrived, newest first: authentication, processing, errors."/>
        <Loads>
            {move || Suspend::new(async move {
                let current = filter.get_untracked();
                match list.await {
                    Err(AppError::Invalid(errors)) => view! { <Filters current kinds=Vec::new() errors/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! { <Filters current kinds=list.kinds.clone()/> <EventTable list/> }.into_any(),
                }
            })}
        </Loads>
    }
}

/// An event's kind; one the route table could not place stands out, for someone to look at.
fn kind_cell(kind: &str) -> AnyView {
    if kind == UNRECOGNISED {
        view! { <Badge tone=Tone::Warn>"Unrecognised"</Badge> }.into_any()
    } else {
        kind.replace('_', " ").into_any()
    }
}

#[component]
fn Filters(current: WebhookFilter, kinds: Vec<String>, #[prop(optional)] errors: FieldErrors) -> impl IntoView {
    let kinds = kinds.into_iter().map(|k| (k.clone(), k.replace('_', " "))).collect();
    let statuses = EventStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let fields = vec![
        FilterField::select("kind", "Kind", kinds, "Any"),
        FilterField::select("status", "Processing", statuses, "Any"),
        FilterField::text("subject", "About (P100 or user id)", "an id"),
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    view! {
        <FilterForm path="/webhooks" fields current errors testid="webhook-filters"
            class="mb-4 grid-cols-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-3 xl:grid-cols-[repeat(2,minmax(0,1fr))_minmax(0,1.5fr)_repeat(2,minmax(0,1fr))_auto]"/>
    }
}

fn status_badge(status: EventStatus) -> impl IntoView {
    let tone = match status {
        EventStatus::Processed => Tone::Good,
        EventStatus::Ignored | EventStatus::Received => Tone::Neutral,
        EventStatus::Failed | EventStatus::Rejected => Tone::Bad,
    };
    view! { <Badge tone>{status.label()}</Badge> }
}

fn auth_badge(authenticated: bool) -> impl IntoView {
    if authenticated {
        view! { <Badge tone=Tone::Good>"Token valid"</Badge> }
    } else {
        view! { <Badge tone=Tone::Bad>"Token wrong or missing"</Badge> }
    }
}

#[component]
fn EventTable(list: WebhookList) -> impl IntoView {
    let empty = list.rows.is_empty();
    view! {
        <TableFrame label="Webhook events">
            <table class=table::TABLE data-testid="webhook-events">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Received (UTC)"</th>
                        <th>"Kind"</th>
                        <th>"About"</th>
                        <th>"Authentication"</th>
                        <th>"Processing"</th>
                        <th>"Error"</th>
                        <th class="text-right">"Deliveries"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="7" class="p-3 text-center text-slate-500">"No deliveries match."</td></tr> })}
                    {list.rows.into_iter().map(|e| view! {
                        <tr data-event-id=e.id.clone() data-kind=e.kind.clone()>
                            <td class="whitespace-nowrap">
                                <a href=format!("/webhooks/{}", e.id) class="text-indigo-700 hover:underline">{e.received_at.display()}</a>
                            </td>
                            <td class="whitespace-nowrap">{kind_cell(&e.kind)}</td>
                            <td class="max-w-56 truncate font-mono text-xs" title=e.subject.clone()>{e.subject.clone()}</td>
                            <td class="whitespace-nowrap">{auth_badge(e.authenticated)}</td>
                            <td class="whitespace-nowrap">{status_badge(e.status)}</td>
                            <td class="max-w-80 truncate text-xs text-slate-600" title=e.error.clone()>{e.error.clone()}</td>
                            <td class="text-right tabular-nums">{e.deliveries}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}

#[component]
pub fn WebhookPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let loaded = Resource::new(move || id.get(), fetch_webhook_event);
    view! {
        <Loads>
            {move || Suspend::new(async move {
                match loaded.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(detail) => view! { <Event detail reload=Callback::new(move |()| loaded.refetch())/> }.into_any(),
                }
            })}
        </Loads>
    }
}

fn line(label: &'static str, value: impl IntoView + 'static) -> impl IntoView {
    view! { <dt class="text-slate-500">{label}</dt><dd class="min-w-0 break-words">{value}</dd> }
}

#[component]
fn Event(detail: WebhookDetail, reload: Callback<()>) -> impl IntoView {
    let e: WebhookEvent = detail.event;
    let may_reprocess = expect_context::<Me>().can(Permission::ReconciliationManage) && e.authenticated;
    view! {
        <Title text=format!("Webhook · {}", e.kind)/>
        <div class="mb-4">
            <p class="text-xs text-slate-500"><a href="/webhooks" class="hover:underline">"Webhooks"</a>" / "<span class="font-mono">{e.id.clone()}</span></p>
            <h1 class="text-lg font-semibold text-slate-900">{e.kind.replace('_', " ")} " " <span class="font-mono text-sm text-slate-600">{e.subject.clone()}</span></h1>
        </div>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title="Payload as received">
                    <pre class="overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="payload">{detail.payload}</pre>
                </Card>
                {may_reprocess.then(|| view! { <ProcessAgain id=e.id.clone() reload/> })}
            </div>
            <Card title="Delivery">
                <dl class="grid grid-cols-[8rem_1fr] gap-y-1 text-sm" data-testid="delivery">
                    {line("Route", view! { <span class="font-mono text-xs">{e.route.clone()}</span> })}
                    {line("Received (UTC)", e.received_at.display())}
                    {line("Authentication", auth_badge(e.authenticated))}
                    {line("Processing", status_badge(e.status))}
                    {e.error.clone().map(|err| line("Error or note", view! { <span class="text-slate-700">{err}</span> }))}
                    {line("Processed (UTC)", e.processed_at.as_ref().map_or_else(|| "not yet".into(), |t| t.display()))}
                    {line("Deliveries", e.deliveries)}
                    {line("Processed again", e.reprocessed)}
                </dl>
            </Card>
        </div>
    }
}

/// A dry run first (what would change, nothing written), then the real run.
#[component]
fn ProcessAgain(id: String, reload: Callback<()>) -> impl IntoView {
    let run = ServerAction::<ReprocessWebhook>::new();
    Effect::new(move |_| {
        if matches!(run.value().get(), Some(Ok(Reprocess { dry_run: false, .. }))) {
            reload.run(());
        }
    });
    let dispatch = move |dry_run: bool| {
        let id = id.clone();
        move |_| {
            run.dispatch(ReprocessWebhook {
                id: id.clone(),
                dry_run,
            });
        }
    };
    let outcome = move || {
        run.value().get().and_then(Result::ok).map(|r| {
            let heading = if r.dry_run { "Dry run: nothing was written" } else { "Processed again" };
            view! {
                <div class="mt-3 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm" data-testid="reprocess-outcome">
                    <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">{heading}</p>
                    <p class="mt-1 text-slate-800" data-testid="reprocess-summary">{r.summary}</p>
                    {(!r.changes.is_empty()).then(|| view! {
                        <table class="mt-2 w-full text-left text-xs" data-testid="reprocess-changes">
                            <thead class="text-slate-500"><tr><th class="py-1 pr-3 font-medium">"What"</th><th class="py-1 pr-3 font-medium">"Field"</th><th class="py-1 pr-3 font-medium">"Before"</th><th class="py-1 font-medium">"After"</th></tr></thead>
                            <tbody>
                                {r.changes.into_iter().map(|c| view! {
                                    <tr class="border-t border-slate-200">
                                        <td class="py-1 pr-3 font-mono">{c.target}</td>
                                        <td class="py-1 pr-3">{c.field}</td>
                                        <td class="py-1 pr-3 text-slate-500">{c.before}</td>
                                        <td class="py-1 font-medium">{c.after}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                </div>
            }
        })
    };
    view! {
        <Card title="Process again">
            <p class="mb-3 text-sm text-slate-600">"Runs the event through its handler as if it had just arrived. Handlers read P100's details first, so processing twice never applies a change twice. Try a dry run to see what would change."</p>
            <div class="flex gap-2">
                <button type="button" class=BUTTON_SECONDARY on:click=dispatch.clone()(true) disabled=move || run.pending().get() data-testid="dry-run">"Dry run"</button>
                <button type="button" class=BUTTON_PRIMARY on:click=dispatch(false) disabled=move || run.pending().get() data-testid="reprocess">"Process again"</button>
            </div>
            {outcome}
            <div class="mt-2"><ActionError result=run.value()/></div>
        </Card>
    }
}
