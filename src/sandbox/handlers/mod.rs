//! The simulated endpoints, one module per P100 area. Routes come from `p100::endpoints`, so the
//! sandbox answers exactly where the client calls; every route first checks the API key and
//! applies any armed fault. What the areas share (answers, body parsing, user and amount checks,
//! recording a movement, movement details) is here.

mod balances;
mod cards;
mod crypto;
mod exchanges;
mod orders;
mod sepa;
mod transfers;
mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::store::{self, MovementRow, UserRow};
use super::{Refusal, Sandbox};
use crate::domain::money::{Amount, Currency};
use crate::kernel::db::{self, Timestamp, Tx};
use crate::p100::endpoints::{self as ep, Effect, Endpoint};
use crate::p100::error::PCode;

type Answer = Result<Response, Refusal>;
type Shared = State<Arc<Sandbox>>;

fn ok<T: Serialize>(value: T) -> Answer {
    Ok(Json(value).into_response())
}

/// Parses a JSON body; anything malformed or missing is P100's P403 with serde's words.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(bytes).map_err(|e| Refusal::invalid(e.to_string()))
}

/// One route per endpoint, each behind the key check and fault injection of `guard`.
macro_rules! routes {
    ($sandbox:expr; $($endpoint:ident => $handler:path),+ $(,)?) => {{
        let mut router = Router::new();
        $( router = route(router, $sandbox, &ep::$endpoint, $handler); )+
        router
    }};
}

fn route<H, T>(
    router: Router<Arc<Sandbox>>,
    sandbox: &Arc<Sandbox>,
    endpoint: &'static Endpoint,
    handler: H,
) -> Router<Arc<Sandbox>>
where
    H: axum::handler::Handler<T, Arc<Sandbox>>,
    T: 'static,
{
    let guarded =
        on(filter(endpoint), handler).layer(middleware::from_fn_with_state((sandbox.clone(), endpoint), guard));
    router.route(endpoint.template, guarded)
}

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    let routes = routes!(&sandbox;
        PARTNER_BALANCES => balances::partner_balances,
        PARTNER_TRANSACTIONS => balances::partner_transactions,
        PARTNER_CREATE_WALLET => balances::create_wallet,
        EXCHANGE_RATES => exchanges::exchange_rates,
        PARTNER_EXCHANGE_LOCK => exchanges::partner_lock,
        USER_EXCHANGE_LOCK => exchanges::user_lock,
        PARTNER_EXCHANGE => exchanges::exchange,
        USER_EXCHANGE => exchanges::exchange,
        EXCHANGE_DETAILS => movement_details,
        PARTNER_SEPA_DEPOSIT_INFO => sepa::partner_deposit_info,
        USER_SEPA_DEPOSIT_INFO => sepa::user_deposit_info,
        PARTNER_SEPA_CONTACTS => sepa::partner_contacts,
        USER_SEPA_CONTACTS => sepa::user_contacts,
        PARTNER_SEPA_TRANSFER => sepa::sepa_transfer,
        USER_SEPA_TRANSFER => sepa::sepa_transfer,
        SEPA_TRANSFER_DETAILS => sepa::sepa_details,
        NETWORK_FEE => crypto::network_fee,
        PARTNER_CRYPTO_WITHDRAWAL => crypto::crypto_withdrawal,
        USER_CRYPTO_WITHDRAWAL => crypto::crypto_withdrawal,
        CRYPTO_WITHDRAWAL_DETAILS => movement_details,
        TRAVEL_RULE => crypto::travel_rule,
        CREATE_USER => users::create_user,
        KYC_FILE => users::kyc_file,
        CREATE_KYC_VERIFICATION => users::create_kyc,
        KYC_REDIRECT => users::kyc_redirect,
        KYC_STATUS => users::kyc_status,
        ADD_VERIFICATION => users::add_verification,
        POA_FILE => users::poa_file,
        UPDATE_USER => users::update_user,
        DELETE_USER => users::delete_user,
        SUSPEND_USER => users::suspend_user,
        UNSUSPEND_USER => users::unsuspend_user,
        USER_BALANCES => balances::user_balances,
        USER_TRANSACTIONS => balances::user_transactions,
        CREATE_TRANSFER => transfers::internal_transfer,
        TRANSFER_DETAILS => movement_details,
        ORDER_RATES => exchanges::exchange_rates,
        ORDER_LOCK => orders::order_lock,
        ORDER_CREATE => orders::create_order,
        ORDER_DETAILS => movement_details,
        PAYMENT_LINK => orders::payment_link,
        HOSTED_CHECKOUT => orders::payment_link,
        PAYMENT_LINK_DETAILS => movement_details,
        CARD_CREATE => cards::create,
        CARD_LIST => cards::list,
        CARD_DETAILS => cards::details,
        CARD_PIN => cards::change,
        CARD_BLOCK => cards::change,
        CARD_UNBLOCK => cards::change,
        CARD_LIMITS => cards::limits,
        CARD_UPDATE_LIMITS => cards::change,
        CARD_DELETE => cards::change,
    );
    Router::new().nest(super::MOUNT, routes.with_state(sandbox))
}

fn filter(endpoint: &Endpoint) -> MethodFilter {
    MethodFilter::try_from(endpoint.method.clone()).expect("endpoint methods are standard")
}

/// The API key as P100 checks it, then any armed fault for this endpoint.
async fn guard(
    State((sandbox, endpoint)): State<(Arc<Sandbox>, &'static Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    let key = request.headers().get("x-api-key").and_then(|v| v.to_str().ok());
    match key {
        None => return (StatusCode::UNAUTHORIZED, "Access Denied. xo1").into_response(),
        Some(key) if !sandbox.key_matches(key) => {
            return (StatusCode::UNAUTHORIZED, "Access Denied. xo2").into_response();
        }
        Some(_) => {}
    }
    let fault = match store::take_fault(&sandbox.db, endpoint.name).await {
        Ok(fault) => fault,
        Err(err) => return Refusal::from(err).into_response(),
    };
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    tracing::info!(endpoint = endpoint.name, ?fault, "sandbox fault injected");
    tokio::time::sleep(Duration::from_millis(fault.latency_ms.max(0) as u64)).await;
    // By default a money movement still happens when only its answer is lost (the case the client
    // must resolve by reading P100 rather than sending again); a code or a status answers first.
    let applied = fault
        .applied
        .map_or(fault.timeout && endpoint.effect == Effect::MovesMoney, |a| a != 0);
    // `Ok`: P100 has applied it and this is its real answer; `Err`: not yet run.
    let ran = if applied {
        Ok(next.run(request).await)
    } else {
        Err((request, next))
    };
    if fault.timeout {
        // The client has given up by now: what it would have read no longer matters.
        tokio::time::sleep(sandbox.millis(super::TIMEOUT_MS, 30_000).await).await;
        return match ran {
            Ok(response) => response,
            Err(_) => (StatusCode::GATEWAY_TIMEOUT, "injected timeout").into_response(),
        };
    }
    let status = fault.http_status.and_then(|s| StatusCode::from_u16(s as u16).ok());
    if let Some(code) = fault.p_code {
        let mut refusal = Refusal::code(PCode::parse(&code), "injected-fault", format!("Injected {code}"));
        if let Some(status) = status {
            refusal.status = status;
        }
        return refusal.into_response();
    }
    if let Some(status) = status {
        return (status, "injected failure").into_response();
    }
    if fault.reset != 0 {
        // The answer starts and the connection drops: the client cannot read what P100 said.
        let dropped = futures::stream::once(async { Err::<Bytes, _>(std::io::Error::other("injected reset")) });
        return (StatusCode::OK, axum::body::Body::from_stream(dropped)).into_response();
    }
    if fault.malformed != 0 {
        // A 2xx whose body has none of the documented fields (no id to follow).
        return (StatusCode::OK, Json(json!({ "accepted": true }))).into_response();
    }
    match ran {
        Ok(response) => response,
        Err((request, next)) => next.run(request).await,
    }
}

// ---- Helpers --------------------------------------------------------------------------------

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn begin(sandbox: &Sandbox) -> Result<Tx, Refusal> {
    Ok(db::begin_write(&sandbox.db).await?)
}

/// The user, if it exists and is not deleted (P412 otherwise).
async fn live_user(tx: &mut Tx, external_user_id: &str) -> Result<UserRow, Refusal> {
    match store::user(tx, external_user_id).await? {
        Some(user) if user.status != "DELETED" => Ok(user),
        _ => Err(Refusal::no_user(external_user_id)),
    }
}

/// The user, who must also not be suspended (P455) to move money.
async fn active_user(tx: &mut Tx, external_user_id: &str) -> Result<UserRow, Refusal> {
    let user = live_user(tx, external_user_id).await?;
    if user.status == "SUSPENDED" {
        return Err(Refusal::code(PCode::P455, "user-suspended", "User is suspended"));
    }
    Ok(user)
}

fn positive(amount: Amount, currency: &Currency, field: &str) -> Result<Decimal, Refusal> {
    let value = amount.get();
    if value <= Decimal::ZERO {
        return Err(Refusal::invalid(format!("{field} must be a positive number")));
    }
    if value.normalize().scale() > currency.scale() {
        return Err(Refusal::invalid(format!(
            "{field} can have at most {} decimal places for {currency}",
            currency.scale()
        )));
    }
    Ok(value)
}

fn known(currency: &Currency) -> Result<(), Refusal> {
    match currency {
        Currency::Unknown(code) => Err(Refusal::code(
            PCode::P410,
            "invalid-currency",
            format!("Currency not found: {code}"),
        )),
        _ => Ok(()),
    }
}

async fn new_movement<T: Serialize>(
    tx: &mut Tx,
    id: &str,
    kind: &str,
    owner: &str,
    status: &str,
    details: &T,
    settle_at: Option<Timestamp>,
) -> Result<(), Refusal> {
    let now = Timestamp::now();
    let row = MovementRow {
        id: id.to_owned(),
        kind: kind.to_owned(),
        owner: owner.to_owned(),
        status: status.to_owned(),
        details: serde_json::to_string(details).map_err(Refusal::internal)?,
        settle_at,
        created_at: now,
        updated_at: now,
    };
    Ok(store::insert_movement(tx, &row).await?)
}

/// Details of any movement, as stored and kept up to date by the clock.
async fn movement_details(
    State(sandbox): Shared,
    Path(id): Path<String>,
    request_path: axum::extract::OriginalUri,
) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let movement = store::movement(&mut tx, &id).await?;
    tx.commit().await?;
    let expected = match request_path.path() {
        p if p.contains("/exchange/") => "exchange",
        p if p.contains("/crypto-withdrawal/") => "crypto_withdrawal",
        p if p.contains("/transfer/") => "transfer",
        p if p.contains("/order/") => "order",
        _ => "payment_link",
    };
    match movement {
        Some(m) if m.kind == expected => {
            let details: Value = serde_json::from_str(&m.details).map_err(Refusal::internal)?;
            ok(details)
        }
        _ => Err(Refusal::not_found(format!(
            "No {} with id {id}",
            expected.replace('_', " ")
        ))),
    }
}
