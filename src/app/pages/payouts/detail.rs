//! One movement: what was sent where, its status as P100 reports it, its approval, and every audit
//! row about it (the status timeline). Read again every few seconds while it is still moving.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::movements::fetch_movement;
use crate::app::components::resolve::Resolve;
use crate::app::components::status::{ApprovalBadge, MovementBadge};
use crate::app::components::{
    Card, DecisionNotice, ErrorNotice, Loading, NOTICE_FAILED, NOTICE_UNCLEAR, TableFrame, load_in_browser, table,
};
use crate::app::pages::audit::{AuditHead, EntryRow};
use crate::domain::movements::{MovementDetail, MovementKind, MovementStatus, Unclear};

/// How often a movement that is still moving is read again; one whose outcome is unknown is
/// searched for in P100's history on each read, so less often.
const POLL: Duration = Duration::from_secs(3);
const POLL_UNKNOWN: Duration = Duration::from_secs(15);

#[component]
pub fn MovementPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let version = RwSignal::new(0u32);
    let detail = load_in_browser(move || {
        version.track();
        fetch_movement(id.get())
    });
    Effect::new(move |_| {
        let next = detail.with(|d| match d {
            Some(Ok(d)) if d.movement.status == MovementStatus::Unknown => Some(POLL_UNKNOWN),
            Some(Ok(d)) if d.movement.status.in_flight() || d.movement.status == MovementStatus::AwaitingApproval => {
                Some(POLL)
            }
            _ => None,
        });
        if let Some(after) = next {
            set_timeout(move || version.update(|v| *v += 1), after);
        }
    });
    move || match detail.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
        Some(Ok(detail)) => view! { <Movement detail reload=version/> }.into_any(),
    }
}

fn line(label: &'static str, value: impl IntoView + 'static) -> impl IntoView {
    view! { <dt class="text-slate-500">{label}</dt><dd class="min-w-0 break-words">{value}</dd> }
}

#[component]
fn Movement(detail: MovementDetail, reload: RwSignal<u32>) -> impl IntoView {
    let m = detail.movement;
    let title = format!("{} · {}", m.kind.label(), m.amount);
    let to_label = match m.kind {
        MovementKind::Sepa => "IBAN",
        MovementKind::Crypto => "Address",
        MovementKind::Transfer => "To",
    };
    let status = m.status;
    let candidates = m.decision.clone().map(|d| d.candidates).unwrap_or_default();
    // A person decides once the back office asks for one (or while a decision waits).
    let decide = status == MovementStatus::Unknown && (m.decision.is_some() || detail.pending_resolution.is_some());
    view! {
        <Title text=title.clone()/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <p class="text-xs text-slate-500"><a href="/payouts" class="hover:underline">"Payouts"</a>" / " <span class="font-mono">{m.id.clone()}</span></p>
                <h1 class="text-lg font-semibold text-slate-900">{title}</h1>
            </div>
            <span data-testid="movement-status"><MovementBadge status/></span>
        </div>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title="Movement">
                    <dl class="grid grid-cols-[10rem_1fr] gap-y-1.5 text-sm" data-testid="movement-terms">
                        {line("From", m.from.clone())}
                        {line(to_label, view! { <span class="font-mono text-xs">{m.to.clone()}</span> })}
                        {m.beneficiary.clone().map(|b| line("Beneficiary", b))}
                        {m.bic.clone().map(|b| line("BIC", b))}
                        {m.network.clone().map(|n| line("Network", n))}
                        {m.reference.clone().map(|r| line(if m.kind == MovementKind::Transfer { "Note" } else { "Reference" }, r))}
                        {line("Amount", view! { <span class="font-semibold tabular-nums" data-testid="movement-amount">{m.amount.clone()}</span> })}
                        {line("Fee", view! { <span class="tabular-nums">{m.fee.clone()}</span> })}
                        {line("P100 id", view! { <span class="font-mono text-xs">{m.upstream_id.clone().unwrap_or_else(|| "—".into())}</span> })}
                        {line("P100 status", m.upstream_status.clone().unwrap_or_else(|| "—".into()))}
                        {line("Made", format!("{} UTC by {}", m.created_at.display(), m.created_by))}
                        {m.submitted_at.clone().map(|at| line("Sent", format!("{} UTC", at.display())))}
                    </dl>
                    {m.failure.clone().map(|f| view! {
                        <div class=if status == MovementStatus::Unknown { NOTICE_UNCLEAR } else { NOTICE_FAILED } data-testid="movement-failure">{f}</div>
                    })}
                    {(status == MovementStatus::Unknown).then(|| view! {
                        <p class="mt-3 text-sm text-slate-600">"This page looks for it again every 15 seconds. Do not start it again before it is found at P100 or a person decides."</p>
                    })}
                    {m.decision.clone().map(|decision| view! { <DecisionNotice decision/> })}
                    {matches!(status, MovementStatus::Submitting | MovementStatus::Pending).then(|| view! {
                        <p class="mt-3 text-sm text-slate-600">"P100 is processing it; this page follows it."</p>
                    })}
                </Card>
            </div>
            <div class="space-y-4">
                {decide.then(|| view! {
                    <Resolve subject=Unclear::Movement id=m.id.clone() candidates=candidates
                        pending=detail.pending_resolution.clone() reload=Callback::new(move |()| reload.update(|v| *v += 1))/>
                })}
                {m.approval.clone().map(|a| view! {
                    <Card title="Approval">
                        <dl class="grid grid-cols-[6rem_1fr] gap-y-1.5 text-sm" data-testid="movement-approval">
                            {line("Status", view! { <ApprovalBadge status=a.status/> })}
                            {line("Checker", a.checker.clone().unwrap_or_else(|| "—".into()))}
                            {a.decided_at.clone().map(|at| line("Decided", format!("{} UTC", at.display())))}
                        </dl>
                        <a href=format!("/approvals/{}", a.id) class="mt-3 inline-block text-xs font-medium text-indigo-700 hover:underline">"Open the request"</a>
                    </Card>
                })}
                <Card title="Request sent to P100">
                    <pre class="whitespace-pre-wrap break-all rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="movement-request">{detail.request}</pre>
                </Card>
            </div>
        </div>
        <div class="mt-4">
            <Card title="Timeline (audit log)">
                <TableFrame label="Timeline">
                    <table class=table::TABLE data-testid="timeline">
                        <AuditHead/>
                        <tbody>
                            {detail.timeline.into_iter().map(|entry| view! { <EntryRow entry/> }).collect_view()}
                        </tbody>
                    </table>
                </TableFrame>
            </Card>
        </div>
    }
}
