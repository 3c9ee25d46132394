//! The sandbox's scenario and fault controls (permission sandbox.control, sandbox mode only).

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::sandbox::{DeliveryMode, Fault, HistoryShape, Overview, Payment, SepaDepositInput};

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::Arc;

    use crate::domain::audit::Outcome;
    use crate::domain::{AppError, Permission};
    use crate::sandbox::Sandbox;
    use crate::sandbox::control::ControlError;
    use crate::server::audit::{self, Event};
    use crate::server::auth::Actor;

    /// The guard for every control, and the sandbox it controls (404 on the real API).
    pub async fn controls() -> Result<(super::super::ssr::Request, Actor, Arc<Sandbox>), AppError> {
        let (request, actor) = super::super::ssr::guard(&[Permission::SandboxControl]).await?;
        let sandbox = request.state.sandbox.clone().ok_or(AppError::NotFound)?;
        Ok((request, actor, sandbox))
    }

    /// Runs a control and audits it either way.
    pub async fn audited<T>(
        request: &super::super::ssr::Request,
        actor: &Actor,
        event: Event,
        result: Result<T, ControlError>,
    ) -> Result<T, AppError> {
        let (event, result) = match result {
            Ok(value) => (event, Ok(value)),
            Err(ControlError::Invalid(message)) => (
                event.outcome(Outcome::Failure).reason(message.clone()),
                Err(AppError::Refused(message)),
            ),
            Err(ControlError::NoMovement(id)) => (
                event.outcome(Outcome::Failure).reason("no such movement"),
                Err(AppError::field("id", format!("No movement with id {id}."))),
            ),
            Err(ControlError::Field(field, message)) => (
                event.outcome(Outcome::Failure).reason(message.clone()),
                Err(AppError::field(field, message)),
            ),
            Err(ControlError::Database(err)) => return Err(err.into()),
        };
        audit::record_alone(&request.state.db, &actor.who(), &actor.meta, event).await?;
        result
    }
}

#[server(endpoint = "sandbox/overview", input = leptos::server_fn::codec::Json)]
pub async fn sandbox_overview() -> Result<Overview, AppError> {
    let (_, _, sandbox) = ssr::controls().await?;
    crate::sandbox::control::overview(&sandbox)
        .await
        .map_err(crate::server::error::internal)
}

#[server(endpoint = "sandbox/arm_fault", input = leptos::server_fn::codec::Json)]
pub async fn arm_sandbox_fault(fault: Fault) -> Result<(), AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.fault.arm", crate::domain::audit::Outcome::Success)
        .target("endpoint", fault.endpoint.clone())
        .change(None, serde_json::to_value(&fault).ok());
    let result = crate::sandbox::control::arm_fault(&sandbox, &fault).await;
    ssr::audited(&request, &actor, event, result).await
}

#[server(endpoint = "sandbox/clear_faults", input = leptos::server_fn::codec::Json)]
pub async fn clear_sandbox_faults() -> Result<(), AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.fault.clear", crate::domain::audit::Outcome::Success);
    let result = crate::sandbox::control::clear_faults(&sandbox).await;
    ssr::audited(&request, &actor, event, result).await
}

/// `approve`, or `reject:<REASON>` for the next KYC attempt that finishes.
#[server(endpoint = "sandbox/kyc_next", input = leptos::server_fn::codec::Json)]
pub async fn set_sandbox_kyc_next(outcome: String) -> Result<(), AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.kyc_next", crate::domain::audit::Outcome::Success).reason(outcome.clone());
    let result = crate::sandbox::control::set_kyc_next(&sandbox, &outcome).await;
    ssr::audited(&request, &actor, event, result).await
}

/// From now on the sandbox writes history entries in `shape` (see `HistoryShape`).
#[server(endpoint = "sandbox/history_shape", input = leptos::server_fn::codec::Json)]
pub async fn set_sandbox_history_shape(shape: HistoryShape) -> Result<(), AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.history_shape", crate::domain::audit::Outcome::Success).reason(shape.as_str());
    let result = crate::sandbox::control::set_history_shape(&sandbox, shape).await;
    ssr::audited(&request, &actor, event, result).await
}

/// How the sandbox delivers webhooks from now on, or what happens to the next one.
#[server(endpoint = "sandbox/delivery", input = leptos::server_fn::codec::Json)]
pub async fn set_sandbox_delivery(mode: DeliveryMode) -> Result<(), AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.delivery", crate::domain::audit::Outcome::Success).reason(mode.as_str());
    let result = crate::sandbox::control::set_delivery(&sandbox, mode).await;
    ssr::audited(&request, &actor, event, result).await
}

/// Completes or fails a movement now; returns its new status.
#[server(endpoint = "sandbox/force", input = leptos::server_fn::codec::Json)]
pub async fn force_sandbox_movement(id: String, complete: bool) -> Result<String, AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let id = id.trim().to_owned();
    if id.is_empty() {
        return Err(AppError::field("id", "Enter a movement id."));
    }
    let action = if complete {
        "sandbox.movement.complete"
    } else {
        "sandbox.movement.fail"
    };
    let event = Event::new(action, crate::domain::audit::Outcome::Success).target("movement", id.clone());
    let result = crate::sandbox::control::force(&sandbox, &id, complete).await;
    ssr::audited(&request, &actor, event, result).await
}

/// A SEPA deposit arrives at P100 for the partner or a user; returns P100's deposit id.
#[server(endpoint = "sandbox/sepa_deposit", input = leptos::server_fn::codec::Json)]
pub async fn make_sandbox_sepa_deposit(input: SepaDepositInput) -> Result<String, AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.sepa_deposit", crate::domain::audit::Outcome::Success)
        .change(None, serde_json::to_value(&input).ok());
    let result = crate::sandbox::control::sepa_deposit(&sandbox, &input).await;
    ssr::audited(&request, &actor, event, result).await
}

/// The sandbox's payer sends `payment` to the order or payment link P100 knows as `id`; returns
/// its status at P100 after.
#[server(endpoint = "sandbox/pay", input = leptos::server_fn::codec::Json)]
pub async fn sandbox_pay(id: String, payment: Payment) -> Result<String, AppError> {
    use crate::server::audit::Event;
    let (request, actor, sandbox) = ssr::controls().await?;
    let event = Event::new("sandbox.pay", crate::domain::audit::Outcome::Success)
        .target("p100_collection", id.clone())
        .reason(payment.as_str());
    let result = crate::sandbox::payer::pay(&sandbox, &id, payment).await;
    ssr::audited(&request, &actor, event, result).await
}
