//! The KYC queue: every user whose check is not final, oldest first, coloured by how late it is.
//! It reads itself again every few seconds, so webhooks show up without a reload.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::users::{RefreshKycQueue, RefreshUserKyc, fetch_kyc_queue};
use crate::app::components::form::{ActionError, BUTTON_SECONDARY};
use crate::app::components::status::{Badge, KycBadge, Tone};
use crate::app::components::{ErrorNotice, Loads, PageHeader, SuccessNotice, TableFrame, table};
use crate::domain::users::{KycMethod, KycQueue, Sla};

/// How often the queue reads itself again.
const POLL: Duration = Duration::from_secs(5);

fn age(hours: i64) -> String {
    match hours {
        h if h < 1 => "< 1 h".into(),
        h if h < 48 => format!("{h} h"),
        h => format!("{} d {} h", h / 24, h % 24),
    }
}

#[component]
pub fn KycQueuePage() -> impl IntoView {
    let ticks = RwSignal::new(0u32);
    let refresh_all = ServerAction::<RefreshKycQueue>::new();
    let refresh_one = ServerAction::<RefreshUserKyc>::new();
    let queue = Resource::new(
        move || (ticks.get(), refresh_all.version().get(), refresh_one.version().get()),
        |_| fetch_kyc_queue(),
    );
    // Effects run only in the browser: the server renders the queue once.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || ticks.update(|t| *t += 1), POLL) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <PageHeader title="KYC queue" subtitle="Every verification that is not final, oldest first. Amber after a day, red after three. Updates by itself.">
            <button class=BUTTON_SECONDARY disabled=move || refresh_all.pending().get() data-testid="refresh-all"
                on:click=move |_| { refresh_all.dispatch(RefreshKycQueue {}); }>
                {move || if refresh_all.pending().get() { "Asking P100…" } else { "Refresh all from P100" }}
            </button>
        </PageHeader>
        {move || refresh_all.value().get().and_then(Result::ok).map(|(read, failed)| view! {
            <div class="mb-3"><SuccessNotice message=format!("Read {read} statuses from P100{}.", if failed > 0 { format!("; {failed} could not be read") } else { String::new() })/></div>
        })}
        <ActionError result=refresh_all.value()/>
        <ActionError result=refresh_one.value()/>
        <Loads>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(queue) => view! { <QueueTable queue refresh_one/> }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn QueueTable(queue: KycQueue, refresh_one: ServerAction<RefreshUserKyc>) -> impl IntoView {
    let KycQueue { rows, total } = queue;
    let count = rows.len();
    let shown = if (count as u64) < total {
        format!(" · the oldest {count} shown")
    } else {
        String::new()
    };
    view! {
        <p class="mb-2 text-xs text-slate-500" data-testid="queue-count">{format!("{total} waiting{shown}")}</p>
        <TableFrame label="KYC queue">
            <table class=table::TABLE data-testid="kyc-queue">
                <thead class=table::HEAD>
                    <tr>
                        <th>"User"</th>
                        <th>"Country"</th>
                        <th>"KYC"</th>
                        <th>"Method"</th>
                        <th>"Age"</th>
                        <th>"Created (UTC)"</th>
                        <th>"Last change (UTC)"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let (tone, sla) = match Sla::of_age(row.age_hours) {
                            Sla::OnTime => (Tone::Neutral, "on-time"),
                            Sla::Late => (Tone::Warn, "late"),
                            Sla::Overdue => (Tone::Bad, "overdue"),
                        };
                        let id = row.external_user_id.clone();
                        view! {
                            <tr data-user=row.external_user_id.clone() data-sla=sla>
                                <td>
                                    <a href=format!("/users/{}", row.external_user_id) class=table::LINK>{row.name.clone()}</a>
                                    <span class=table::SUB>{row.external_user_id.clone()}</span>
                                </td>
                                <td>{row.country.clone()}</td>
                                <td>
                                    <KycBadge state=row.kyc/>
                                    {row.rejection_reason.clone().map(|r| view! { <div class="mt-0.5 text-xs text-slate-500">{r}</div> })}
                                </td>
                                <td>{row.kyc_method.map(KycMethod::label).unwrap_or("—")}</td>
                                <td><Badge tone>{age(row.age_hours)}</Badge></td>
                                <td class="whitespace-nowrap text-slate-600">{row.created_at.display()}</td>
                                <td class="whitespace-nowrap text-slate-600">{row.kyc_changed_at.display()}</td>
                                <td class="text-right">
                                    <button class=BUTTON_SECONDARY disabled=move || refresh_one.pending().get()
                                        on:click=move |_| { refresh_one.dispatch(RefreshUserKyc { id: id.clone() }); }>
                                        "Refresh"
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(count == 0).then(|| view! { <p class="p-6 text-center text-slate-500">"Nothing waiting: every user's KYC is final."</p> })}
        </TableFrame>
    }
}
