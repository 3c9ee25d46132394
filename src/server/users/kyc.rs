//! Identity checks: documents uploaded by staff (method A), P100's hosted verification (method B),
//! document data, proof of address, the queue of checks that are not final, and keeping the
//! registry in step with P100's KYC, POA and account-status answers and webhooks.

use futures::StreamExt;
use serde_json::json;

use super::{find, live_user, set_status};
use crate::domain::audit::Outcome;
use crate::domain::contact::Line;
use crate::domain::users::{DocumentKind, DocumentSide, HostedVerification, KycMethod, KycQueue, QueueRow, upload};
use crate::domain::{AppError, FieldErrors};
use crate::p100::api::{FilePart, FileUpload};
use crate::p100::types::{AddVerificationRequest, DocumentType, KycStatus};
use crate::p100::webhooks::{UserChange, UserEvent};
use crate::p100::{P100Error, PCode};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db::users::{EventRecord, Followed, KycUpdate};
use crate::server::db::{self, Db, Timestamp, Tx};
use crate::server::state::AppState;
use crate::server::webhooks::Preview;

/// One uploaded file, held in memory only until it is passed on to P100.
pub struct Document {
    pub field: String,
    pub file_name: String,
    pub mime: String,
    pub bytes: bytes::Bytes,
}

/// What the file's first bytes say it is, whatever its name or declared type claims.
fn sniffed_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Type (by content) and size of each file, each message under its own field.
fn check_files(files: &[Document], errors: &mut FieldErrors) {
    for file in files {
        // Content no signature identifies is plain bytes to the type check.
        let mime = sniffed_type(&file.bytes).unwrap_or("application/octet-stream");
        if let Err(message) = upload::check(mime, file.bytes.len()) {
            errors.add(&file.field, message);
        }
    }
}

fn parts(files: Vec<Document>) -> Vec<FilePart> {
    files
        .into_iter()
        .filter_map(|f| {
            let field = DocumentSide::parse(&f.field)
                .map(DocumentSide::as_str)
                .or((f.field == "file").then_some("file"))?;
            Some(FilePart {
                field,
                file_name: f.file_name,
                mime: sniffed_type(&f.bytes).unwrap_or("application/octet-stream").to_owned(),
                bytes: f.bytes,
            })
        })
        .collect()
}

fn document_type(kind: DocumentKind) -> DocumentType {
    DocumentType::parse(kind.as_str())
}

/// Method A: the identity document's images, checked, then sent to P100 and not kept.
pub async fn upload_documents(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    kind: DocumentKind,
    files: Vec<Document>,
) -> Result<(), AppError> {
    live_user(&state.db, external_user_id).await?;
    let mut errors = FieldErrors::default();
    for side in kind.sides() {
        if !files.iter().any(|f| f.field == side.as_str()) {
            errors.add(side.as_str(), format!("Add the {} image.", side.label().to_lowercase()));
        }
    }
    check_files(&files, &mut errors);
    errors.into_result(|| ())?;
    let summary = json!({
        "document_type": kind.as_str(),
        "files": files.iter().map(|f| json!({ "side": f.field, "bytes": f.bytes.len() })).collect::<Vec<_>>(),
    });
    let upload = FileUpload {
        document_type: Some(document_type(kind)),
        parts: parts(files),
    };
    let event = Event::new("users.kyc.documents", Outcome::Success)
        .target("user", external_user_id)
        .change(None, Some(summary));
    let reply = match state.p100.add_kyc_file(external_user_id, &upload).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    db::users::set_kyc_method(&mut tx, external_user_id, KycMethod::Documents.as_str()).await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event.upstream(&reply.call)).await?;
    tx.commit().await?;
    refresh_quietly(state, external_user_id).await;
    Ok(())
}

/// Method B: starts P100's hosted verification and hands back the link for the user.
pub async fn start_hosted(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
) -> Result<HostedVerification, AppError> {
    live_user(&state.db, external_user_id).await?;
    let event = Event::new("users.kyc.hosted", Outcome::Success).target("user", external_user_id);
    let reply = match state.p100.create_kyc_verification(external_user_id).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    db::users::set_kyc_method(&mut tx, external_user_id, KycMethod::Hosted.as_str()).await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event.upstream(&reply.call)).await?;
    tx.commit().await?;
    refresh_quietly(state, external_user_id).await;
    match reply.value.url {
        Some(url) => hosted(url),
        None => hosted_link(state, external_user_id).await,
    }
}

/// The link of a hosted verification already started.
pub async fn hosted_link(state: &AppState, external_user_id: &str) -> Result<HostedVerification, AppError> {
    find(&state.db, external_user_id).await?;
    let reply = state.p100.kyc_redirect(external_user_id).await?;
    hosted(reply.value.url)
}

fn hosted(url: String) -> Result<HostedVerification, AppError> {
    let qr_svg = crate::server::qr::svg(&url)?;
    Ok(HostedVerification { url, qr_svg })
}

/// The identity document's data, which completes verification and activates the account.
pub async fn add_verification(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    kind: DocumentKind,
    number: &str,
) -> Result<(), AppError> {
    let number = Line::parse(number, 50).map_err(|m| AppError::field("document_number", m))?;
    live_user(&state.db, external_user_id).await?;
    let request = AddVerificationRequest {
        external_user_id: external_user_id.to_owned(),
        document_type: document_type(kind),
        document_number: number.as_str().to_owned(),
    };
    let event = Event::new("users.kyc.verification", Outcome::Success)
        .target("user", external_user_id)
        .change(None, Some(json!({ "document_type": kind.as_str() })));
    let reply = match state.p100.add_verification(&request).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    audit::record_alone(&state.db, &actor.who(), &actor.meta, event.upstream(&reply.call)).await?;
    Ok(())
}

/// A proof-of-address document; P100's decision arrives by webhook.
pub async fn upload_poa(
    state: &AppState,
    actor: &Actor,
    external_user_id: &str,
    file: Document,
) -> Result<(), AppError> {
    live_user(&state.db, external_user_id).await?;
    let mut errors = FieldErrors::default();
    check_files(std::slice::from_ref(&file), &mut errors);
    errors.into_result(|| ())?;
    let event = Event::new("users.poa.upload", Outcome::Success)
        .target("user", external_user_id)
        .change(None, Some(json!({ "bytes": file.bytes.len() })));
    let upload = FileUpload {
        document_type: None,
        parts: parts(vec![Document {
            field: "file".into(),
            ..file
        }]),
    };
    let reply = match state.p100.add_poa_file(external_user_id, &upload).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let mut tx = db::begin_write(&state.db).await?;
    set_status(
        &mut tx,
        external_user_id,
        Followed::ProofOfAddress,
        "WAITING",
        "staff",
        None,
    )
    .await?;
    audit::record(&mut tx, &actor.who(), &actor.meta, event.upstream(&reply.call)).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads the user's KYC status from P100 into the registry. `false` when P100 has no KYC for the
/// user yet (nothing changes then).
pub async fn refresh(state: &AppState, external_user_id: &str) -> Result<bool, AppError> {
    find(&state.db, external_user_id).await?;
    let status = match state.p100.kyc_status(external_user_id).await {
        Ok(reply) => reply.value,
        Err(failure) if matches!(&failure.error, P100Error::Refused { code: PCode::P445, .. }) => return Ok(false),
        Err(failure) => return Err(failure.into()),
    };
    let mut tx = db::begin_write(&state.db).await?;
    apply_kyc(&mut tx, external_user_id, &status, "refresh").await?;
    tx.commit().await?;
    Ok(true)
}

/// After an upload or a start, P100's view is read once so the page shows it at once; if that read
/// fails, the webhook brings the same news a little later.
async fn refresh_quietly(state: &AppState, external_user_id: &str) {
    if let Err(err) = refresh(state, external_user_id).await {
        tracing::warn!(user = external_user_id, %err, "KYC status not read after the change; waiting for the webhook");
    }
}

/// How a refresh of the whole queue went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshTally {
    pub read: u32,
    pub failed: u32,
}

/// Refreshes every user in the queue, a few at a time so P100 is not flooded.
pub async fn refresh_queue(state: &AppState) -> Result<RefreshTally, AppError> {
    let users = db::users::kyc_queue(&state.db, QUEUE_LIMIT).await?;
    let results: Vec<bool> = futures::stream::iter(users)
        .map(|user| async move { refresh(state, &user.external_user_id).await.is_ok() })
        .buffer_unordered(4)
        .collect()
        .await;
    let read = results.iter().filter(|ok| **ok).count() as u32;
    Ok(RefreshTally {
        read,
        failed: results.len() as u32 - read,
    })
}

pub const QUEUE_LIMIT: i64 = 500;

pub async fn queue(db: &Db) -> Result<KycQueue, AppError> {
    let now = Timestamp::now().get();
    let total = db::users::kyc_queue_count(db).await?.try_into().unwrap_or_default();
    let rows = db::users::kyc_queue(db, QUEUE_LIMIT)
        .await?
        .into_iter()
        .map(|u| QueueRow {
            kyc: u.kyc(),
            kyc_method: u.kyc_method.as_deref().and_then(KycMethod::parse),
            age_hours: (now - u.created_at.get()).whole_hours(),
            name: format!("{} {}", u.first_name, u.last_name),
            external_user_id: u.external_user_id,
            country: u.country,
            rejection_reason: u.rejection_reason,
            created_at: u.created_at.into(),
            kyc_changed_at: u.kyc_changed_at.into(),
        })
        .collect();
    Ok(KycQueue { rows, total })
}

/// Records P100's KYC status if it differs from what the registry has, with a history entry.
async fn apply_kyc(tx: &mut Tx, external_user_id: &str, status: &KycStatus, source: &str) -> Result<(), AppError> {
    let user = db::users::find_in(tx, external_user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let update = KycUpdate {
        verification_status: status.verification_status.as_str(),
        attempt_status: status.attempt_status.as_ref().map(|a| a.as_str()),
        rejection_reason: status.rejection_reason.as_deref(),
    };
    let same = user.verification_status == update.verification_status
        && user.attempt_status.as_deref() == update.attempt_status
        && user.rejection_reason.as_deref() == update.rejection_reason;
    if same {
        return Ok(());
    }
    let now = Timestamp::now();
    db::users::set_kyc(tx, external_user_id, &update, now).await?;
    let state = crate::domain::users::KycState::of(update.verification_status, update.attempt_status);
    let event = EventRecord {
        kind: "kyc".into(),
        status: state.as_str().into(),
        detail: Some(
            [
                Some(update.verification_status),
                update.attempt_status,
                update.rejection_reason,
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        ),
        source: source.into(),
        at: now,
    };
    db::users::add_event(tx, external_user_id, &event).await?;
    Ok(())
}

/// What a webhook did to the registry.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// About a user the back office did not create (nothing to update); the reason is kept on the event.
    Ignored(String),
}

/// What `apply_webhook` would change in the registry now (the webhook log's dry run).
pub async fn preview_webhook(db: &Db, event: &UserEvent) -> Result<Preview, String> {
    let user = &event.external_user_id;
    let Some(record) = db::users::find(db, user).await.map_err(|e| e.to_string())? else {
        return Ok(Preview::nothing(format!("user {user} is not in the registry")));
    };
    let fields = match &event.change {
        UserChange::Kyc(status) => vec![
            (
                "verification status",
                Some(record.verification_status),
                Some(status.verification_status.as_str().to_owned()),
            ),
            (
                "attempt status",
                record.attempt_status,
                status.attempt_status.as_ref().map(|a| a.as_str().to_owned()),
            ),
            (
                "rejection reason",
                record.rejection_reason,
                status.rejection_reason.clone(),
            ),
        ],
        UserChange::ProofOfAddress(status) => vec![("proof of address", record.poa_status, Some(status.clone()))],
        UserChange::KycFile(status) => vec![("KYC file", None, Some(status.clone()))],
        UserChange::Account(status) => vec![("account status", Some(record.account_status), Some(status.clone()))],
    };
    let target = format!("user {user}");
    let mut preview = Preview::new(format!("The registry's record of user {user} is updated."));
    for (field, before, after) in fields {
        if let Some(after) = after.filter(|a| before.as_ref() != Some(a)) {
            preview = preview.change(&target, field, before.as_deref().unwrap_or(""), &after);
        }
    }
    if preview.changes.is_empty() {
        return Ok(Preview::nothing(format!(
            "the registry already shows this for user {user}"
        )));
    }
    Ok(preview)
}

/// Applies a KYC, POA, KYC file or user-status webhook to the registry.
pub async fn apply_webhook(db: &Db, event: &UserEvent) -> Result<Applied, String> {
    let user = &event.external_user_id;
    let apply = async {
        // Events for users not in the registry (another partner's, a deleted one) are common: they
        // are told apart by a read, without taking the database's single writer.
        if db::users::find(db, user).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let mut tx = db::begin_write(db).await?;
        if db::users::find_in(&mut tx, user).await?.is_none() {
            return Err(AppError::NotFound);
        }
        match &event.change {
            UserChange::Kyc(status) => apply_kyc(&mut tx, user, status, "webhook").await?,
            UserChange::ProofOfAddress(status) => {
                set_status(&mut tx, user, Followed::ProofOfAddress, status, "webhook", None).await?
            }
            UserChange::KycFile(status) => {
                let event = EventRecord {
                    kind: "kyc_file".into(),
                    status: status.clone(),
                    detail: None,
                    source: "webhook".into(),
                    at: db::Timestamp::now(),
                };
                db::users::add_event(&mut tx, user, &event).await?;
            }
            UserChange::Account(status) => {
                set_status(&mut tx, user, Followed::Account, status, "webhook", None).await?
            }
        }
        tx.commit().await?;
        Ok::<_, AppError>(())
    };
    match apply.await {
        Ok(()) => Ok(Applied::Done),
        Err(AppError::NotFound) => Ok(Applied::Ignored(format!("user {user} is not in the registry"))),
        Err(other) => Err(other.to_string()),
    }
}
