//! The sign-in page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{SignIn, local_path};
use crate::app::SessionResource;
use crate::app::components::form::{BUTTON_PRIMARY, TextField, field_error, general_error};
use crate::app::components::{ErrorNotice, reload_to};
use crate::app::layout::SandboxBanner;

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    let query = use_query_map();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = ServerAction::<SignIn>::new();
    let result = action.value();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    Effect::new(move |_| {
        if let Some(Ok(next)) = result.get() {
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

    view! {
        <Title text="Sign in"/>
        <div class="flex min-h-full flex-col">
            <Suspense>
                {move || Suspend::new(async move {
                    let session = session.await.ok();
                    // Already signed in: nothing to do here.
                    let signed_in = session.as_ref().is_some_and(|s| s.me.is_some()).then(|| {
                        let next = local_path(query.with_untracked(|q| q.get("next")).as_deref());
                        view! { <Redirect path=next/> }
                    });
                    let banner = session.filter(|s| s.sandbox).map(|s| view! { <SandboxBanner unchosen=s.sandbox_unchosen/> });
                    (signed_in, banner)
                })}
            </Suspense>
            <div class="flex flex-1 items-start justify-center px-4 pt-24">
                <div class="w-full max-w-md">
                    <div class="mb-6 flex items-center gap-2">
                        <span class="inline-block h-6 w-6 rounded bg-indigo-600"></span>
                        <span class="text-base font-semibold">"Back office"</span>
                    </div>
                    <form class="space-y-3 rounded-lg border border-slate-200 bg-white p-6 shadow-sm" on:submit=submit novalidate>
                        <h1 class="text-lg font-semibold">"Sign in"</h1>
                        <TextField label="Email" name="email" kind="email" autocomplete="username" value=email error=field_error(result, "email")/>
                        <TextField label="Password" name="password" kind="password" autocomplete="current-password" value=password error=field_error(result, "password")/>
                        {move || general_error(result).get().map(|error| view! { <ErrorNotice error/> })}
                        <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || !hydrated.get() || action.pending().get()>
                            {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </form>
                    <Suspense>
                        {move || Suspend::new(async move {
                            session.await.ok().filter(|s| s.sandbox).map(|_| view! { <DemoAccounts/> })
                        })}
                    </Suspense>
                </div>
            </div>
        </div>
    }
}

/// The sandbox's demo accounts, so anyone can try every role.
#[component]
fn DemoAccounts() -> impl IntoView {
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
        </div>
    }
}
