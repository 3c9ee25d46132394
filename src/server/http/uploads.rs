//! Identity documents (KYC method A) and proofs of address, posted as multipart forms so the page
//! can show upload progress. Same guard as every server function; the files are held in memory
//! only until they are passed on to P100, never written to disk.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::domain::users::{DocumentKind, upload};
use crate::domain::{AppError, Need, Permission};
use crate::server::auth::authorize;
use crate::server::state::AppState;
use crate::server::users::kyc::{self, Document};

/// Three images at the per-file maximum, and the form around them.
pub const BODY_LIMIT: usize = 3 * upload::MAX_BYTES + 64 * 1024;

/// `what` is `documents` (fields `kind`, `front`, `back`, `selfie`) or `poa` (field `file`).
pub async fn receive(
    State(state): State<AppState>,
    session: Session,
    Path((id, what)): Path<(String, String)>,
    request: Request,
) -> Response {
    let meta = super::request_meta(request.headers(), request.extensions());
    let path = request.uri().path().to_owned();
    let result = async {
        let actor = authorize(&state, &session, meta, Need::All(&[Permission::KycSubmit]), &path).await?;
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        let (kind, files) = read_form(multipart).await?;
        match what.as_str() {
            "documents" => {
                let kind = kind
                    .as_deref()
                    .and_then(DocumentKind::parse)
                    .ok_or_else(|| AppError::field("kind", "Choose the document type."))?;
                kyc::upload_documents(&state, &actor, &id, kind, files).await
            }
            "poa" => {
                let file = files
                    .into_iter()
                    .find(|f| f.field == "file")
                    .ok_or_else(|| AppError::field("file", "Choose the proof-of-address file."))?;
                kyc::upload_poa(&state, &actor, &id, file).await
            }
            _ => Err(AppError::NotFound),
        }
    };
    match result.await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({}))).into_response(),
        Err(err) => {
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(err)).into_response()
        }
    }
}

/// The form's `kind` and its files, each read whole into memory (the body limit bounds them).
async fn read_form(mut multipart: Multipart) -> Result<(Option<String>, Vec<Document>), AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    let mut kind = None;
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            None if name == "kind" => kind = Some(field.text().await.map_err(unreadable)?),
            None => {}
            Some(file_name) => {
                let mime = field.content_type().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(unreadable)?;
                // A file input left empty still sends its field, with no name and no bytes.
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                files.push(Document {
                    field: name,
                    file_name,
                    mime,
                    bytes,
                });
            }
        }
    }
    Ok((kind, files))
}
