//! The pages for "not there", "not for you" and "not yet".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::app::components::set_status;

#[component]
fn Notice(code: &'static str, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <div class="mx-auto mt-16 max-w-md text-center">
            <p class="text-xs font-semibold uppercase tracking-widest text-slate-500">{code}</p>
            <h1 class="mt-1 text-lg font-semibold text-slate-900">{title}</h1>
            <div class="mt-2 text-sm text-slate-600">{children()}</div>
            <A href="/" attr:class="mt-6 inline-block text-sm font-medium text-indigo-600 hover:text-indigo-500">"Back to the home page"</A>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! { <Notice code="404" title="Page not found">"There is no page at this address. Check the link, or start again from the home page."</Notice> }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    view! {
        <Notice code="403" title="Not available to your role">
            <span data-testid="forbidden">"Your roles do not include this area. If you need it, ask an admin to change your roles."</span>
        </Notice>
    }
}
