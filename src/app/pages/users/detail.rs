//! The user page: profile (personal data masked until revealed), KYC, balances and transaction
//! history read from P100, the status history, and staff notes.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::Reload;
use super::account::AccountCard;
use super::kyc::KycPanel;
use crate::api::deposits::fetch_user_deposits;
use crate::api::users::{AddUserNote, RevealUserPii, UpdateUserContact, fetch_user, fetch_user_cards};
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, BUTTON_SECONDARY, FieldMessage, INPUT, TextAreaField, TextField, field_error, when_ok,
};
use crate::app::components::status::{AccountBadge, Badge, KycBadge, Tone};
use crate::app::components::{Card, ErrorNotice, Loading, Loads, SuccessNotice, load_in_browser};
use crate::app::pages::balances::HolderMoney;
use crate::app::pages::deposits::{DepositBadge, DepositRows};
use crate::domain::Permission;
use crate::domain::balances::Holder;
use crate::domain::staff::Me;
use crate::domain::users::{ContactChangeInput, Pii, UserCards, UserDetail, UserEvent, account_label};

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let version = RwSignal::new(0u32);
    let user = Resource::new(move || (id.get(), version.get()), |(id, _)| fetch_user(id));
    let notice = RwSignal::new(None::<&'static str>);
    let reload = Callback::new(move |said: Option<&'static str>| {
        notice.set(said);
        version.update(|v| *v += 1);
    });
    view! {
        {move || notice.get().map(|message| view! {
            <div class="mb-3 flex items-start justify-between gap-3" data-testid="user-notice">
                <div class="flex-1"><SuccessNotice message/></div>
                <button type="button" class="px-1 text-slate-500 hover:text-slate-700" aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
            </div>
        })}
        <Loads>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(detail) => view! { <UserView detail reload/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn UserView(detail: UserDetail, reload: Reload) -> impl IntoView {
    let me = expect_context::<Me>();
    let summary = detail.summary.clone();
    let id = summary.external_user_id.clone();
    let unconfirmed = detail.sync_state != "synced";
    view! {
        <Title text=summary.name.clone()/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <p class="text-xs text-slate-500"><a href="/users" class="hover:underline">"Users"</a>" / "<span class="font-mono">{id.clone()}</span></p>
                <h1 class="text-lg font-semibold text-slate-900" data-testid="user-name">{summary.name.clone()}</h1>
                <p class="text-xs text-slate-500">"P100 id " <span class="font-mono">{summary.p100_user_id.clone().unwrap_or_else(|| "—".into())}</span></p>
            </div>
            <div class="flex items-center gap-2">
                <KycBadge state=summary.kyc/>
                <AccountBadge status=summary.account_status.clone()/>
            </div>
        </div>
        {unconfirmed.then(|| view! {
            <div class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                "P100 has not confirmed this user yet (it did not answer in time). Submitting the onboarding form again confirms it without creating a second user."
            </div>
        })}
        <div class="grid grid-cols-1 gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                {if detail.deleted() {
                    view! {
                        <Card title="Profile">
                            <p class="text-sm text-slate-600" data-testid="erased">"Personal data was erased when the user was deleted. Kept: the external and P100 ids, country of residence (" {summary.country.clone()} "), statuses, history and notes."</p>
                        </Card>
                    }.into_any()
                } else {
                    view! { <ProfileCard detail=detail.clone() reload/> }.into_any()
                }}
                <KycPanel detail=detail.clone() reload/>
                {(me.can(Permission::BalancesRead) && !detail.deleted()).then(|| view! { <HolderMoney holder=Holder::User(id.clone())/> })}
                {me.can(Permission::BalancesRead).then(|| view! { <DepositsCard id=id.clone()/> })}
                {(!detail.deleted() && summary.p100_user_id.is_some()).then(|| view! { <CardsCard id=id.clone()/> })}
            </div>
            <div class="space-y-4">
                <AccountCard detail=detail.clone() reload/>
                <NotesCard detail=detail.clone() reload/>
                <HistoryCard events=detail.events.clone()/>
                <Card title="Record">
                    <dl class="grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
                        <dt class="text-slate-500">"Created"</dt><dd>{summary.created_at.display()}</dd>
                        <dt class="text-slate-500">"Created by"</dt><dd>{detail.created_by.clone().unwrap_or_else(|| "imported".into())}</dd>
                        <dt class="text-slate-500">"Last sync"</dt><dd>{detail.synced_at.as_ref().map(|t| t.display()).unwrap_or_else(|| "never".into())}</dd>
                    </dl>
                </Card>
            </div>
        </div>
    }
}

fn row(label: &'static str, value: impl IntoView + 'static) -> impl IntoView {
    view! { <dt class="text-slate-500">{label}</dt><dd class="min-w-0 break-words">{value}</dd> }
}

#[component]
fn ProfileCard(detail: UserDetail, reload: Reload) -> impl IntoView {
    let me = expect_context::<Me>();
    let id = detail.summary.external_user_id.clone();
    let pii = RwSignal::new(detail.pii.clone());
    let revealed = RwSignal::new(false);
    let editing = RwSignal::new(false);
    let reveal = ServerAction::<RevealUserPii>::new();
    Effect::new(move |_| {
        if let Some(Ok(clear)) = reveal.value().get() {
            pii.set(clear);
            revealed.set(true);
        }
    });
    let may_reveal = me.can(Permission::PiiView);
    let may_edit = may_reveal && me.can(Permission::UsersUpdate) && detail.live();
    let field = move |get: fn(&Pii) -> String| move || pii.with(get);
    let reveal_id = id.clone();
    let do_reveal = move || {
        reveal.dispatch(RevealUserPii { id: reveal_id.clone() });
    };
    let on_reveal = {
        let do_reveal = do_reveal.clone();
        move |_| do_reveal()
    };
    let on_edit = move |_| {
        if !revealed.get_untracked() {
            do_reveal();
        }
        editing.set(true);
    };
    let country = detail.summary.country.clone();
    view! {
        <Card title="Profile">
            <div class="grid grid-cols-1 gap-x-8 md:grid-cols-2">
                <dl class="grid grid-cols-[8rem_1fr] gap-y-1 text-sm" data-testid="profile">
                    {row("First name", detail.first_name.clone())}
                    {row("Last name", detail.last_name.clone())}
                    {row("Date of birth", field(|p| p.birth_date.clone()))}
                    {row("National id", field(|p| p.id_number.clone()))}
                    {row("Citizenship", detail.citizenship.clone())}
                    {row("Nationality", detail.nationality.clone())}
                    {row("Country of birth", detail.birth_country.clone())}
                </dl>
                <dl class="grid grid-cols-[7rem_1fr] gap-y-1 text-sm">
                    {row("Email", view! { <span data-testid="user-email">{field(|p| p.email.clone())}</span> })}
                    {row("Phone", field(|p| p.phone.clone()))}
                    {row("Street", field(|p| format!("{} {}", p.street, p.house_number)))}
                    {row("Post code, city", field(|p| format!("{} {}", p.post_code, p.city)))}
                    {row("Country", country.clone())}
                </dl>
            </div>
            <p class="mt-2 text-xs text-slate-500">"Identity data comes from KYC and cannot be edited here."</p>
            <div class="mt-3 flex gap-2">
                {(may_reveal).then(|| view! {
                    <button class=BUTTON_SECONDARY on:click=on_reveal disabled=move || revealed.get() || reveal.pending().get() data-testid="reveal-pii">
                        {move || if revealed.get() { "Personal data shown (audited)" } else { "Reveal personal data" }}
                    </button>
                })}
                {may_edit.then(|| view! {
                    <button class=BUTTON_SECONDARY on:click=on_edit data-testid="edit-contact">"Edit contact details"</button>
                })}
            </div>
            <ActionError result=reveal.value()/>
            <Show when=move || editing.get() && revealed.get()>
                <ContactForm id=id.clone() current=pii.get_untracked() country=country.clone() on_done=Callback::new(move |()| {
                    editing.set(false);
                    reload.run(None);
                })/>
            </Show>
        </Card>
    }
}

#[component]
fn ContactForm(id: String, current: Pii, country: String, on_done: Callback<()>) -> impl IntoView {
    let update = ServerAction::<UpdateUserContact>::new();
    let result = update.value();
    let field = move |name: &'static str| field_error(result, name);
    let [email, phone, street, house_number, city, post_code] = [
        current.email,
        current.phone,
        current.street,
        current.house_number,
        current.city,
        current.post_code,
    ]
    .map(RwSignal::new);
    when_ok(result, move || on_done.run(()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateUserContact {
            id: id.clone(),
            input: ContactChangeInput {
                email: email.get(),
                phone: phone.get(),
                street: street.get(),
                house_number: house_number.get(),
                city: city.get(),
                post_code: post_code.get(),
                country: None,
            },
        });
    };
    view! {
        <form class="mt-4 border-t border-slate-200 pt-4" on:submit=submit novalidate data-testid="contact-form">
            <div class="grid grid-cols-1 gap-x-4 md:grid-cols-3">
                <TextField label="Email" name="email" kind="email" value=email error=field("email")/>
                <TextField label="Phone (international)" name="phone" kind="tel" value=phone error=field("phone")/>
                <div>
                    <label for="field-country" class=crate::app::components::form::LABEL>"Country of residence"</label>
                    <input id="field-country" class=format!("{INPUT} border-slate-200 bg-slate-100 text-slate-500") value=country readonly aria-describedby="field-country-error"/>
                    <FieldMessage id="field-country-error".into() error=Signal::derive(move || field("country").get().or_else(|| Some("Cannot change: tied to the verified identity.".into())))/>
                </div>
                <TextField label="Street" name="street" value=street error=field("street")/>
                <TextField label="House / flat number" name="house_number" value=house_number error=field("house_number")/>
                <TextField label="Post code" name="post_code" value=post_code error=field("post_code")/>
                <TextField label="City" name="city" value=city error=field("city")/>
            </div>
            <ActionError result/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || update.pending().get()>"Save contact details"</button>
        </form>
    }
}

fn event_label(event: &UserEvent) -> String {
    match event.kind.as_str() {
        "created" => format!("Created · {}", account_label(&event.status)),
        "kyc" => format!(
            "KYC · {}",
            crate::domain::users::KycState::parse(&event.status).map_or(event.status.as_str(), |s| s.label())
        ),
        "account" => format!("Account · {}", account_label(&event.status)),
        "poa" => format!("Proof of address · {}", event.status.to_lowercase()),
        "iban" => format!("IBAN status · {}", event.status.to_lowercase()),
        other => format!("{other} · {}", event.status),
    }
}

/// Money that arrived for the user, and P100's IBAN status for the IBANs it came from (read once the
/// page shows, like the page's other secondary cards).
#[component]
fn DepositsCard(id: String) -> impl IntoView {
    let deposits = load_in_browser(move || fetch_user_deposits(id.clone()));
    view! {
        <Card title="Deposits">
            {move || match deposits.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(data)) => view! {
                    <div data-testid="user-deposits"><DepositRows rows=data.deposits holder=false/></div>
                    <h3 class="mb-1 mt-3 text-xs font-medium text-slate-600">"IBAN status"</h3>
                    {if data.ibans.is_empty() {
                        view! { <p class="text-sm text-slate-500" data-testid="no-iban-status">"P100 has reported no IBAN status for this user."</p> }.into_any()
                    } else {
                        view! {
                            <dl class="grid grid-cols-[1fr_auto_auto] items-center gap-x-3 gap-y-1 text-sm" data-testid="iban-status">
                                {data.ibans.into_iter().map(|c| view! {
                                    <dt class="font-mono text-xs">{c.iban}</dt>
                                    <dd><DepositBadge status=c.status/></dd>
                                    <dd class="text-xs text-slate-500">{c.updated_at.display()}</dd>
                                }).collect_view()}
                            </dl>
                        }.into_any()
                    }}
                }.into_any(),
            }}
        </Card>
    }
}

/// The user's virtual cards as P100 answers (read once the page shows). P100 keeps its card module
/// suspended, so this says what that means for the user and offers nothing to do.
#[component]
fn CardsCard(id: String) -> impl IntoView {
    let cards = load_in_browser(move || fetch_user_cards(id.clone()));
    view! {
        <Card title="Virtual cards">
            {move || match cards.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                Some(Ok(UserCards::Suspended)) => view! {
                    <p class="text-sm text-slate-600" data-testid="cards-suspended">
                        "P100 has suspended its virtual card module. This user has no card through P100: no card payments, ATM withdrawals or card limits, and no card can be issued until P100 turns the module back on. IBAN and crypto balances work as usual."
                    </p>
                }.into_any(),
                Some(Ok(UserCards::Cards(list))) if list.is_empty() => view! {
                    <p class="text-sm text-slate-500" data-testid="no-cards">"P100 holds no virtual card for this user."</p>
                }.into_any(),
                Some(Ok(UserCards::Cards(list))) => view! {
                    <ul class="divide-y divide-slate-100 text-sm" data-testid="cards">
                        {list.into_iter().map(|card| view! {
                            <li class="flex items-center justify-between gap-3 py-1.5">
                                <span>{card.label.unwrap_or_else(|| "Card".into())}</span>
                                <span class="font-mono text-xs text-slate-600">{card.last_digits.map(|d| format!("•••• {d}"))}</span>
                                {let (label, tone) = card_status(&card.status); view! { <Badge tone>{label}</Badge> }}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </Card>
    }
}

/// A card's status in words (P100's text for one it adds later).
fn card_status(status: &str) -> (String, Tone) {
    let (label, tone) = match status {
        "ACTIVE" => ("Active", Tone::Good),
        "LOCKED_BY_USER" => ("Locked by the user", Tone::Warn),
        "SUSPENDED" => ("Suspended", Tone::Warn),
        "BLOCKED" => ("Blocked", Tone::Bad),
        "DELETED" => ("Deleted", Tone::Bad),
        other => (other, Tone::Neutral),
    };
    (label.to_owned(), tone)
}

#[component]
fn HistoryCard(events: Vec<UserEvent>) -> impl IntoView {
    view! {
        <Card title="Status history">
            <ol class="space-y-2 text-sm" data-testid="history">
                {events.into_iter().rev().map(|e| view! {
                    <li class="border-l-2 border-slate-200 pl-3">
                        <div class="font-medium text-slate-800">{event_label(&e)}</div>
                        <div class="text-xs text-slate-500">{e.at.display()} " · " {e.source.clone()}</div>
                        {e.detail.clone().map(|d| view! { <div class="text-xs text-slate-500">{d}</div> })}
                    </li>
                }).collect_view()}
            </ol>
        </Card>
    }
}

#[component]
fn NotesCard(detail: UserDetail, reload: Reload) -> impl IntoView {
    let may_note = expect_context::<Me>().can(Permission::UsersNote);
    let add = ServerAction::<AddUserNote>::new();
    let note = RwSignal::new(String::new());
    when_ok(add.value(), move || {
        note.set(String::new());
        reload.run(None);
    });
    let id = detail.summary.external_user_id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(AddUserNote {
            id: id.clone(),
            note: note.get(),
        });
    };
    view! {
        <Card title="Staff notes">
            {may_note.then(|| view! {
                <form on:submit=submit novalidate class="mb-3">
                    <TextAreaField label="Note" name="staff_note" value=note error=field_error(add.value(), "note") placeholder="What happened, what was agreed…" hide_label=true/>
                    <ActionError result=add.value()/>
                    <button type="submit" class=BUTTON_SECONDARY disabled=move || add.pending().get()>"Add note"</button>
                </form>
            })}
            {detail.notes.is_empty().then(|| view! { <p class="text-sm text-slate-500">"No notes yet."</p> })}
            <ul class="space-y-2 text-sm" data-testid="notes">
                {detail.notes.into_iter().map(|n| view! {
                    <li class="rounded-md bg-slate-50 px-2.5 py-2">
                        <p class="whitespace-pre-wrap text-slate-800">{n.body}</p>
                        <p class="mt-1 text-xs text-slate-500">{n.author} " · " {n.at.display()}</p>
                    </li>
                }).collect_view()}
            </ul>
        </Card>
    }
}
