//! The decision a person makes about a payout or exchange whose outcome P100 left unclear.

use leptos::prelude::*;

use crate::api::movements::ResolveMovement;
use crate::app::components::Card;
use crate::app::components::form::{ActionError, BUTTON_SECONDARY, FieldMessage, TextAreaField, field_error, when_ok};
use crate::domain::Permission;
use crate::domain::approvals::PendingApproval;
use crate::domain::movements::{ResolveInput, Unclear};
use crate::domain::staff::Me;

/// A person's decision about a payout or exchange P100 left unclear: one of the P100 ids that fit,
/// or "P100 never received it", with a note; a second member approves it in the inbox.
#[component]
pub fn Resolve(
    subject: Unclear,
    id: String,
    candidates: Vec<String>,
    pending: Option<PendingApproval>,
    reload: Callback<()>,
) -> impl IntoView {
    let me = expect_context::<Me>();
    if let Some(p) = pending {
        return view! {
            <Card title="Decision">
                <div class="text-sm" data-testid="pending-resolution">
                    <p class="font-medium text-amber-900">"A decision is awaiting approval"</p>
                    <p class="text-xs text-slate-600">"Asked by " {p.maker} " at " {p.created_at.display()} " UTC. "
                        <a href=format!("/approvals/{}", p.id) class="font-medium text-indigo-700 underline">"Open the request"</a></p>
                </div>
            </Card>
        }
        .into_any();
    }
    if !me.can(Permission::PayoutsResolve) {
        return ().into_any();
    }
    let action = ServerAction::<ResolveMovement>::new();
    // "" is "P100 never received it".
    let choice = RwSignal::new(candidates.first().cloned().unwrap_or_default());
    let note = RwSignal::new(String::new());
    when_ok(action.value(), move || reload.run(()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(ResolveMovement {
            input: ResolveInput {
                subject,
                id: id.clone(),
                upstream_id: Some(choice.get()).filter(|c| !c.is_empty()),
                note: note.get(),
            },
        });
    };
    let option = move |value: String, label: String| {
        let checked = value.clone();
        view! {
            <label class="flex items-center gap-2 text-sm">
                <input type="radio" name="resolution" class="h-4 w-4 border-slate-300" value=value.clone()
                    prop:checked=move || choice.get() == checked
                    on:change=move |_| choice.set(value.clone())/>
                {label}
            </label>
        }
    };
    view! {
        <Card title="Decide what became of it">
            <form on:submit=submit novalidate class="space-y-2" data-testid="resolve-form">
                <p class="text-xs text-slate-500">"Nothing is sent again. A second member approves your decision before it applies."</p>
                {candidates.into_iter().map(|c| option(c.clone(), format!("It is {c} at P100"))).collect_view()}
                {option(String::new(), "P100 never received it".into())}
                <FieldMessage id="field-upstream_id-error".into() error=field_error(action.value(), "upstream_id")/>
                <TextAreaField label="How you know (a note for the checker)" name="resolve_note" value=note error=field_error(action.value(), "note")/>
                <ActionError result=action.value()/>
                <button type="submit" class=BUTTON_SECONDARY disabled=move || action.pending().get() data-testid="resolve">"Ask a second member"</button>
            </form>
        </Card>
    }
    .into_any()
}
