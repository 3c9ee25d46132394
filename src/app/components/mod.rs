//! Building blocks every page uses, so pages look and behave alike.

pub mod filters;
pub mod form;
pub mod keyboard;
pub mod qr;
pub mod resolve;
pub mod status;
pub mod two_factor;
pub mod upload;

use leptos::prelude::*;

use crate::domain::AppError;

/// Sets the HTTP status of a page while it renders on the server (403, 404, ...).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(code),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// Title row of a page, with room for actions on the right.
#[component]
pub fn PageHeader(
    title: &'static str,
    #[prop(optional)] subtitle: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="mb-4 flex items-end justify-between gap-4">
            <div>
                <h1 class="text-lg font-semibold text-slate-900">{title}</h1>
                {(!subtitle.is_empty()).then(|| view! { <p class="text-sm text-slate-500">{subtitle}</p> })}
            </div>
            <div class="flex items-center gap-2">{children.map(|c| c())}</div>
        </div>
    }
}

/// An error in words, with what to do about it. A session that ended sends the member to sign in
/// and back here afterwards.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    if error == AppError::Unauthenticated {
        return_to_sign_in();
    }
    let reference = match &error {
        AppError::Internal { reference } => Some(reference.clone()),
        _ => None,
    };
    let pending = match &error {
        AppError::AlreadyPending { approval_id, .. } => Some(format!("/approvals/{approval_id}")),
        _ => None,
    };
    let message = match &error {
        AppError::Internal { .. } => "Something went wrong on our side. The details are in the server log.".to_owned(),
        other => other.to_string(),
    };
    view! {
        <div role="alert" class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            <p>{message}</p>
            {pending.map(|href| view! {
                <p class="mt-1"><a href=href class="font-medium underline" data-testid="pending-link">"Open the pending request"</a></p>
            })}
            {reference.map(|r| view! {
                <p class="mt-1 text-xs text-red-700">"Reference: " <code class="font-mono" data-testid="error-reference">{r}</code></p>
            })}
        </div>
    }
}

/// Full reload to the sign-in page, remembering where we were.
pub fn return_to_sign_in() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let location = window.location();
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        let _ = location.assign(&sign_in_path(&here));
    }
}

/// The sign-in page, set to come back to `here` afterwards.
pub fn sign_in_path(here: &str) -> String {
    format!("/sign-in?next={}", leptos_router::location::Url::escape(here))
}

/// Full page load of `path`: used after sign-in and sign-out so every part of the page starts over.
pub fn reload_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Data a page loads in the browser once it shows (live P100 reads the page should not wait for):
/// `None` until it arrives. Effects never run during server rendering, so the server sends the
/// "Loading…" state and nothing is left pending in the stream (a `LocalResource` read while the
/// server renders can leave the streamed page incomplete).
pub fn load_in_browser<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> ReadSignal<Option<Result<T, AppError>>>
where
    T: Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + 'static,
{
    let (value, set) = signal(None);
    Effect::new(move |_| {
        let pending = fetch();
        leptos::task::spawn_local(async move { set.set(Some(pending.await)) });
    });
    value
}

/// Shown while a page's data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="py-6 text-sm text-slate-500">"Loading…"</p> }
}

/// A page's server data: "Loading…" until the first answer. Afterwards the answer on screen stays
/// while the next one (a filter, a refresh) is on its way, dimmed and `aria-busy` so that staff,
/// screen readers and the browser tests can tell the rows on screen are not the answer yet.
#[component]
pub fn Loads(children: Children) -> impl IntoView {
    let (busy, set_busy) = signal(false);
    view! {
        <div
            aria-busy=move || busy.get().to_string()
            class=move || if busy.get() { "opacity-60 transition-opacity" } else { "transition-opacity" }
        >
            <Transition fallback=Loading set_pending=set_busy>
                {children()}
            </Transition>
        </div>
    }
}

/// A short confirmation that something worked.
#[component]
pub fn SuccessNotice(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <div role="status" class="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            {message}
        </div>
    }
}

/// A titled block of a page.
#[component]
pub fn Section(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section>
            <h3 class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
            {children()}
        </section>
    }
}

/// A white card around a part of a page, with its title.
/// A movement P100 refused (nothing moved) / one whose outcome P100's answer left unclear.
pub const NOTICE_FAILED: &str = "mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800";
pub const NOTICE_UNCLEAR: &str = "mt-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900";

/// What P100 left unclear about a movement, and the P100 ids that could be it, for the person who
/// must decide.
#[component]
pub fn DecisionNotice(decision: crate::domain::movements::Decision) -> impl IntoView {
    view! {
        <div class="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="needs-decision">
            <p class="font-medium">"Needs a decision"</p>
            <p>{decision.reason}</p>
            {(!decision.candidates.is_empty()).then(|| view! {
                <p class="mt-1">"At P100: " {decision.candidates.into_iter().map(|id| view! { <span class="mr-2 font-mono text-xs">{id}</span> }).collect_view()}</p>
            })}
        </div>
    }
}

#[component]
pub fn Card(title: &'static str, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="mb-3 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h2>
            {children.map(|c| c())}
        </section>
    }
}

/// `path?key=value&…` of a page's filters, the empty ones left out, so a filtered page can be
/// shared and reloaded.
pub fn filtered_href<'a>(path: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    match crate::domain::query_string(pairs, leptos_router::location::Url::escape) {
        qs if qs.is_empty() => path.to_owned(),
        qs => format!("{path}?{qs}"),
    }
}

/// A table's frame. It scrolls sideways on a narrow screen, so it is a named region that takes the
/// keyboard's focus: someone without a mouse can scroll it too (WCAG 2.1.1).
#[component]
pub fn TableFrame(
    #[prop(into)] label: String,
    #[prop(into, default = table::WRAP.into())] class: String,
    children: Children,
) -> impl IntoView {
    view! { <div class=class role="region" aria-label=label tabindex="0">{children()}</div> }
}

/// Classes of the data tables, so every table in the app reads the same. `TABLE` styles its own
/// head, cells and body rows (style/tailwind.css), so a row of a long list carries no classes of
/// its own; a cell adds only what sets it apart.
pub mod table {
    pub const TABLE: &str = "data-table";
    pub const HEAD: &str = "data-table-head";
    /// A row's main link (its name or title), and the id under it. Rows link with a plain `<a>`:
    /// the router takes its clicks all the same, and 50 rows render without 50 route-aware
    /// components.
    pub const LINK: &str = "row-link";
    pub const SUB: &str = "row-sub";
    /// A column shown on wide screens only, so the table fits a laptop without scrolling.
    pub const WIDE_ONLY: &str = "wide-only";
    /// A cell that reads second (a time, who did it).
    pub const MUTED: &str = "cell-muted";
    /// A long value (an email) cut to its column, with an ellipsis.
    pub const CLIP: &str = "cell-clip";
    /// A cell holding an amount or a count.
    pub const NUM: &str = "whitespace-nowrap text-right tabular-nums";
    pub const WRAP: &str = "overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm";
}
