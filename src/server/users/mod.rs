//! The user registry: what staff see of each user, searches, notes, revealing personal data, and
//! the import of the sandbox's seeded users. Onboarding and KYC are in their own modules.

pub mod cards;
pub mod kyc;
pub mod lifecycle;
pub mod onboarding;

use std::time::{Duration, Instant};

use serde_json::json;

use super::audit::{self, Event};
use super::auth::Actor;
use super::db::users::{EventRecord, Followed, UserRecord};
use super::db::{self, Db, Timestamp, Tx};
use super::state::AppState;
use crate::domain::approvals::ApprovalAction;
use crate::domain::audit::Outcome;
use crate::domain::users::{
    COUNT_CAP, KycMethod, MASK, PAGE_SIZE, Pii, UserDetail, UserEvent, UserList, UserNote, UserQuery, UserSummary,
    cursor, mask_email, mask_phone,
};
use crate::domain::{AppError, Permission};

/// What a deleted user, whose personal data is erased, is called.
const ERASED_NAME: &str = "Deleted user (personal data erased)";

fn summary(user: &UserRecord, pii: bool) -> UserSummary {
    UserSummary {
        external_user_id: user.external_user_id.clone(),
        p100_user_id: user.p100_user_id.clone(),
        name: if user.first_name.is_empty() && user.last_name.is_empty() {
            ERASED_NAME.to_owned()
        } else {
            format!("{} {}", user.first_name, user.last_name)
        },
        email: if pii {
            user.email.clone()
        } else {
            mask_email(&user.email)
        },
        phone: if pii {
            user.phone.clone()
        } else {
            mask_phone(&user.phone)
        },
        country: user.country.clone(),
        kyc: user.kyc(),
        kyc_method: user.kyc_method.as_deref().and_then(KycMethod::parse),
        account_status: user.account_status.clone(),
        created_at: user.created_at.into(),
        changed_at: user.changed_at.into(),
    }
}

fn pii_of(user: &UserRecord) -> Pii {
    Pii {
        email: user.email.clone(),
        phone: user.phone.clone(),
        birth_date: user.birth_date.clone(),
        street: user.street.clone(),
        house_number: user.house_number.clone(),
        city: user.city.clone(),
        post_code: user.post_code.clone(),
        id_number: user.id_number.clone(),
    }
}

/// What the page shows before anything is revealed: email and phone as the summary shows them
/// (masked without `pii.view`), the sensitive rest always masked.
fn masked_pii(summary: &UserSummary) -> Pii {
    let mask = || MASK.to_owned();
    Pii {
        email: summary.email.clone(),
        phone: summary.phone.clone(),
        birth_date: mask(),
        street: mask(),
        house_number: mask(),
        city: mask(),
        post_code: mask(),
        id_number: mask(),
    }
}

pub async fn find(db: &Db, external_user_id: &str) -> Result<UserRecord, AppError> {
    db::users::find(db, external_user_id).await?.ok_or(AppError::NotFound)
}

/// The user, if P100 knows them and they were not deleted: anything that calls P100 about a user
/// starts here.
pub async fn live_user(db: &Db, external_user_id: &str) -> Result<UserRecord, AppError> {
    let user = find(db, external_user_id).await?;
    match user.account_status.as_str() {
        "DELETED" => Err(AppError::Refused("This user was deleted.".into())),
        _ if user.sync_state != "synced" => Err(AppError::Refused(
            "P100 has not confirmed this user yet. Submit the onboarding form again to confirm it.".into(),
        )),
        _ => Ok(user),
    }
}

/// A user whose money may move: `live_user`, not suspended (P100 moves no money for a suspended
/// user), and not waiting for a second member to approve their deletion.
pub async fn moving_user(db: &Db, external_user_id: &str) -> Result<UserRecord, AppError> {
    let user = live_user(db, external_user_id).await?;
    if user.account_status == crate::domain::users::AccountState::Suspended.as_str() {
        return Err(AppError::Refused(format!(
            "User {external_user_id} is suspended: P100 moves no money for a suspended user. Lift the suspension first."
        )));
    }
    let delete = ApprovalAction::UserDelete;
    if let Some(request) = db::approvals::open_for(db, delete, "user", external_user_id).await? {
        return Err(AppError::Refused(format!(
            "User {external_user_id} is waiting to be deleted (request {}): no money moves for them. \
             Withdraw that request first.",
            request.id
        )));
    }
    Ok(user)
}

/// Records an account or proof-of-address status with a history entry. Without a `detail` (a
/// webhook or refresh repeating what we know) an unchanged status records nothing; with one (a
/// staff action and its reason) the entry is always written.
async fn set_status(
    tx: &mut Tx,
    external_user_id: &str,
    followed: Followed,
    status: &str,
    source: &str,
    detail: Option<String>,
) -> Result<(), AppError> {
    let user = db::users::find_in(tx, external_user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (current, kind) = match followed {
        Followed::Account => (Some(user.account_status.as_str()), "account"),
        Followed::ProofOfAddress => (user.poa_status.as_deref(), "poa"),
    };
    if current == Some(status) && detail.is_none() {
        return Ok(());
    }
    let now = Timestamp::now();
    db::users::set_status(tx, external_user_id, followed, status, now).await?;
    let event = EventRecord {
        kind: kind.into(),
        status: status.into(),
        detail,
        source: source.into(),
        at: now,
    };
    db::users::add_event(tx, external_user_id, &event).await?;
    Ok(())
}

/// What the users search keeps between requests: its counts per revision of the users table, and
/// when each member's search by contact data was last audited.
#[derive(Default)]
pub struct SearchMemory {
    counts: db::users::SearchCounts,
    contact_searches: ContactSearches,
}

/// When a member last had a search by a term audited for finding users by email or phone. The
/// same member searching the same term again within `AUDITED_FOR` (the next page, another sort, a
/// refresh) is the same look at the same people: one audit row says it, not one per page. Per
/// instance, so behind several instances a repeat may be audited once on each.
struct ContactSearches(quick_cache::sync::Cache<(String, String), Instant>);

const AUDITED_FOR: Duration = Duration::from_secs(600);

impl Default for ContactSearches {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(10_000))
    }
}

impl ContactSearches {
    fn audited_lately(&self, staff_id: &str, term: &str) -> bool {
        self.0
            .get(&(staff_id.to_owned(), term.to_owned()))
            .is_some_and(|at| at.elapsed() < AUDITED_FOR)
    }

    /// Called once the audit row is written, so a search whose row could not be written is
    /// audited the next time.
    fn audited(&self, staff_id: &str, term: &str) {
        self.0.insert((staff_id.to_owned(), term.to_owned()), Instant::now());
    }
}

pub async fn search(state: &AppState, actor: &Actor, query: &UserQuery) -> Result<UserList, AppError> {
    let db = &state.db;
    let pii = actor.permissions.has(Permission::PiiView);
    let search = query.parse(pii)?;
    let (mut rows, total) = db::users::search(db, &state.users_search.counts, &search).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    // Finding people by their email or phone is access to personal data: audited, with the term,
    // once per member and term within `AUDITED_FOR`.
    let by_contact = rows
        .iter()
        .filter(|u| search.matches_contact(&u.email, &u.phone))
        .count();
    let (term, audits) = (query.q.trim(), &state.users_search.contact_searches);
    if by_contact > 0 && !audits.audited_lately(&actor.staff.id, term) {
        let event = Event::new("users.search", Outcome::Success)
            .target("user_search", term)
            .reason(format!(
                "{by_contact} user{} found by email or phone",
                if by_contact == 1 { "" } else { "s" }
            ));
        audit::record_alone(db, &actor.who(), &actor.meta, event).await?;
        audits.audited(&actor.staff.id, term);
    }
    let next = rows
        .last()
        .filter(|_| more)
        .map(|last| cursor(&db::users::sort_value(last, search.sort), &last.external_user_id));
    Ok(UserList {
        rows: rows.iter().map(|u| summary(u, pii).into()).collect(),
        total: total.min(COUNT_CAP).try_into().unwrap_or_default(),
        total_capped: total > COUNT_CAP,
        next,
    })
}

pub async fn detail(db: &Db, actor: &Actor, external_user_id: &str) -> Result<UserDetail, AppError> {
    let user = find(db, external_user_id).await?;
    let pii = actor.permissions.has(Permission::PiiView);
    let created_by = match &user.created_by {
        Some(id) => db::staff::find(db, id).await?.map(|s| s.name),
        None => None,
    };
    let events = db::users::events(db, external_user_id).await?;
    let notes = db::users::notes(db, external_user_id).await?;
    let summary = summary(&user, pii);
    Ok(UserDetail {
        pii: masked_pii(&summary),
        summary,
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        citizenship: user.citizenship.clone(),
        nationality: user.nationality.clone(),
        birth_country: user.birth_country.clone(),
        verification_status: user.verification_status.clone(),
        attempt_status: user.attempt_status.clone(),
        rejection_reason: user.rejection_reason.clone(),
        poa_status: user.poa_status.clone(),
        sync_state: user.sync_state.clone(),
        created_by,
        kyc_changed_at: user.kyc_changed_at.into(),
        synced_at: user.synced_at.map(Into::into),
        events: events
            .into_iter()
            .map(|e| UserEvent {
                kind: e.kind,
                status: e.status,
                detail: e.detail,
                source: e.source,
                at: e.at.into(),
            })
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| UserNote {
                author: n.author,
                body: n.body,
                at: n.created_at.into(),
            })
            .collect(),
        pending_delete: super::approvals::pending_for(db, ApprovalAction::UserDelete, "user", external_user_id).await?,
    })
}

/// The user's personal data in clear, for staff with `pii.view`; every reveal is in the audit log.
pub async fn reveal(db: &Db, actor: &Actor, external_user_id: &str) -> Result<Pii, AppError> {
    let user = find(db, external_user_id).await?;
    let event = Event::new("users.pii.reveal", Outcome::Success).target("user", external_user_id);
    audit::record_alone(db, &actor.who(), &actor.meta, event).await?;
    Ok(pii_of(&user))
}

pub const NOTE_MAX_CHARS: usize = 2000;

pub async fn add_note(db: &Db, actor: &Actor, external_user_id: &str, body: &str) -> Result<(), AppError> {
    let body = body.trim();
    match body.chars().count() {
        0 => return Err(AppError::field("note", "Write the note first.")),
        n if n > NOTE_MAX_CHARS => {
            return Err(AppError::field(
                "note",
                format!("Keep notes under {NOTE_MAX_CHARS} characters."),
            ));
        }
        _ => {}
    }
    find(db, external_user_id).await?;
    let mut tx = db::begin_write(db).await?;
    db::users::add_note(&mut tx, external_user_id, &actor.staff.id, body, Timestamp::now()).await?;
    let event = Event::new("users.note.add", Outcome::Success)
        .target("user", external_user_id)
        .change(None, Some(json!({ "note": body })));
    audit::record(&mut tx, &actor.who(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Sandbox mode: the simulator's seeded users (from `Sandbox::seeded_users`) join the registry
/// (once; later runs add only new ones).
pub async fn import_sandbox_users(
    db: &Db,
    seeded: Vec<crate::sandbox::seed::SeededUser>,
) -> Result<usize, sqlx::Error> {
    let mut tx = db::begin_write(db).await?;
    let mut added = 0;
    for seeded in seeded {
        let profile = seeded.profile;
        let record = UserRecord {
            external_user_id: seeded.external_user_id.clone(),
            p100_user_id: Some(seeded.user_id.clone()),
            sync_state: "synced".into(),
            request_hash: None,
            first_name: profile.first_name,
            last_name: profile.last_name,
            email: profile.email,
            phone: format!("+{}", profile.phone),
            street: profile.street,
            house_number: profile.number,
            city: profile.city,
            post_code: profile.post_code,
            country: profile.country,
            citizenship: profile.citizenship,
            nationality: profile.nationality,
            birth_country: profile.birth_country,
            birth_date: profile.birth_date,
            id_number: profile.user_identification_number,
            kyc_state: crate::domain::users::KycState::of(
                &seeded.verification_status,
                seeded.attempt_status.as_deref(),
            )
            .as_str()
            .into(),
            verification_status: seeded.verification_status.clone(),
            attempt_status: seeded.attempt_status.clone(),
            rejection_reason: seeded.rejection_reason.clone(),
            kyc_method: None,
            poa_status: seeded.poa_status.clone(),
            account_status: seeded.status.clone(),
            created_by: None,
            created_at: seeded.created_at,
            kyc_changed_at: seeded.updated_at,
            changed_at: seeded.updated_at,
            synced_at: Some(Timestamp::now()),
        };
        if db::users::insert(&mut tx, &record).await? {
            let event = db::users::EventRecord {
                kind: "created".into(),
                status: record.account_status.clone(),
                detail: Some("imported from the sandbox's demo data".into()),
                source: "import".into(),
                at: record.created_at,
            };
            db::users::add_event(&mut tx, &record.external_user_id, &event).await?;
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}
