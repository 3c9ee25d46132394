//! Reconciliation: for a range of UTC days, every movement started here beside P100's answer and
//! the webhooks that named it; mismatches form the queue, resolved with a note; totals per
//! currency and status; CSV exports of the report and of the queue.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::reconciliation::{ResolveMismatch, fetch_report};
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, BUTTON_SECONDARY, TextAreaField, currency_options, field_error, when_ok,
};
use crate::app::components::status::{Badge, Tone};
use crate::app::components::{ErrorNotice, Loads, PageHeader, TableFrame, filtered_href, table};
use crate::domain::money::display_text as money;
use crate::domain::reconciliation::{Report, ReportFilter, ReportRow, ResolveInput, Subject, Verdict};
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission, UtcTime};

const PATH: &str = "/reconciliation";

#[component]
pub fn ReconciliationPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| ReportFilter::from_pairs(|k| q.get_str(k))));
    let report = Resource::new(move || filter.get(), fetch_report);
    let export = move |queue: bool| {
        let mut f = filter.get();
        if queue {
            f.view = Verdict::Mismatch.as_str().to_owned();
        }
        filtered_href("/exports/reconciliation.csv", f.pairs())
    };
    view! {
        <PageHeader title="Reconciliation" subtitle="Every movement started here beside what P100 and its webhooks say. Mismatches form the queue.">
            {me.can(Permission::ExportsCreate).then(|| view! {
                <div class="flex gap-2">
                    <a href=move || export(true) rel="external" download="" class=BUTTON_SECONDARY data-testid="export-queue">"Export mismatches"</a>
                    <a href=move || export(false) rel="external" download="" class=BUTTON_SECONDARY data-testid="export-report">"Export report"</a>
                </div>
            })}
        </PageHeader>
        <Loads>
            {move || Suspend::new(async move {
                let current = filter.get_untracked();
                match report.await {
                    Err(AppError::Invalid(errors)) => view! { <Filters current errors/> }.into_any(),
                    Err(error) => view! { <Filters current/> <ErrorNotice error/> }.into_any(),
                    Ok(r) => view! {
                        <Filters current/>
                        <Summary report=r.clone()/>
                        {(r.matching > r.rows.len()).then(|| view! {
                            <p class="mb-2 text-xs text-slate-500" data-testid="rows-shown">
                                {format!("The newest {} of {} rows; narrow the filters, or export them all.", r.rows.len(), r.matching)}
                            </p>
                        })}
                        <Rows rows=r.rows reload=Callback::new(move |()| report.refetch())/>
                    }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn Filters(current: ReportFilter, #[prop(optional)] errors: FieldErrors) -> impl IntoView {
    let views = Verdict::ALL
        .iter()
        .map(|v| (v.as_str().to_owned(), v.label().to_owned()))
        .collect();
    let kinds = Subject::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let fields = vec![
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
        FilterField::select("view", "Show", views, "Every row"),
        FilterField::select("kind", "Kind", kinds, "Any"),
        FilterField::select("currency", "Currency", currency_options(), "Any"),
    ];
    let current = current.values().map(str::to_owned).to_vec();
    view! {
        <FilterForm path=PATH fields current errors testid="reconciliation-filters"
            class="mb-4 grid-cols-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-3 xl:grid-cols-[repeat(5,minmax(0,1fr))_auto]"/>
    }
}

fn time(t: &Option<UtcTime>) -> String {
    t.as_ref().map_or_else(|| "never".into(), UtcTime::display)
}

/// The counts per verdict, what was read when, and the totals per currency and status.
#[component]
fn Summary(report: Report) -> impl IntoView {
    let stat = |label: &'static str, count: usize, tone: &'static str, testid: &'static str| {
        view! {
            <div class=format!("rounded-lg border bg-white px-3 py-2 shadow-sm {tone}")>
                <div class="text-xs text-slate-500">{label}</div>
                <div class="text-lg font-semibold tabular-nums text-slate-900" data-testid=testid>{count}</div>
            </div>
        }
    };
    view! {
        <div class="mb-4 grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,1fr)_minmax(0,1.4fr)]">
            <div>
                <div class="grid grid-cols-2 gap-2 md:grid-cols-4">
                    {stat("Mismatches", report.mismatched, "border-amber-300", "count-mismatch")}
                    {stat("Matched", report.matched, "border-emerald-300", "count-matched")}
                    {stat("Resolved", report.resolved, "border-slate-200", "count-resolved")}
                    {stat("Unchecked", report.checking, "border-slate-200", "count-checking")}
                </div>
                <p class="mt-2 text-xs text-slate-500">
                    {format!("{} to {} (UTC). ", report.from, report.to)}
                    "P100 last read " {time(&report.last_check)} ". Missing webhooks and P100 movements not started here count after "
                    {report.grace_minutes} " minutes."
                </p>
                {report.truncated.then(|| view! {
                    <p class="mt-1 text-xs text-amber-700">"More movements than one report holds: narrow the dates."</p>
                })}
            </div>
            <TableFrame label="Totals" class=format!("{} self-start", table::WRAP)>
                <table class=table::TABLE data-testid="totals">
                    <thead class=table::HEAD>
                        <tr>
                            <th>"Currency"</th>
                            <th>"Status here"</th>
                            <th class="text-right">"Count"</th>
                            <th class="text-right">"Amount"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report.totals.is_empty().then(|| view! { <tr><td colspan="4" class="p-3 text-center text-slate-500">"No movements in these days."</td></tr> })}
                        {report.totals.into_iter().map(|t| view! {
                            <tr>
                                <td>{t.currency.clone()}</td>
                                <td>{t.status}</td>
                                <td class=table::NUM>{t.count}</td>
                                <td class=table::NUM>{money(&t.amount, &t.currency)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </TableFrame>
        </div>
    }
}

fn verdict_badge(verdict: Verdict) -> impl IntoView {
    let tone = match verdict {
        Verdict::Matched => Tone::Good,
        Verdict::Mismatch => Tone::Warn,
        Verdict::Resolved => Tone::Neutral,
        Verdict::Checking => Tone::Info,
    };
    view! { <Badge tone>{verdict.label()}</Badge> }
}

#[component]
fn Rows(rows: Vec<ReportRow>, reload: Callback<()>) -> impl IntoView {
    let me = expect_context::<Me>();
    let can_resolve = me.can(Permission::ReconciliationManage);
    let resolving = RwSignal::new(None::<String>);
    let resolve = ServerAction::<ResolveMismatch>::new();
    when_ok(resolve.value(), move || {
        resolving.set(None);
        reload.run(());
    });
    let empty = rows.is_empty();
    view! {
        <TableFrame label="Movements beside P100">
            <table class=table::TABLE data-testid="reconciliation">
                <thead class=table::HEAD>
                    <tr>
                        <th>"Made (UTC)"</th>
                        <th>"Kind"</th>
                        <th>"Holder"</th>
                        <th class="text-right">"Amount"</th>
                        <th class="whitespace-nowrap">"Here / at P100"</th>
                        <th>"Webhooks"</th>
                        <th>"Verdict"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="7" class="p-3 text-center text-slate-500">"Nothing to show for these filters."</td></tr> })}
                    {rows.into_iter().map(|r| {
                        let subject = r.subject.clone();
                        let open = {
                            let subject = subject.clone();
                            move || resolving.get().as_deref() == Some(subject.as_str())
                        };
                        let tint = match r.verdict {
                            Verdict::Matched => "bg-emerald-50/60",
                            Verdict::Mismatch => "bg-amber-50",
                            _ => "",
                        };
                        let made = match &r.href {
                            Some(href) => view! { <a href=href.clone() class="text-indigo-700 hover:underline">{r.created_at.display()}</a> }.into_any(),
                            None => view! { <span>{r.created_at.display()}</span> }.into_any(),
                        };
                        let upstream = r.upstream.clone().unwrap_or_else(|| {
                            if r.upstream_id.is_some() { "not read yet" } else { "—" }.into()
                        });
                        let webhooks = match &r.upstream_id {
                            Some(id) if r.kind != Subject::Foreign => view! {
                                <a href=filtered_href("/webhooks", [("subject", id.as_str())]) class="text-indigo-700 hover:underline">{r.webhooks}</a>
                            }.into_any(),
                            _ => view! { <span>{r.webhooks}</span> }.into_any(),
                        };
                        let upstream_amount = r.upstream_amount.clone().filter(|a| *a != r.amount);
                        let start = {
                            let subject = subject.clone();
                            move |_| resolving.set(Some(subject.clone()))
                        };
                        view! {
                            <tr class=format!("{tint}") data-subject=subject.clone() data-verdict=r.verdict.as_str()>
                                <td class="whitespace-nowrap">{made}</td>
                                <td class="whitespace-nowrap">{r.kind.label()}</td>
                                <td class="max-w-36 truncate" title=r.holder.clone()>{r.holder.clone()}</td>
                                <td class=table::NUM>{money(&r.amount, &r.currency)}</td>
                                <td>
                                    <div class="whitespace-nowrap">{r.ours.clone().unwrap_or_else(|| "not started here".into())}</div>
                                    <div class="whitespace-nowrap text-xs text-slate-600">"P100: " {upstream}{upstream_amount.map(|a| format!(" · {a}"))}</div>
                                    {r.upstream_id.clone().map(|id| view! { <div class="max-w-44 truncate font-mono text-[11px] text-slate-500" title=id.clone()>{id.clone()}</div> })}
                                </td>
                                <td class="whitespace-nowrap" title=r.last_webhook.as_ref().map(|t| format!("last at {} UTC", t.display()))>
                                    {webhooks}
                                </td>
                                <td class="min-w-56 max-w-md">
                                    <div class="flex items-start justify-between gap-2">
                                        {verdict_badge(r.verdict)}
                                        {(can_resolve && r.verdict == Verdict::Mismatch).then(|| view! {
                                            <button type="button" class="text-xs font-medium text-indigo-700 hover:underline" on:click=start data-testid="resolve">"Resolve…"</button>
                                        })}
                                    </div>
                                    <ul class="mt-1 space-y-0.5 text-xs text-slate-700" data-testid="findings">
                                        {r.findings.iter().map(|f| view! {
                                            <li><span class="font-medium">{f.mismatch.label()}</span>": " {f.detail.clone()}</li>
                                        }).collect_view()}
                                    </ul>
                                    {r.resolution.clone().map(|res| view! {
                                        <p class="mt-1 text-xs text-slate-500" data-testid="resolution">
                                            "Resolved by " {res.by} " at " {res.at.display()} ": " <span class="text-slate-700">{res.note}</span>
                                        </p>
                                    })}
                                </td>
                            </tr>
                            <Show when=open.clone()>
                                <ResolveForm subject=subject.clone() action=resolve cancel=Callback::new(move |()| resolving.set(None))/>
                            </Show>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}

/// The note that resolves a row's mismatches, in a row of its own under it.
#[component]
fn ResolveForm(subject: String, action: ServerAction<ResolveMismatch>, cancel: Callback<()>) -> impl IntoView {
    let note = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(ResolveMismatch {
            input: ResolveInput {
                subject: subject.clone(),
                note: note.get(),
            },
        });
    };
    view! {
        <tr class="border-b border-slate-200 bg-amber-50/50">
            <td colspan="7" class="px-3 py-3">
                <form class="flex flex-wrap items-start gap-3" on:submit=submit novalidate data-testid="resolve-form">
                    <div class="min-w-80 flex-1">
                        <TextAreaField label="What was found, and what was done" name="note" value=note rows=2
                            error=field_error(action.value(), "note")/>
                    </div>
                    <div class="flex gap-2 pt-5">
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || action.pending().get() data-testid="resolve-submit">"Resolve with this note"</button>
                        <button type="button" class=BUTTON_SECONDARY on:click=move |_| cancel.run(())>"Cancel"</button>
                    </div>
                </form>
                <ActionError result=action.value()/>
            </td>
        </tr>
    }
}
