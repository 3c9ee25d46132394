//! A user's virtual cards, read from P100, whose card module is suspended (REFERENCE §3.9).

use crate::domain::AppError;
use crate::domain::users::{CardView, UserCards};
use crate::p100::P100Error;
use crate::server::state::AppState;

/// The user's cards as P100 answers now; its suspended module is an answer, not an error.
pub async fn of_user(state: &AppState, external_user_id: &str) -> Result<UserCards, AppError> {
    super::find(&state.db, external_user_id).await?;
    match state.p100.user_cards(external_user_id).await {
        Ok(reply) => Ok(UserCards::Cards(
            reply
                .value
                .cards
                .into_iter()
                .map(|card| CardView {
                    id: card.card_id,
                    label: card.label,
                    last_digits: card.card_last_digits,
                    status: card.status.as_str().to_owned(),
                })
                .collect(),
        )),
        Err(failure) if failure.error == P100Error::CardsSuspended => Ok(UserCards::Suspended),
        Err(failure) => Err(failure.into()),
    }
}
