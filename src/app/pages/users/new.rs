//! Onboarding: the create-user form. The form opens with a fresh external id, so sending it twice
//! (a double click, a retry) can only ever create one user.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::users::{CreateUser, fetch_new_user_form};
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, FieldMessage, SelectField, TextField, field_error, when_ok,
};
use crate::app::components::{Card, ErrorNotice, Loading, PageHeader};
use crate::domain::users::{NewUserForm, NewUserInput};

#[component]
pub fn NewUserPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| fetch_new_user_form());
    view! {
        <PageHeader title="New user" subtitle="Opens the user's account at P100. Everything is checked here before anything is sent."/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <NewUserFields form/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewUserFields(form: NewUserForm) -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let result = create.value();
    let field = move |name: &'static str| field_error(result, name);
    let text = || RwSignal::new(String::new());
    let external_user_id = RwSignal::new(form.external_user_id.clone());
    let (first_name, last_name, email, phone) = (text(), text(), text(), text());
    let (street, house_number, city, post_code) = (text(), text(), text(), text());
    let (country, citizenship, nationality, birth_country) = (text(), text(), text(), text());
    let (birth_date, id_number) = (text(), text());
    let accepted_terms = RwSignal::new(false);
    let navigate = use_navigate();
    when_ok(result, move || {
        if let Some(Ok(user)) = result.get_untracked() {
            navigate(&format!("/users/{}", user.external_user_id), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if create.pending().get_untracked() {
            return;
        }
        create.dispatch(CreateUser {
            input: NewUserInput {
                external_user_id: external_user_id.get(),
                first_name: first_name.get(),
                last_name: last_name.get(),
                email: email.get(),
                phone: phone.get(),
                street: street.get(),
                house_number: house_number.get(),
                city: city.get(),
                post_code: post_code.get(),
                country: country.get(),
                citizenship: citizenship.get(),
                nationality: nationality.get(),
                birth_country: birth_country.get(),
                birth_date: birth_date.get(),
                id_number: id_number.get(),
                accepted_terms: accepted_terms.get(),
            },
        });
    };
    let countries = form.countries;
    let country_field = |label: &'static str, name: &'static str, value: RwSignal<String>| {
        view! { <SelectField label name value options=countries.clone() blank="Choose…" error=field(name)/> }
    };
    let citizenship_field = country_field("Citizenship", "citizenship", citizenship);
    let nationality_field = country_field("Nationality", "nationality", nationality);
    let birth_country_field = country_field("Country of birth", "birth_country", birth_country);
    let residence_field = country_field("Country of residence", "country", country);
    view! {
        <form class="grid max-w-5xl grid-cols-1 gap-4" on:submit=submit novalidate data-testid="new-user-form">
            <Card title="Identity">
                <div class="grid grid-cols-1 gap-x-4 md:grid-cols-3">
                    <TextField label="First name" name="first_name" value=first_name error=field("first_name") autocomplete="off"/>
                    <TextField label="Last name" name="last_name" value=last_name error=field("last_name") autocomplete="off"/>
                    <TextField label="Date of birth" name="birth_date" kind="date" value=birth_date error=field("birth_date")/>
                    <TextField label="National id number" name="id_number" value=id_number error=field("id_number") autocomplete="off"/>
                    {citizenship_field}
                    {nationality_field}
                    {birth_country_field}
                </div>
            </Card>
            <Card title="Contact and address">
                <div class="grid grid-cols-1 gap-x-4 md:grid-cols-3">
                    <TextField label="Email" name="email" kind="email" value=email error=field("email") autocomplete="off"/>
                    <TextField label="Phone (international)" name="phone" kind="tel" value=phone error=field("phone") placeholder="+48 601 234 567"/>
                    {residence_field}
                    <TextField label="Street" name="street" value=street error=field("street")/>
                    <TextField label="House / flat number" name="house_number" value=house_number error=field("house_number")/>
                    <TextField label="Post code" name="post_code" value=post_code error=field("post_code")/>
                    <TextField label="City" name="city" value=city error=field("city")/>
                </div>
            </Card>
            <Card title="At P100">
                <div class="grid grid-cols-1 gap-x-4 md:grid-cols-3">
                    <TextField label="External user id" name="external_user_id" value=external_user_id error=field("external_user_id")/>
                </div>
                <label class="mt-1 inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" name="accepted_terms" class="h-4 w-4 rounded border-slate-300 text-indigo-600"
                        prop:checked=move || accepted_terms.get()
                        on:change=move |ev| accepted_terms.set(event_target_checked(&ev))/>
                    "The user has accepted P100's terms and conditions"
                </label>
                <FieldMessage id="field-accepted_terms-error".into() error=field("accepted_terms")/>
            </Card>
            <ActionError result/>
            <div>
                <button type="submit" class=BUTTON_PRIMARY disabled=move || create.pending().get() data-testid="create-user">
                    {move || if create.pending().get() { "Creating…" } else { "Create user" }}
                </button>
            </div>
        </form>
    }
}
