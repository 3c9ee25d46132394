//! The frame around every signed-in page: sandbox banner, sidebar, top bar.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

use super::SessionState;
use super::areas::{Area, SandboxMode};
use super::components::keyboard::{Dialog, Keyboard, OpenDialog};
use super::components::status::RoleBadges;
use super::components::{ErrorNotice, Loading, reload_to, sign_in_path};
use super::pages::errors::Forbidden;
use crate::api::auth::SignOut;
use crate::domain::staff::{Me, SessionInfo};

/// Signed-in pages: the frame around them. Without a session it sends the browser to sign in, and
/// back here afterwards. The session is known when this renders (`SessionState`), not awaited in a
/// `<Suspense>`: a Suspense builds its children again once what it waited for loads, and each time
/// the page below was built anew, reading and sending its data twice.
#[component]
pub fn Layout() -> impl IntoView {
    let session = expect_context::<SessionState>();
    let location = use_location();
    move || match session.get() {
        Some(Ok(SessionInfo {
            me: Some(me),
            sandbox,
            sandbox_unchosen,
            awaiting_decision,
            ..
        })) => {
            provide_context(me.clone());
            provide_context(SandboxMode(sandbox));
            view! { <Frame me sandbox unchosen=sandbox_unchosen awaiting=awaiting_decision/> }.into_any()
        }
        Some(Ok(SessionInfo { me: None, .. })) => {
            let (path, search) = (location.pathname.get_untracked(), location.search.get_untracked());
            let here = if search.is_empty() {
                path
            } else {
                format!("{path}?{search}")
            };
            view! { <Redirect path=sign_in_path(&here)/> }.into_any()
        }
        Some(Err(error)) => view! { <div class="p-6"><ErrorNotice error/></div> }.into_any(),
        None => view! { <Loading/> }.into_any(),
    }
}

/// Every page says when P100 is the simulator; in red when a production build fell into the
/// sandbox without being told (`P100_MODE=sandbox`), which may mean the P100 settings went missing.
#[component]
pub fn SandboxBanner(unchosen: bool) -> impl IntoView {
    if unchosen {
        view! {
            <div class="bg-red-700 px-4 py-1.5 text-center text-xs font-semibold tracking-wide text-white" data-testid="sandbox-banner">
                "SANDBOX IN A PRODUCTION BUILD · P100_BASE_URL and P100_API_KEY are not set: nothing here reaches P100 and no real money moves. Set them, or P100_MODE=sandbox if this is meant."
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="bg-amber-400 px-4 py-1 text-center text-xs font-semibold tracking-wide text-amber-950" data-testid="sandbox-banner">
                "SANDBOX · built-in P100 simulator, no real money moves"
            </div>
        }
        .into_any()
    }
}

#[component]
fn Frame(me: Me, sandbox: bool, unchosen: bool, awaiting: u32) -> impl IntoView {
    let areas = Area::open_to(&me, SandboxMode(sandbox));
    let dialog: OpenDialog = RwSignal::new(None);
    view! {
        <Keyboard open=dialog/>
        <div class="flex h-full flex-col">
            {sandbox.then(|| view! { <SandboxBanner unchosen/> })}
            <div class="flex min-h-0 flex-1">
                <nav class="flex w-56 shrink-0 flex-col bg-slate-900 text-slate-300" aria-label="Areas">
                    <A href="/" attr:class="flex h-12 items-center gap-2 border-b border-slate-800 px-4 font-semibold text-white">
                        <span class="inline-block h-5 w-5 rounded bg-indigo-500"></span>
                        "Back office"
                    </A>
                    <ul class="flex-1 space-y-0.5 overflow-y-auto p-2" data-testid="nav">
                        {areas.into_iter().map(|area| view! {
                            <li>
                                <A href=area.path() attr:class="nav-link">
                                    <span>{area.label()}</span>
                                    {(area == Area::Approvals && awaiting > 0).then(|| view! {
                                        <span class="rounded-full bg-amber-400 px-1.5 text-xs font-semibold text-slate-900" data-testid="awaiting-count" title="Requests awaiting your decision">{awaiting}</span>
                                    })}
                                </A>
                            </li>
                        }).collect_view()}
                    </ul>
                </nav>
                <div class="flex min-w-0 flex-1 flex-col">
                    <TopBar me dialog/>
                    <main class="min-h-0 flex-1 overflow-y-auto p-6">
                        <Outlet/>
                    </main>
                </div>
            </div>
        </div>
    }
}

#[component]
fn TopBar(me: Me, dialog: OpenDialog) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            reload_to("/sign-in");
        }
    });
    view! {
        <header class="flex h-12 shrink-0 items-center justify-end gap-3 border-b border-slate-200 bg-white px-6">
            <button type="button" data-testid="open-find" on:click=move |_| dialog.set(Some(Dialog::Find))
                class="mr-auto flex w-72 items-center justify-between rounded-md border border-slate-300 px-2.5 py-1 text-left text-xs text-slate-500 hover:bg-slate-50">
                "Find anything…"
                <kbd class="font-mono">"/"</kbd>
            </button>
            <div class="text-right leading-tight">
                <div class="font-medium text-slate-800" data-testid="staff-name">{me.name.clone()}</div>
                <div class="text-xs text-slate-500">{me.email.clone()}</div>
            </div>
            <RoleBadges roles=me.roles.clone()/>
            <a href="/account" class="rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50">"Account"</a>
            <button
                class="rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50"
                on:click=move |_| { sign_out.dispatch(SignOut {}); }
                disabled=move || sign_out.pending().get()
            >
                "Sign out"
            </button>
        </header>
    }
}

/// One area's page, if the signed-in member may open it; a 403 page otherwise.
#[component]
pub fn AreaRoute(area: Area, children: Children) -> impl IntoView {
    let me = expect_context::<Me>();
    let page = if !Area::open_to(&me, expect_context::<SandboxMode>()).contains(&area) {
        view! { <Forbidden/> }.into_any()
    } else {
        children().into_any()
    };
    view! { <Title text=area.label()/> {page} }
}
