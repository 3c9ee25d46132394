//! Virtual cards. P100 keeps the module suspended (REFERENCE §3.9), and so does the sandbox unless
//! the `cards_on` setting says P100 switched it back on: then each user has one active demo card,
//! which can be read; card changes are acknowledged and change nothing.

use axum::extract::{Path, State};
use serde_json::json;

use super::{Answer, Refusal, Shared, begin, live_user, ok};
use crate::p100::error::PCode;
use crate::sandbox::control;

/// The suspended module's answer to every card call.
fn suspended() -> Refusal {
    Refusal::code(
        PCode::P501,
        "service-unavailable",
        "The virtual card module is suspended",
    )
}

async fn module_on(sandbox: &crate::sandbox::Sandbox) -> Result<(), Refusal> {
    if control::cards_on(sandbox).await? {
        Ok(())
    } else {
        Err(suspended())
    }
}

/// The user's one demo card, once the user exists (P412 otherwise).
async fn card_of(sandbox: &crate::sandbox::Sandbox, user: &str) -> Result<serde_json::Value, Refusal> {
    module_on(sandbox).await?;
    let mut tx = begin(sandbox).await?;
    let user = live_user(&mut tx, user).await?;
    tx.commit().await?;
    Ok(json!({
        "cardId": format!("card-{}", user.external_user_id),
        "status": "ACTIVE",
        "label": "Everyday",
        "cardLastDigits": "4242",
    }))
}

pub(super) async fn list(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    ok(json!({ "cards": [card_of(&sandbox, &user).await?] }))
}

pub(super) async fn details(State(sandbox): Shared, Path((user, _card)): Path<(String, String)>) -> Answer {
    ok(card_of(&sandbox, &user).await?)
}

pub(super) async fn limits(State(sandbox): Shared, Path((user, _card)): Path<(String, String)>) -> Answer {
    card_of(&sandbox, &user).await?;
    ok(
        json!({ "monthlyTrxAll": 5000, "dailyTrxAll": 1000, "monthlyTrxAtm": 1000, "dailyTrxAtm": 250,
               "monthlyTrxEcom": 3000, "dailyTrxEcom": 500 }),
    )
}

pub(super) async fn create(State(sandbox): Shared) -> Answer {
    module_on(&sandbox).await?;
    ok(
        json!({ "cardId": "card-new", "cardNumber": "4000000000004242", "cvv": "123", "exp": "12/29", "status": "ACTIVE" }),
    )
}

pub(super) async fn change(State(sandbox): Shared) -> Answer {
    module_on(&sandbox).await?;
    ok(json!({ "message": "OK" }))
}
