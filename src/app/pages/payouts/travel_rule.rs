//! Crypto deposits P100 holds until the sender's travel rule data arrives: the list (from P100's
//! crypto deposit webhooks) and the form that sends the data.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::movements::{SubmitTravelRule, fetch_waiting_deposits};
use crate::app::components::form::{
    ActionError, BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextField, choices, field_error,
};
use crate::app::components::{
    Card, ErrorNotice, Loading, PageHeader, SuccessNotice, TableFrame, load_in_browser, table,
};
use crate::domain::money;
use crate::domain::movements::TravelRuleInput;

#[component]
pub fn TravelRulePage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let waiting = load_in_browser(move || {
        version.track();
        fetch_waiting_deposits()
    });
    let [deposit, name] = [(); 2].map(|_| RwSignal::new(String::new()));
    let wallet_type = RwSignal::new("CUSTODIAL".to_owned());
    let sender_type = RwSignal::new("NATURAL".to_owned());
    let submit = ServerAction::<SubmitTravelRule>::new();
    let sent = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(())) = submit.value().get() {
            sent.set(Some(deposit.get_untracked()));
            deposit.set(String::new());
            name.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sent.set(None);
        submit.dispatch(SubmitTravelRule {
            input: TravelRuleInput {
                deposit_id: deposit.get(),
                name: name.get(),
                wallet_type: wallet_type.get(),
                sender_type: sender_type.get(),
            },
        });
    };
    let error = move |field: &'static str| field_error(submit.value(), field);
    view! {
        <Title text="Travel rule"/>
        <PageHeader title="Travel rule" subtitle="Crypto deposits P100 holds until it has the sender's details. Send them and P100 releases the funds."/>
        <div class="grid grid-cols-1 items-start gap-4 xl:grid-cols-3">
            <div class="xl:col-span-2">
                <Card title="Deposits waiting for travel rule data">
                    {move || match waiting.get() {
                        None => view! { <Loading/> }.into_any(),
                        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <p class="text-sm text-slate-500">"No deposit is waiting."</p> }.into_any(),
                        Some(Ok(list)) => view! {
                            <TableFrame label="Deposits waiting for travel-rule data">
                                <table class=table::TABLE data-testid="waiting-deposits">
                                    <thead class=table::HEAD><tr>
                                        <th>"Received (UTC)"</th><th>"User"</th>
                                        <th class="text-right">"Amount"</th><th>"Deposit id"</th><th></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|d| {
                                            let id = d.id.clone();
                                            view! {
                                                <tr>
                                                    <td class="whitespace-nowrap">{d.received_at.display()}</td>
                                                    <td class="whitespace-nowrap">{d.user.clone().map(|u| view! { <a href=format!("/users/{u}") class="font-mono text-indigo-700 hover:underline">{u.clone()}</a> })}</td>
                                                    <td class=table::NUM>{money::display_text(&d.amount, &d.currency)}</td>
                                                    <td class="font-mono text-xs">{d.id.clone()}</td>
                                                    <td class="whitespace-nowrap text-right"><button type="button" class=BUTTON_SECONDARY on:click=move |_| deposit.set(id.clone())>"Fill in"</button></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </TableFrame>
                        }.into_any(),
                    }}
                </Card>
            </div>
            <Card title="Sender's details">
                <form on:submit=send novalidate data-testid="travel-rule-form">
                    <TextField label="Deposit id" name="deposit_id" value=deposit error=error("deposit_id")/>
                    <TextField label="Sender's full name or company" name="name" value=name error=error("name")/>
                    <SelectField label="Sender is" name="sender_type" value=sender_type
                        options=choices(&[("NATURAL", "A person"), ("LEGAL", "A company")]) error=error("sender_type")/>
                    <SelectField label="Sent from" name="wallet_type" value=wallet_type
                        options=choices(&[("CUSTODIAL", "An exchange or custodian"), ("NON_CUSTODIAL", "A self-hosted wallet"), ("OTHER", "Other")]) error=error("wallet_type")/>
                    <ActionError result=submit.value()/>
                    {move || sent.get().map(|id| view! { <div class="mb-2"><SuccessNotice message=format!("Sent to P100 for deposit {id}.")/></div> })}
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || submit.pending().get()>"Send to P100"</button>
                </form>
            </Card>
        </div>
    }
}
