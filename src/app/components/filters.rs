//! The filter form every list uses: its fields start from the URL's current values, "Filter"
//! navigates to the same page with the typed values in the query (so a filtered list can be shared
//! and reloaded), "Clear" to the page without them. The server checks the values; its messages
//! show under their fields.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::filtered_href;
use super::form::{BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextField};
use crate::domain::FieldErrors;

/// One field of a filter form, named by its query key.
pub struct FilterField {
    key: &'static str,
    label: &'static str,
    kind: Kind,
}

enum Kind {
    Text {
        placeholder: &'static str,
    },
    Date,
    Select {
        options: Vec<(String, String)>,
        blank: &'static str,
    },
}

impl FilterField {
    pub fn text(key: &'static str, label: &'static str, placeholder: &'static str) -> Self {
        FilterField {
            key,
            label,
            kind: Kind::Text { placeholder },
        }
    }

    /// A UTC day (`YYYY-MM-DD`).
    pub fn date(key: &'static str, label: &'static str) -> Self {
        FilterField {
            key,
            label,
            kind: Kind::Date,
        }
    }

    /// A choice of `(value, label)`; `blank` labels the empty choice ("Any").
    pub fn select(key: &'static str, label: &'static str, options: Vec<(String, String)>, blank: &'static str) -> Self {
        FilterField {
            key,
            label,
            kind: Kind::Select { options, blank },
        }
    }
}

/// `current` holds each field's value from the URL, in the order of `fields`; `class` lays out the
/// grid (the buttons take the last cell).
#[component]
pub fn FilterForm(
    #[prop(into)] path: String,
    fields: Vec<FilterField>,
    current: Vec<String>,
    #[prop(optional)] errors: FieldErrors,
    class: &'static str,
    testid: &'static str,
) -> impl IntoView {
    let values: Vec<(&'static str, RwSignal<String>)> = fields
        .iter()
        .zip(current.into_iter().chain(std::iter::repeat(String::new())))
        .map(|(f, v)| (f.key, RwSignal::new(v)))
        .collect();
    let navigate = use_navigate();
    let apply = {
        let (navigate, values, path) = (navigate.clone(), values.clone(), path.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let typed: Vec<(&str, String)> = values.iter().map(|(k, v)| (*k, v.get())).collect();
            let href = filtered_href(&path, typed.iter().map(|(k, v)| (*k, v.as_str())));
            navigate(&href, Default::default());
        }
    };
    let inputs = fields
        .into_iter()
        .zip(values)
        .map(|(field, (key, value))| {
            let error = Signal::stored(errors.get(key).map(str::to_owned));
            match field.kind {
                Kind::Text { placeholder } => {
                    view! { <TextField label=field.label name=key value error placeholder/> }.into_any()
                }
                Kind::Date => view! { <TextField label=field.label name=key kind="date" value error/> }.into_any(),
                Kind::Select { options, blank } => {
                    view! { <SelectField label=field.label name=key value options blank error/> }.into_any()
                }
            }
        })
        .collect_view();
    view! {
        <form class=format!("grid items-start gap-x-3 {class}") on:submit=apply novalidate data-testid=testid>
            {inputs}
            <div class="flex gap-2 pt-5">
                <button type="submit" class=BUTTON_PRIMARY>"Filter"</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| navigate(&path, Default::default())>"Clear"</button>
            </div>
        </form>
    }
}
