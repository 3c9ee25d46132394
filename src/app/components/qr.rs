//! A QR code beside the text it encodes, with a copy button: a link or an address someone scans or
//! is sent.

use leptos::prelude::*;

use super::form::BUTTON_SECONDARY;
use super::upload::copy_to_clipboard;

/// `qr_svg` is the server's drawing of `text` (`server::qr`).
#[component]
pub fn QrCopy(text: String, qr_svg: String, copy_label: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = text.clone();
    view! {
        <div class="mt-3 flex items-start gap-3" data-testid="qr-copy">
            <div class="qr h-[168px] w-[168px] shrink-0 rounded border border-slate-200 bg-white" inner_html=qr_svg></div>
            <div class="min-w-0">
                <p class="break-all font-mono text-xs text-slate-700" data-testid="qr-text">{text}</p>
                <button type="button" class=format!("{BUTTON_SECONDARY} mt-2") on:click=move |_| { copy_to_clipboard(&copy); copied.set(true); }>
                    {move || if copied.get() { "Copied" } else { copy_label }}
                </button>
            </div>
        </div>
    }
}
