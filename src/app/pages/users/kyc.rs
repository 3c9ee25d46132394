//! The KYC part of the user page: where the check stands, and the ways to move it on (documents,
//! hosted verification, document data, proof of address).

use leptos::prelude::*;

use super::Reload;
use crate::api::users::{AddUserVerification, HostedKycLink, RefreshUserKyc, StartHostedKyc};
use crate::app::components::form::{
    ActionError, ActionValue, BUTTON_PRIMARY, BUTTON_SECONDARY, SelectField, TextField, field_error, when_ok,
};
use crate::app::components::qr::QrCopy;
use crate::app::components::status::KycBadge;
use crate::app::components::upload::{FileField, Progress};
use crate::app::components::{Card, ErrorNotice, Section};
use crate::domain::staff::Me;
use crate::domain::users::{DocumentKind, DocumentSide, KycMethod, KycState, UserDetail};
use crate::domain::{AppError, Permission};

#[component]
pub fn KycPanel(detail: UserDetail, reload: Reload) -> impl IntoView {
    let me = expect_context::<Me>();
    let id = detail.summary.external_user_id.clone();
    let refresh = ServerAction::<RefreshUserKyc>::new();
    when_ok(refresh.value(), move || reload.run(None));
    let may_submit = me.can(Permission::KycSubmit) && detail.live();
    let may_refresh = me.can(Permission::KycSubmit) || me.can(Permission::KycReview);
    let deleted = detail.deleted();
    let refresh_id = id.clone();
    let method = detail.summary.kyc_method;
    view! {
        <Card title="Identity check (KYC)">
            <div class="flex flex-wrap items-start justify-between gap-4" data-testid="kyc-status">
                <dl class="grid grid-cols-[9rem_1fr] gap-y-1 text-sm">
                    <dt class="text-slate-500">"State"</dt><dd><KycBadge state=detail.summary.kyc/></dd>
                    <dt class="text-slate-500">"P100 says"</dt>
                    <dd class="font-mono text-xs">{detail.verification_status.clone()} " · " {detail.attempt_status.clone().unwrap_or_else(|| "no attempt".into())}</dd>
                    <dt class="text-slate-500">"Rejection reason"</dt><dd>{detail.rejection_reason.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt class="text-slate-500">"Method"</dt><dd>{method.map(KycMethod::label).unwrap_or("—")}</dd>
                    <dt class="text-slate-500">"Proof of address"</dt><dd>{detail.poa_status.clone().unwrap_or_else(|| "not requested".into())}</dd>
                    <dt class="text-slate-500">"Last KYC change"</dt><dd>{detail.kyc_changed_at.display()}</dd>
                </dl>
                {(!deleted && may_refresh).then(|| view! {
                    <button class=BUTTON_SECONDARY disabled=move || refresh.pending().get() data-testid="refresh-kyc"
                        on:click=move |_| { refresh.dispatch(RefreshUserKyc { id: refresh_id.clone() }); }>
                        {move || if refresh.pending().get() { "Asking P100…" } else { "Refresh from P100" }}
                    </button>
                })}
            </div>
            <ActionError result=refresh.value()/>
            {move || matches!(refresh.value().get(), Some(Ok(false))).then(|| view! {
                <p class="mt-2 text-xs text-slate-500">"P100 has no verification for this user yet."</p>
            })}
            {may_submit.then(|| view! {
                <div class="mt-4 grid grid-cols-1 gap-6 border-t border-slate-200 pt-4 lg:grid-cols-2">
                    {(detail.summary.kyc != KycState::Verified).then(|| view! {
                        <DocumentsForm id=id.clone() reload/>
                        <HostedSection id=id.clone() started=method == Some(KycMethod::Hosted) reload/>
                    })}
                    <VerificationForm id=id.clone() reload/>
                    <PoaForm id=id.clone() reload/>
                </div>
            })}
        </Card>
    }
}

/// Where an upload stands: its progress, and how it ended.
#[derive(Clone, Copy)]
struct UploadState {
    percent: RwSignal<u8>,
    sending: RwSignal<bool>,
    result: RwSignal<Option<Result<(), AppError>>>,
}

impl UploadState {
    fn new() -> Self {
        UploadState {
            percent: RwSignal::new(0),
            sending: RwSignal::new(false),
            result: RwSignal::new(None),
        }
    }

    /// Sends the form's fields to `url`, unless a chosen file was already refused in the browser.
    /// On success the user is read again with `done` as the page's confirmation.
    fn start(self, form: NodeRef<leptos::html::Form>, url: String, refused: bool, reload: Reload, done: &'static str) {
        if refused || self.sending.get_untracked() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let Some(data) = form
                .get_untracked()
                .and_then(|f| web_sys::FormData::new_with_form(&f).ok())
            else {
                return;
            };
            self.sending.set(true);
            self.percent.set(0);
            self.result.set(None);
            leptos::task::spawn_local(async move {
                let percent = self.percent;
                let result = crate::app::components::upload::send(&url, &data, move |p| percent.set(p)).await;
                self.sending.set(false);
                if result.is_ok() {
                    reload.run(Some(done));
                }
                self.result.set(Some(result));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (form, url, reload, done);
    }

    /// The server's message for `field`, or the one the browser found when the file was chosen.
    fn error(self, field: &'static str, local: RwSignal<Option<String>>) -> Signal<Option<String>> {
        Signal::derive(move || {
            local.get().or_else(|| {
                self.result.with(|r| match r {
                    Some(Err(e)) => e.field_errors().and_then(|f| f.get(field)).map(str::to_owned),
                    _ => None,
                })
            })
        })
    }

    fn view(self) -> impl IntoView {
        view! {
            <Show when=move || self.sending.get()>
                <div class="mb-2"><Progress percent=self.percent/></div>
            </Show>
            {move || match self.result.get() {
                Some(Err(AppError::Invalid(_))) | Some(Ok(())) | None => None,
                Some(Err(error)) => Some(view! { <div class="mb-2"><ErrorNotice error/></div> }),
            }}
        }
    }
}

fn kind_options() -> Vec<(String, String)> {
    DocumentKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect()
}

/// Method A: the document's images, each checked when chosen, sent with a progress bar.
#[component]
fn DocumentsForm(id: String, reload: Reload) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let kind = RwSignal::new(DocumentKind::IdCard.as_str().to_owned());
    let state = UploadState::new();
    let local: [RwSignal<Option<String>>; 3] = std::array::from_fn(|_| RwSignal::new(None));
    let local_of = move |side: DocumentSide| local[DocumentSide::ALL.iter().position(|s| *s == side).unwrap_or(0)];
    let url = format!("/uploads/users/{id}/documents");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let refused = local.iter().any(|l| l.get_untracked().is_some());
        state.start(
            form,
            url.clone(),
            refused,
            reload,
            "Documents sent to P100. The check has started.",
        );
    };
    let sides = move || {
        DocumentKind::parse(&kind.get())
            .unwrap_or(DocumentKind::IdCard)
            .sides()
            .to_vec()
    };
    view! {
        <Section title="Method A · upload identity documents">
            <form node_ref=form on:submit=submit novalidate data-testid="documents-form">
                <SelectField label="Document" name="kind" value=kind options=kind_options() error=state.error("kind", RwSignal::new(None))/>
                <For each=sides key=|side| *side let:side>
                    <FileField label=side.label() name=side.as_str() checked=local_of(side) error=state.error(side.as_str(), local_of(side))/>
                </For>
                {state.view()}
                <button type="submit" class=BUTTON_PRIMARY disabled=move || state.sending.get() data-testid="upload-documents">
                    {move || if state.sending.get() { "Uploading…" } else { "Upload to P100" }}
                </button>
                <p class="mt-1 text-xs text-slate-500">"JPEG, PNG or PDF, up to 8 MB each. Files go to P100 and are not kept here."</p>
            </form>
        </Section>
    }
}

/// Method B: a hosted verification link for the user, with a QR code to scan.
#[component]
fn HostedSection(id: String, started: bool, reload: Reload) -> impl IntoView {
    let start = ServerAction::<StartHostedKyc>::new();
    let link = ServerAction::<HostedKycLink>::new();
    when_ok(start.value(), move || reload.run(None));
    let shown = Signal::derive(move || {
        [start.value().get(), link.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::ok)
    });
    let (start_id, link_id) = (id.clone(), id);
    view! {
        <Section title="Method B · hosted verification">
            <p class="mb-2 text-sm text-slate-600">"P100 hosts the check; hand the link to the user. The status below changes as they go."</p>
            <div class="flex gap-2">
                <button class=BUTTON_PRIMARY disabled=move || start.pending().get() data-testid="start-hosted"
                    on:click=move |_| { start.dispatch(StartHostedKyc { id: start_id.clone() }); }>
                    {if started { "Start a new verification" } else { "Start hosted verification" }}
                </button>
                {started.then(|| view! {
                    <button class=BUTTON_SECONDARY disabled=move || link.pending().get()
                        on:click=move |_| { link.dispatch(HostedKycLink { id: link_id.clone() }); }>
                        "Show link"
                    </button>
                })}
            </div>
            <ActionError result=start.value()/>
            <ActionError result=link.value()/>
            {move || shown.get().map(|hosted| view! { <QrCopy text=hosted.url qr_svg=hosted.qr_svg copy_label="Copy link"/> })}
        </Section>
    }
}

/// The document's data, which completes verification and activates the account.
#[component]
fn VerificationForm(id: String, reload: Reload) -> impl IntoView {
    let add = ServerAction::<AddUserVerification>::new();
    let kind = RwSignal::new(DocumentKind::IdCard.as_str().to_owned());
    let number = RwSignal::new(String::new());
    when_ok(add.value(), move || {
        reload.run(Some(
            "Verification data sent. P100 activates the account once KYC has passed.",
        ))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kind = DocumentKind::parse(&kind.get()).unwrap_or(DocumentKind::IdCard);
        add.dispatch(AddUserVerification {
            id: id.clone(),
            kind,
            number: number.get(),
        });
    };
    let result: ActionValue<()> = add.value();
    view! {
        <Section title="Verification data">
            <form on:submit=submit novalidate data-testid="verification-form">
                <div class="grid grid-cols-2 gap-x-3">
                    <SelectField label="Document" name="verification_kind" value=kind options=kind_options()/>
                    <TextField label="Document number" name="document_number" value=number error=field_error(result, "document_number")/>
                </div>
                <ActionError result/>
                <button type="submit" class=BUTTON_SECONDARY disabled=move || add.pending().get()>"Add verification"</button>
            </form>
        </Section>
    }
}

/// Proof of address, when P100 asks for it; its decision arrives by webhook.
#[component]
fn PoaForm(id: String, reload: Reload) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let state = UploadState::new();
    let local = RwSignal::new(None::<String>);
    let url = format!("/uploads/users/{id}/poa");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        state.start(
            form,
            url.clone(),
            local.get_untracked().is_some(),
            reload,
            "Proof of address sent to P100 for review.",
        );
    };
    view! {
        <Section title="Proof of address">
            <form node_ref=form on:submit=submit novalidate data-testid="poa-form">
                <FileField label="Utility bill or bank statement" name="file" checked=local error=state.error("file", local)/>
                {state.view()}
                <button type="submit" class=BUTTON_SECONDARY disabled=move || state.sending.get()>"Upload proof of address"</button>
            </form>
        </Section>
    }
}
