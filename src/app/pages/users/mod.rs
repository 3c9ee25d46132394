//! Users: the search page, onboarding, the user page and the KYC queue.

pub mod detail;
mod kyc;
pub mod new;
pub mod queue;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;

use crate::api::users::search_users;
use crate::app::components::form::{BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextField};
use crate::app::components::status::{AccountBadge, KycBadge};
use crate::app::components::{ErrorNotice, Loading, PageHeader, table};
use crate::domain::staff::Me;
use crate::domain::users::{AccountState, KycState, UserList, UserQuery, UserSort};
use crate::domain::{AppError, FieldErrors, Permission};

fn users_href(query: &UserQuery) -> String {
    let qs = query.query_string(Url::escape);
    if qs.is_empty() {
        "/users".into()
    } else {
        format!("/users?{qs}")
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| UserQuery::from_pairs(|k| p.get(k))));
    let page = Resource::new(move || query.get(), search_users);
    view! {
        <PageHeader title="Users" subtitle="Everyone the back office onboarded. Search by name, email, phone, external or P100 id.">
            {me.can(Permission::UsersCreate).then(|| view! {
                <A href="/users/new" attr:class=BUTTON_PRIMARY attr:data-testid="new-user">"New user"</A>
            })}
        </PageHeader>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let result = page.await;
                let current = query.get_untracked();
                match result {
                    Err(AppError::Invalid(errors)) => view! { <SearchForm current errors/> }.into_any(),
                    Err(error) => view! { <SearchForm current/> <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! { <SearchForm current=current.clone()/> <Results list query=current/> }.into_any(),
                }
            })}
        </Transition>
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
fn SortHeader(label: &'static str, sort: UserSort, query: UserQuery) -> impl IntoView {
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
        <th class=table::TH aria-sort=active.then_some(if descending { "descending" } else { "ascending" })>
            <A href=users_href(&next) attr:class="hover:text-slate-800">{label}{arrow}</A>
        </th>
    }
}

#[component]
fn Results(list: UserList, query: UserQuery) -> impl IntoView {
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
    let header = |label, sort| view! { <SortHeader label sort query=query.clone()/> };
    view! {
        <div class="mb-2 flex items-center justify-between text-xs text-slate-500">
            <span data-testid="user-count">{format!("{total} {}", if total == 1 { "user" } else { "users" })}</span>
        </div>
        <div class=table::WRAP>
            <table class=table::TABLE data-testid="users-table">
                <thead class=table::HEAD>
                    <tr>
                        {header("Name · external id", UserSort::Name)}
                        <th class=table::TH>"Email"</th>
                        <th class=table::TH>"Phone"</th>
                        {header("Country", UserSort::Country)}
                        {header("KYC", UserSort::Kyc)}
                        {header("Account", UserSort::Account)}
                        {header("Created (UTC)", UserSort::Created)}
                        {header("Last change", UserSort::Changed)}
                    </tr>
                </thead>
                <tbody>
                    {list.rows.into_iter().map(|user| {
                        let href = format!("/users/{}", user.external_user_id);
                        view! {
                            <tr class=format!("{} whitespace-nowrap", table::ROW) data-user=user.external_user_id.clone()>
                                <td class=table::TD>
                                    <A href=href attr:class="font-medium text-indigo-700 hover:underline">{user.name}</A>
                                    <div class="font-mono text-xs text-slate-500">{user.external_user_id.clone()}</div>
                                </td>
                                <td class=format!("{} max-w-56 truncate", table::TD)>{user.email}</td>
                                <td class=format!("{} whitespace-nowrap", table::TD)>{user.phone}</td>
                                <td class=table::TD>{user.country}</td>
                                <td class=table::TD><KycBadge state=user.kyc/></td>
                                <td class=table::TD><AccountBadge status=user.account_status/></td>
                                <td class=format!("{} whitespace-nowrap text-slate-600", table::TD)>{user.created_at.display()}</td>
                                <td class=format!("{} whitespace-nowrap text-slate-600", table::TD)>{user.changed_at.display()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(total == 0).then(|| view! { <p class="p-6 text-center text-slate-500">"No users match this search."</p> })}
        </div>
        <div class="mt-3 flex justify-center gap-2">
            {first_page.map(|href| view! { <A href=href attr:class=BUTTON_SECONDARY>"First page"</A> })}
            {next_page.map(|href| view! { <A href=href attr:class=BUTTON_SECONDARY attr:data-testid="next-page">"Next page"</A> })}
        </div>
    }
}
