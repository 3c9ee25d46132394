//! Users: the search page, onboarding, the user page and the KYC queue.

mod account;
pub mod detail;
mod kyc;
pub mod new;
pub mod queue;
mod rows;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;
use serde::{Deserialize, Serialize};

use crate::api::users::{BulkSuspendUsers, search_users};
use crate::app::components::form::{
    ActionError, BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, FieldMessage, SelectField, TextField, field_error,
};
use crate::app::components::{ErrorNotice, Loads, PageHeader, TableFrame, table};
use crate::domain::staff::Me;
use crate::domain::users::{AccountState, BulkOutcome, KycState, SuspendInput, UserList, UserQuery, UserRow, UserSort};
use crate::domain::{AppError, FieldErrors, Permission};

/// Reads the user again after a change (the user page's cards call it). The page's cards render
/// anew from what comes back, so a confirmation given here is shown above them and outlives that
/// re-render.
pub type Reload = Callback<Option<&'static str>>;

fn users_href(query: &UserQuery) -> String {
    let qs = query.query_string(Url::escape);
    if qs.is_empty() {
        "/users".into()
    } else {
        format!("/users?{qs}")
    }
}

/// A page of the search as the page keeps it: the list, and its rows apart from it. The rows are
/// not in the hydration data: a page that came with the HTML keeps the rows the server rendered
/// (`rows`), so in the browser it has `None` here.
#[derive(Clone, Serialize, Deserialize)]
struct Listed {
    #[serde(skip)]
    rows: Option<Vec<UserRow>>,
    /// Everything else of the list (its `rows` moved to the field above).
    list: UserList,
}

impl From<UserList> for Listed {
    fn from(mut list: UserList) -> Self {
        Self {
            rows: Some(std::mem::take(&mut list.rows)),
            list,
        }
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| UserQuery::from_pairs(|k| p.get(k))));
    let page = Resource::new(
        move || query.get(),
        |query| async move { search_users(query).await.map(Listed::from) },
    );
    // Bulk actions: the rows ticked on this page, and what the last bulk action did.
    let selected = me
        .can(Permission::UsersSuspend)
        .then(|| RwSignal::new(Vec::<String>::new()));
    let outcomes = RwSignal::new(None::<Vec<BulkOutcome>>);
    Effect::new(move |_| {
        query.track();
        if let Some(selected) = selected {
            selected.set(Vec::new());
        }
    });
    view! {
        <PageHeader title="Users" subtitle="Everyone the back office onboarded. Search by name, email, phone, external or P100 id.">
            {me.can(Permission::UsersCreate).then(|| view! {
                <A href="/users/new" attr:class=BUTTON_PRIMARY attr:data-testid="new-user">"New user"</A>
            })}
        </PageHeader>
        {selected.map(|selected| view! {
            <BulkSuspend selected outcomes on_done=Callback::new(move |()| page.refetch())/>
        })}
        <Loads>
            {move || Suspend::new(async move {
                let result = page.await;
                let current = query.get_untracked();
                match result {
                    Err(AppError::Invalid(errors)) => view! { <SearchForm current errors/> }.into_any(),
                    Err(error) => view! { <SearchForm current/> <ErrorNotice error/> }.into_any(),
                    Ok(listed) => view! { <SearchForm current=current.clone()/> <Results listed query=current selected/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn SearchForm(current: UserQuery, #[prop(optional)] errors: FieldErrors) -> impl IntoView {
    let [q, kyc, account, country, from, to] = [
        &current.q,
        &current.kyc,
        &current.account,
        &current.country,
        &current.from,
        &current.to,
    ]
    .map(|v| RwSignal::new(v.clone()));
    let error_of = move |field: &'static str| Signal::stored(errors.get(field).map(str::to_owned));
    let navigate = use_navigate();
    let search = {
        let (navigate, current) = (navigate.clone(), current.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let typed = UserQuery {
                q: q.get(),
                kyc: kyc.get(),
                account: account.get(),
                country: country.get(),
                from: from.get(),
                to: to.get(),
                sort: current.sort.clone(),
                dir: current.dir.clone(),
                after: String::new(),
            };
            navigate(&users_href(&typed), Default::default());
        }
    };
    let clear = move |_| navigate("/users", Default::default());
    let kyc_options = KycState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let account_options = AccountState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    view! {
        <form class="mb-4 grid grid-cols-2 items-start gap-x-3 rounded-lg border border-slate-200 bg-white p-3 shadow-sm md:grid-cols-4 xl:grid-cols-[minmax(0,2fr)_repeat(5,minmax(0,1fr))_auto]" on:submit=search novalidate data-testid="user-search">
            <div class="col-span-2 xl:col-span-1">
                <TextField label="Search" name="q" value=q error=error_of("q") placeholder="Name, email, phone, external or P100 id" kind="search"/>
            </div>
            <SelectField label="KYC" name="kyc" value=kyc options=kyc_options blank="Any" error=error_of("kyc")/>
            <SelectField label="Account" name="account" value=account options=account_options blank="Any" error=error_of("account")/>
            <TextField label="Country (ISO)" name="country" value=country error=error_of("country") placeholder="PL"/>
            <TextField label="Created from" name="from" kind="date" value=from error=error_of("from")/>
            <TextField label="Created to" name="to" kind="date" value=to error=error_of("to")/>
            <div class="flex gap-2 pt-5">
                <button type="submit" class=BUTTON_PRIMARY>"Search"</button>
                <button type="button" class=BUTTON_SECONDARY on:click=clear>"Clear"</button>
            </div>
            {error_of("after").get_untracked().map(|m| view! { <p class="col-span-full text-xs text-red-600">{m}</p> })}
        </form>
    }
}

/// A column header that sorts by `sort`, and flips the direction when it already does.
#[component]
fn SortHeader(
    label: &'static str,
    sort: UserSort,
    query: UserQuery,
    /// Shown only on wide screens (`table::WIDE_ONLY`).
    #[prop(optional)]
    wide_only: bool,
) -> impl IntoView {
    let active = query.sort() == sort;
    let descending = query.descending();
    let next = UserQuery {
        sort: sort.as_str().into(),
        dir: if active && !descending {
            "desc".into()
        } else if active {
            "asc".into()
        } else {
            String::new()
        },
        after: String::new(),
        ..query
    };
    let arrow = match (active, descending) {
        (false, _) => "",
        (true, true) => " ↓",
        (true, false) => " ↑",
    };
    view! {
        <th class=wide_only.then_some(table::WIDE_ONLY) aria-sort=active.then_some(if descending { "descending" } else { "ascending" })>
            <a href=users_href(&next) class="hover:text-slate-800">{label}{arrow}</a>
        </th>
    }
}

#[component]
fn Results(listed: Listed, query: UserQuery, selected: Option<RwSignal<Vec<String>>>) -> impl IntoView {
    let Listed { rows, list } = listed;
    let body = NodeRef::<leptos::html::Tbody>::new();
    let body_html = rows
        .map(|rows| rows::html(&rows, selected.is_some()))
        .unwrap_or_default();
    // This page's users, read from its rows once they are in the document.
    let ids = RwSignal::new(Vec::<String>::new());
    Effect::new(move || {
        if let Some(body) = body.get() {
            ids.set(ticks::boxes(&body).map(|(_, id)| id).collect());
        }
    });
    let on_change = move |ev: leptos::ev::Event| {
        if let (Some(selected), Some((input, id))) = (selected, ticks::of_event(&ev)) {
            let on = input.checked();
            selected.update(|s| {
                s.retain(|x| *x != id);
                if on {
                    s.push(id);
                }
            });
        }
    };
    if let Some(selected) = selected {
        // Each box shows whether its user is selected (a bulk action clears them all).
        Effect::new(move || {
            let chosen = selected.get();
            if let Some(body) = body.get() {
                for (input, id) in ticks::boxes(&body) {
                    input.set_checked(chosen.contains(&id));
                }
            }
        });
    }
    let first_page = (!query.after.is_empty()).then(|| {
        users_href(&UserQuery {
            after: String::new(),
            ..query.clone()
        })
    });
    let next_page = list
        .next
        .clone()
        .map(|after| users_href(&UserQuery { after, ..query.clone() }));
    let total = list.total;
    let header = {
        let query = query.clone();
        move |label, sort| view! { <SortHeader label sort query=query.clone()/> }
    };
    view! {
        <div class="mb-2 flex items-center justify-between text-xs text-slate-500">
            <span data-testid="user-count">{list.count_words()}</span>
        </div>
        <TableFrame label="Users">
            <table class=format!("{} whitespace-nowrap", table::TABLE) data-testid="users-table">
                <thead class=table::HEAD>
                    <tr>
                        {selected.map(|selected| view! { <th class="w-8 px-3 py-2"><SelectAll selected ids/></th> })}
                        {header("Name · external id", UserSort::Name)}
                        <th>"Email"</th>
                        <th>"Phone"</th>
                        {header("Country", UserSort::Country)}
                        {header("KYC", UserSort::Kyc)}
                        {header("Account", UserSort::Account)}
                        {header("Created (UTC)", UserSort::Created)}
                        <SortHeader label="Last change" sort=UserSort::Changed query=query.clone() wide_only=true/>
                    </tr>
                </thead>
                <tbody node_ref=body inner_html=body_html on:change=on_change></tbody>
            </table>
            {(total == 0).then(|| view! { <p class="p-6 text-center text-slate-500">"No users match this search."</p> })}
        </TableFrame>
        <div class="mt-3 flex justify-center gap-2">
            {first_page.map(|href| view! { <a href=href class=BUTTON_SECONDARY>"First page"</a> })}
            {next_page.map(|href| view! { <a href=href class=BUTTON_SECONDARY data-testid="next-page">"Next page"</a> })}
        </div>
    }
}

/// The rows' checkboxes. The rows are plain HTML (`rows`), so the table reads and sets the boxes
/// of all its rows at once rather than each row holding its own.
mod ticks {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, Event, HtmlInputElement};

    /// The user of the row a box is in.
    fn user_of(input: &HtmlInputElement) -> Option<String> {
        input.closest("tr").ok().flatten()?.get_attribute("data-user")
    }

    /// Each box in `body`, with its row's user.
    pub fn boxes(body: &Element) -> impl Iterator<Item = (HtmlInputElement, String)> {
        let inputs = body.get_elements_by_tag_name("input");
        (0..inputs.length()).filter_map(move |i| {
            let input = inputs.item(i)?.dyn_into::<HtmlInputElement>().ok()?;
            let user = user_of(&input)?;
            Some((input, user))
        })
    }

    /// The box an event came from, with its row's user.
    pub fn of_event(ev: &Event) -> Option<(HtmlInputElement, String)> {
        let input = ev.target()?.dyn_into::<HtmlInputElement>().ok()?;
        let user = user_of(&input)?;
        Some((input, user))
    }
}

/// The header checkbox: ticks or clears every row of this page.
#[component]
fn SelectAll(selected: RwSignal<Vec<String>>, ids: RwSignal<Vec<String>>) -> impl IntoView {
    let all = move || ids.with(|ids| !ids.is_empty() && selected.with(|s| ids.iter().all(|id| s.contains(id))));
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        ids.with(|ids| {
            selected.update(|s| {
                s.retain(|id| !ids.contains(id));
                if on {
                    s.extend(ids.iter().cloned());
                }
            })
        });
    };
    view! { <input type="checkbox" aria-label="Select every user on this page" prop:checked=all on:change=toggle data-testid="select-all"/> }
}

/// Suspends the ticked users, one reason for all; then lists per user what worked and what failed.
#[component]
fn BulkSuspend(
    selected: RwSignal<Vec<String>>,
    outcomes: RwSignal<Option<Vec<BulkOutcome>>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let action = ServerAction::<BulkSuspendUsers>::new();
    let (reason, note) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    Effect::new(move |_| {
        if let Some(Ok(result)) = action.value().get() {
            outcomes.set(Some(result));
            selected.set(Vec::new());
            note.set(String::new());
            on_done.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(BulkSuspendUsers {
            ids: selected.get(),
            input: SuspendInput {
                reason: reason.get(),
                note: note.get(),
            },
        });
    };
    let count = move || selected.with(Vec::len);
    view! {
        <Show when=move || count() != 0>
            <form class="mb-4 rounded-lg border border-amber-200 bg-amber-50 p-3" on:submit=submit novalidate data-testid="bulk-suspend">
                <p class="mb-2 text-sm font-medium text-amber-900">
                    {move || format!("{} selected: suspend each at once, with one reason", count())}
                </p>
                <div class="grid grid-cols-1 gap-x-4 md:grid-cols-[14rem_1fr_auto]">
                    <account::SuspendFields reason note result=action.value()/>
                    <div class="pt-5">
                        <button type="submit" class=BUTTON_DANGER disabled=move || action.pending().get()>
                            {move || format!("Suspend {}", count())}
                        </button>
                    </div>
                </div>
                <FieldMessage id="bulk-users-error".into() error=field_error(action.value(), "users")/>
                <ActionError result=action.value()/>
            </form>
        </Show>
        {move || outcomes.get().map(|list| {
            let failed = list.iter().filter(|o| !o.ok).count();
            view! {
                <div class="mb-4 rounded-lg border border-slate-200 bg-white p-3 shadow-sm" data-testid="bulk-result">
                    <div class="mb-2 flex items-center justify-between">
                        <p class="text-sm font-medium">
                            {format!("Suspended {} of {}", list.len() - failed, list.len())}
                            {(failed > 0).then(|| view! { <span class="text-red-700">{format!(" · {failed} failed")}</span> })}
                        </p>
                        <button type="button" class=BUTTON_SECONDARY on:click=move |_| outcomes.set(None)>"Dismiss"</button>
                    </div>
                    <ul class="space-y-1 text-sm">
                        {list.into_iter().map(|o| view! {
                            <li class="flex gap-2" data-outcome=if o.ok { "ok" } else { "error" }>
                                <a class="font-mono text-xs text-indigo-700 hover:underline" href=format!("/users/{}", o.external_user_id)>{o.external_user_id.clone()}</a>
                                <span>{o.name}</span>
                                <span class=if o.ok { "text-emerald-700" } else { "text-red-700" }>{o.message}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })}
    }
}
