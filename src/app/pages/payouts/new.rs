//! A new SEPA payout, crypto withdrawal or internal transfer: the form, then a review of exactly
//! what will be sent (with the fee and whether a second member must approve), then submit.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::movements::{ReviewMovement, SubmitMovement, fetch_payout_context};
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextAreaField, TextField, choices, currency_options,
    field_error,
};
use crate::app::components::{Card, ErrorNotice, Loading, PageHeader, load_in_browser};
use crate::domain::balances::Holder;
use crate::domain::money::Currency;
use crate::domain::movements::{
    CryptoInput, Direction, MovementInput, MovementKind, PayoutContext, Review, SepaInput, TransferInput,
};

#[component]
pub fn NewMovementPage() -> impl IntoView {
    let query = use_query_map();
    let kind = Memo::new(move |_| {
        query.with(|q| MovementKind::parse(&q.get("kind").unwrap_or_default()).unwrap_or(MovementKind::Sepa))
    });
    let holder = Memo::new(move |_| query.with(|q| Holder::from_param(q.get("user"))));
    view! {
        <Title text=move || format!("New {}", kind.get().label().to_lowercase())/>
        <PageHeader title="New payout or transfer" subtitle="Fill in, review exactly what will be sent, then submit. Above the currency's threshold a second member approves it first."/>
        <nav class="mb-4 flex gap-1 border-b border-slate-200" aria-label="Kind">
            {MovementKind::ALL.iter().map(|k| {
                let k = *k;
                let href = move || {
                    let holder = holder.get();
                    crate::app::components::filtered_href("/payouts/new", [("kind", k.as_str()), holder.param()])
                };
                let class = move || if kind.get() == k {
                    "-mb-px border-b-2 border-indigo-600 px-3 py-2 text-sm font-medium text-indigo-700"
                } else {
                    "-mb-px border-b-2 border-transparent px-3 py-2 text-sm text-slate-600 hover:text-slate-900"
                };
                view! { <a href=href class=class>{k.label()}</a> }
            }).collect_view()}
        </nav>
        {move || {
            let holder = holder.get();
            match kind.get() {
                MovementKind::Transfer => view! { <TransferForm holder/> }.into_any(),
                kind => view! { <PayoutForm kind holder/> }.into_any(),
            }
        }}
    }
}

/// The review of what was typed, and its submit: shown only while the fields still say what was
/// reviewed, and the submit sends the reviewed input under the review's key.
#[component]
fn ReviewStep(reviewed: RwSignal<Option<(MovementInput, Review)>>, current: Signal<MovementInput>) -> impl IntoView {
    let submit = ServerAction::<SubmitMovement>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(detail)) = submit.value().get() {
            navigate(&format!("/payouts/{}", detail.movement.id), Default::default());
        }
    });
    move || {
        let (input, review) = reviewed.get()?;
        if input != current.get() {
            return None;
        }
        let button = if review.approval_above.is_some() {
            "Submit for approval"
        } else {
            "Confirm and send"
        };
        let send = {
            let (input, key) = (input.clone(), review.key.clone());
            move |_| {
                submit.dispatch(SubmitMovement {
                    input: input.clone(),
                    key: key.clone(),
                });
            }
        };
        Some(view! {
            <Card title="Review: this is what will be sent">
                <dl class="grid grid-cols-[12rem_1fr] gap-y-1.5 text-sm" data-testid="review-lines">
                    {review.lines.iter().map(|(label, value)| view! {
                        <dt class="text-slate-500">{label.clone()}</dt>
                        <dd class="min-w-0 break-words tabular-nums">{value.clone()}</dd>
                    }).collect_view()}
                </dl>
                {match review.approval_above.clone() {
                    Some(limit) => view! {
                        <p class="mt-3 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-800" data-testid="needs-approval">
                            "Above " {limit} ": a second finance member must approve it before it is sent."
                        </p>
                    }.into_any(),
                    None => view! { <p class="mt-3 text-sm text-slate-600">"Below the approval threshold: it is sent as soon as you confirm."</p> }.into_any(),
                }}
                <details class="mt-3">
                    <summary class="cursor-pointer text-xs font-medium text-slate-600">"Exact request to P100"</summary>
                    <pre class="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="review-request">{review.request.clone()}</pre>
                </details>
                <div class="mt-3"><ActionError result=submit.value()/></div>
                <div class="flex gap-2">
                    <button type="button" class=BUTTON_PRIMARY data-testid="submit-movement" disabled=move || submit.pending().get() on:click=send>
                        {move || if submit.pending().get() { "Submitting…" } else { button }}
                    </button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| reviewed.set(None)>"Change"</button>
                </div>
            </Card>
        })
    }
}

/// A form's review: the action asking for it, what was reviewed (the input with its review), and
/// the submit handler of the form's "Review" button.
struct Reviewing<F> {
    review: ServerAction<ReviewMovement>,
    reviewed: RwSignal<Option<(MovementInput, Review)>>,
    ask: F,
}

fn reviewing(current: Signal<MovementInput>) -> Reviewing<impl Fn(leptos::ev::SubmitEvent) + Copy + 'static> {
    let review = ServerAction::<ReviewMovement>::new();
    let reviewed = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(r)) = review.value().get() {
            reviewed.set(Some((current.get_untracked(), r)));
        }
    });
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        review.dispatch(ReviewMovement {
            input: current.get_untracked(),
        });
    };
    Reviewing { review, reviewed, ask }
}

/// The holder's live context (balances, contacts, networks, deposit info), loaded once shown.
fn context(holder: &Holder) -> ReadSignal<Option<Result<PayoutContext, crate::domain::AppError>>> {
    let holder = holder.clone();
    load_in_browser(move || fetch_payout_context(holder.clone()))
}

/// The SEPA payout and crypto withdrawal forms' fields, one signal each (the form shows those of
/// its kind).
#[derive(Clone, Copy)]
struct PayoutFields {
    beneficiary: RwSignal<String>,
    iban: RwSignal<String>,
    bic: RwSignal<String>,
    amount: RwSignal<String>,
    reference: RwSignal<String>,
    currency: RwSignal<String>,
    network: RwSignal<String>,
    address: RwSignal<String>,
    memo: RwSignal<String>,
    wallet_type: RwSignal<String>,
    receiver_type: RwSignal<String>,
}

impl PayoutFields {
    fn new() -> Self {
        let field = |value: &str| RwSignal::new(value.to_owned());
        PayoutFields {
            beneficiary: field(""),
            iban: field(""),
            bic: field(""),
            amount: field(""),
            reference: field(""),
            currency: field("btc"),
            network: field("btc"),
            address: field(""),
            memo: field(""),
            wallet_type: field("NON_CUSTODIAL"),
            receiver_type: field("NATURAL"),
        }
    }

    /// What the form says now: a SEPA payout (`sepa`) or a crypto withdrawal from `holder`.
    fn input(self, sepa: bool, holder: &Holder) -> MovementInput {
        if sepa {
            MovementInput::Sepa(SepaInput {
                holder: holder.clone(),
                beneficiary: self.beneficiary.get(),
                iban: self.iban.get(),
                bic: self.bic.get(),
                amount: self.amount.get(),
                reference: self.reference.get(),
            })
        } else {
            MovementInput::Crypto(CryptoInput {
                holder: holder.clone(),
                currency: self.currency.get(),
                network: self.network.get(),
                address: self.address.get(),
                amount: self.amount.get(),
                memo: self.memo.get(),
                beneficiary: self.beneficiary.get(),
                wallet_type: self.wallet_type.get(),
                receiver_type: self.receiver_type.get(),
            })
        }
    }
}

/// A SEPA payout or a crypto withdrawal from the partner's balance or a user's.
#[component]
fn PayoutForm(kind: MovementKind, holder: Holder) -> impl IntoView {
    let sepa = kind == MovementKind::Sepa;
    let fields = PayoutFields::new();
    let PayoutFields {
        beneficiary,
        iban,
        bic,
        amount,
        reference,
        currency,
        network,
        address,
        memo,
        wallet_type,
        receiver_type,
    } = fields;
    let current = {
        let holder = holder.clone();
        Signal::derive(move || fields.input(sepa, &holder))
    };
    let Reviewing { review, reviewed, ask } = reviewing(current);
    let error = move |name: &'static str| field_error(review.value(), name);
    let ctx = context(&holder);
    // A network the chosen currency is withdrawn on: the first one, when the currency changes.
    Effect::new(move |_| {
        let code = currency.get();
        ctx.with(|c| {
            if let Some(Ok(c)) = c
                && !c
                    .networks
                    .iter()
                    .any(|n| n.currency == code && n.network == network.get_untracked())
                && let Some(first) = c.networks.iter().find(|n| n.currency == code)
            {
                network.set(first.network.clone());
            }
        });
    });
    let crypto_currencies: Vec<(String, String)> = Currency::KNOWN
        .iter()
        .filter(|c| !c.is_fiat())
        .map(|c| (c.code().to_owned(), c.code().to_uppercase()))
        .collect();
    let networks = move || {
        let code = currency.get();
        ctx.with(|c| match c {
            Some(Ok(c)) => c
                .networks
                .iter()
                .filter(|n| n.currency == code)
                .map(|n| (n.network.clone(), n.label.clone()))
                .collect::<Vec<_>>(),
            _ => vec![(network.get_untracked(), network.get_untracked())],
        })
    };
    let available = move || {
        let code = if sepa { "eur".to_owned() } else { currency.get() };
        ctx.with(|c| match c {
            Some(Ok(c)) => c
                .available
                .iter()
                .find(|(c, _)| *c == code)
                .map_or_else(|| "none".to_owned(), |(_, a)| a.clone()),
            Some(Err(_)) => "unknown (P100 did not answer)".to_owned(),
            None => "…".to_owned(),
        })
    };
    let from = match &holder {
        Holder::Partner => "the partner's balance".to_owned(),
        Holder::User(id) => format!("user {id}"),
    };
    view! {
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title=if sepa { "SEPA payout" } else { "Crypto withdrawal" }>
                    <p class="mb-3 text-sm text-slate-600">"Paid from " <span class="font-medium">{from}</span>
                        " · available " <span class="tabular-nums" data-testid="available">{available}</span></p>
                    <form on:submit=ask novalidate data-testid="movement-form">
                        {if sepa {
                            view! {
                                <div class="grid grid-cols-1 gap-x-3 md:grid-cols-2">
                                    <TextField label="Beneficiary name" name="beneficiary" value=beneficiary error=error("beneficiary")/>
                                    <TextField label="IBAN" name="iban" value=iban error=error("iban") placeholder="DE89 3704 0044 0532 0130 00"/>
                                    <TextField label="BIC (optional)" name="bic" value=bic error=error("bic") placeholder="COBADEFFXXX"/>
                                    <TextField label="Amount (EUR)" name="amount" value=amount error=error("amount") placeholder="e.g. 1250.00"/>
                                </div>
                                <TextField label="Reference the beneficiary sees" name="reference" value=reference error=error("reference")/>
                            }.into_any()
                        } else {
                            view! {
                                <div class="grid grid-cols-1 gap-x-3 md:grid-cols-3">
                                    <SelectField label="Currency" name="currency" value=currency options=crypto_currencies error=error("currency")/>
                                    {move || view! { <SelectField label="Network" name="network" value=network options=networks() error=error("network")/> }}
                                    <TextField label="Amount arriving" name="amount" value=amount error=error("amount") placeholder="e.g. 0.015"/>
                                </div>
                                <TextField label="Destination address" name="address" value=address error=error("address")/>
                                <div class="grid grid-cols-1 gap-x-3 md:grid-cols-3">
                                    <TextField label="Receiver's name (travel rule)" name="beneficiary" value=beneficiary error=error("beneficiary")/>
                                    <SelectField label="Receiver is" name="receiver_type" value=receiver_type
                                        options=choices(&[("NATURAL", "A person"), ("LEGAL", "A company")]) error=error("receiver_type")/>
                                    <SelectField label="Wallet" name="wallet_type" value=wallet_type
                                        options=choices(&[("NON_CUSTODIAL", "Self-hosted"), ("CUSTODIAL", "At an exchange or custodian"), ("OTHER", "Other")]) error=error("wallet_type")/>
                                </div>
                                <TextField label="Memo (optional)" name="memo" value=memo error=error("memo")/>
                            }.into_any()
                        }}
                        <ActionError result=review.value()/>
                        <button type="submit" class=BUTTON_PRIMARY data-testid="review-movement" disabled=move || review.pending().get()>
                            {move || if review.pending().get() { "Checking…" } else { "Review" }}
                        </button>
                    </form>
                </Card>
                <ReviewStep reviewed current/>
            </div>
            {move || match ctx.get() {
                None => view! { <Card title="From P100"><Loading/></Card> }.into_any(),
                Some(Err(error)) => view! { <Card title="From P100"><ErrorNotice error/></Card> }.into_any(),
                Some(Ok(c)) if sepa => view! { <SepaSide c beneficiary iban/> }.into_any(),
                Some(Ok(c)) => view! { <NetworkSide c/> }.into_any(),
            }}
        </div>
    }
}

/// P100's contact list (pick one to fill the form) and where to pay in.
#[component]
fn SepaSide(c: PayoutContext, beneficiary: RwSignal<String>, iban: RwSignal<String>) -> impl IntoView {
    let empty = c.contacts.is_empty();
    view! {
        <div class="space-y-4">
            <Card title="Beneficiaries on P100's contact list">
                {empty.then(|| view! { <p class="text-sm text-slate-500">"None yet. Closed-loop payouts may only go to accounts P100 verified for this holder."</p> })}
                <ul class="divide-y divide-slate-100" data-testid="contacts">
                    {c.contacts.into_iter().map(|(name, account)| {
                        let (n, a) = (name.clone(), account.clone());
                        view! {
                            <li class="flex items-center justify-between gap-2 py-1.5">
                                <div class="min-w-0">
                                    <p class="truncate text-sm">{name}</p>
                                    <p class="truncate font-mono text-xs text-slate-500">{account}</p>
                                </div>
                                <button type="button" class=BUTTON_SECONDARY on:click=move |_| { beneficiary.set(n.clone()); iban.set(a.clone()); }>"Use"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Card>
            {c.deposit.map(|d| view! {
                <Card title="To pay in by SEPA">
                    <dl class="grid grid-cols-[6rem_1fr] gap-y-1 text-sm" data-testid="deposit-info">
                        <dt class="text-slate-500">"IBAN"</dt><dd class="break-all font-mono text-xs">{d.iban}</dd>
                        <dt class="text-slate-500">"Reference"</dt><dd class="font-mono text-xs">{d.reference}</dd>
                        <dt class="text-slate-500">"BIC"</dt><dd class="font-mono text-xs">{d.bic}</dd>
                        <dt class="text-slate-500">"Holder"</dt><dd>{d.holder}</dd>
                    </dl>
                    <p class="mt-2 text-xs text-slate-500">"The reference must be typed exactly, or P100 cannot match the deposit."</p>
                </Card>
            })}
        </div>
    }
}

/// Each currency's networks with P100's service fee, minimum and what is available.
#[component]
fn NetworkSide(c: PayoutContext) -> impl IntoView {
    view! {
        <Card title="Networks, fees and minimums">
            <table class="w-full text-left text-xs" data-testid="networks">
                <thead class="text-slate-500"><tr><th class="py-1">"Network"</th><th class="py-1 text-right">"Service fee"</th><th class="py-1 text-right">"Minimum"</th></tr></thead>
                <tbody>
                    {c.networks.into_iter().map(|n| view! {
                        <tr class="border-t border-slate-100">
                            <td class="py-1">{n.currency.to_uppercase()} " · " {n.label}</td>
                            <td class="py-1 text-right tabular-nums">{n.service_fee}</td>
                            <td class="py-1 text-right tabular-nums">{n.minimum}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="mt-2 text-xs text-slate-500">"The live network fee is read when you review, and comes on top of the amount."</p>
        </Card>
    }
}

/// `holder`: a user's transfer starts with that user filled in.
#[component]
fn TransferForm(holder: Holder) -> impl IntoView {
    let (user, amount, note) = (
        RwSignal::new(holder.user().unwrap_or_default().to_owned()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let direction = RwSignal::new(Direction::ToUser.as_str().to_owned());
    let currency = RwSignal::new("eur".to_owned());
    let current = Signal::derive(move || {
        MovementInput::Transfer(TransferInput {
            user: user.get(),
            direction: direction.get(),
            currency: currency.get(),
            amount: amount.get(),
            note: note.get(),
        })
    });
    let Reviewing { review, reviewed, ask } = reviewing(current);
    let error = move |name: &'static str| field_error(review.value(), name);
    let directions = Direction::ALL
        .iter()
        .map(|d| (d.as_str().to_owned(), d.label().to_owned()))
        .collect();
    view! {
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="space-y-4 xl:col-span-2">
                <Card title="Internal transfer">
                    <form on:submit=ask novalidate data-testid="movement-form">
                        <div class="grid grid-cols-1 gap-x-3 md:grid-cols-2">
                            <SelectField label="Direction" name="direction" value=direction options=directions error=error("direction")/>
                            <TextField label="User (external id)" name="user" value=user error=error("user") placeholder="demo-0025"/>
                            <SelectField label="Currency" name="currency" value=currency options=currency_options() error=error("currency")/>
                            <TextField label="Amount" name="amount" value=amount error=error("amount")/>
                        </div>
                        <TextAreaField label="Note (what it is for)" name="note" value=note error=error("note")/>
                        <ActionError result=review.value()/>
                        <button type="submit" class=BUTTON_PRIMARY data-testid="review-movement" disabled=move || review.pending().get()>
                            {move || if review.pending().get() { "Checking…" } else { "Review" }}
                        </button>
                    </form>
                </Card>
                <ReviewStep reviewed current/>
            </div>
            <Card title="Between users">
                <p class="text-sm text-slate-600">"User to user is not offered: P100 routes it through the partner. To move money from one user to another, collect it from the first (user to partner), then fund the second (partner to user)."</p>
            </Card>
        </div>
    }
}
