//! Internal transfers between the partner and a user.

use axum::body::Bytes;
use axum::extract::State;

use super::{Answer, Shared, active_user, begin, body, known, new_movement, ok, positive};
use crate::kernel::db::Timestamp;
use crate::p100::error::PCode;
use crate::p100::types::*;
use crate::sandbox::store::PARTNER;
use crate::sandbox::{Refusal, ledger};

pub(super) async fn internal_transfer(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: InternalTransferRequest = body(&bytes)?;
    let (user, funding) = match (&request.source_external_user_id, &request.destination_external_user_id) {
        (None, None) => {
            return Err(Refusal::code(
                PCode::P424,
                "source-or-destination-required",
                "Source or destination required",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Refusal::invalid(
                "send either sourceExternalUserId or destinationExternalUserId, not both",
            ));
        }
        (Some(source), None) => (source.clone(), false),
        (None, Some(destination)) => (destination.clone(), true),
    };
    known(&request.currency)?;
    let amount = positive(request.amount, &request.currency, "amount")?;
    let mut tx = begin(&sandbox).await?;
    active_user(&mut tx, &user).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let from = if funding { PARTNER } else { user.as_str() };
    ledger::adjust(&mut tx, from, &request.currency, -amount, "internal_transfer", &id).await?;
    let details = InternalTransferDetails {
        id: id.clone(),
        status: MovementStatus::Pending,
        source_external_user_id: request.source_external_user_id,
        destination_external_user_id: request.destination_external_user_id,
        currency: request.currency,
        amount: amount.into(),
        created_at: Some(Timestamp::now().to_text()),
        error: None,
    };
    new_movement(
        &mut tx,
        &id,
        "transfer",
        from,
        "PENDING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(TransferCreated { transfer_id: id })
}
