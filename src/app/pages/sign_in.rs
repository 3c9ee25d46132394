//! The sign-in page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{SignIn, SignInCode, SignInEnrol, local_path};
use crate::app::SessionState;
use crate::app::components::form::{BUTTON_PRIMARY, TextField, field_error, general_error};
use crate::app::components::two_factor::{EnrolmentSetup, RecoveryCodeList};
use crate::app::components::{ErrorNotice, reload_to};
use crate::app::layout::SandboxBanner;
use crate::domain::two_factor::{Enrolment, RecoveryCodes, SignInStep};

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = expect_context::<SessionState>();
    let query = use_query_map();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = ServerAction::<SignIn>::new();
    let result = action.value();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    Effect::new(move |_| {
        if let Some(Ok(SignInStep::Done { next })) = result.get() {
            reload_to(&next);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let next = query.with_untracked(|q| q.get("next"));
        action.dispatch(SignIn {
            email: email.get_untracked(),
            password: password.get_untracked(),
            next,
        });
    };
    let password_step = view! {
        <form class=CARD on:submit=submit novalidate>
            <h1 class="text-lg font-semibold">"Sign in"</h1>
            <TextField label="Email" name="email" kind="email" autocomplete="username" value=email error=field_error(result, "email")/>
            <TextField label="Password" name="password" kind="password" autocomplete="current-password" value=password error=field_error(result, "password")/>
            {move || general_error(result).get().map(|error| view! { <ErrorNotice error/> })}
            <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || !hydrated.get() || action.pending().get()>
                {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
            </button>
        </form>
    };
    let password_step = password_step.into_any();
    let step = move || match result.get() {
        Some(Ok(SignInStep::Code)) => Some(view! { <CodeStep/> }.into_any()),
        Some(Ok(SignInStep::Enrol(enrolment))) => Some(view! { <EnrolStep enrolment/> }.into_any()),
        _ => None,
    };
    let on_password = move || !result.with(|r| matches!(r, Some(Ok(SignInStep::Code | SignInStep::Enrol(_)))));

    view! {
        <Title text="Sign in"/>
        <div class="flex min-h-full flex-col">
            {move || {
                let session = session.get().and_then(Result::ok);
                // Already signed in: nothing to do here.
                let signed_in = session.as_ref().is_some_and(|s| s.me.is_some()).then(|| {
                    let next = local_path(query.with_untracked(|q| q.get("next")).as_deref());
                    view! { <Redirect path=next/> }
                });
                let banner = session.filter(|s| s.sandbox).map(|s| view! { <SandboxBanner unchosen=s.sandbox_unchosen/> });
                (signed_in, banner)
            }}
            <div class="flex flex-1 items-start justify-center px-4 pt-24">
                <div class="w-full max-w-md">
                    <div class="mb-6 flex items-center gap-2">
                        <span class="inline-block h-6 w-6 rounded bg-indigo-600"></span>
                        <span class="text-base font-semibold">"Back office"</span>
                    </div>
                    <div class:hidden=move || !on_password()>{password_step}</div>
                    {step}
                    {move || {
                        session.get().and_then(Result::ok).filter(|s| s.sandbox).map(|s| view! { <DemoAccounts code=s.demo_code/> })
                    }}
                </div>
            </div>
        </div>
    }
}

const CARD: &str = "space-y-3 rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

/// After the password: the code from the member's authenticator app, or a recovery code.
#[component]
fn CodeStep() -> impl IntoView {
    let code = RwSignal::new(String::new());
    let action = ServerAction::<SignInCode>::new();
    let result = action.value();
    Effect::new(move |_| {
        if let Some(Ok(SignInStep::Done { next })) = result.get() {
            reload_to(&next);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SignInCode {
            code: code.get_untracked(),
        });
    };
    view! {
        <form class=CARD on:submit=submit novalidate data-testid="code-step">
            <h1 class="text-lg font-semibold">"Two-factor sign-in"</h1>
            <p class="text-sm text-slate-600">"Enter the 6-digit code your authenticator app shows. Lost your phone? Enter one of your recovery codes instead."</p>
            <TextField label="Code" name="code" autocomplete="one-time-code" value=code error=field_error(result, "code")/>
            {move || general_error(result).get().map(|error| view! { <ErrorNotice error/> })}
            <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Checking…" } else { "Verify" }}
            </button>
        </form>
    }
}

/// After the password, for a member who must use two-factor and has not set it up: set it up now.
#[component]
fn EnrolStep(enrolment: Enrolment) -> impl IntoView {
    let action = ServerAction::<SignInEnrol>::new();
    let result = action.value();
    let confirm = Callback::new(move |code| {
        action.dispatch(SignInEnrol { code });
    });
    let pending = Signal::derive(move || action.pending().get());
    view! {
        <div class=CARD>
            <h1 class="text-lg font-semibold">"Set up two-factor sign-in"</h1>
            <p class="text-sm text-slate-600">"Your account needs a second step at every sign-in: a code from an app on your phone."</p>
            {move || match result.get() {
                Some(Ok(RecoveryCodes { codes, next })) => view! {
                    <RecoveryCodeList codes/>
                    <button type="button" class=format!("{BUTTON_PRIMARY} w-full") on:click=move |_| reload_to(&next)>"I have saved them: continue"</button>
                }.into_any(),
                _ => view! {
                    <EnrolmentSetup enrolment=enrolment.clone() result pending confirm/>
                    {move || general_error(result).get().map(|error| view! { <ErrorNotice error/> })}
                }.into_any(),
            }}
        </div>
    }
}

/// The sandbox's demo accounts, so anyone can try every role; one of them shows two-factor sign-in
/// with the current code of its published secret.
#[component]
fn DemoAccounts(code: Option<String>) -> impl IntoView {
    use crate::domain::staff::DEMO_STAFF;
    view! {
        <div class="mt-4 rounded-lg border border-amber-200 bg-amber-50 p-4 text-xs text-amber-900">
            <p class="mb-2 font-semibold">"Sandbox demo accounts"</p>
            <table class="w-full whitespace-nowrap">
                <tbody>
                    {DEMO_STAFF.iter().map(|member| {
                        let (email, password) = member.credentials();
                        view! {
                            <tr>
                                <td class="py-0.5 pr-2">{member.role.label()}</td>
                                <td class="py-0.5 pr-2 font-mono">{email}</td>
                                <td class="py-0.5 font-mono">{password}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="mt-2">
                "finance-2fa also asks for a code after its password; its app would show "
                <span class="font-mono font-semibold" data-testid="demo-code">{code}</span>
                " now (reload for a fresh one). Two-factor is offered to everyone here (Account page) and required outside the sandbox."
            </p>
        </div>
    }
}
