//! The sandbox's demo money, with `SANDBOX_DEMO_DATA=on` (as `make run` sets), so every list shows
//! real rows in every state on the first sign-in: payouts sent, failed at P100, with an outcome
//! unknown, two that need a person's decision, one waiting for a second member; a crypto withdrawal
//! and a transfer; an exchange finalized and a lock left to lapse; a SEPA deposit (the sandbox's
//! seed announces crypto deposits held for travel rule data); orders and payment links in progress,
//! paid and overpaid, one overpayment resolved in reconciliation and one left open; for each
//! member who decides, a payout, a deletion or a threshold change waiting for them. Made once per database, through the services staff use
//! (audited as the demo members); what P100 does (fail a payout, answer 503, a customer paying) is
//! played by the sandbox's own controls.

use crate::domain::AppError;
use crate::domain::balances::Holder;
use crate::domain::collections::{LinkInput, OrderInput};
use crate::domain::exchanges::ExchangeInput;
use crate::domain::movements::{CryptoInput, MovementDetail, MovementInput, SepaInput, Threshold, TransferInput};
use crate::domain::reconciliation::ResolveInput;
use crate::domain::sandbox::{Fault, Payment, SepaDepositInput};
use crate::domain::users::DeleteInput;
use crate::p100::endpoints;
use crate::sandbox::{control, payer};
use crate::server::audit::RequestMeta;
use crate::server::auth::Actor;
use crate::server::error::internal;
use crate::server::state::AppState;
use crate::server::{collections, db, exchanges, movements, reconciliation, settings, users::lifecycle};

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
    let (finance, finance2, compliance, compliance2) = (
        member(state, "finance").await?,
        member(state, "finance2").await?,
        member(state, "compliance").await?,
        member(state, "compliance2").await?,
    );
    let nordlicht = "DE89 3704 0044 0532 0130 00";
    pay(state, &finance, sepa(nordlicht, "120.00", "Supplier invoice 1187")).await?;
    pay(
        state,
        &finance2,
        sepa(nordlicht, "2400.00", "Office rent, first quarter"),
    )
    .await?;
    let bonus = TransferInput {
        user: "demo-0025".into(),
        direction: "to_user".into(),
        currency: "eur".into(),
        amount: "50.00".into(),
        note: "Welcome bonus".into(),
    };
    pay(state, &finance, MovementInput::Transfer(bonus)).await?;
    let withdrawal = CryptoInput {
        holder: Holder::Partner,
        currency: "usdc".into(),
        network: "polygon".into(),
        address: "0x2e90ca5bbe46d5ae23f2df90457d020391b92673".into(),
        amount: "250".into(),
        memo: String::new(),
        beneficiary: "Kestrel Trading Ltd".into(),
        wallet_type: "CUSTODIAL".into(),
        receiver_type: "LEGAL".into(),
    };
    pay(state, &finance, MovementInput::Crypto(withdrawal)).await?;
    // A withdrawal P100 fails after taking it.
    let refused = CryptoInput {
        holder: Holder::Partner,
        currency: "eth".into(),
        network: "ethereum".into(),
        address: "0x2e90ca5bbe46d5ae23f2df90457d020391b92673".into(),
        amount: "0.5".into(),
        memo: String::new(),
        beneficiary: "Kestrel Trading Ltd".into(),
        wallet_type: "CUSTODIAL".into(),
        receiver_type: "LEGAL".into(),
    };
    let sent = pay(state, &finance, MovementInput::Crypto(refused)).await?;
    if let (Some(upstream), Some(sandbox)) = (sent.movement.upstream_id, state.sandbox.as_deref()) {
        control::force(sandbox, &upstream, false).await.map_err(internal)?;
    }
    p100_plays(state, &finance).await?;

    let exchange = |from: &str, to: &str, amount: &str| ExchangeInput {
        holder: Holder::Partner,
        from: from.into(),
        to: to.into(),
        amount: amount.into(),
    };
    let locked = exchanges::lock(state, &finance, &exchange("eur", "btc", "500.00")).await?;
    exchanges::finalize(state, &finance, &locked.id).await?;
    exchanges::lock(state, &finance2, &exchange("eur", "usdc", "200.00")).await?;

    // Something waits for each member who decides: finance2's payout for finance (and finance's
    // for finance2), compliance2's deletion for compliance (and compliance's for compliance2), an
    // admin's lower EUR threshold for the other admin.
    let harbour = "DE02 1005 0000 0054 5404 02";
    pay(state, &finance, sepa(harbour, "1850.00", "Harbour lease, December")).await?;
    let unfunded: Vec<(String, String)> = sqlx::query_as(
        "SELECT external_user_id, email FROM users WHERE kyc_state = 'not_started' AND account_status <> 'DELETED'
         ORDER BY external_user_id LIMIT 2",
    )
    .fetch_all(&state.db)
    .await?;
    for ((id, email), maker) in unfunded.into_iter().zip([&compliance2, &compliance]) {
        let input = DeleteInput {
            confirm_email: email,
            note: "Registered twice; the other account is the one in use.".into(),
        };
        lifecycle::request_delete(state, maker, &id, &input).await?;
    }
    let lower = Threshold {
        currency: "eur".into(),
        amount: "750".into(),
    };
    settings::request_thresholds(state, &member(state, "admin").await?, &[lower]).await?;
    collections(state, &finance, &finance2).await?;
    db::settings::set_by_system(&state.db, MADE, "yes").await?;
    Ok(())
}

/// Payouts whose fate P100 decides: one it fails, one answered 503 after sending nothing (outcome
/// unknown), two alike answered 503 after both were made (P100's history shows two that could be
/// either: a person decides); and a SEPA deposit for the partner.
async fn p100_plays(state: &AppState, finance: &Actor) -> Result<(), AppError> {
    let sandbox = state.sandbox.as_deref().ok_or(AppError::NotFound)?;
    let failed = pay(
        state,
        finance,
        sepa("DE02 1203 0000 0000 2020 51", "75.00", "Refund, order 5531"),
    )
    .await?;
    if let Some(upstream) = failed.movement.upstream_id {
        control::force(sandbox, &upstream, false).await.map_err(internal)?;
    }
    let mut alike = Vec::new();
    for (applied, count) in [(false, 1), (true, 2)] {
        let fault = Fault {
            endpoint: endpoints::PARTNER_SEPA_TRANSFER.name.into(),
            latency_ms: 0,
            http_status: Some(503),
            timeout: false,
            p_code: None,
            applied: Some(applied),
            malformed: false,
            reset: false,
            count,
        };
        control::arm_fault(sandbox, &fault).await.map_err(internal)?;
        for _ in 0..count {
            let (iban, amount) = match applied {
                true => ("DE12 5001 0517 0648 4898 90", "310.00"),
                false => ("DE02 5001 0517 0137 0750 30", "95.00"),
            };
            let unknown = pay(state, finance, sepa(iban, amount, "Consultancy, November")).await?;
            alike.extend(applied.then_some(unknown.movement.id));
        }
    }
    // Looked for in P100's history as the follower would, until each is put before a person (both
    // debits there fit either; the history may show one a moment after it is made).
    for _ in 0..20 {
        let mut open = 0;
        for id in &alike {
            let detail = movements::follow(state, finance, id).await?;
            open += usize::from(detail.movement.decision.is_none());
        }
        if open == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let deposit = SepaDepositInput {
        holder: "partner".into(),
        amount: "12500.00".into(),
    };
    control::sepa_deposit(sandbox, &deposit).await.map_err(internal)?;
    Ok(())
}

/// Orders and links: one awaiting payment, one paid; a link underpaid; two links paid over, one
/// of which finance resolved in reconciliation.
async fn collections(state: &AppState, finance: &Actor, finance2: &Actor) -> Result<(), AppError> {
    let sandbox = state.sandbox.as_deref().ok_or(AppError::NotFound)?;
    let order = |amount: &str, asset: &str| OrderInput {
        amount: amount.into(),
        asset: asset.into(),
    };
    let locked = collections::lock_order(state, finance, &order("300.00", "usdc:polygon")).await?;
    collections::create_order(state, finance, &locked.id).await?;
    let locked = collections::lock_order(state, finance2, &order("1200.00", "btc:btc")).await?;
    let paid = collections::create_order(state, finance2, &locked.id).await?;
    if let Some(upstream) = &paid.upstream_id {
        control::force(sandbox, upstream, true).await.map_err(internal)?;
    }
    let link = |kind: &str, amount: &str, reference: &str| LinkInput {
        kind: kind.into(),
        amount: amount.into(),
        description: format!("Invoice {reference}"),
        reference: reference.into(),
        expires_in_hours: "72".into(),
    };
    let links = [
        (link("payment_link", "150.00", "INV-2026-118"), Payment::Under),
        (link("hosted_checkout", "80.00", "SHOP-4471"), Payment::Over),
        (link("payment_link", "40.00", "INV-2026-121"), Payment::Over),
    ];
    let mut made = Vec::new();
    for (input, payment) in &links {
        let view = collections::create_link(state, finance, input).await?;
        if let Some(upstream) = &view.upstream_id {
            payer::pay(sandbox, upstream, *payment).await.map_err(internal)?;
        }
        made.push(collections::follow(state, &view.id).await?);
    }
    // The paid order was completed at P100 after it was read; the links were read after paying.
    collections::follow(state, &paid.id).await?;
    for _ in 0..3 {
        reconciliation::check::round(state).await?;
    }
    let resolve = ResolveInput {
        subject: made[2].id.clone(),
        note: "The customer paid 8.00 EUR over; refunded from the partner's account on their request.".into(),
    };
    reconciliation::resolve(&state.db, finance, &resolve).await?;
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

/// A partner's SEPA payout of `amount` EUR to `iban`.
fn sepa(iban: &str, amount: &str, reference: &str) -> MovementInput {
    MovementInput::Sepa(SepaInput {
        holder: Holder::Partner,
        beneficiary: "Nordlicht GmbH".into(),
        iban: iban.into(),
        bic: "COBADEFFXXX".into(),
        amount: amount.into(),
        reference: reference.into(),
    })
}

/// Reviews and submits a movement, as the payout form does.
async fn pay(state: &AppState, maker: &Actor, input: MovementInput) -> Result<MovementDetail, AppError> {
    let review = movements::review(state, &input).await?;
    movements::submit(state, maker, &input, &review.key).await
}
