//! The browser application: the HTML shell, the routes, the layout and the pages.

pub mod areas;
pub mod components;
mod layout;
mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use areas::Area;
use layout::{AreaRoute, Layout};
use pages::approvals::{ApprovalPage, ApprovalsPage};
use pages::users::{UsersPage, detail::UserPage, new::NewUserPage, queue::KycQueuePage};
use pages::{
    audit::AuditPage, errors::NotFound, home::HomePage, sandbox::SandboxPage, sign_in::SignInPage, staff::StaffPage,
};

use crate::api::auth::fetch_session;
use crate::domain::AppError;
use crate::domain::staff::SessionInfo;

/// The session as the whole app sees it, loaded once per page load.
pub type SessionResource = Resource<Result<SessionInfo, AppError>>;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(csp) = axum::http::HeaderValue::from_str(&crate::server::http::page_csp(&nonce))
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, csp);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="h-full bg-slate-50 text-sm text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session: SessionResource = Resource::new(|| (), |_| fetch_session());
    provide_context(session);
    // Effects run only in the browser: tests wait for this before they click.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/backoffice.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Back office".to_owned() } else { format!("{page} · Back office") }/>
        <div id="app" class="h-full" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=NotFound>
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                    <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                        <Route path=path!("") view=HomePage/>
                        <Route path=path!("users") view=|| view! { <AreaRoute area=Area::Users><UsersPage/></AreaRoute> }/>
                        <Route path=path!("users/new") view=|| view! { <AreaRoute area=Area::Users><NewUserPage/></AreaRoute> }/>
                        <Route path=path!("users/:id") view=|| view! { <AreaRoute area=Area::Users><UserPage/></AreaRoute> }/>
                        <Route path=path!("kyc") view=|| view! { <AreaRoute area=Area::KycQueue><KycQueuePage/></AreaRoute> }/>
                        <Route path=path!("payouts") view=|| view! { <AreaRoute area=Area::Payouts/> }/>
                        <Route path=path!("exchanges") view=|| view! { <AreaRoute area=Area::Exchanges/> }/>
                        <Route path=path!("balances") view=|| view! { <AreaRoute area=Area::Balances/> }/>
                        <Route path=path!("approvals") view=|| view! { <AreaRoute area=Area::Approvals><ApprovalsPage/></AreaRoute> }/>
                        <Route path=path!("approvals/:id") view=|| view! { <AreaRoute area=Area::Approvals><ApprovalPage/></AreaRoute> }/>
                        <Route path=path!("sandbox") view=|| view! { <AreaRoute area=Area::Sandbox><SandboxPage/></AreaRoute> }/>
                        <Route path=path!("audit") view=|| view! { <AreaRoute area=Area::Audit><AuditPage/></AreaRoute> }/>
                        <Route path=path!("staff") view=|| view! { <AreaRoute area=Area::Staff><StaffPage/></AreaRoute> }/>
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}
