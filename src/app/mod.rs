//! The browser application: the HTML shell, the routes, the layout and the pages.

pub mod areas;
pub mod components;
mod layout;
mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

use areas::Area;
use layout::{AreaRoute, Layout};
use pages::approvals::{ApprovalPage, ApprovalsPage};
use pages::balances::{BalancesPage, UserBalancesPage};
use pages::collections::{CollectionPage, CollectionsPage, NewCollectionPage};
use pages::deposits::DepositsPage;
use pages::exchanges::{ExchangePage, ExchangesPage, NewExchangePage};
use pages::payouts::{PayoutsPage, detail::MovementPage, new::NewMovementPage, travel_rule::TravelRulePage};
use pages::reconciliation::ReconciliationPage;
use pages::settings::SettingsPage;
use pages::users::{UsersPage, detail::UserPage, new::NewUserPage, queue::KycQueuePage};
use pages::webhooks::{WebhookPage, WebhooksPage};
use pages::{
    account::AccountPage, audit::AuditPage, errors::NotFound, home::HomePage, sandbox::SandboxPage,
    sign_in::SignInPage, staff::StaffPage,
};

use crate::domain::AppError;
use crate::domain::staff::SessionInfo;

/// The session as the whole app sees it, read once per page load: `None` until known.
///
/// The server reads it before rendering a page (`server::http::pages`) and sends it with the page as
/// a `SharedValue`, written into the HTML at once: it is known before rendering starts, so nothing
/// waits for it (a `Resource` would be awaited, and its value streamed after the page). A browser
/// that did not get it with its page (one the server answered as not found) asks for it.
pub type SessionState = ReadSignal<Option<Result<SessionInfo, AppError>>>;

/// The session as the server read it before rendering a page (`server::http::pages`).
#[derive(Debug, Clone)]
pub struct KnownSession(pub Result<SessionInfo, AppError>);

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(csp) = axum::http::HeaderValue::from_str(&crate::kernel::page_csp(&nonce))
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
    let known = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        let known = use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<KnownSession>().map(|known| known.0.clone()));
        #[cfg(not(feature = "ssr"))]
        let known = None;
        known
    })
    .into_inner();
    let session = RwSignal::new(known);
    #[cfg(not(feature = "ssr"))]
    if session.get_untracked().is_none() {
        leptos::task::spawn_local(async move { session.set(Some(crate::api::auth::fetch_session().await)) });
    }
    provide_context::<SessionState>(session.read_only());
    // Leptos lists a lazy page's wasm chunks in the head as `<link rel=preload>` (85 links, 10 KB of
    // HTML on the users page), but only when the page's code happens to run after the renderer
    // starts listening, so a page carried them on some requests and not others. The browser loads
    // them when it hydrates the page in any case; this context, nearer than the renderer's, keeps
    // the list out of every page.
    #[cfg(feature = "ssr")]
    provide_context(leptos::PrefetchLazyFn::default());

    view! {
        <Stylesheet id="leptos" href="/pkg/backoffice.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Back office".to_owned() } else { format!("{page} · Back office") }/>
        <div id="app" class="h-full" data-hydrated="false">
            <Router>
                <Routes fallback=NotFound>
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                    <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                        <Route path=path!("") view=HomePage/>
                        <Route path=path!("account") view=AccountPage/>
                        <Route path=path!("users") view={Lazy::<UsersRoute>::new()}/>
                        <Route path=path!("users/new") view={Lazy::<NewUserRoute>::new()}/>
                        <Route path=path!("users/:id") view={Lazy::<UserRoute>::new()}/>
                        <Route path=path!("kyc") view={Lazy::<KycQueueRoute>::new()}/>
                        <Route path=path!("payouts") view={Lazy::<PayoutsRoute>::new()}/>
                        <Route path=path!("payouts/new") view={Lazy::<NewMovementRoute>::new()}/>
                        <Route path=path!("payouts/travel-rule") view={Lazy::<TravelRuleRoute>::new()}/>
                        <Route path=path!("payouts/:id") view={Lazy::<MovementRoute>::new()}/>
                        <Route path=path!("deposits") view={Lazy::<DepositsRoute>::new()}/>
                        <Route path=path!("exchanges") view={Lazy::<ExchangesRoute>::new()}/>
                        <Route path=path!("exchanges/new") view={Lazy::<NewExchangeRoute>::new()}/>
                        <Route path=path!("exchanges/:id") view={Lazy::<ExchangeRoute>::new()}/>
                        <Route path=path!("collections") view={Lazy::<CollectionsRoute>::new()}/>
                        <Route path=path!("collections/new") view={Lazy::<NewCollectionRoute>::new()}/>
                        <Route path=path!("collections/:id") view={Lazy::<CollectionRoute>::new()}/>
                        <Route path=path!("balances") view={Lazy::<BalancesRoute>::new()}/>
                        <Route path=path!("balances/users/:id") view={Lazy::<UserBalancesRoute>::new()}/>
                        <Route path=path!("approvals") view={Lazy::<ApprovalsRoute>::new()}/>
                        <Route path=path!("approvals/:id") view={Lazy::<ApprovalRoute>::new()}/>
                        <Route path=path!("reconciliation") view={Lazy::<ReconciliationRoute>::new()}/>
                        <Route path=path!("webhooks") view={Lazy::<WebhooksRoute>::new()}/>
                        <Route path=path!("webhooks/:id") view={Lazy::<WebhookRoute>::new()}/>
                        <Route path=path!("sandbox") view={Lazy::<SandboxRoute>::new()}/>
                        <Route path=path!("audit") view={Lazy::<AuditRoute>::new()}/>
                        <Route path=path!("staff") view={Lazy::<StaffRoute>::new()}/>
                        <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()}/>
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}

/// A page whose code loads only when it is first shown: `cargo leptos --split` puts each one's
/// wasm in its own file, so the first page load carries the shell and the sign-in page, not every
/// area of the app. `$route` shows `$page` inside its area's permission check.
macro_rules! lazy_page {
    ($route:ident, $area:expr, $page:ident) => {
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <AreaRoute area=$area><$page/></AreaRoute> }.into_any()
            }
        }
    };
}

lazy_page!(UsersRoute, Area::Users, UsersPage);
lazy_page!(NewUserRoute, Area::Users, NewUserPage);
lazy_page!(UserRoute, Area::Users, UserPage);
lazy_page!(KycQueueRoute, Area::KycQueue, KycQueuePage);
lazy_page!(ApprovalsRoute, Area::Approvals, ApprovalsPage);
lazy_page!(ApprovalRoute, Area::Approvals, ApprovalPage);
lazy_page!(BalancesRoute, Area::Balances, BalancesPage);
lazy_page!(UserBalancesRoute, Area::Balances, UserBalancesPage);
lazy_page!(ExchangesRoute, Area::Exchanges, ExchangesPage);
lazy_page!(NewExchangeRoute, Area::Exchanges, NewExchangePage);
lazy_page!(ExchangeRoute, Area::Exchanges, ExchangePage);
lazy_page!(CollectionsRoute, Area::Collections, CollectionsPage);
lazy_page!(NewCollectionRoute, Area::Collections, NewCollectionPage);
lazy_page!(CollectionRoute, Area::Collections, CollectionPage);
lazy_page!(SandboxRoute, Area::Sandbox, SandboxPage);
lazy_page!(ReconciliationRoute, Area::Reconciliation, ReconciliationPage);
lazy_page!(WebhooksRoute, Area::Webhooks, WebhooksPage);
lazy_page!(WebhookRoute, Area::Webhooks, WebhookPage);
lazy_page!(AuditRoute, Area::Audit, AuditPage);
lazy_page!(StaffRoute, Area::Staff, StaffPage);
lazy_page!(PayoutsRoute, Area::Payouts, PayoutsPage);
lazy_page!(NewMovementRoute, Area::Payouts, NewMovementPage);
lazy_page!(TravelRuleRoute, Area::Payouts, TravelRulePage);
lazy_page!(MovementRoute, Area::Payouts, MovementPage);
lazy_page!(DepositsRoute, Area::Deposits, DepositsPage);
lazy_page!(SettingsRoute, Area::Settings, SettingsPage);
