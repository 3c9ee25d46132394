//! The sandbox's demo money, with `SANDBOX_DEMO_DATA=on` (as `make run` sets): a payout sent and
//! one waiting for a second member, a transfer, an exchange finalized and a lock left to lapse, and
//! a deletion waiting for a second compliance member. Made once per database, through the services
//! staff use (audited as the demo members), so the lists show real rows on the first sign-in.

use crate::domain::AppError;
use crate::domain::balances::Holder;
use crate::domain::exchanges::ExchangeInput;
use crate::domain::movements::{MovementInput, SepaInput, TransferInput};
use crate::domain::users::DeleteInput;
use crate::server::audit::RequestMeta;
use crate::server::auth::Actor;
use crate::server::state::AppState;
use crate::server::{db, exchanges, movements, users::lifecycle};

/// Present once the demo money was made in this database.
const MADE: &str = "sandbox.demo_money";

/// Makes the demo money unless this database has it; a failure is logged (the app runs without it).
pub async fn seed(state: AppState) {
    if let Err(error) = seed_once(&state).await {
        tracing::warn!(%error, "the sandbox's demo money was not made");
    }
}

async fn seed_once(state: &AppState) -> Result<(), AppError> {
    if db::settings::get(&state.db, MADE).await?.is_some() {
        return Ok(());
    }
    let (finance, finance2, compliance2) = (
        member(state, "finance").await?,
        member(state, "finance2").await?,
        member(state, "compliance2").await?,
    );
    let sepa = |amount: &str, reference: &str| {
        MovementInput::Sepa(SepaInput {
            holder: Holder::Partner,
            beneficiary: "Nordlicht GmbH".into(),
            iban: "DE89 3704 0044 0532 0130 00".into(),
            bic: "COBADEFFXXX".into(),
            amount: amount.into(),
            reference: reference.into(),
        })
    };
    pay(state, &finance, sepa("120.00", "Supplier invoice 1187")).await?;
    pay(state, &finance2, sepa("2400.00", "Office rent, first quarter")).await?;
    let bonus = TransferInput {
        user: "demo-0025".into(),
        direction: "to_user".into(),
        currency: "eur".into(),
        amount: "50.00".into(),
        note: "Welcome bonus".into(),
    };
    pay(state, &finance, MovementInput::Transfer(bonus)).await?;

    let exchange = |from: &str, to: &str, amount: &str| ExchangeInput {
        holder: Holder::Partner,
        from: from.into(),
        to: to.into(),
        amount: amount.into(),
    };
    let locked = exchanges::lock(state, &finance, &exchange("eur", "btc", "500.00")).await?;
    exchanges::finalize(state, &finance, &locked.id).await?;
    exchanges::lock(state, &finance2, &exchange("eur", "usdc", "200.00")).await?;

    let unfunded: Option<(String, String)> = sqlx::query_as(
        "SELECT external_user_id, email FROM users WHERE kyc_state = 'not_started' AND account_status <> 'DELETED'
         ORDER BY external_user_id LIMIT 1",
    )
    .fetch_optional(&state.db)
    .await?;
    if let Some((id, email)) = unfunded {
        let input = DeleteInput {
            confirm_email: email,
            note: "Registered twice; the other account is the one in use.".into(),
        };
        lifecycle::request_delete(state, &compliance2, &id, &input).await?;
    }
    db::settings::set_by_system(&state.db, MADE, "yes").await?;
    Ok(())
}

/// A demo member, acting as if signed in.
async fn member(state: &AppState, handle: &str) -> Result<Actor, AppError> {
    let staff = db::staff::find_by_email(&state.db, &format!("{handle}@sandbox.test"))
        .await?
        .ok_or(AppError::NotFound)?;
    let meta = RequestMeta {
        request_id: None,
        ip: None,
        user_agent: Some("demo data".into()),
    };
    Ok(Actor::new(staff, meta))
}

/// Reviews and submits a movement, as the payout form does.
async fn pay(state: &AppState, maker: &Actor, input: MovementInput) -> Result<(), AppError> {
    let review = movements::review(state, &input).await?;
    movements::submit(state, maker, &input, &review.key).await.map(|_| ())
}
