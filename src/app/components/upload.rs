//! Sending files with a progress bar, and the file fields that check a file as soon as it is
//! chosen. `fetch` cannot report upload progress, so the sending uses XMLHttpRequest; the server
//! answers like a server function: `{}`, or an `AppError` as JSON.

use leptos::prelude::*;

use super::form::FieldMessage;
use crate::domain::users::upload;

/// A file input that checks type and size when a file is chosen (into `checked`); the server checks
/// again. `error` is what shows under it: the browser's finding or the server's.
#[component]
pub fn FileField(
    label: &'static str,
    name: &'static str,
    checked: RwSignal<Option<String>>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("file-{name}");
    let error_id = format!("field-{name}-error");
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            checked.set(file.and_then(|f| upload::check(&f.type_(), f.size() as usize).err()));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, checked);
    };
    view! {
        <div>
            <label for=id.clone() class=crate::app::components::form::LABEL>{label}</label>
            <input
                id=id
                name=name
                type="file"
                accept=upload::ACCEPT
                class="block w-full text-xs text-slate-600 file:mr-2 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-2 file:py-1 file:text-xs file:font-medium file:text-slate-700 hover:file:bg-slate-50"
                aria-describedby=error_id.clone()
                on:change=on_change
            />
            <FieldMessage id=error_id error/>
        </div>
    }
}

/// How much of an upload has gone. A native `<progress>`: no inline style, which the page's
/// content security policy would refuse.
#[component]
pub fn Progress(#[prop(into)] percent: Signal<u8>) -> impl IntoView {
    view! {
        <progress class="h-1.5 w-full overflow-hidden rounded accent-indigo-600" max="100" value=move || percent.get().to_string()>
            {move || format!("{}%", percent.get())}
        </progress>
    }
}

/// Posts `form` to `url`, reporting progress from 0 to 100 as it goes.
#[cfg(feature = "hydrate")]
pub async fn send(
    url: &str,
    form: &web_sys::FormData,
    progress: impl Fn(u8) + 'static,
) -> Result<(), crate::domain::AppError> {
    use crate::domain::AppError;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| AppError::Unreachable)?;
    xhr.open("POST", url).map_err(|_| AppError::Unreachable)?;
    let finished = js_sys::Promise::new(&mut |resolve, _| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        xhr.set_onloadend(Some(done.unchecked_ref()));
    });
    // A ratio of bytes for the bar; no amount of money comes near it.
    let on_progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress((e.loaded() * 100.0 / e.total()).clamp(0.0, 100.0) as u8);
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    xhr.send_with_opt_form_data(Some(form))
        .map_err(|_| AppError::Unreachable)?;
    let _ = wasm_bindgen_futures::JsFuture::from(finished).await;
    drop(on_progress);
    let status = xhr.status().unwrap_or(0);
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    match status {
        0 => Err(AppError::Unreachable),
        200..=299 => Ok(()),
        _ => Err(serde_json::from_str(&body).unwrap_or(AppError::Internal {
            reference: format!("HTTP {status}"),
        })),
    }
}

/// Copies `text` to the clipboard.
pub fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}
