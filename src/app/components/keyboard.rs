//! The keyboard on every signed-in page: `/` or Ctrl+K opens quick find; on a list, `j`/`k` move
//! between rows and Enter opens the row; `?` lists the shortcuts.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::find::quick_find;
use crate::app::components::ErrorNotice;
use crate::domain::find::Found;

/// The shortcuts, as the `?` list shows them.
const SHORTCUTS: [(&str, &str); 6] = [
    (
        "/ or Ctrl+K",
        "Find a user, payout, exchange, staff member or audit row",
    ),
    ("↑ ↓, Enter", "In the results: move, open"),
    ("j / k", "On a list: next / previous row"),
    ("Enter", "On a list: open the row"),
    ("?", "These shortcuts"),
    ("Esc", "Close"),
];

/// Which of the keyboard's two dialogs is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    Find,
    Shortcuts,
}

/// Opens a dialog from elsewhere (the top bar's Find button).
pub type OpenDialog = RwSignal<Option<Dialog>>;

#[component]
pub fn Keyboard(open: OpenDialog) -> impl IntoView {
    // Keys are read in the browser only.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| on_key(&ev, open));
        on_cleanup(move || handle.remove());
    }
    view! {
        {move || match open.get() {
            Some(Dialog::Find) => Some(view! { <QuickFind open/> }.into_any()),
            Some(Dialog::Shortcuts) => Some(view! { <Shortcuts open/> }.into_any()),
            None => None,
        }}
    }
}

#[cfg(feature = "hydrate")]
fn on_key(ev: &leptos::ev::KeyboardEvent, open: OpenDialog) {
    let find = (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k");
    if find {
        ev.prevent_default();
        open.set(Some(Dialog::Find));
        return;
    }
    if ev.key() == "Escape" {
        open.set(None);
        return;
    }
    if open.get_untracked().is_some() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing(ev) {
        return;
    }
    match ev.key().as_str() {
        "/" => {
            ev.prevent_default();
            open.set(Some(Dialog::Find));
        }
        "?" => open.set(Some(Dialog::Shortcuts)),
        "j" => rows::step(1),
        "k" => rows::step(-1),
        // Enter on a focused button or link is that control's own.
        "Enter" if !on_control(ev) => rows::open_active(),
        _ => {}
    }
}

/// The element the key goes to.
#[cfg(feature = "hydrate")]
fn target(ev: &leptos::ev::KeyboardEvent) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    ev.target()?.dyn_into::<web_sys::Element>().ok()
}

/// Whether the key goes into a field the member is typing in.
#[cfg(feature = "hydrate")]
fn typing(ev: &leptos::ev::KeyboardEvent) -> bool {
    target(ev).is_some_and(|el| {
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.has_attribute("contenteditable")
    })
}

/// Whether the key goes to a focused button or link.
#[cfg(feature = "hydrate")]
fn on_control(ev: &leptos::ev::KeyboardEvent) -> bool {
    target(ev).is_some_and(|el| matches!(el.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY"))
}

/// The rows of the list on the page: the ones with a link, in the main column's tables.
#[cfg(feature = "hydrate")]
mod rows {
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};

    const ACTIVE: &str = "data-active";

    fn rows() -> Vec<Element> {
        let Some(list) = leptos::prelude::document()
            .query_selector_all("main table.data-table > tbody > tr")
            .ok()
        else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
            .filter(|row| row.query_selector("a[href]").ok().flatten().is_some())
            .collect()
    }

    /// Moves the active row `by` rows (from before the first, if none is active).
    pub fn step(by: i32) {
        let rows = rows();
        if rows.is_empty() {
            return;
        }
        let current = rows.iter().position(|r| r.has_attribute(ACTIVE));
        let next = match current {
            None if by > 0 => 0,
            None => rows.len() - 1,
            Some(i) => (i as i32 + by).clamp(0, rows.len() as i32 - 1) as usize,
        };
        for row in &rows {
            let _ = row.remove_attribute(ACTIVE);
        }
        let _ = rows[next].set_attribute(ACTIVE, "");
        rows[next].scroll_into_view_with_bool(false);
    }

    /// Opens the active row's link, as a click on it would.
    pub fn open_active() {
        let link = rows()
            .into_iter()
            .find(|r| r.has_attribute(ACTIVE))
            .and_then(|row| row.query_selector("a[href]").ok().flatten())
            .and_then(|a| a.dyn_into::<HtmlElement>().ok());
        if let Some(link) = link {
            link.click();
        }
    }
}

/// The find box: results grouped by kind as the member types; arrows move, Enter opens.
#[component]
fn QuickFind(open: OpenDialog) -> impl IntoView {
    let term = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    // Each answer with the term it is for: the box shows the last one while the next is on its
    // way, but Enter opens only a result of what is typed now.
    let results = LocalResource::new(move || {
        let term = term.get();
        async move {
            let found = if term.trim().is_empty() {
                Ok(Vec::new())
            } else {
                quick_find(term.clone()).await
            };
            (term, found)
        }
    });
    let found = move || results.get().and_then(|(_, found)| found.ok()).unwrap_or_default();
    let current = move || results.get().is_some_and(|(typed, _)| typed == term.get());
    let navigate = use_navigate();
    let go = move |href: String| {
        open.set(None);
        navigate(&href, Default::default());
    };
    // Enter pressed before the answer for the typed term came: it opens that answer's result.
    let enter_waiting = RwSignal::new(false);
    Effect::new({
        let go = go.clone();
        move |_| {
            if enter_waiting.get() && current() {
                enter_waiting.set(false);
                if let Some(hit) = found().into_iter().nth(active.get_untracked()) {
                    go(hit.href);
                }
            }
        }
    });
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });
    let on_keydown = {
        let go = go.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let count = found().len();
            match ev.key().as_str() {
                "ArrowDown" if count > 0 => {
                    ev.prevent_default();
                    active.update(|i| *i = (*i + 1).min(count - 1));
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    active.update(|i| *i = i.saturating_sub(1));
                }
                "Enter" => {
                    ev.prevent_default();
                    if !current() {
                        enter_waiting.set(true);
                    } else if let Some(hit) = found().into_iter().nth(active.get_untracked()) {
                        go(hit.href);
                    }
                }
                "Escape" => open.set(None),
                _ => {}
            }
        }
    };
    view! {
        <div class="fixed inset-0 z-40 bg-slate-900/30" on:click=move |_| open.set(None)></div>
        <div role="dialog" aria-modal="true" aria-label="Find" data-testid="quick-find"
            class="fixed inset-x-0 top-20 z-50 mx-auto w-full max-w-xl overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xl">
            <label for="quick-find" class="sr-only">"Find"</label>
            <input id="quick-find" node_ref=input type="search" autocomplete="off"
                role="combobox" aria-expanded="true" aria-controls="quick-find-results"
                aria-activedescendant=move || (!found().is_empty()).then(|| format!("found-{}", active.get()))
                placeholder="A name, email, phone, or an id of ours or of P100's"
                class="block w-full border-0 border-b border-slate-200 px-4 py-3 text-sm outline-none"
                on:input=move |ev| {
                    active.set(0);
                    term.set(event_target_value(&ev));
                }
                on:keydown=on_keydown/>
            <div id="quick-find-results" role="listbox" aria-label="Results" class="max-h-96 overflow-y-auto py-1">
                {move || match results.get() {
                    Some((_, Err(error))) => view! { <div class="p-3"><ErrorNotice error/></div> }.into_any(),
                    _ => view! { <Results found=found() active go=go.clone()/> }.into_any(),
                }}
            </div>
            <p class="border-t border-slate-100 px-4 py-1.5 text-xs text-slate-500">"↑ ↓ to move · Enter to open · Esc to close"</p>
        </div>
    }
}

#[component]
fn Results(
    found: Vec<Found>,
    active: RwSignal<usize>,
    go: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    if found.is_empty() {
        return view! { <p class="px-4 py-3 text-sm text-slate-500" data-testid="nothing-found">"Nothing found yet."</p> }
            .into_any();
    }
    let mut groups: Vec<(crate::domain::find::FoundKind, Vec<(usize, Found)>)> = Vec::new();
    for (i, hit) in found.into_iter().enumerate() {
        match groups.last_mut() {
            Some((kind, hits)) if *kind == hit.kind => hits.push((i, hit)),
            _ => groups.push((hit.kind, vec![(i, hit)])),
        }
    }
    groups
        .into_iter()
        .map(|(kind, hits)| {
            let go = go.clone();
            view! {
                <div role="group" aria-label=kind.heading()>
                    <div role="presentation" class="px-4 pb-0.5 pt-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{kind.heading()}</div>
                    {hits.into_iter().map(|(i, hit)| {
                        let go = go.clone();
                        let href = hit.href.clone();
                        view! {
                            <div role="option" id=format!("found-{i}") aria-selected=move || (active.get() == i).to_string()
                                data-found=hit.kind.as_str()
                                class="cursor-pointer px-4 py-1.5 aria-selected:bg-indigo-50"
                                on:mousemove=move |_| active.set(i)
                                on:click=move |_| go(href.clone())>
                                <div class="font-medium text-slate-800">{hit.title}</div>
                                <div class="text-xs text-slate-600">{hit.detail}</div>
                            </div>
                        }
                    }).collect_view()}
                </div>
            }
        })
        .collect_view()
        .into_any()
}

/// The `?` list.
#[component]
fn Shortcuts(open: OpenDialog) -> impl IntoView {
    view! {
        <div class="fixed inset-0 z-40 bg-slate-900/30" on:click=move |_| open.set(None)></div>
        <div role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts"
            class="fixed inset-x-0 top-20 z-50 mx-auto w-full max-w-md rounded-lg border border-slate-200 bg-white p-4 shadow-xl">
            <h2 id="shortcuts-title" class="mb-2 font-semibold">"Keyboard shortcuts"</h2>
            <dl class="grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
                {SHORTCUTS.iter().map(|(keys, what)| view! {
                    <dt><kbd class="rounded border border-slate-300 bg-slate-50 px-1.5 font-mono text-xs">{*keys}</kbd></dt>
                    <dd class="text-slate-600">{*what}</dd>
                }).collect_view()}
            </dl>
            <button type="button" class="btn btn-secondary mt-3" on:click=move |_| open.set(None)>"Close"</button>
        </div>
    }
}
