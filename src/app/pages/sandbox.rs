//! The Sandbox page: steer the built-in P100 simulator (faults, KYC outcomes, movements) and watch
//! the webhooks it sends.

use leptos::prelude::*;

use crate::api::sandbox::{
    ArmSandboxFault, ClearSandboxFaults, ForceSandboxMovement, MakeSandboxSepaDeposit, SetSandboxDelivery,
    SetSandboxHistoryShape, SetSandboxKycNext, sandbox_overview,
};
use crate::app::components::form::{
    BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, INPUT, TextField, field_error, general_error, when_ok,
};
use crate::app::components::status::{Badge, Tone};
use crate::app::components::{ErrorNotice, Loads, PageHeader, SuccessNotice, TableFrame, table};
use crate::domain::sandbox::{DeliveryMode, Fault, HistoryShape, Overview, SepaDepositInput};

const LABEL: &str = "mb-1 block text-xs font-medium text-slate-600";
const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";

#[component]
pub fn SandboxPage() -> impl IntoView {
    let arm = ServerAction::<ArmSandboxFault>::new();
    let clear = ServerAction::<ClearSandboxFaults>::new();
    let kyc = ServerAction::<SetSandboxKycNext>::new();
    let force = ServerAction::<ForceSandboxMovement>::new();
    let shape = ServerAction::<SetSandboxHistoryShape>::new();
    let delivery = ServerAction::<SetSandboxDelivery>::new();
    let deposit = ServerAction::<MakeSandboxSepaDeposit>::new();
    let overview = Resource::new(
        move || {
            (
                arm.version().get(),
                clear.version().get(),
                kyc.version().get(),
                force.version().get(),
                shape.version().get(),
                delivery.version().get(),
                deposit.version().get(),
            )
        },
        |_| sandbox_overview(),
    );
    view! {
        <PageHeader title="Sandbox" subtitle="The built-in P100 simulator: inject faults, decide KYC outcomes, settle movements, watch webhooks."/>
        <Loads>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(data) => view! {
                        <div class="grid grid-cols-1 gap-4 xl:grid-cols-2">
                            <FaultForm arm clear data=data.clone()/>
                            <div class="space-y-4">
                                <KycOutcome kyc current=data.kyc_next.clone()/>
                                <MovementControl force/>
                                <SepaDepositControl deposit/>
                                <HistoryShapeControl shape current=data.history_shape/>
                                <DeliveryControl delivery to_routes=data.webhooks_to_routes/>
                            </div>
                        </div>
                        <Webhooks data/>
                    }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn FaultForm(
    arm: ServerAction<ArmSandboxFault>,
    clear: ServerAction<ClearSandboxFaults>,
    data: Overview,
) -> impl IntoView {
    let endpoint = RwSignal::new(data.endpoints.first().cloned().unwrap_or_default());
    let latency = RwSignal::new("0".to_owned());
    let status = RwSignal::new(String::new());
    let p_code = RwSignal::new(String::new());
    let timeout = RwSignal::new(false);
    let applied = RwSignal::new(String::new());
    let malformed = RwSignal::new(false);
    let reset = RwSignal::new(false);
    let count = RwSignal::new("1".to_owned());
    let armed = RwSignal::new(false);
    when_ok(arm.value(), move || armed.set(true));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        armed.set(false);
        let fault = Fault {
            endpoint: endpoint.get(),
            latency_ms: latency.get().trim().parse().unwrap_or(0),
            http_status: status.get().parse().ok(),
            timeout: timeout.get(),
            p_code: Some(p_code.get()).filter(|c| !c.is_empty()),
            applied: match applied.get().as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            malformed: malformed.get(),
            reset: reset.get(),
            count: count.get().trim().parse().unwrap_or(0),
        };
        arm.dispatch(ArmSandboxFault { fault });
    };
    let select = |id: &'static str, value: RwSignal<String>, options: Vec<(String, String)>| {
        view! {
            <select id=id class=format!("{INPUT} border-slate-300") on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                {options.into_iter().map(|(v, label)| view! { <option value=v>{label}</option> }).collect_view()}
            </select>
        }
    };
    let endpoints: Vec<(String, String)> = data.endpoints.iter().map(|e| (e.clone(), e.clone())).collect();
    let mut codes = vec![(String::new(), "none".to_owned())];
    codes.extend(data.p_codes.iter().map(|c| (c.clone(), c.clone())));
    let statuses: Vec<(String, String)> = [
        ("", "none"),
        ("400", "400 (with a P-code)"),
        ("429", "429"),
        ("500", "500"),
        ("502", "502"),
        ("503", "503"),
        ("504", "504"),
    ]
    .iter()
    .map(|(v, l)| (v.to_string(), l.to_string()))
    .collect();
    let effects: Vec<(String, String)> = [
        ("", "as P100 would: a timeout moves money, a code or status does not"),
        ("yes", "yes: P100 applies it, then answers as above"),
        ("no", "no: P100 answers as above and does nothing"),
    ]
    .iter()
    .map(|(v, l)| (v.to_string(), l.to_string()))
    .collect();
    view! {
        <form class=CARD on:submit=submit novalidate data-testid="fault-form">
            <h2 class="mb-3 font-medium">"Inject a fault"</h2>
            <div class="grid grid-cols-2 gap-x-3 gap-y-2">
                <div class="col-span-2"><label class=LABEL for="fault-endpoint">"Endpoint"</label>{select("fault-endpoint", endpoint, endpoints)}</div>
                <TextField label="Added latency (ms)" name="latency" value=latency/>
                <TextField label="For the next N calls" name="count" value=count/>
                <div><label class=LABEL for="fault-status">"Answer with HTTP status"</label>{select("fault-status", status, statuses)}</div>
                <div><label class=LABEL for="fault-p-code">"Answer with P-code"</label>{select("fault-p-code", p_code, codes)}</div>
                <label class="col-span-2 inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" class="h-4 w-4 rounded border-slate-300" on:change=move |ev| timeout.set(event_target_checked(&ev)) prop:checked=move || timeout.get()/>
                    "Time out (the answer is held past the client's timeout)"
                </label>
                <div class="col-span-2"><label class=LABEL for="fault-applied">"Takes effect at P100"</label>{select("fault-applied", applied, effects)}</div>
                <label class="col-span-2 inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" class="h-4 w-4 rounded border-slate-300" on:change=move |ev| malformed.set(event_target_checked(&ev)) prop:checked=move || malformed.get()/>
                    "Answer 2xx with the documented fields missing"
                </label>
                <label class="col-span-2 inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" class="h-4 w-4 rounded border-slate-300" on:change=move |ev| reset.set(event_target_checked(&ev)) prop:checked=move || reset.get()/>
                    "Drop the connection in the middle of the answer"
                </label>
            </div>
            <div class="mt-3">
                {move || general_error(arm.value()).get().map(|error| view! { <ErrorNotice error/> })}
                {move || armed.get().then(|| view! { <SuccessNotice message="Fault armed."/> })}
            </div>
            <div class="mt-3 flex gap-2">
                <button type="submit" class=BUTTON_PRIMARY disabled=move || arm.pending().get()>"Arm fault"</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| { clear.dispatch(ClearSandboxFaults {}); }>"Clear all faults"</button>
            </div>
            <h3 class="mb-2 mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"Armed"</h3>
            {if data.faults.is_empty() {
                view! { <p class="text-slate-500" data-testid="no-faults">"No faults armed: the sandbox behaves."</p> }.into_any()
            } else {
                view! {
                    <table class=table::TABLE data-testid="armed-faults">
                        <thead class=table::HEAD><tr>
                            <th>"Endpoint"</th><th>"Fault"</th><th>"Calls left"</th>
                        </tr></thead>
                        <tbody>
                            {data.faults.into_iter().map(|f| {
                                let what = [
                                    (f.latency_ms > 0).then(|| format!("+{} ms", f.latency_ms)),
                                    f.http_status.map(|s| format!("HTTP {s}")),
                                    f.p_code.clone(),
                                    f.timeout.then(|| "timeout".to_owned()),
                                    f.malformed.then(|| "2xx without fields".to_owned()),
                                    f.reset.then(|| "connection dropped".to_owned()),
                                    f.applied.map(|a| if a { "applied" } else { "not applied" }.to_owned()),
                                ].into_iter().flatten().collect::<Vec<_>>().join(", ");
                                view! { <tr><td class="font-mono text-xs">{f.endpoint}</td><td>{what}</td><td>{f.count}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </form>
    }
}

#[component]
fn KycOutcome(kyc: ServerAction<SetSandboxKycNext>, current: String) -> impl IntoView {
    let reason = RwSignal::new("NO_FACE_FOUND".to_owned());
    let set = move |outcome: String| {
        kyc.dispatch(SetSandboxKycNext { outcome });
    };
    view! {
        <div class=CARD data-testid="kyc-next">
            <h2 class="mb-1 font-medium">"Next KYC outcome"</h2>
            <p class="mb-3 text-slate-600">"The next verification attempt to finish will be: " <Badge tone=if current == "approve" { Tone::Good } else { Tone::Bad }>{current.clone()}</Badge></p>
            <div class="flex items-end gap-2">
                <button class=BUTTON_SECONDARY on:click=move |_| set("approve".into())>"Approve next"</button>
                <div class="flex-1"><TextField label="Rejection reason" name="reason" value=reason/></div>
                <button class=BUTTON_DANGER on:click=move |_| set(format!("reject:{}", reason.get().trim()))>"Reject next"</button>
            </div>
            {move || general_error(kyc.value()).get().map(|error| view! { <ErrorNotice error/> })}
        </div>
    }
}

#[component]
fn MovementControl(force: ServerAction<ForceSandboxMovement>) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let result = force.value();
    view! {
        <div class=CARD data-testid="movement-control">
            <h2 class="mb-1 font-medium">"Settle a movement now"</h2>
            <p class="mb-3 text-slate-600">"Exchanges, payouts, withdrawals, transfers, orders, KYC and POA checks settle by themselves after a short while; this decides one now."</p>
            <TextField label="Movement id" name="id" value=id error=field_error(result, "id") placeholder="transferId, exchangeId, withdrawalId…"/>
            {move || general_error(result).get().map(|error| view! { <ErrorNotice error/> })}
            {move || result.get().and_then(Result::ok).map(|status| view! { <SuccessNotice message=format!("Now {status}.")/> })}
            <div class="flex gap-2">
                <button class=BUTTON_PRIMARY on:click=move |_| { force.dispatch(ForceSandboxMovement { id: id.get(), complete: true }); }>"Complete now"</button>
                <button class=BUTTON_DANGER on:click=move |_| { force.dispatch(ForceSandboxMovement { id: id.get(), complete: false }); }>"Fail now"</button>
            </div>
        </div>
    }
}

#[component]
fn SepaDepositControl(deposit: ServerAction<MakeSandboxSepaDeposit>) -> impl IntoView {
    let holder = RwSignal::new("partner".to_owned());
    let amount = RwSignal::new(String::new());
    let result = deposit.value();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = SepaDepositInput {
            holder: holder.get(),
            amount: amount.get(),
        };
        deposit.dispatch(MakeSandboxSepaDeposit { input });
    };
    view! {
        <form class=CARD on:submit=submit novalidate data-testid="sepa-deposit-control">
            <h2 class="mb-1 font-medium">"A SEPA deposit arrives"</h2>
            <p class="mb-3 text-slate-600">"P100 credits the holder's EUR balance and sends the SEPA Deposit webhook (for a user, after an IBAN status approving the payer)."</p>
            <div class="grid grid-cols-2 gap-x-3">
                <TextField label="Amount (EUR)" name="amount" value=amount error=field_error(result, "amount") placeholder="250.00"/>
                <TextField label="For holder (user id or partner)" name="holder" value=holder error=field_error(result, "holder")/>
            </div>
            {move || general_error(result).get().map(|error| view! { <ErrorNotice error/> })}
            {move || result.get().and_then(Result::ok).map(|id| view! {
                <div data-testid="sepa-deposit-done"><SuccessNotice message=format!("Deposit {id} arrived.")/></div>
            })}
            <button type="submit" class=BUTTON_PRIMARY disabled=move || deposit.pending().get()>"Send deposit"</button>
        </form>
    }
}

#[component]
fn HistoryShapeControl(shape: ServerAction<SetSandboxHistoryShape>, current: HistoryShape) -> impl IntoView {
    view! {
        <div class=CARD data-testid="history-shape">
            <h2 class="mb-1 font-medium">"History entries"</h2>
            <p class="mb-3 text-slate-600">"P100 documents little of its history's shape: have the sandbox write entries the way a real answer might."</p>
            <label class=LABEL for="history-shape">"Write entries"</label>
            <select id="history-shape" class=format!("{INPUT} border-slate-300")
                on:change=move |ev| {
                    if let Some(next) = HistoryShape::parse(&event_target_value(&ev)) {
                        shape.dispatch(SetSandboxHistoryShape { shape: next });
                    }
                }
                prop:value=current.as_str()>
                {HistoryShape::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
            </select>
            {move || general_error(shape.value()).get().map(|error| view! { <ErrorNotice error/> })}
        </div>
    }
}

#[component]
fn DeliveryControl(delivery: ServerAction<SetSandboxDelivery>, to_routes: bool) -> impl IntoView {
    let button = move |mode: DeliveryMode| {
        view! {
            <button type="button" class=BUTTON_SECONDARY data-mode=mode.as_str()
                on:click=move |_| { delivery.dispatch(SetSandboxDelivery { mode }); }>
                {mode.label()}
            </button>
        }
    };
    view! {
        <div class=CARD data-testid="webhook-delivery">
            <h2 class="mb-1 font-medium">"Webhook delivery"</h2>
            <p class="mb-3 text-slate-600">
                "Now: " <span class="font-medium" data-testid="delivery-now">{if to_routes { "each event to its route" } else { "all to the registered base URL" }}</span>
                ". P100 may also deliver one event twice, out of order, or the same body again later."
            </p>
            <div class="flex flex-wrap gap-2">
                {DeliveryMode::ALL.iter().map(|m| button(*m)).collect_view()}
            </div>
            {move || general_error(delivery.value()).get().map(|error| view! { <ErrorNotice error/> })}
        </div>
    }
}

#[component]
fn Webhooks(data: Overview) -> impl IntoView {
    view! {
        <h2 class="mb-2 mt-6 font-medium">"Webhooks sent to the back office " <span class="text-xs font-normal text-slate-500">{format!("({} sandbox users)", data.users)}</span></h2>
        <TableFrame label="Webhooks sent">
            <table class=table::TABLE data-testid="sandbox-webhooks">
                <thead class=table::HEAD><tr>
                    <th>"Queued (UTC)"</th><th>"Route"</th><th>"Attempts"</th>
                    <th>"Last status"</th><th>"State"</th>
                </tr></thead>
                <tbody>
                    {data.webhooks.is_empty().then(|| view! {
                        <tr><td colspan="5" class="px-3 py-6 text-center text-slate-500">"No webhooks sent yet."</td></tr>
                    })}
                    {data.webhooks.into_iter().map(|w| {
                        let state = match (&w.delivered_at, &w.next_attempt_at) {
                            (Some(_), _) => view! { <Badge tone=Tone::Good>"delivered"</Badge> },
                            (None, Some(_)) => view! { <Badge tone=Tone::Warn>"retrying"</Badge> },
                            (None, None) => view! { <Badge tone=Tone::Bad>"given up"</Badge> },
                        };
                        view! {
                            <tr>
                                <td class="whitespace-nowrap text-slate-600">{w.created_at.display()}</td>
                                <td class="font-mono text-xs">{w.route}</td>
                                <td>{w.attempts}</td>
                                <td>{w.last_status.map(|s| s.to_string()).unwrap_or_default()}</td>
                                <td>{state}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableFrame>
    }
}
