//! Settings an admin changes at run time: the four-eyes threshold of each currency, and how long
//! reconciliation waits before a missing webhook or an unclaimed P100 movement is a mismatch.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{
    UpdateGrace, UpdateThresholds, UpdateTwoFactorRoles, fetch_grace, fetch_thresholds, fetch_two_factor_roles,
};
use crate::app::areas::SandboxMode;
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, FieldMessage, INPUT, RolePicker, TextField, field_error,
};
use crate::app::components::two_factor::{StepUpCode, StepUpField};
use crate::app::components::{Card, ErrorNotice, Loads, PageHeader, SuccessNotice};
use crate::domain::Role;
use crate::domain::movements::{Threshold, Thresholds};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let thresholds = Resource::new(|| (), |_| fetch_thresholds());
    let grace = Resource::new(|| (), |_| fetch_grace());
    let two_factor = Resource::new(|| (), |_| fetch_two_factor_roles());
    view! {
        <Title text="Settings"/>
        <PageHeader title="Settings" subtitle="Every change is written to the audit log; a change of thresholds applies once a second admin approves it."/>
        <Loads>
            {move || Suspend::new(async move {
                match (thresholds.await, grace.await, two_factor.await) {
                    (Ok(current), Ok(minutes), Ok(required)) => view! {
                        <div class="max-w-2xl space-y-4"><ThresholdsForm current/><Grace minutes/><TwoFactorRoles required/></div>
                    }.into_any(),
                    (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn ThresholdsForm(current: Thresholds) -> impl IntoView {
    let rows: Vec<(String, RwSignal<String>)> = current
        .thresholds
        .into_iter()
        .map(|t| (t.currency, RwSignal::new(t.amount)))
        .collect();
    let save = ServerAction::<UpdateThresholds>::new();
    let code = StepUpCode::new();
    let submit = {
        let rows = rows.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let thresholds = rows
                .iter()
                .map(|(currency, amount)| Threshold {
                    currency: currency.clone(),
                    amount: amount.get(),
                })
                .collect();
            save.dispatch(UpdateThresholds {
                thresholds,
                code: code.take(),
            });
        }
    };
    view! {
        <Card title="Four-eyes thresholds">
                <p class="mb-3 text-sm text-slate-600">"A payout, withdrawal or transfer above its currency's amount (alone, or with the payer's others to the same destination within the approval window) waits for a second finance member. Leave an amount empty to require approval for every amount in that currency. A change applies once a second admin approves it."</p>
                {move || {
                    let pending = match save.value().get() {
                        Some(Ok(page)) => page.pending,
                        _ => current.pending.clone(),
                    };
                    pending.map(|p| view! {
                        <p class="mb-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="thresholds-pending">
                            "A change asked by " {p.maker} " at " {p.created_at.display()} " UTC is waiting for a second admin. "
                            <a href=format!("/approvals/{}", p.id) class="font-medium underline">"Open the request"</a>
                        </p>
                    })
                }}
                <form on:submit=submit novalidate data-testid="thresholds">
                    <div class="grid grid-cols-2 gap-x-4 md:grid-cols-3">
                        {rows.into_iter().map(|(currency, amount)| {
                            let field = format!("threshold.{currency}");
                            let id = format!("field-{field}");
                            let error = field_error(save.value(), field.clone());
                            let code = currency.to_uppercase();
                            view! {
                                <div>
                                    <label for=id.clone() class=crate::app::components::form::LABEL>{code}</label>
                                    <input id=id.clone() name=field class=move || format!("{INPUT} {}", if error.get().is_some() { "border-red-400" } else { "border-slate-300" })
                                        placeholder="every amount" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
                                    <FieldMessage id=format!("{id}-error") error/>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    <div class="mt-3"><ActionError result=save.value()/></div>
                    {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! { <div class="mb-2"><SuccessNotice message="Sent for approval: a second admin must approve it before it applies."/></div> })}
                    <StepUpField result=save.value() code name="thresholds-code"/>
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || save.pending().get()>"Ask to change thresholds"</button>
                </form>
        </Card>
    }
}

#[component]
fn Grace(minutes: i64) -> impl IntoView {
    let value = RwSignal::new(minutes.to_string());
    let save = ServerAction::<UpdateGrace>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateGrace { minutes: value.get() });
    };
    view! {
        <Card title="Reconciliation">
            <p class="mb-3 text-sm text-slate-600">"How many minutes a sent movement may go without a webhook, and a P100 movement may sit in the partner's history unclaimed, before reconciliation calls it a mismatch."</p>
            <form on:submit=submit novalidate class="flex items-start gap-3" data-testid="grace">
                <div class="w-40"><TextField label="Grace (minutes)" name="grace_minutes" value error=field_error(save.value(), "grace_minutes")/></div>
                <div class="pt-5"><button type="submit" class=BUTTON_PRIMARY disabled=move || save.pending().get()>"Save"</button></div>
                {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! { <div class="pt-5"><SuccessNotice message="Saved."/></div> })}
            </form>
            <ActionError result=save.value()/>
        </Card>
    }
}

/// Who must use two-factor sign-in: every member outside the sandbox; in it, the roles chosen here.
#[component]
fn TwoFactorRoles(required: Vec<Role>) -> impl IntoView {
    let sandbox = expect_context::<SandboxMode>().0;
    let roles = RwSignal::new(required);
    let save = ServerAction::<UpdateTwoFactorRoles>::new();
    let code = StepUpCode::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateTwoFactorRoles {
            roles: roles.get_untracked(),
            code: code.take(),
        });
    };
    view! {
        <Card title="Two-factor sign-in">
            {if sandbox {
                view! {
                    <p class="mb-3 text-sm text-slate-600">"In the sandbox two-factor is offered to everyone (Account page) and required for the roles ticked here: their members set it up at their next sign-in. Outside the sandbox every member must use it."</p>
                    <form on:submit=submit novalidate data-testid="two-factor-roles">
                        <RolePicker selected=roles error=field_error(save.value(), "roles")/>
                        <ActionError result=save.value()/>
                        <StepUpField result=save.value() code name="two-factor-roles-code"/>
                        {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! { <div class="mb-2"><SuccessNotice message="Saved."/></div> })}
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || save.pending().get()>"Save"</button>
                    </form>
                }.into_any()
            } else {
                view! { <p class="text-sm text-slate-600">"Every member must use two-factor sign-in: it is required outside the sandbox."</p> }.into_any()
            }}
        </Card>
    }
}
