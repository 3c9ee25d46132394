//! Form controls. Every field shows its own error message right under it.

use leptos::prelude::*;

use crate::domain::AppError;

// Each names a class of style/tailwind.css.
pub const INPUT: &str = "input";
pub const LABEL: &str = "field-label";
pub const BUTTON_PRIMARY: &str = "btn btn-primary";
pub const BUTTON_SECONDARY: &str = "btn btn-secondary";
pub const BUTTON_DANGER: &str = "btn btn-danger";

/// `(value, label)` options for a `SelectField` from a fixed list.
pub fn choices(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}

/// Every currency P100 holds, as `SelectField` options (`eur` shown as `EUR`).
pub fn currency_options() -> Vec<(String, String)> {
    crate::domain::money::Currency::KNOWN
        .iter()
        .map(|c| (c.code().to_owned(), c.code().to_uppercase()))
        .collect()
}

/// The latest result of a server action (`ServerAction::value`).
pub type ActionValue<T> = MappedSignal<Option<Result<T, AppError>>>;

/// The message for `field` from the latest result of an action, if it failed on that field.
pub fn field_error<T: Send + Sync + 'static>(
    result: ActionValue<T>,
    field: impl AsRef<str> + Send + Sync + 'static,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        result.with(|r| match r {
            Some(Err(e)) => e.field_errors().and_then(|f| f.get(field.as_ref())).map(str::to_owned),
            _ => None,
        })
    })
}

/// The latest error of an action that is not about a single field (those show next to the field).
pub fn general_error<T: Send + Sync + 'static>(result: ActionValue<T>) -> Signal<Option<AppError>> {
    Signal::derive(move || {
        result.with(|r| match r {
            // A step-up's request for a code shows as its field (`StepUpField`).
            Some(Err(AppError::Invalid(_) | AppError::StepUpRequired)) | None | Some(Ok(_)) => None,
            Some(Err(e)) => Some(e.clone()),
        })
    })
}

/// Runs `then` each time the action's latest result is a success.
pub fn when_ok<T: Send + Sync + 'static>(result: ActionValue<T>, then: impl Fn() + Send + Sync + 'static) {
    Effect::new(move |_| {
        if result.with(|r| matches!(r, Some(Ok(_)))) {
            then();
        }
    });
}

/// An input's classes, red-bordered while it has a message.
fn control_class(error: Signal<Option<String>>) -> impl Fn() -> String + Send + Sync + 'static {
    move || {
        format!(
            "{INPUT} {}",
            if error.get().is_some() {
                "border-red-400"
            } else {
                "border-slate-300"
            }
        )
    }
}

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class=LABEL>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                placeholder=(!placeholder.is_empty()).then_some(placeholder)
                class=control_class(error)
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldMessage id=error_id error=error/>
        </div>
    }
}

/// A multi-line text field, with its message under it like every field.
#[component]
pub fn TextAreaField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(default = 2)] rows: u8,
    #[prop(optional)] placeholder: &'static str,
    /// Label for screen readers only.
    #[prop(optional)]
    hide_label: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let label_class = if hide_label { "sr-only" } else { LABEL };
    view! {
        <div>
            <label for=id.clone() class=label_class>{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                placeholder=(!placeholder.is_empty()).then_some(placeholder)
                class=control_class(error)
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <FieldMessage id=error_id error=error/>
        </div>
    }
}

#[component]
pub fn FieldMessage(id: String, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="field-error" data-field-error="">
            {move || error.get()}
        </p>
    }
}

/// Below a form's fields: its error that is not about one field.
#[component]
pub fn ActionError<T: Send + Sync + 'static>(result: ActionValue<T>) -> impl IntoView {
    move || {
        general_error(result)
            .get()
            .map(|error| view! { <div class="mb-2"><crate::app::components::ErrorNotice error/></div> })
    }
}

/// A drop-down of `(value, label)` options, with its message under it like every field.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    options: Vec<(String, String)>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    /// The first, empty choice (`Any`, `Choose…`).
    #[prop(optional)]
    blank: &'static str,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class=LABEL>{label}</label>
            <select
                id=id
                name=name
                class=control_class(error)
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {(!blank.is_empty()).then(|| view! { <option value="">{blank}</option> })}
                {options.into_iter().map(|(v, l)| {
                    let selected = value.get_untracked() == v;
                    view! { <option value=v selected=selected>{l}</option> }
                }).collect_view()}
            </select>
            <FieldMessage id=error_id error=error/>
        </div>
    }
}

/// Role checkboxes. Roles the signed-in member could not grant are shown but cannot be changed.
#[component]
pub fn RolePicker(
    selected: RwSignal<Vec<crate::domain::Role>>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let me = expect_context::<crate::domain::staff::Me>();
    view! {
        <fieldset class="mt-1">
            <legend class="mb-1 text-xs font-medium text-slate-600">"Roles"</legend>
            <div class="flex flex-wrap gap-4">
                {crate::domain::Role::ALL.iter().copied().map(|role| {
                    let grantable = me.permissions.may_grant(role);
                    view! {
                        <label class="inline-flex items-center gap-1.5 text-sm">
                            <input
                                type="checkbox"
                                name="roles"
                                value=role.as_str()
                                class="h-4 w-4 rounded border-slate-300 text-indigo-600"
                                disabled=!grantable
                                prop:checked=move || selected.with(|s| s.contains(&role))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    selected.update(|s| {
                                        s.retain(|r| *r != role);
                                        if on { s.push(role) }
                                    });
                                }
                            />
                            {role.label()}
                        </label>
                    }
                }).collect_view()}
            </div>
            <FieldMessage id="field-roles-error".into() error/>
        </fieldset>
    }
}
