//! The audit log: filter by staff, action, target and dates; page back through history; export CSV.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::audit::fetch_audit_page;
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::BUTTON_SECONDARY;
use crate::app::components::status::{Badge, Tone};
use crate::app::components::{ErrorNotice, Loads, PageHeader, TableFrame, table};
use crate::domain::audit::{AuditEntryView, AuditFilter, AuditPage as Page, Outcome};
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission};

const FIELDS: [&str; 6] = ["staff", "action", "target", "from", "to", "row"];

impl AuditFilter {
    fn fields(&self) -> [&String; 6] {
        [&self.staff, &self.action, &self.target, &self.from, &self.to, &self.row]
    }

    /// `path?staff=...&from=...`, leaving out empty filters.
    fn href(&self, path: &str) -> String {
        crate::app::components::filtered_href(path, FIELDS.into_iter().zip(self.fields().map(String::as_str)))
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            AuditFilter {
                staff: get("staff"),
                action: get("action"),
                target: get("target"),
                from: get("from"),
                to: get("to"),
                row: get("row"),
            }
        })
    });
    let first = Resource::new(move || filter.get(), |filter| fetch_audit_page(filter, None));
    let export_href = move || filter.get().href("/exports/audit.csv");

    view! {
        <PageHeader title="Audit log" subtitle="Every sign-in and every change, newest first. Append-only and hash-chained.">
            {me.can(Permission::ExportsCreate).then(|| view! {
                <a href=export_href rel="external" download="" class=BUTTON_SECONDARY data-testid="audit-export">"Export CSV"</a>
            })}
        </PageHeader>
        <Loads>
            {move || Suspend::new(async move {
                let result = first.await;
                let current = filter.get_untracked();
                match result {
                    // The server checks the filters; its messages go next to the fields.
                    Err(AppError::Invalid(errors)) => view! { <Filters current errors/> }.into_any(),
                    Err(error) => view! { <Filters current/> <ErrorNotice error/> }.into_any(),
                    Ok(page) => view! { <Filters current=current.clone()/> <Entries first=page filter=current/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn Filters(current: AuditFilter, #[prop(optional)] errors: FieldErrors) -> impl IntoView {
    let fields = vec![
        FilterField::text("staff", "Staff email starts with", "ada@"),
        FilterField::text("action", "Action starts with", "auth."),
        FilterField::text("target", "Target id starts with", ""),
        FilterField::date("from", "From (UTC day)"),
        FilterField::date("to", "To (UTC day)"),
        FilterField::text("row", "Row", "1042"),
    ];
    let current = current.fields().map(String::clone).to_vec();
    view! {
        <FilterForm path="/audit" fields current errors testid="audit-filters" class="mb-4 grid-cols-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-7"/>
    }
}

/// The first page of rows and any older pages loaded after it.
#[component]
fn Entries(first: Page, filter: AuditFilter) -> impl IntoView {
    let rows = RwSignal::new(first.entries);
    let next = RwSignal::new(first.next_before);
    let load_older = Action::new(move |before: &i64| {
        let (filter, before) = (filter.clone(), *before);
        async move {
            let page = fetch_audit_page(filter, Some(before)).await?;
            rows.update(|r| r.extend(page.entries));
            next.set(page.next_before);
            Ok::<_, AppError>(())
        }
    });
    view! {
        <TableFrame label="Audit log entries">
            <table class=table::TABLE data-testid="audit-table">
                <AuditHead/>
                <tbody>
                    <For each=move || rows.get() key=|e| e.seq let:entry>
                        <EntryRow entry/>
                    </For>
                </tbody>
            </table>
            {move || rows.with(Vec::is_empty).then(|| view! { <p class="p-6 text-center text-slate-500">"No audit entries match these filters."</p> })}
        </TableFrame>
        {move || load_older.value().get().and_then(Result::err).map(|error| view! { <div class="mt-3"><ErrorNotice error/></div> })}
        {move || next.get().map(|before| view! {
            <div class="mt-3 flex justify-center">
                <button class=BUTTON_SECONDARY disabled=move || load_older.pending().get() on:click=move |_| { load_older.dispatch(before); }>
                    "Load older entries"
                </button>
            </div>
        })}
    }
}

/// The audit table's header, for `EntryRow`s.
#[component]
pub fn AuditHead() -> impl IntoView {
    view! {
        <thead class=table::HEAD>
            <tr>
                <th>"#"</th>
                <th>"Time (UTC)"</th>
                <th>"Staff"</th>
                <th>"Action"</th>
                <th>"Target"</th>
                <th>"Outcome"</th>
                <th>"Reason"</th>
                <th>"IP"</th>
            </tr>
        </thead>
    }
}

/// One audit entry; a click opens its details.
#[component]
pub fn EntryRow(entry: AuditEntryView) -> impl IntoView {
    let open = RwSignal::new(false);
    let outcome = match entry.outcome {
        Outcome::Success => view! { <Badge tone=Tone::Good>"success"</Badge> },
        Outcome::Failure => view! { <Badge tone=Tone::Warn>"failure"</Badge> },
        Outcome::Denied => view! { <Badge tone=Tone::Bad>"denied"</Badge> },
    };
    let target = match (&entry.target_kind, &entry.target_id) {
        (Some(kind), Some(id)) => format!("{kind}: {id}"),
        _ => String::new(),
    };
    // Rows without a staff member were written by the system (seed, CLI) or by a failed sign-in.
    let actor = entry.staff_email.clone().unwrap_or_else(|| {
        if entry.staff_roles.is_empty() {
            "—".into()
        } else {
            entry.staff_roles.clone()
        }
    });
    let details = entry.clone();
    view! {
        <tr class="cursor-pointer" on:click=move |_| open.update(|o| *o = !*o)>
            <td class="text-slate-500">{entry.seq}</td>
            <td class="whitespace-nowrap text-slate-600">{entry.at.display()}</td>
            <td>{actor}</td>
            <td class="font-mono text-xs">{entry.action.clone()}</td>
            <td class="max-w-56 truncate text-xs" title=target.clone()>{target.clone()}</td>
            <td>{outcome}</td>
            <td class="max-w-64 truncate text-slate-600">{entry.reason.clone().unwrap_or_default()}</td>
            <td class="text-xs text-slate-500">{entry.ip.clone().unwrap_or_default()}</td>
        </tr>
        <Show when=move || open.get()>
            <tr class="border-b border-slate-200 bg-slate-50">
                <td colspan="8" class="px-3 py-3">
                    <dl class="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1 text-xs">
                        <dt class="text-slate-500">"Roles"</dt><dd>{details.staff_roles.clone()}</dd>
                        <dt class="text-slate-500">"Request id"</dt><dd class="font-mono">{details.request_id.clone().unwrap_or_default()}</dd>
                        <dt class="text-slate-500">"Upstream request id"</dt><dd class="font-mono">{details.upstream_request_id.clone().unwrap_or_default()}</dd>
                        <dt class="text-slate-500">"User agent"</dt><dd class="break-all">{details.user_agent.clone().unwrap_or_default()}</dd>
                        <dt class="text-slate-500">"Reason"</dt><dd>{details.reason.clone().unwrap_or_default()}</dd>
                        <dt class="text-slate-500">"Before"</dt><dd class="break-all font-mono">{details.before.clone().unwrap_or_default()}</dd>
                        <dt class="text-slate-500">"After"</dt><dd class="break-all font-mono">{details.after.clone().unwrap_or_default()}</dd>
                    </dl>
                </td>
            </tr>
        </Show>
    }
}
