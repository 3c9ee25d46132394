//! Approvals: the inbox of requests awaiting a second person (with the member's own requests and
//! the decided ones), and one request's page where it is reviewed, approved, rejected or withdrawn.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::approvals::{DecideApproval, WithdrawApproval, fetch_approval, fetch_approvals};
use crate::app::components::filters::{FilterField, FilterForm};
use crate::app::components::form::{
    ActionError, BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, TextAreaField, field_error,
};
use crate::app::components::status::{ApprovalBadge, Badge, Tone};
use crate::app::components::two_factor::{StepUpCode, StepUpField};
use crate::app::components::{Card, ErrorNotice, Loads, PageHeader, TableFrame, table};
use crate::domain::approvals::{ApprovalAction, ApprovalInbox, ApprovalQuery, ApprovalStatus, ApprovalView, Decision};
use crate::domain::staff::Me;
use crate::domain::{AppError, FieldErrors, Permission};

const KEYS: [&str; 3] = ["action", "maker", "older_than_hours"];

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| {
            let [action, maker, older_than_hours] = KEYS.map(|k| p.get(k).unwrap_or_default());
            ApprovalQuery {
                action,
                maker,
                older_than_hours,
            }
        })
    });
    let inbox = Resource::new(move || query.get(), fetch_approvals);
    view! {
        <PageHeader title="Approvals" subtitle="Actions that wait for a second person. Nobody approves their own request."/>
        <Loads>
            {move || Suspend::new(async move {
                let current = query.get_untracked();
                match inbox.await {
                    Err(AppError::Invalid(errors)) => view! { <Filters current makers=Vec::new() errors/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(inbox) => view! { <Filters current makers=inbox.makers.clone()/> <Inbox inbox/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn Filters(
    current: ApprovalQuery,
    makers: Vec<(String, String)>,
    #[prop(optional)] errors: FieldErrors,
) -> impl IntoView {
    let actions = ApprovalAction::ALL
        .iter()
        .map(|a| (a.as_str().to_owned(), a.label().to_owned()))
        .collect();
    let fields = vec![
        FilterField::select("action", "Action", actions, "Any"),
        FilterField::select("maker", "Asked by", makers, "Anyone"),
        FilterField::text("older_than_hours", "Older than (hours)", "e.g. 4"),
    ];
    let current = vec![current.action, current.maker, current.older_than_hours];
    view! {
        <FilterForm path="/approvals" fields current errors testid="approval-filters"
            class="mb-4 grid-cols-1 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-[repeat(3,minmax(0,14rem))_auto]"/>
    }
}

#[component]
fn Inbox(inbox: ApprovalInbox) -> impl IntoView {
    let (yours, others): (Vec<_>, Vec<_>) = inbox.open.into_iter().partition(|r| r.mine);
    view! {
        <div class="space-y-6">
            <RequestTable title="Awaiting your decision" rows=others empty="Nothing waits for you." testid="awaiting"/>
            <RequestTable title="Asked by you, awaiting a second person" rows=yours empty="You have no open requests." testid="mine"/>
            <RequestTable title="Decided" rows=inbox.decided empty="No decided requests yet." testid="decided"/>
        </div>
    }
}

#[component]
fn RequestTable(
    title: &'static str,
    rows: Vec<ApprovalView>,
    empty: &'static str,
    testid: &'static str,
) -> impl IntoView {
    let count = rows.len();
    view! {
        <section>
            <h2 class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{format!("{title} · {count}")}</h2>
            <TableFrame label=title>
                <table class=table::TABLE data-testid=testid>
                    <thead class=table::HEAD>
                        <tr>
                            <th>"Asked (UTC)"</th>
                            <th>"Action"</th>
                            <th>"Target"</th>
                            <th>"Asked by"</th>
                            <th>"Reason"</th>
                            <th>"Status"</th>
                            <th>"Expires / decided"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| {
                            let when = r.finished_at.clone().or(r.decided_at.clone()).unwrap_or(r.expires_at.clone());
                            view! {
                                <tr data-approval-id=r.id.clone()>
                                    <td class="whitespace-nowrap text-slate-600">{r.created_at.display()}</td>
                                    <td>
                                        <a href=format!("/approvals/{}", r.id) class=table::LINK>{r.action.label()}</a>
                                    </td>
                                    <td class="font-mono text-xs">{r.target_id.clone()}</td>
                                    <td class="whitespace-nowrap">{r.maker.clone()}</td>
                                    <td class="max-w-72 truncate" title=r.reason.clone()>{r.reason.clone()}</td>
                                    <td><ApprovalBadge status=r.status/></td>
                                    <td class="whitespace-nowrap text-slate-600">{when.display()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {(count == 0).then(|| view! { <p class="p-4 text-center text-slate-500">{empty}</p> })}
            </TableFrame>
        </section>
    }
}

#[component]
pub fn ApprovalPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let version = RwSignal::new(0u32);
    let request = Resource::new(move || (id.get(), version.get()), |(id, _)| fetch_approval(id));
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <Loads>
            {move || Suspend::new(async move {
                match request.await {
                    Ok(view) => view! { <Request view reload/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Loads>
    }
}

fn line(label: String, value: impl IntoView + 'static) -> impl IntoView {
    view! { <dt class="text-slate-500">{label}</dt><dd class="min-w-0 break-words">{value}</dd> }
}

#[component]
fn Request(view: ApprovalView, reload: Callback<()>) -> impl IntoView {
    let r = view;
    let decide = (r.status == ApprovalStatus::Pending).then(|| r.clone());
    let decision = (
        r.checker.clone(),
        r.decided_at.as_ref().map(|t| t.display()),
        r.decision_reason.clone(),
    );
    view! {
        <Title text=format!("{} · {}", r.action.label(), r.target_id)/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <p class="text-xs text-slate-500"><a href="/approvals" class="hover:underline">"Approvals"</a>" / "<span class="font-mono">{r.id.clone()}</span></p>
                <h1 class="text-lg font-semibold text-slate-900">
                    {r.action.label()} " " <a href=r.action.target_href(&r.target_id) class="font-mono text-indigo-700 hover:underline">{r.target_id.clone()}</a>
                </h1>
            </div>
            <div class="flex items-center gap-2">
                {r.mine.then(|| view! { <Badge tone=Tone::Info>"Asked by you"</Badge> })}
                <ApprovalBadge status=r.status/>
            </div>
        </div>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title=if r.status == ApprovalStatus::Pending { "What will happen" } else { "What was asked" }>
                    <dl class="grid grid-cols-[9rem_1fr] gap-y-1 text-sm" data-testid="review">
                        {r.review.clone().into_iter().map(|(label, value)| line(label, value)).collect_view()}
                    </dl>
                    <h3 class="mb-1 mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"Exact call to P100"</h3>
                    <pre class="overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="upstream">{r.upstream.clone()}</pre>
                    <p class="mt-2 text-xs text-slate-500">"Payload SHA-256 " <code class="break-all font-mono" data-testid="payload-hash">{r.payload_hash.clone()}</code>
                        ". Approving approves exactly this payload; if it changes, the approval is refused."</p>
                </Card>
                {decide.map(|view| view! { <Decide view reload/> })}
            </div>
            <Card title="Request">
                <dl class="grid grid-cols-[7rem_1fr] gap-y-1 text-sm">
                    {line("Asked by".into(), r.maker.clone())}
                    {line("Why".into(), r.reason.clone())}
                    {line("Asked (UTC)".into(), r.created_at.display())}
                    {line("Expires (UTC)".into(), r.expires_at.display())}
                    {decision.0.map(|checker| line("Decided by".into(), checker))}
                    {decision.1.map(|at| line("Decided (UTC)".into(), at))}
                    {decision.2.map(|why| line("Rejected because".into(), why))}
                    {r.finished_at.clone().map(|at| line("Finished (UTC)".into(), at.display()))}
                    {r.failure.clone().map(|failure| line("Failed".into(), view! { <span class="text-red-700">{failure}</span> }))}
                </dl>
                {expect_context::<Me>().can(Permission::AuditRead).then(|| view! {
                    <a href=format!("/audit?target={}", r.id) class="mt-3 inline-block text-xs font-medium text-indigo-700 hover:underline">"This request in the audit log"</a>
                })}
            </Card>
        </div>
    }
}

/// Approve or reject for a checker; withdraw for the maker; words for everyone else.
#[component]
fn Decide(view: ApprovalView, reload: Callback<()>) -> impl IntoView {
    let decide = ServerAction::<DecideApproval>::new();
    let withdraw = ServerAction::<WithdrawApproval>::new();
    let reason = RwSignal::new(String::new());
    let code = StepUpCode::new();
    Effect::new(move |_| {
        if matches!(decide.value().get(), Some(Ok(_))) || matches!(withdraw.value().get(), Some(Ok(_))) {
            reload.run(());
        }
    });
    let busy = move || decide.pending().get() || withdraw.pending().get();
    let (id, hash) = (view.id.clone(), view.payload_hash.clone());
    let approve = {
        let id = id.clone();
        move |_| {
            decide.dispatch(DecideApproval {
                id: id.clone(),
                decision: Decision::Approve {
                    payload_hash: hash.clone(),
                },
                code: code.take(),
            });
        }
    };
    let reject = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            decide.dispatch(DecideApproval {
                id: id.clone(),
                decision: Decision::Reject { reason: reason.get() },
                code: None,
            });
        }
    };
    let take_back = move |_| {
        withdraw.dispatch(WithdrawApproval { id: id.clone() });
    };
    view! {
        <Card title="Decision">
            {if view.may_decide {
                view! {
                    <div data-testid="decide">
                        <StepUpField result=decide.value() code name="approve-code"/>
                        <button type="button" class=BUTTON_PRIMARY on:click=approve disabled=busy data-testid="approve">"Approve and run now"</button>
                        <form class="mt-4 border-t border-slate-200 pt-3" on:submit=reject novalidate>
                            <TextAreaField label="Reason for rejecting" name="reason" value=reason error=field_error(decide.value(), "reason")/>
                            <button type="submit" class=BUTTON_DANGER disabled=busy data-testid="reject">"Reject"</button>
                        </form>
                    </div>
                }.into_any()
            } else if view.mine {
                view! {
                    <div>
                        <p class="mb-2 text-sm text-slate-700" data-testid="own-request">"You asked for this, so a second member must approve it. It has not happened yet."</p>
                        <button type="button" class=BUTTON_SECONDARY on:click=take_back disabled=busy data-testid="withdraw">"Withdraw request"</button>
                    </div>
                }.into_any()
            } else {
                view! { <p class="text-sm text-slate-700">"Awaiting approval by a member who may decide this action."</p> }.into_any()
            }}
            <div class="mt-2"><ActionError result=decide.value()/><ActionError result=withdraw.value()/></div>
        </Card>
    }
}
