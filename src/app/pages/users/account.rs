//! The user page's account card: suspend and unsuspend at once, and delete through a second
//! person's approval. The suspend fields are shared with the users list's bulk suspend.

use leptos::prelude::*;

use crate::api::balances::fetch_balances;
use crate::api::users::{RequestUserDelete, SuspendUser, UnsuspendUser};
use crate::app::components::form::{
    ActionError, ActionValue, BUTTON_DANGER, BUTTON_SECONDARY, SelectField, TextAreaField, TextField, field_error,
    when_ok,
};
use crate::app::components::{Card, ErrorNotice, Loading, load_in_browser};
use crate::domain::Permission;
use crate::domain::approvals::PendingApproval;
use crate::domain::balances::Holder;
use crate::domain::staff::Me;
use crate::domain::users::{AccountState, DeleteInput, SuspendInput, SuspendReason, UserDetail};

/// Which form of the card is open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Nothing,
    Suspend,
    Unsuspend,
    Delete,
}

/// Reason and note of a suspension, with their messages from `result`.
#[component]
pub fn SuspendFields<T: Send + Sync + 'static>(
    reason: RwSignal<String>,
    note: RwSignal<String>,
    result: ActionValue<T>,
) -> impl IntoView {
    let options = SuspendReason::ALL
        .iter()
        .map(|r| (r.as_str().to_owned(), r.label().to_owned()))
        .collect();
    view! {
        <SelectField label="Reason" name="reason" value=reason options blank="Choose…" error=field_error(result, "reason")/>
        <TextAreaField label="Note (what happened)" name="suspend_note" value=note error=field_error(result, "note") placeholder="What was seen, by whom, ticket number…"/>
    }
}

#[component]
pub fn AccountCard(detail: UserDetail, reload: super::Reload) -> impl IntoView {
    let me = expect_context::<Me>();
    let id = detail.summary.external_user_id.clone();
    let status = AccountState::parse(&detail.summary.account_status);
    let live = detail.live();
    let may_suspend = live && me.can(Permission::UsersSuspend);
    let may_delete = live && me.can(Permission::UsersDelete);
    let suspended = status == Some(AccountState::Suspended);
    let open = RwSignal::new(Open::Nothing);
    let toggle = move |which: Open| move |_| open.update(|o| *o = if *o == which { Open::Nothing } else { which });
    let done = Callback::new(move |()| {
        open.set(Open::Nothing);
        reload.run(None);
    });
    let pending = detail.pending_delete.clone();
    let deletable = may_delete && pending.is_none();
    view! {
        <Card title="Account">
            {(!live).then(|| view! {
                <p class="text-sm text-slate-600">{if detail.deleted() {
                    "Deleted at P100. The record, its history and the audit trail stay; the personal data is erased."
                } else {
                    "P100 has not confirmed this user yet: nothing can change until it does."
                }}</p>
            })}
            {pending.map(|p| view! { <PendingDelete pending=p/> })}
            <div class="flex flex-wrap gap-2">
                {(may_suspend && !suspended).then(|| view! {
                    <button class=BUTTON_SECONDARY on:click=toggle(Open::Suspend) data-testid="open-suspend">"Suspend…"</button>
                })}
                {(may_suspend && suspended).then(|| view! {
                    <button class=BUTTON_SECONDARY on:click=toggle(Open::Unsuspend) data-testid="open-unsuspend">"Unsuspend…"</button>
                })}
                {deletable.then(|| view! {
                    <button class=BUTTON_SECONDARY on:click=toggle(Open::Delete) data-testid="open-delete">"Delete user…"</button>
                })}
                {(live && !may_suspend && !may_delete).then(|| view! {
                    <p class="text-sm text-slate-500">"Your role cannot change this account."</p>
                })}
            </div>
            {
                let id = id.clone();
                move || match open.get() {
                    Open::Nothing => ().into_any(),
                    Open::Suspend => view! { <SuspendForm id=id.clone() done/> }.into_any(),
                    Open::Unsuspend => view! { <UnsuspendForm id=id.clone() done/> }.into_any(),
                    Open::Delete => view! { <DeleteForm id=id.clone() done/> }.into_any(),
                }
            }
        </Card>
    }
}

#[component]
fn PendingDelete(pending: PendingApproval) -> impl IntoView {
    view! {
        <div class="mb-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="pending-delete">
            <p class="font-medium">"Deletion awaiting approval"</p>
            <p class="text-xs">
                "Asked by " {pending.maker} " at " {pending.created_at.display()} " UTC. Nothing happens until a second member approves it. "
                <a href=format!("/approvals/{}", pending.id) class="font-medium underline">"Open the request"</a>
            </p>
        </div>
    }
}

const FORM: &str = "mt-3 border-t border-slate-200 pt-3";

#[component]
fn SuspendForm(id: String, done: Callback<()>) -> impl IntoView {
    let action = ServerAction::<SuspendUser>::new();
    let (reason, note) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    when_ok(action.value(), move || done.run(()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SuspendUser {
            id: id.clone(),
            input: SuspendInput {
                reason: reason.get(),
                note: note.get(),
            },
        });
    };
    view! {
        <form class=FORM on:submit=submit novalidate data-testid="suspend-form">
            <p class="mb-2 text-xs text-slate-500">"Takes effect at once: the user can make no transactions, withdrawals or deposits until unsuspended."</p>
            <div class="grid grid-cols-1 gap-x-4 md:grid-cols-[14rem_1fr]">
                <SuspendFields reason note result=action.value()/>
            </div>
            <ActionError result=action.value()/>
            <button type="submit" class=BUTTON_DANGER disabled=move || action.pending().get()>"Suspend now"</button>
        </form>
    }
}

#[component]
fn UnsuspendForm(id: String, done: Callback<()>) -> impl IntoView {
    let action = ServerAction::<UnsuspendUser>::new();
    let note = RwSignal::new(String::new());
    when_ok(action.value(), move || done.run(()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(UnsuspendUser {
            id: id.clone(),
            note: note.get(),
        });
    };
    view! {
        <form class=FORM on:submit=submit novalidate data-testid="unsuspend-form">
            <TextAreaField label="Review note (what the review found)" name="unsuspend_note" value=note error=field_error(action.value(), "note")/>
            <ActionError result=action.value()/>
            <button type="submit" class=BUTTON_SECONDARY disabled=move || action.pending().get()>"Unsuspend"</button>
        </form>
    }
}

/// Live balances first (P100 deletes only users holding nothing), then the typed email and the
/// reason; the request goes to a second member.
#[component]
fn DeleteForm(id: String, done: Callback<()>) -> impl IntoView {
    let money = load_in_browser({
        let id = id.clone();
        move || fetch_balances(Holder::User(id.clone()))
    });
    let action = ServerAction::<RequestUserDelete>::new();
    let (email, note) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    when_ok(action.value(), move || done.run(()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(RequestUserDelete {
            id: id.clone(),
            input: DeleteInput {
                confirm_email: email.get(),
                note: note.get(),
            },
        });
    };
    let held = move || {
        money.get().map(|r| {
            r.map(|sheet| {
                sheet
                    .lines
                    .into_iter()
                    .filter(|l| !l.amount.get().is_zero())
                    .map(|l| l.shown)
                    .collect::<Vec<_>>()
            })
        })
    };
    let opened = move || money.with(|r| !matches!(r, Some(Ok(sheet)) if !sheet.opened));
    view! {
        <form class=FORM on:submit=submit novalidate data-testid="delete-form">
            <p class="mb-2 text-sm text-slate-700">"Deleting is irreversible. The user disappears from P100; here the record, its history and the audit trail stay and the personal data is erased. A second member must approve."</p>
            <div class="mb-3 text-sm" data-testid="delete-balances">
                {move || match held() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                    Some(Ok(_)) if !opened() => view! {
                        <p class="text-emerald-700">"No balances yet (P100 opens them after verification), so nothing is held."</p>
                    }.into_any(),
                    Some(Ok(held)) if held.is_empty() => view! {
                        <p class="text-emerald-700">"Every balance is zero (live from P100)."</p>
                    }.into_any(),
                    Some(Ok(held)) => view! {
                        <p class="text-red-700">"Still held: " {held.join(", ")} ". Withdraw every balance before deleting."</p>
                    }.into_any(),
                }}
            </div>
            <div class="grid grid-cols-1 gap-x-4 md:grid-cols-2">
                <TextField label="Type the user's email to confirm" name="confirm_email" kind="email" value=email error=field_error(action.value(), "confirm_email")/>
                <TextAreaField label="Why is the user deleted?" name="delete_note" value=note error=field_error(action.value(), "note")/>
            </div>
            <ActionError result=action.value()/>
            <button type="submit" class=BUTTON_DANGER disabled=move || action.pending().get() || !matches!(held(), Some(Ok(h)) if h.is_empty())>
                "Request deletion"
            </button>
        </form>
    }
}
