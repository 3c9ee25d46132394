//! Staff administration: add members, change roles, reset passwords, disable and enable.

use leptos::prelude::*;

use crate::api::staff::{
    CreateStaff, ResetStaffPassword, ResetStaffTwoFactor, SetStaffDisabled, SetStaffRoles, list_staff,
};
use crate::app::components::form::{
    ActionError, BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, RolePicker, TextField, field_error, general_error,
    when_ok,
};
use crate::app::components::status::{Badge, RoleBadges, Tone};
use crate::app::components::two_factor::{StepUpCode, StepUpField};
use crate::app::components::{ErrorNotice, Loads, PageHeader, Section, SuccessNotice, TableFrame, table};
use crate::domain::staff::{NewStaffInput, StaffView};
use crate::domain::{Role, UtcTime};

#[component]
pub fn StaffPage() -> impl IntoView {
    let create = ServerAction::<CreateStaff>::new();
    let changes = RwSignal::new(0u32);
    let staff = Resource::new(move || (create.version().get(), changes.get()), |_| list_staff());
    let adding = RwSignal::new(false);
    let expanded = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<&'static str>);
    let changed = move |message: &'static str| {
        notice.set(Some(message));
        changes.update(|n| *n += 1);
    };
    when_ok(create.value(), move || {
        adding.set(false);
        notice.set(Some("Account created."));
    });

    view! {
        <PageHeader title="Staff" subtitle="Accounts, roles and access. Disabling or resetting a password ends that member's sessions at once.">
            <button class=BUTTON_PRIMARY on:click=move |_| adding.update(|a| *a = !*a)>
                {move || if adding.get() { "Close" } else { "Add staff member" }}
            </button>
        </PageHeader>
        <Show when=move || adding.get()>
            <NewStaffForm create/>
        </Show>
        {move || notice.get().map(|message| view! { <div class="mb-3" data-testid="staff-notice"><SuccessNotice message/></div> })}
        <Loads>
            {move || Suspend::new(async move {
                match staff.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(members) => view! {
                        <TableFrame label="Staff">
                            <table class=table::TABLE data-testid="staff-table">
                                <thead class=table::HEAD>
                                    <tr>
                                        <th>"Name"</th>
                                        <th>"Roles"</th>
                                        <th>"Status"</th>
                                        <th>"Two-factor"</th>
                                        <th>"Last sign-in (UTC)"</th>
                                        <th>"Created (UTC)"</th>
                                        <th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {members.into_iter().map(|member| view! {
                                        <StaffRow member expanded on_change=changed/>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </TableFrame>
                    }.into_any(),
                }
            })}
        </Loads>
    }
}

#[component]
fn StaffRow(
    member: StaffView,
    expanded: RwSignal<Option<String>>,
    on_change: impl Fn(&'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = member.id.clone();
    let is_open = {
        let id = id.clone();
        move || expanded.with(|e| e.as_deref() == Some(id.as_str()))
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            expanded.update(|e| {
                *e = if e.as_deref() == Some(id.as_str()) {
                    None
                } else {
                    Some(id.clone())
                }
            })
        }
    };
    let status = if member.disabled {
        view! { <Badge tone=Tone::Bad>"Disabled"</Badge> }
    } else {
        view! { <Badge tone=Tone::Good>"Active"</Badge> }
    };
    let manager = member.clone();
    view! {
        <tr data-staff-email=member.email.clone()>
            <td>
                <div class="font-medium text-slate-900">{member.name.clone()}</div>
                <div class="text-xs text-slate-500">{member.email.clone()}</div>
            </td>
            <td><RoleBadges roles=member.roles.clone()/></td>
            <td>{status}</td>
            <td class=table::MUTED>{match &member.two_factor_since {
                Some(since) => format!("since {}", since.display()),
                None => "not set up".into(),
            }}</td>
            <td class=table::MUTED>{member.last_sign_in_at.as_ref().map(UtcTime::display).unwrap_or_else(|| "never".into())}</td>
            <td class=table::MUTED>{member.created_at.display()}</td>
            <td class="text-right">
                <button class=BUTTON_SECONDARY on:click=toggle>{
                    let is_open = is_open.clone();
                    move || if is_open() { "Close" } else { "Manage" }
                }</button>
            </td>
        </tr>
        <Show when=is_open>
            <tr class="border-b border-slate-200 bg-slate-50">
                <td colspan="7" class="px-3 py-4">
                    <StaffManager member=manager.clone() on_change/>
                </td>
            </tr>
        </Show>
    }
}

#[component]
fn NewStaffForm(create: ServerAction<CreateStaff>) -> impl IntoView {
    let (name, email, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let roles = RwSignal::new(Vec::<Role>::new());
    let result = create.value();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateStaff {
            input: NewStaffInput {
                email: email.get(),
                name: name.get(),
                password: password.get(),
                roles: roles.get(),
            },
        });
    };
    view! {
        <form class="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" on:submit=submit novalidate data-testid="new-staff-form">
            <h2 class="mb-3 font-medium">"New staff member"</h2>
            <div class="grid grid-cols-1 gap-x-4 gap-y-1 md:grid-cols-3">
                <TextField label="Name" name="name" value=name error=field_error(result, "name") autocomplete="off"/>
                <TextField label="Email" name="email" kind="email" value=email error=field_error(result, "email") autocomplete="off"/>
                <TextField label="Initial password (12+ characters)" name="password" kind="password" value=password error=field_error(result, "password") autocomplete="new-password"/>
            </div>
            <RolePicker selected=roles error=field_error(result, "roles")/>
            {move || general_error(result).get().map(|error| view! { <div class="mb-3"><ErrorNotice error/></div> })}
            <button type="submit" class=BUTTON_PRIMARY disabled=move || create.pending().get()>"Create account"</button>
        </form>
    }
}

#[component]
fn StaffManager(member: StaffView, on_change: impl Fn(&'static str) + Copy + Send + Sync + 'static) -> impl IntoView {
    let set_roles = ServerAction::<SetStaffRoles>::new();
    let reset = ServerAction::<ResetStaffPassword>::new();
    let set_disabled = ServerAction::<SetStaffDisabled>::new();
    let reset_two_factor = ServerAction::<ResetStaffTwoFactor>::new();
    let code = StepUpCode::new();
    let roles = RwSignal::new(member.roles.clone());
    let password = RwSignal::new(String::new());
    let disabled = member.disabled;
    when_ok(set_roles.value(), move || on_change("Roles saved."));
    when_ok(reset.value(), move || {
        on_change("Password set. Their open sessions have ended.")
    });
    when_ok(reset_two_factor.value(), move || {
        on_change("Two-factor removed. Their sessions have ended; they set it up again at their next sign-in.")
    });
    when_ok(set_disabled.value(), move || {
        on_change(if disabled {
            "Account enabled."
        } else {
            "Account disabled. Their sessions have ended."
        })
    });
    let enrolled = member.two_factor_since.is_some();
    let id = member.id.clone();
    let (id_roles, id_reset, id_disable, id_two_factor) = (id.clone(), id.clone(), id.clone(), id);
    view! {
        <div class="grid grid-cols-1 gap-6 lg:grid-cols-4" data-testid="staff-manager">
            <Section title="Roles">
                <RolePicker selected=roles error=field_error(set_roles.value(), "roles")/>
                <ActionError result=set_roles.value()/>
                <StepUpField result=set_roles.value() code name="roles-code"/>
                <button class=BUTTON_SECONDARY disabled=move || set_roles.pending().get()
                    on:click=move |_| { set_roles.dispatch(SetStaffRoles { id: id_roles.clone(), roles: roles.get(), code: code.take() }); }>
                    "Save roles"
                </button>
            </Section>
            <Section title="Password">
                <TextField label="New password (12+ characters)" name="new-password" kind="password" autocomplete="new-password"
                    value=password error=field_error(reset.value(), "password")/>
                <ActionError result=reset.value()/>
                <button class=BUTTON_SECONDARY disabled=move || reset.pending().get()
                    on:click=move |_| { reset.dispatch(ResetStaffPassword { id: id_reset.clone(), password: password.get() }); }>
                    "Set password"
                </button>
            </Section>
            <Section title="Two-factor">
                <p class="mb-3 text-slate-600">{if enrolled {
                    "Set up. Reset it when the member lost their phone and their recovery codes: their sessions end, and they set it up again at their next sign-in."
                } else {
                    "Not set up. Outside the sandbox, the member sets it up at their next sign-in."
                }}</p>
                <ActionError result=reset_two_factor.value()/>
                <StepUpField result=reset_two_factor.value() code name="two-factor-code"/>
                <button class=BUTTON_SECONDARY disabled=move || !enrolled || reset_two_factor.pending().get()
                    on:click=move |_| { reset_two_factor.dispatch(ResetStaffTwoFactor { id: id_two_factor.clone(), code: code.take() }); }>
                    "Reset two-factor"
                </button>
            </Section>
            <Section title="Access">
                <p class="mb-3 text-slate-600">{if disabled {
                    "This account is disabled: it cannot sign in."
                } else {
                    "Disabling ends this member's sessions at once and stops them signing in."
                }}</p>
                <ActionError result=set_disabled.value()/>
                <button class=if disabled { BUTTON_SECONDARY } else { BUTTON_DANGER } disabled=move || set_disabled.pending().get()
                    on:click=move |_| { set_disabled.dispatch(SetStaffDisabled { id: id_disable.clone(), disabled: !disabled }); }>
                    {if disabled { "Enable account" } else { "Disable account" }}
                </button>
            </Section>
        </div>
    }
}
