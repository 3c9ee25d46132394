//! partner-backoffice: the staff back office of a P100 partner.
//!
//! `app` (pages) and `domain` (shared types) build for both the server and the browser; `api`
//! holds the server functions; `server`, `p100` (the upstream client), `sandbox` (its simulator)
//! and `kernel` (what server and sandbox both stand on) exist only in the `ssr` build.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod kernel;
#[cfg(feature = "ssr")]
pub mod p100;
#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(all(test, feature = "ssr"))]
mod boundaries;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let document = leptos::prelude::document();
        let Some(body) = document.body() else { return };
        // Loads the code of the route being shown (split out by `cargo leptos --split`), then
        // hydrates the whole page.
        leptos::mount::hydrate_from_async(body, app::App).await.forget();
        // Every part of the page responds now; tests and scripts wait for this mark.
        if let Some(app) = document.get_element_by_id("app") {
            let _ = app.set_attribute("data-hydrated", "true");
        }
    });
}
