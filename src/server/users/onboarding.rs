//! Creating users at P100 and changing their contact details.
//!
//! A new user is recorded here before P100 is called, keyed by the external id the form was given
//! when it opened: a second submit of the same form finds that record and never creates a second
//! user. P100 refusing removes the record again, so the corrected form can be sent.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{find, summary};
use crate::domain::audit::Outcome;
use crate::domain::contact::Country;
use crate::domain::users::{ContactChangeInput, KycState, NewUser, NewUserForm, NewUserInput, UserSummary};
use crate::domain::{AppError, Permission};
use crate::p100::types::{CreateUserRequest, UpdateUserRequest};
use crate::p100::{P100Error, PCode};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db::{self, Timestamp, users::UserRecord};
use crate::server::state::AppState;

/// A blank form with a fresh external id.
pub fn new_form() -> NewUserForm {
    let id = uuid::Uuid::now_v7().simple().to_string();
    NewUserForm {
        external_user_id: format!("usr-{}", &id[id.len() - 12..]),
        countries: Country::all(),
    }
}

fn create_request(user: &NewUser) -> CreateUserRequest {
    CreateUserRequest {
        external_user_id: user.external_user_id.as_str().to_owned(),
        email: user.email.as_str().to_owned(),
        phone: user.phone.digits().to_owned(),
        first_name: user.first_name.as_str().to_owned(),
        last_name: user.last_name.as_str().to_owned(),
        street: user.street.as_str().to_owned(),
        number: user.house_number.as_str().to_owned(),
        city: user.city.as_str().to_owned(),
        post_code: user.post_code.as_str().to_owned(),
        country: user.country.as_str().to_owned(),
        citizenship: user.citizenship.as_str().to_owned(),
        nationality: user.nationality.as_str().to_owned(),
        birth_country: user.birth_country.as_str().to_owned(),
        birth_date: user.birth_date.text(),
        user_identification_number: user.id_number.as_str().to_owned(),
        has_accepted_p100_tc: true,
    }
}

fn record_of(user: &NewUser, hash: String, actor: &Actor, now: Timestamp) -> UserRecord {
    UserRecord {
        external_user_id: user.external_user_id.as_str().to_owned(),
        p100_user_id: None,
        sync_state: "creating".into(),
        request_hash: Some(hash),
        first_name: user.first_name.as_str().to_owned(),
        last_name: user.last_name.as_str().to_owned(),
        email: user.email.as_str().to_owned(),
        phone: user.phone.as_str().to_owned(),
        street: user.street.as_str().to_owned(),
        house_number: user.house_number.as_str().to_owned(),
        city: user.city.as_str().to_owned(),
        post_code: user.post_code.as_str().to_owned(),
        country: user.country.as_str().to_owned(),
        citizenship: user.citizenship.as_str().to_owned(),
        nationality: user.nationality.as_str().to_owned(),
        birth_country: user.birth_country.as_str().to_owned(),
        birth_date: user.birth_date.text(),
        id_number: user.id_number.as_str().to_owned(),
        kyc_state: KycState::NotStarted.as_str().into(),
        verification_status: "NOT_VERIFIED".into(),
        attempt_status: None,
        rejection_reason: None,
        kyc_method: None,
        poa_status: None,
        account_status: "WAITING_FOR_ACTIVATION".into(),
        created_by: Some(actor.staff.id.clone()),
        created_at: now,
        kyc_changed_at: now,
        changed_at: now,
        synced_at: None,
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

pub async fn create(state: &AppState, actor: &Actor, input: &NewUserInput) -> Result<UserSummary, AppError> {
    let user = input.parse(today())?;
    let request = create_request(&user);
    let hash = hex::encode(Sha256::digest(
        serde_json::to_vec(&request).map_err(crate::server::error::internal)?,
    ));
    let id = request.external_user_id.clone();
    let pii = actor.permissions.has(Permission::PiiView);

    let mut tx = db::begin_write(&state.db).await?;
    let retrying_unconfirmed = match db::users::find_in(&mut tx, &id).await? {
        None => {
            let now = Timestamp::now();
            db::users::insert(&mut tx, &record_of(&user, hash, actor, now)).await?;
            let event = db::users::EventRecord {
                kind: "created".into(),
                status: "WAITING_FOR_ACTIVATION".into(),
                detail: None,
                source: "staff".into(),
                at: now,
            };
            db::users::add_event(&mut tx, &id, &event).await?;
            false
        }
        Some(existing) if existing.request_hash.as_deref() != Some(hash.as_str()) => {
            return Err(AppError::field(
                "external_user_id",
                "This external id is already taken by another user. Reload the form for a new one.",
            ));
        }
        // The same form again: whatever the first submit achieved stands.
        Some(existing) if existing.sync_state == "synced" => return Ok(summary(&existing, pii)),
        Some(existing) if existing.sync_state == "creating" => {
            return Err(AppError::Refused(format!(
                "User {id} is being created right now. Open it from the users list in a moment."
            )));
        }
        // P100 did not answer last time: asking again is safe, it refuses a second user with this id.
        Some(_) => {
            db::users::set_sync_state(&mut tx, &id, "creating").await?;
            true
        }
    };
    tx.commit().await?;

    let event = Event::new("users.create", Outcome::Success).target("user", &id).change(
        None,
        Some(json!({ "external_user_id": id, "country": user.country.as_str() })),
    );
    let (p100_user_id, event) = match state.p100.create_user(&request).await {
        Ok(reply) => (Some(reply.value.user_id), event.upstream(&reply.call)),
        Err(failure)
            if retrying_unconfirmed && matches!(&failure.error, P100Error::Refused { code: PCode::P411, .. }) =>
        {
            let event = event
                .upstream(&failure.call)
                .reason("P100 already had this user: the earlier unanswered request created it");
            (None, event)
        }
        Err(failure) => {
            let mut tx = db::begin_write(&state.db).await?;
            if matches!(failure.error, P100Error::OutcomeUnknown { .. }) {
                db::users::set_sync_state(&mut tx, &id, "unconfirmed").await?;
            } else {
                db::users::delete_unconfirmed(&mut tx, &id).await?;
            }
            tx.commit().await?;
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    let now = Timestamp::now();
    match &p100_user_id {
        Some(p100_id) => db::users::confirm_created(&mut tx, &id, p100_id, now).await?,
        None => db::users::set_sync_state(&mut tx, &id, "synced").await?,
    }
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    let created = db::users::find_in(&mut tx, &id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(summary(&created, pii))
}

/// New email, phone and address. The audit row names the fields that changed, not their values:
/// the audit log is read by staff who may not see personal data.
pub async fn update_contact(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    input: &ContactChangeInput,
) -> Result<(), AppError> {
    let user = find(&state.db, external_user_id).await?;
    if user.account_status == "DELETED" {
        return Err(AppError::Refused(
            "This user was deleted; their details can no longer change.".into(),
        ));
    }
    let change = input.parse(&user.country)?;
    let contact = db::users::Contact {
        email: change.email.as_str(),
        phone: change.phone.as_str(),
        street: change.street.as_str(),
        house_number: change.house_number.as_str(),
        city: change.city.as_str(),
        post_code: change.post_code.as_str(),
    };
    let changed: Vec<&str> = [
        ("email", user.email.as_str(), contact.email),
        ("phone", user.phone.as_str(), contact.phone),
        ("street", user.street.as_str(), contact.street),
        ("house_number", user.house_number.as_str(), contact.house_number),
        ("city", user.city.as_str(), contact.city),
        ("post_code", user.post_code.as_str(), contact.post_code),
    ]
    .into_iter()
    .filter(|(_, before, after)| before != after)
    .map(|(field, _, _)| field)
    .collect();
    if changed.is_empty() {
        return Err(AppError::Refused("Nothing changed.".into()));
    }
    let request = UpdateUserRequest {
        external_user_id: external_user_id.to_owned(),
        email: Some(contact.email.to_owned()),
        phone: Some(change.phone.digits().to_owned()),
        street: Some(contact.street.to_owned()),
        number: Some(contact.house_number.to_owned()),
        city: Some(contact.city.to_owned()),
        post_code: Some(contact.post_code.to_owned()),
    };
    let event = Event::new("users.update", Outcome::Success)
        .target("user", external_user_id)
        .change(None, Some(json!({ "changed": changed })));
    let reply = match state.p100.update_user(&request).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    db::users::set_contact(&mut tx, external_user_id, &contact, Timestamp::now()).await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event.upstream(&reply.call)).await?;
    tx.commit().await?;
    Ok(())
}
