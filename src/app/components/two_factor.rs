//! Two-factor pieces several pages share: setting up an authenticator app, the recovery codes
//! shown once, and the code field a step-up asks for.

use leptos::prelude::*;

use super::form::{ActionValue, TextField, field_error};
use crate::domain::AppError;
use crate::domain::two_factor::Enrolment;

/// The QR code and secret to add to an authenticator app, and the field for its first code.
/// `confirm` sends that code.
#[component]
pub fn EnrolmentSetup<T: Send + Sync + 'static>(
    enrolment: Enrolment,
    result: ActionValue<T>,
    pending: Signal<bool>,
    confirm: Callback<String>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        confirm.run(code.get_untracked());
    };
    view! {
        <form class="space-y-3" on:submit=submit novalidate data-testid="enrolment">
            <ol class="list-decimal space-y-1 pl-5 text-sm text-slate-700">
                <li>"Open an authenticator app (Google Authenticator, 1Password, Authy, …) and add an account."</li>
                <li>"Scan this QR code, or type the key below."</li>
                <li>"Enter the 6-digit code the app shows."</li>
            </ol>
            <div class="flex items-center gap-4">
                <div class="shrink-0 rounded border border-slate-200 bg-white p-1" inner_html=enrolment.qr_svg></div>
                <div class="min-w-0">
                    <p class="text-xs font-medium text-slate-600">"Key"</p>
                    <p class="break-all font-mono text-sm text-slate-900" data-testid="enrolment-secret">{enrolment.secret}</p>
                </div>
            </div>
            <TextField label="Code from the app" name="code" value=code error=field_error(result, "code") autocomplete="one-time-code"/>
            <button type="submit" class=super::form::BUTTON_PRIMARY disabled=move || pending.get()>"Confirm and turn on"</button>
        </form>
    }
}

/// The recovery codes, shown once right after enrolment.
#[component]
pub fn RecoveryCodeList(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="rounded-md border border-amber-200 bg-amber-50 p-3" data-testid="recovery-codes">
            <p class="mb-2 text-sm font-medium text-amber-900">"Two-factor is on. Save these recovery codes now: they are shown only once."</p>
            <p class="mb-2 text-xs text-amber-900">"Each signs you in once if your phone is lost. Keep them in a password manager or on paper."</p>
            <ul class="grid grid-cols-2 gap-x-6 gap-y-0.5 font-mono text-sm text-slate-900">
                {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// The code a step-up asks for. `take` gives what to send with the action.
#[derive(Clone, Copy)]
pub struct StepUpCode(RwSignal<String>);

impl StepUpCode {
    pub fn new() -> Self {
        Self(RwSignal::new(String::new()))
    }

    /// The typed code, if any (it is sent with the action whether or not one was asked for: the
    /// server checks it only when the last one is too old).
    pub fn take(self) -> Option<String> {
        let code = self.0.get_untracked();
        (!code.trim().is_empty()).then_some(code)
    }
}

impl Default for StepUpCode {
    fn default() -> Self {
        Self::new()
    }
}

/// Shown above an action's button once the server asked for a fresh code (or refused one): the
/// member types it and presses the button again. Cleared when the action succeeds.
#[component]
pub fn StepUpField<T: Send + Sync + 'static>(
    result: ActionValue<T>,
    code: StepUpCode,
    name: &'static str,
) -> impl IntoView {
    let error = field_error(result, "code");
    let asked =
        move || result.with(|r| matches!(r, Some(Err(AppError::StepUpRequired)))) || error.with(Option::is_some);
    Effect::new(move |_| {
        if result.with(|r| matches!(r, Some(Ok(_)))) {
            code.0.set(String::new());
        }
    });
    move || {
        asked().then(|| {
            view! {
                <div class="mb-3 rounded-md border border-indigo-200 bg-indigo-50 p-3" data-testid="step-up">
                    <p class="mb-2 text-sm text-indigo-900">"This needs a fresh code from your authenticator app (or a recovery code). Enter it, then press the button again."</p>
                    <TextField label="Authenticator code" name=name value=code.0 error=error autocomplete="one-time-code"/>
                </div>
            }
        })
    }
}
