//! The simulated endpoints. Routes come from `p100::endpoints`, so the sandbox answers exactly
//! where the client calls; every route first checks the API key and applies any armed fault.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use axum::{Json, Router};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::store::{self, LockRow, MovementRow, PARTNER, UserRow};
use super::{Refusal, Sandbox, ledger, market};
use crate::domain::money::{Amount, Currency};
use crate::domain::sandbox::HistoryShape;
use crate::kernel::db::{self, Timestamp, Tx};
use crate::p100::endpoints::{self as ep, Effect, Endpoint};
use crate::p100::error::PCode;
use crate::p100::types::*;

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
    ($sandbox:expr; $($endpoint:ident => $handler:ident),+ $(,)?) => {{
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
        PARTNER_BALANCES => partner_balances,
        PARTNER_TRANSACTIONS => partner_transactions,
        PARTNER_CREATE_WALLET => create_wallet,
        EXCHANGE_RATES => exchange_rates,
        PARTNER_EXCHANGE_LOCK => partner_lock,
        USER_EXCHANGE_LOCK => user_lock,
        PARTNER_EXCHANGE => exchange,
        USER_EXCHANGE => exchange,
        EXCHANGE_DETAILS => movement_details,
        PARTNER_SEPA_DEPOSIT_INFO => partner_deposit_info,
        USER_SEPA_DEPOSIT_INFO => user_deposit_info,
        PARTNER_SEPA_CONTACTS => partner_contacts,
        USER_SEPA_CONTACTS => user_contacts,
        PARTNER_SEPA_TRANSFER => sepa_transfer,
        USER_SEPA_TRANSFER => sepa_transfer,
        SEPA_TRANSFER_DETAILS => sepa_details,
        NETWORK_FEE => network_fee,
        PARTNER_CRYPTO_WITHDRAWAL => crypto_withdrawal,
        USER_CRYPTO_WITHDRAWAL => crypto_withdrawal,
        CRYPTO_WITHDRAWAL_DETAILS => movement_details,
        TRAVEL_RULE => travel_rule,
        CREATE_USER => create_user,
        KYC_FILE => kyc_file,
        CREATE_KYC_VERIFICATION => create_kyc,
        KYC_REDIRECT => kyc_redirect,
        KYC_STATUS => kyc_status,
        ADD_VERIFICATION => add_verification,
        POA_FILE => poa_file,
        UPDATE_USER => update_user,
        DELETE_USER => delete_user,
        SUSPEND_USER => suspend_user,
        UNSUSPEND_USER => unsuspend_user,
        USER_BALANCES => user_balances,
        USER_TRANSACTIONS => user_transactions,
        CREATE_TRANSFER => internal_transfer,
        TRANSFER_DETAILS => movement_details,
        ORDER_RATES => exchange_rates,
        ORDER_LOCK => order_lock,
        ORDER_CREATE => create_order,
        ORDER_DETAILS => movement_details,
        PAYMENT_LINK => payment_link,
        HOSTED_CHECKOUT => payment_link,
        PAYMENT_LINK_DETAILS => movement_details,
        CARD_DETAILS => cards_suspended,
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

// ---- Balances and history -------------------------------------------------------------------

async fn balances_of(sandbox: &Sandbox, owner: &str) -> Result<Balances, Refusal> {
    let mut tx = begin(sandbox).await?;
    if owner != PARTNER {
        live_user(&mut tx, owner).await?;
    }
    let rows = store::balances(&mut tx, owner).await?;
    tx.commit().await?;
    let now = now_unix();
    let mut balances = Balances {
        fiat_balances: vec![],
        crypto_balances: vec![],
    };
    for row in rows {
        let currency = Currency::parse(&row.currency);
        let amount = Amount::from_str(&row.amount).map_err(Refusal::internal)?;
        let rate = Num(market::rate(&currency, now).into());
        if currency.is_fiat() {
            balances.fiat_balances.push(FiatBalance {
                id: row.id,
                amount,
                name: currency,
                rate,
                iban: row.iban,
                status: BalanceStatus::parse(&row.status),
            });
        } else {
            balances.crypto_balances.push(CryptoBalance {
                id: row.id,
                amount,
                network_config: market::network_config(&currency),
                name: currency,
                wallet: row.wallet,
                rate,
            });
        }
    }
    Ok(balances)
}

async fn partner_balances(State(sandbox): Shared) -> Answer {
    ok(balances_of(&sandbox, PARTNER).await?)
}

async fn user_balances(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    ok(balances_of(&sandbox, &user).await?)
}

#[derive(serde::Deserialize)]
struct HistoryParams {
    page: Option<i64>,
    limit: Option<i64>,
    from: Option<String>,
    to: Option<String>,
}

async fn history(sandbox: &Sandbox, owner: &str, params: HistoryParams) -> Answer {
    let day = |text: Option<String>, field: &str| -> Result<Option<Timestamp>, Refusal> {
        let Some(text) = text else { return Ok(None) };
        let date = time::Date::parse(&text, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| Refusal::invalid(format!("{field} must be a date as YYYY-MM-DD")))?;
        Ok(Some(Timestamp::from(date.midnight().assume_utc())))
    };
    let from = day(params.from, "from")?;
    let to = day(params.to, "to")?.map(|t| t + Duration::from_secs(86_400));
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let offset = (params.page.unwrap_or(1).max(1) - 1) * limit;
    let rows = store::transactions(&sandbox.db, owner, from, to, offset, limit).await?;
    let shape = super::control::history_shape(sandbox).await?;
    let items: Vec<Transaction> = rows
        .into_iter()
        .map(|r| Transaction {
            id: r.id.clone(),
            kind: r.kind,
            currency: Currency::parse(&r.currency),
            amount: Amount::from_str(&r.amount).unwrap_or_default(),
            status: (shape != HistoryShape::NoStatus).then_some(r.status),
            created_at: written_as(r.created_at, shape),
            // Ledger lines are named `<movement id>:<kind>:<currency>`.
            extra: r
                .id
                .split_once(':')
                .map(|(movement, _)| [("referenceId".to_owned(), json!(movement))].into())
                .unwrap_or_default(),
        })
        .collect();
    ok(items)
}

/// A history entry's time in the shape the sandbox is set to write.
fn written_as(at: Timestamp, shape: HistoryShape) -> String {
    use time::format_description::well_known::Rfc3339;
    let text = at.to_text();
    let at = at.get();
    match shape {
        HistoryShape::Plain | HistoryShape::NoStatus => text,
        HistoryShape::Seconds => at
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default(),
        HistoryShape::Micros => at
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .unwrap_or_default(),
        HistoryShape::Offset => time::UtcOffset::from_hms(2, 0, 0)
            .ok()
            .and_then(|offset| at.to_offset(offset).format(&Rfc3339).ok())
            .unwrap_or_default(),
    }
}

async fn partner_transactions(State(sandbox): Shared, Query(params): Query<HistoryParams>) -> Answer {
    history(&sandbox, PARTNER, params).await
}

async fn user_transactions(
    State(sandbox): Shared,
    Path(user): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Answer {
    let mut tx = begin(&sandbox).await?;
    live_user(&mut tx, &user).await?;
    tx.commit().await?;
    history(&sandbox, &user, params).await
}

async fn create_wallet(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: CreateWallet = body(&bytes)?;
    known(&request.currency)?;
    if request.currency.is_fiat() {
        return Err(Refusal::invalid("currency must be a crypto currency"));
    }
    let mut tx = begin(&sandbox).await?;
    let mut row = store::balance(&mut tx, PARTNER, request.currency.code())
        .await?
        .ok_or_else(|| Refusal::code(PCode::P410, "invalid-currency", "Currency not found"))?;
    let wallet = row
        .wallet
        .clone()
        .unwrap_or_else(|| ledger::wallet_address(&request.currency, &row.id));
    row.wallet = Some(wallet.clone());
    store::update_balance(&mut tx, &row).await?;
    tx.commit().await?;
    ok(Wallet {
        currency: request.currency,
        wallet,
    })
}

// ---- Exchange -------------------------------------------------------------------------------

async fn exchange_rates() -> Answer {
    ok(market::rates(now_unix()))
}

async fn create_lock(sandbox: &Sandbox, owner: &str) -> Answer {
    let mut tx = begin(sandbox).await?;
    if owner != PARTNER {
        active_user(&mut tx, owner).await?;
    }
    let now = Timestamp::now();
    let valid_until = now + sandbox.lock_ttl().await;
    let lock = RateLock {
        id: uuid::Uuid::new_v4().to_string(),
        rates: market::rates(now_unix()),
        fee_percentage: Num(market::EXCHANGE_FEE_PERCENT.into()),
        created_at: now.to_text(),
        valid_until: valid_until.to_text(),
    };
    let row = LockRow {
        id: lock.id.clone(),
        owner: owner.to_owned(),
        kind: "exchange".into(),
        payload: serde_json::to_string(&lock).map_err(Refusal::internal)?,
        valid_until,
        used_at: None,
    };
    store::insert_lock(&mut tx, &row).await?;
    tx.commit().await?;
    ok(lock)
}

async fn partner_lock(State(sandbox): Shared) -> Answer {
    create_lock(&sandbox, PARTNER).await
}

async fn user_lock(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    create_lock(&sandbox, &user).await
}

async fn exchange(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: ExchangeRequest = body(&bytes)?;
    known(&request.currency_from)?;
    known(&request.currency_to)?;
    if request.currency_from == request.currency_to {
        return Err(Refusal::invalid("currencyFrom and currencyTo must differ"));
    }
    let amount = positive(request.amount.0, &request.currency_from, "amount")?;
    let mut tx = begin(&sandbox).await?;
    let owner = match &request.source_external_user_id {
        Some(user) => active_user(&mut tx, user).await?.external_user_id,
        None => PARTNER.to_owned(),
    };
    let lock = store::lock(&mut tx, &request.lock_id).await?;
    let lock = match lock {
        Some(lock) if lock.owner == owner && lock.kind == "exchange" => lock,
        _ => return Err(Refusal::invalid("lockId does not name a rate lock of this account")),
    };
    if lock.used_at.is_some() {
        return Err(Refusal::invalid("lockId was already used; create a new lock"));
    }
    if lock.valid_until < Timestamp::now() {
        return Err(Refusal::invalid("lockId has expired; create a new lock"));
    }
    let locked: RateLock = serde_json::from_str(&lock.payload).map_err(Refusal::internal)?;
    let Some(market::Fill { rate, fee, proceeds }) = market::execute(
        amount,
        &locked.rates,
        &request.currency_from,
        &request.currency_to,
        locked.fee_percentage.0.get(),
    ) else {
        return Err(Refusal::code(PCode::P410, "invalid-currency", "No rate for this pair"));
    };

    let id = uuid::Uuid::new_v4().to_string();
    // Funds are reserved at once (P433 if short); the proceeds arrive when the exchange settles.
    ledger::adjust(&mut tx, &owner, &request.currency_from, -amount, "exchange", &id).await?;
    store::use_lock(&mut tx, &lock.id, Timestamp::now()).await?;
    let details = ExchangeDetails {
        id: id.clone(),
        status: MovementStatus::Pending,
        currency_from: request.currency_from,
        currency_to: request.currency_to,
        amount_from: amount.into(),
        amount_to: proceeds.into(),
        rate: Num(rate.round_dp(8).normalize().into()),
        fee: fee.into(),
        created_at: Timestamp::now().to_text(),
    };
    new_movement(
        &mut tx,
        &id,
        "exchange",
        &owner,
        "PENDING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(ExchangeCreated { exchange_id: id })
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

// ---- SEPA -----------------------------------------------------------------------------------

fn deposit_info(reference: &str, iban: &str) -> SepaDepositInfo {
    SepaDepositInfo {
        title: reference.to_owned(),
        iban: iban.to_owned(),
        swift: "BZENLT22".into(),
        account_holder: "P100 sp. z o.o.".into(),
        address: "Połonińska 19".into(),
    }
}

async fn partner_deposit_info(State(sandbox): Shared) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let eur = store::balance(&mut tx, PARTNER, "eur").await?;
    tx.commit().await?;
    let eur = eur.ok_or_else(|| Refusal::internal("partner has no EUR balance"))?;
    ok(deposit_info(&eur.id, eur.iban.as_deref().unwrap_or_default()))
}

async fn user_deposit_info(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    live_user(&mut tx, &user).await?;
    let eur = store::balance(&mut tx, &user, "eur").await?;
    tx.commit().await?;
    match eur.and_then(|b| b.iban.map(|iban| (b.id, iban))) {
        Some((id, iban)) => ok(deposit_info(&id, &iban)),
        None => Err(Refusal::code(
            PCode::P459,
            "user-not-verified",
            "User not verified: no IBAN yet",
        )),
    }
}

async fn contacts(sandbox: &Sandbox, owner: &str) -> Answer {
    let list = store::setting(&sandbox.db, &super::contacts_key(owner)).await?;
    let contacts: Vec<SepaContact> = list.and_then(|l| serde_json::from_str(&l).ok()).unwrap_or_default();
    ok(contacts)
}

async fn partner_contacts(State(sandbox): Shared) -> Answer {
    contacts(&sandbox, PARTNER).await
}

async fn user_contacts(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    live_user(&mut tx, &user).await?;
    tx.commit().await?;
    contacts(&sandbox, &user).await
}

async fn sepa_transfer(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: SepaTransferRequest = body(&bytes)?;
    let mut problems = Vec::new();
    if request.currency != Currency::Eur {
        problems.push("currency must be one of the following values: eur".to_owned());
    }
    let iban: String = request
        .destination_iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !(15..=34).contains(&iban.len()) || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems.push("destinationIban must be a valid IBAN".to_owned());
    }
    if request.transfer_title.trim().is_empty() {
        problems.push("transferTitle should not be empty".to_owned());
    }
    if request.receiver_type.is_some() || request.company_name.is_some() || request.receiver_first_name.is_some() {
        problems.push("receiverType and receiver names must not be sent by closed-loop partners".to_owned());
    }
    if !problems.is_empty() {
        return Err(Refusal::invalid(problems.join(". ")));
    }
    let amount = positive(request.amount, &Currency::Eur, "amount")?;
    let mut tx = begin(&sandbox).await?;
    let owner = match &request.source_external_user_id {
        Some(user) => active_user(&mut tx, user).await?.external_user_id,
        None => PARTNER.to_owned(),
    };
    let id = uuid::Uuid::new_v4().to_string();
    // Only the format is checked now; funds are checked when the transfer is processed (as P100 does).
    let details = SepaTransferDetails {
        id: id.clone(),
        kind: Some("external".into()),
        amount: amount.into(),
        transfer_title: Some(request.transfer_title),
        destination_iban: Some(iban),
        receiver_first_name: None,
        receiver_last_name: None,
        status: MovementStatus::Processing,
        currency: Currency::Eur,
        fee: Some(Num(market::sepa_fee(amount).into())),
        created_at: Some(Timestamp::now().to_text()),
        error: None,
    };
    new_movement(
        &mut tx,
        &id,
        "sepa",
        &owner,
        "PROCESSING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(TransferCreated { transfer_id: id })
}

async fn sepa_details(State(sandbox): Shared, Path(id): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let movement = store::movement(&mut tx, &id).await?;
    tx.commit().await?;
    match movement {
        Some(m) if m.kind == "sepa" => ok(serde_json::from_str::<Value>(&m.details).map_err(Refusal::internal)?),
        _ => Err(Refusal::code(
            PCode::P428,
            "sepa-transfer-not-found",
            "Sepa transfer not found",
        )),
    }
}

// ---- Crypto ---------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct FeeParams {
    currency: Option<String>,
    network: Option<String>,
}

/// The network key a withdrawal uses: given for USDC/USDT on Polygon, else the currency's first.
fn network_of(currency: &Currency, network: Option<&str>) -> Result<&'static str, Refusal> {
    let networks = market::networks(currency);
    match network.map(str::to_ascii_lowercase) {
        None => networks
            .first()
            .map(|n| n.0)
            .ok_or_else(|| Refusal::code(PCode::P410, "invalid-currency", "Currency not found")),
        Some(name) => networks.iter().find(|n| n.0 == name).map(|n| n.0).ok_or_else(|| {
            Refusal::invalid(format!(
                "network must be one of: {}",
                networks.iter().map(|n| n.0).collect::<Vec<_>>().join(", ")
            ))
        }),
    }
}

async fn network_fee(Query(params): Query<FeeParams>) -> Answer {
    let Some(currency) = params.currency else {
        return Err(Refusal::invalid("currency should not be empty"));
    };
    let currency = Currency::parse(&currency);
    known(&currency)?;
    let network = network_of(&currency, params.network.as_deref())?;
    ok(NetworkFee {
        network_fee: Num(market::network_fee(&currency, network).into()),
    })
}

async fn crypto_withdrawal(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: CryptoWithdrawalRequest = body(&bytes)?;
    known(&request.currency)?;
    if request.currency.is_fiat() {
        return Err(Refusal::code(
            PCode::P410,
            "invalid-currency",
            "Currency not found: eur is not a crypto currency",
        ));
    }
    let network = network_of(&request.currency, request.network.as_deref())?;
    let amount = positive(request.amount.0, &request.currency, "amount")?;
    let (_, _, service_fee, minimum) = market::networks(&request.currency)
        .into_iter()
        .find(|n| n.0 == network)
        .expect("checked");
    if amount < minimum {
        return Err(Refusal::invalid(format!("amount must not be less than {minimum}")));
    }
    if request.wallet_address.trim().len() < 20 {
        return Err(Refusal::invalid("walletAddress must be a valid address"));
    }
    if request.name.trim().is_empty() {
        return Err(Refusal::invalid("name should not be empty"));
    }
    let network_fee = market::network_fee(&request.currency, network);
    let mut tx = begin(&sandbox).await?;
    let owner = match &request.source_external_user_id {
        Some(user) => active_user(&mut tx, user).await?.external_user_id,
        None => PARTNER.to_owned(),
    };
    let id = uuid::Uuid::new_v4().to_string();
    ledger::adjust(
        &mut tx,
        &owner,
        &request.currency,
        -(amount + service_fee + network_fee),
        "crypto_withdrawal",
        &id,
    )
    .await?;
    let details = WithdrawalDetails {
        id: id.clone(),
        status: MovementStatus::Pending,
        currency: request.currency,
        network: Some(network.to_owned()),
        amount: amount.into(),
        fee: Some((service_fee + network_fee).into()),
        wallet_address: request.wallet_address,
        transaction_hash: None,
        created_at: Some(Timestamp::now().to_text()),
    };
    new_movement(
        &mut tx,
        &id,
        "crypto_withdrawal",
        &owner,
        "PENDING",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(WithdrawalCreated { withdrawal_id: id })
}

async fn travel_rule(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: TravelRuleUpdate = body(&bytes)?;
    if request.name.trim().is_empty() {
        return Err(Refusal::invalid("name should not be empty"));
    }
    let mut tx = begin(&sandbox).await?;
    let deposit = store::movement(&mut tx, &request.crypto_deposit_id).await?;
    let mut deposit = match deposit {
        Some(d) if d.kind == "crypto_deposit" => d,
        _ => return Err(Refusal::invalid("cryptoDepositId does not name a crypto deposit")),
    };
    if deposit.status != "WAITING_FOR_TR_DATA" {
        return Err(Refusal::invalid(format!(
            "the deposit is {}, not WAITING_FOR_TR_DATA",
            deposit.status
        )));
    }
    deposit.status = "WAITING_FOR_VERIFICATION".into();
    deposit.settle_at = Some(sandbox.settle_at().await);
    deposit.updated_at = Timestamp::now();
    let mut details: Value = serde_json::from_str(&deposit.details).map_err(Refusal::internal)?;
    details["status"] = json!("WAITING_FOR_VERIFICATION");
    deposit.details = details.to_string();
    store::update_movement(&mut tx, &deposit).await?;
    super::clock::webhook(&mut tx, super::clock::Route::CryptoDeposit, &details).await?;
    tx.commit().await?;
    ok(json!({}))
}

// ---- Users ----------------------------------------------------------------------------------

fn validate_user(request: &CreateUserRequest) -> Result<(), Refusal> {
    let mut problems = Vec::new();
    let required = [
        ("externalUserId", &request.external_user_id),
        ("email", &request.email),
        ("phone", &request.phone),
        ("firstName", &request.first_name),
        ("lastName", &request.last_name),
        ("street", &request.street),
        ("number", &request.number),
        ("city", &request.city),
        ("postCode", &request.post_code),
        ("userIdentificationNumber", &request.user_identification_number),
    ];
    for (name, value) in required {
        if value.trim().is_empty() {
            problems.push(format!("{name} should not be empty"));
        }
    }
    if !request.email.contains('@') {
        problems.push("email must be an email".into());
    }
    if !request.phone.chars().all(|c| c.is_ascii_digit()) || !(8..=15).contains(&request.phone.len()) {
        problems.push("phone must contain 8 to 15 digits with the country code and no +".into());
    }
    for (name, value) in [
        ("country", &request.country),
        ("citizenship", &request.citizenship),
        ("nationality", &request.nationality),
        ("birthCountry", &request.birth_country),
    ] {
        if value.len() != 2 || !value.chars().all(|c| c.is_ascii_uppercase()) {
            problems.push(format!("{name} must be an ISO 3166-1 alpha-2 code"));
        }
    }
    if time::Date::parse(
        &request.birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        problems.push("birthDate must be a date as YYYY-MM-DD".into());
    }
    if !request.has_accepted_p100_tc {
        problems.push("hasAcceptedP100Tc must be true".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Refusal::invalid(problems.join(". ")))
    }
}

async fn create_user(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: CreateUserRequest = body(&bytes)?;
    validate_user(&request)?;
    let mut tx = begin(&sandbox).await?;
    if store::user(&mut tx, &request.external_user_id).await?.is_some() {
        return Err(Refusal::code(PCode::P411, "user-exists", "User already exists"));
    }
    let now = Timestamp::now();
    let user = UserRow {
        external_user_id: request.external_user_id.clone(),
        user_id: uuid::Uuid::new_v4().to_string(),
        profile: serde_json::to_string(&request).map_err(Refusal::internal)?,
        status: "WAITING_FOR_ACTIVATION".into(),
        verification_status: "NOT_VERIFIED".into(),
        attempt_status: None,
        rejection_reason: None,
        poa_status: None,
        created_at: now,
        updated_at: now,
    };
    store::insert_user(&mut tx, &user).await?;
    ledger::open_balances(&mut tx, &user.external_user_id).await?;
    tx.commit().await?;
    ok(UserCreated {
        user_id: user.user_id,
        poa_required_for_extended: false,
    })
}

/// Starts (or restarts) a KYC attempt; the clock takes it to its outcome.
async fn start_attempt(sandbox: &Sandbox, tx: &mut Tx, user: &mut UserRow) -> Result<(), Refusal> {
    user.attempt_status = Some("PENDING".into());
    user.rejection_reason = None;
    user.updated_at = Timestamp::now();
    store::update_user(tx, user).await?;
    let id = format!("kyc:{}:{}", user.external_user_id, uuid::Uuid::new_v4());
    new_movement(
        tx,
        &id,
        "kyc",
        &user.external_user_id,
        "PENDING",
        &json!({}),
        Some(sandbox.settle_at().await),
    )
    .await?;
    let event = super::clock::kyc_event(user);
    super::clock::webhook(tx, super::clock::Route::KycStatus, &event).await?;
    Ok(())
}

async fn kyc_file(State(sandbox): Shared, Path(user): Path<String>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("multipart/form-data") || bytes.is_empty() {
        return Err(Refusal::invalid("files must be sent as multipart/form-data"));
    }
    let text = String::from_utf8_lossy(&bytes);
    if !text.contains("name=\"front\"") && !text.contains("name=\"selfie\"") {
        return Err(Refusal::invalid("front and selfie images are required"));
    }
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &user).await?;
    start_attempt(&sandbox, &mut tx, &mut user).await?;
    tx.commit().await?;
    ok(json!({}))
}

async fn create_kyc(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: KycVerificationRequest = body(&bytes)?;
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &request.external_user_id).await?;
    start_attempt(&sandbox, &mut tx, &mut user).await?;
    tx.commit().await?;
    ok(KycVerification {
        id: user.user_id,
        url: Some(hosted_kyc_url(&sandbox, &user.external_user_id)),
    })
}

fn hosted_kyc_url(sandbox: &Sandbox, external_user_id: &str) -> String {
    let mut url = sandbox.webhook_base.clone();
    url.set_path(&format!("{}/hosted-kyc/{}", super::MOUNT, external_user_id));
    url.to_string()
}

async fn kyc_redirect(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let user = live_user(&mut tx, &user).await?;
    tx.commit().await?;
    if user.attempt_status.is_none() {
        return Err(Refusal::code(PCode::P445, "kyc-not-found", "KYC not found"));
    }
    ok(KycRedirect {
        url: hosted_kyc_url(&sandbox, &user.external_user_id),
    })
}

async fn kyc_status(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let user = live_user(&mut tx, &user).await?;
    tx.commit().await?;
    if user.attempt_status.is_none() && user.verification_status != "VERIFIED" {
        return Err(Refusal::code(PCode::P445, "kyc-not-found", "KYC not found"));
    }
    ok(super::clock::kyc_event(&user))
}

async fn add_verification(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: AddVerificationRequest = body(&bytes)?;
    if request.document_number.trim().is_empty() {
        return Err(Refusal::invalid("documentNumber should not be empty"));
    }
    if let DocumentType::Unknown(kind) = &request.document_type {
        return Err(Refusal::invalid(format!(
            "documentType must be one of the following values: ID_CARD, PASSPORT, RESIDENCE_PERMIT (got {kind})"
        )));
    }
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &request.external_user_id).await?;
    if user.verification_status != "VERIFIED" {
        return Err(Refusal::code(PCode::P459, "user-not-verified", "User not verified"));
    }
    if user.status == "WAITING_FOR_ACTIVATION" {
        user.status = "ACTIVE".into();
        user.updated_at = Timestamp::now();
        store::update_user(&mut tx, &user).await?;
        let mut eur = store::balance(&mut tx, &user.external_user_id, "eur")
            .await?
            .ok_or_else(|| Refusal::internal("no EUR balance"))?;
        eur.iban = Some(super::seed::iban_for(&user.external_user_id));
        eur.status = "ACTIVE".into();
        store::update_balance(&mut tx, &eur).await?;
        let event = json!({ "externalUserId": user.external_user_id, "status": "ACTIVE" });
        super::clock::webhook(&mut tx, super::clock::Route::UserStatus, &event).await?;
    }
    tx.commit().await?;
    ok(json!({}))
}

async fn poa_file(State(sandbox): Shared, Path(user): Path<String>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("multipart/form-data") || bytes.is_empty() {
        return Err(Refusal::invalid("file must be sent as multipart/form-data"));
    }
    let mut tx = begin(&sandbox).await?;
    let mut user = active_user(&mut tx, &user).await?;
    user.poa_status = Some("WAITING".into());
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    let id = format!("poa:{}:{}", user.external_user_id, uuid::Uuid::new_v4());
    new_movement(
        &mut tx,
        &id,
        "poa",
        &user.external_user_id,
        "WAITING",
        &json!({}),
        Some(sandbox.settle_at().await),
    )
    .await?;
    let event = json!({ "externalUserId": user.external_user_id, "status": "WAITING" });
    super::clock::webhook(&mut tx, super::clock::Route::PoaStatus, &event).await?;
    tx.commit().await?;
    ok(json!({}))
}

async fn update_user(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: UpdateUserRequest = body(&bytes)?;
    let mut tx = begin(&sandbox).await?;
    let mut user = live_user(&mut tx, &request.external_user_id).await?;
    let mut profile: Value = serde_json::from_str(&user.profile).map_err(Refusal::internal)?;
    let changes = serde_json::to_value(&request).map_err(Refusal::internal)?;
    if let (Some(profile), Some(changes)) = (profile.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            if key != "externalUserId" {
                profile.insert(key.clone(), value.clone());
            }
        }
    }
    if profile
        .get("email")
        .and_then(Value::as_str)
        .is_some_and(|e| !e.contains('@'))
    {
        return Err(Refusal::invalid("email must be an email"));
    }
    user.profile = profile.to_string();
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    tx.commit().await?;
    ok(json!({}))
}

async fn delete_user(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    let mut tx = begin(&sandbox).await?;
    let mut user = live_user(&mut tx, &user).await?;
    let funded = store::balances(&mut tx, &user.external_user_id)
        .await?
        .into_iter()
        .any(|b| Decimal::from_str(&b.amount).is_ok_and(|a| !a.is_zero()));
    if funded {
        return Err(Refusal::invalid(
            "the user still holds funds; withdraw every balance before deleting",
        ));
    }
    user.status = "DELETED".into();
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    tx.commit().await?;
    ok(json!({}))
}

async fn suspend_user(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    set_suspended(&sandbox, &user, true).await
}

async fn unsuspend_user(State(sandbox): Shared, Path(user): Path<String>) -> Answer {
    set_suspended(&sandbox, &user, false).await
}

async fn set_suspended(sandbox: &Sandbox, external_user_id: &str, suspend: bool) -> Answer {
    let mut tx = begin(sandbox).await?;
    let mut user = live_user(&mut tx, external_user_id).await?;
    let next = match (suspend, user.verification_status.as_str()) {
        (true, _) => "SUSPENDED",
        (false, "VERIFIED") => "ACTIVE",
        (false, _) => "WAITING_FOR_ACTIVATION",
    };
    if suspend && user.status == "SUSPENDED" || !suspend && user.status != "SUSPENDED" {
        tx.commit().await?;
        return ok(json!({}));
    }
    user.status = next.into();
    user.updated_at = Timestamp::now();
    store::update_user(&mut tx, &user).await?;
    let event = json!({ "externalUserId": user.external_user_id, "status": next });
    super::clock::webhook(&mut tx, super::clock::Route::UserStatus, &event).await?;
    tx.commit().await?;
    ok(json!({}))
}

// ---- Internal transfers ---------------------------------------------------------------------

async fn internal_transfer(State(sandbox): Shared, bytes: Bytes) -> Answer {
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

// ---- Orders and payment links ---------------------------------------------------------------

async fn order_lock(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: OrderLockRequest = body(&bytes)?;
    known(&request.currency)?;
    if request.currency.is_fiat() {
        return Err(Refusal::invalid("currency must be a crypto currency"));
    }
    let eur = positive(request.amount, &Currency::Eur, "amount")?;
    let network = network_of(&request.currency, request.network.as_deref())?;
    let rate = market::rate(&request.currency, now_unix());
    let crypto = (eur / rate).round_dp_with_strategy(request.currency.scale(), RoundingStrategy::AwayFromZero);
    let now = Timestamp::now();
    let valid_until = now + Duration::from_secs(15 * 60);
    let lock = OrderLock {
        lock_id: uuid::Uuid::new_v4().to_string(),
        amount: Num(crypto.normalize().into()),
        rate: (Decimal::ONE / rate).round_dp(8).normalize().into(),
        expires_at: valid_until.to_text(),
        currency: request.currency,
        destination_currency: Some(Currency::Eur),
        network: Some(network.to_owned()),
    };
    let mut tx = begin(&sandbox).await?;
    let row = LockRow {
        id: lock.lock_id.clone(),
        owner: PARTNER.into(),
        kind: "order".into(),
        payload: serde_json::to_string(&json!({ "lock": lock, "eur": eur.to_string() })).map_err(Refusal::internal)?,
        valid_until,
        used_at: None,
    };
    store::insert_lock(&mut tx, &row).await?;
    tx.commit().await?;
    ok(lock)
}

async fn create_order(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: OrderRequest = body(&bytes)?;
    let mut tx = begin(&sandbox).await?;
    let lock = match store::lock(&mut tx, &request.lock_id).await? {
        Some(lock) if lock.kind == "order" && lock.used_at.is_none() && lock.valid_until >= Timestamp::now() => lock,
        _ => return Err(Refusal::invalid("lockId does not name a live order lock")),
    };
    let saved: Value = serde_json::from_str(&lock.payload).map_err(Refusal::internal)?;
    let locked: OrderLock = serde_json::from_value(saved["lock"].clone()).map_err(Refusal::internal)?;
    store::use_lock(&mut tx, &lock.id, Timestamp::now()).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let details = OrderDetails {
        order_id: id.clone(),
        lock_id: lock.id,
        status: OrderStatus::WaitingForWalletAddress,
        created_at: Timestamp::now().to_text(),
        expires_at: None,
        confirmations: 0,
        required_confirmations: 3,
        received_amount: Some(Num(Amount::ZERO)),
        total_amount_required: locked.amount,
        cryptocurrency: locked.currency,
        wallet_address: None,
        transaction_hash: None,
        network: locked.network.map(|n| n.to_ascii_uppercase()),
    };
    new_movement(
        &mut tx,
        &id,
        "order",
        PARTNER,
        "WAITING_FOR_WALLET_ADDRESS",
        &details,
        Some(sandbox.settle_at().await),
    )
    .await?;
    tx.commit().await?;
    ok(OrderCreated { order_id: id })
}

async fn payment_link(State(sandbox): Shared, bytes: Bytes) -> Answer {
    let request: PaymentLinkRequest = body(&bytes)?;
    known(&request.currency)?;
    let amount = positive(request.amount, &request.currency, "amount")?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut url = sandbox.webhook_base.clone();
    url.set_path(&format!("{}/pay/{id}", super::MOUNT));
    let expires_at = (Timestamp::now() + Duration::from_secs(24 * 3600)).to_text();
    let details = PaymentLink {
        id: id.clone(),
        status: "PENDING".into(),
        amount: amount.into(),
        currency: request.currency,
        url: url.to_string(),
        expires_at: Some(expires_at.clone()),
        transactions: vec![],
    };
    let mut tx = begin(&sandbox).await?;
    new_movement(&mut tx, &id, "payment_link", PARTNER, "PENDING", &details, None).await?;
    tx.commit().await?;
    ok(PaymentLinkCreated {
        id,
        url: url.to_string(),
        expires_at: Some(expires_at),
    })
}

/// P100's card module is suspended: every card call is refused as temporarily unavailable.
async fn cards_suspended() -> Answer {
    Err(Refusal::code(
        PCode::P501,
        "service-unavailable",
        "The virtual card module is suspended",
    ))
}
