//! A member's own account: who they are and their two-factor sign-in.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::{BeginEnrolment, ConfirmEnrolment, fetch_two_factor};
use crate::app::components::form::{ActionError, BUTTON_PRIMARY};
use crate::app::components::status::RoleBadges;
use crate::app::components::two_factor::{EnrolmentSetup, RecoveryCodeList};
use crate::app::components::{Card, ErrorNotice, Loads, PageHeader};
use crate::domain::staff::Me;
use crate::domain::two_factor::{RecoveryCodes, TwoFactorStatus};

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let status = Resource::new(|| (), |_| fetch_two_factor());
    view! {
        <Title text="Account"/>
        <PageHeader title="Account" subtitle="Your sign-in. An admin manages names, roles and passwords on the Staff page."/>
        <div class="max-w-2xl space-y-4">
            <Card title="You">
                <dl class="grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
                    <dt class="text-slate-600">"Name"</dt><dd>{me.name.clone()}</dd>
                    <dt class="text-slate-600">"Email"</dt><dd>{me.email.clone()}</dd>
                    <dt class="text-slate-600">"Roles"</dt><dd><RoleBadges roles=me.roles.clone()/></dd>
                </dl>
            </Card>
            <Loads>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => view! { <TwoFactorCard status/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Loads>
        </div>
    }
}

#[component]
fn TwoFactorCard(status: TwoFactorStatus) -> impl IntoView {
    let begin = ServerAction::<BeginEnrolment>::new();
    let confirm = ServerAction::<ConfirmEnrolment>::new();
    let send = Callback::new(move |code| {
        confirm.dispatch(ConfirmEnrolment { code });
    });
    let pending = Signal::derive(move || confirm.pending().get());
    let state = match &status.enrolled_at {
        Some(since) => format!(
            "On since {} UTC. {} of 10 recovery codes left.",
            since.display(),
            status.recovery_codes_left
        ),
        None if status.required => {
            "Not set up yet, and required for you: you will set it up at your next sign-in.".into()
        }
        None => {
            "Not set up. A code from an app on your phone, asked after your password and before money moves.".into()
        }
    };
    let enrolled = status.enrolled_at.is_some();
    view! {
        <Card title="Two-factor sign-in">
            <p class="mb-3 text-sm text-slate-700" data-testid="two-factor-state">{state}</p>
            {move || match (confirm.value().get(), begin.value().get()) {
                (Some(Ok(RecoveryCodes { codes, .. })), _) => view! { <RecoveryCodeList codes/> }.into_any(),
                (_, Some(Ok(enrolment))) => view! {
                    <EnrolmentSetup enrolment result=confirm.value() pending confirm=send/>
                    <ActionError result=confirm.value()/>
                }.into_any(),
                _ => (!enrolled).then(|| view! {
                    <ActionError result=begin.value()/>
                    <button type="button" class=BUTTON_PRIMARY disabled=move || begin.pending().get()
                        on:click=move |_| { begin.dispatch(BeginEnrolment {}); }>"Set up two-factor"</button>
                }).into_any(),
            }}
        </Card>
    }
}
