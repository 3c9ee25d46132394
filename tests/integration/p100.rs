//! The P100 client against the built-in sandbox, over real HTTP: every endpoint, every P-code,
//! retries, timeouts and "outcome unknown", and webhook intake.

use std::collections::BTreeSet;

use backoffice::domain::Role;
use backoffice::domain::money::{Amount, Currency};
use backoffice::p100::api::{FilePart, FileUpload, HistoryQuery};
use backoffice::p100::endpoints;
use backoffice::p100::types::*;
use backoffice::p100::{Client, P100Error, PCode};
use backoffice::sandbox::control::{self, DeliveryMode, Settings};
use backoffice::sandbox::payer::Payment;
use backoffice::server::db;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, fault, quick, sandbox, spawn_app, spawn_app_with};

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

fn client(app: &TestApp) -> &Client {
    &app.state.p100
}

fn new_user(id: &str) -> CreateUserRequest {
    CreateUserRequest {
        external_user_id: id.into(),
        email: format!("{id}@example.com"),
        phone: "486012334567".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        street: "ul. Marszałkowska".into(),
        number: "123/5".into(),
        city: "Warszawa".into(),
        post_code: "00-001".into(),
        country: "PL".into(),
        citizenship: "PL".into(),
        nationality: "PL".into(),
        birth_country: "PL".into(),
        birth_date: "1990-04-01".into(),
        user_identification_number: "90040112345".into(),
        has_accepted_p100_tc: true,
    }
}

fn balance_of(balances: &Balances, currency: &Currency) -> Decimal {
    let fiat = balances
        .fiat_balances
        .iter()
        .find(|b| &b.name == currency)
        .map(|b| b.amount.get());
    let crypto = balances
        .crypto_balances
        .iter()
        .find(|b| &b.name == currency)
        .map(|b| b.amount.get());
    fiat.or(crypto).expect("a balance in that currency")
}

// ---- Every endpoint through the client, one test per area --------------------------------
//
// Each test declares the endpoints it calls, notes each call, and checks at its end that the two
// agree; `the_areas_together_cover_every_endpoint` checks that the declarations cover
// `endpoints::ALL`.

/// The endpoints one test called, which must be the ones it declares.
struct Noted {
    test: &'static str,
    declared: &'static [&'static str],
    called: BTreeSet<&'static str>,
}

impl Noted {
    fn new(test: &'static str, declared: &'static [&'static str]) -> Self {
        Noted {
            test,
            declared,
            called: BTreeSet::new(),
        }
    }

    fn note(&mut self, endpoint: &'static str) {
        self.called.insert(endpoint);
    }

    /// At the test's end: a call it stopped making, or one it does not declare, fails it by name.
    fn check(&self) {
        let declared: BTreeSet<_> = self.declared.iter().copied().collect();
        assert_eq!(
            self.called, declared,
            "{}: the endpoints it called (left) are not the ones it declares (right)",
            self.test
        );
    }
}

const PARTNER_READS: &[&str] = &[
    "partner.balances",
    "partner.transactions",
    "partner.create_wallet",
    "exchange.rates",
];
const PARTNER_EXCHANGE: &[&str] = &[
    "partner.exchange_lock",
    "partner.exchange",
    "exchange.details",
    "partner.balances",
];
const PARTNER_SEPA: &[&str] = &[
    "partner.sepa_deposit_info",
    "partner.sepa_contacts",
    "partner.sepa_transfer",
    "sepa.details",
];
const PARTNER_CRYPTO: &[&str] = &[
    "crypto.network_fee",
    "partner.crypto_withdrawal",
    "crypto.withdrawal_details",
];
const USER_ONBOARDING: &[&str] = &[
    "user.create",
    "kyc.create",
    "kyc.redirect",
    "kyc.status",
    "user.kyc_file",
    "user.verification",
    "user.poa_file",
    "user.update",
    "user.balances",
    "user.sepa_deposit_info",
    "user.sepa_contacts",
];
/// The first six are `funded_user`'s.
const USER_MONEY: &[&str] = &[
    "user.create",
    "kyc.create",
    "kyc.status",
    "user.verification",
    "transfer.create",
    "transfer.details",
    "user.exchange_lock",
    "user.exchange",
    "user.sepa_transfer",
    "user.balances",
    "user.crypto_withdrawal",
    "user.transactions",
];
/// The first six are `funded_user`'s.
const USER_STATUS: &[&str] = &[
    "user.create",
    "kyc.create",
    "kyc.status",
    "user.verification",
    "transfer.create",
    "transfer.details",
    "user.suspend",
    "user.exchange_lock",
    "user.unsuspend",
    "user.delete",
    "user.balances",
];
const TRAVEL_RULE: &[&str] = &["crypto.travel_rule"];
const ORDERS_AND_LINKS: &[&str] = &[
    "order.rates",
    "order.lock",
    "order.create",
    "order.details",
    "payment_link.create",
    "payment_link.hosted_checkout",
    "payment_link.details",
];
const CARDS: &[&str] = &[
    "card.create",
    "card.list",
    "card.details",
    "card.pin",
    "card.block",
    "card.unblock",
    "card.limits",
    "card.update_limits",
    "card.delete",
];

/// Every declaration above.
const AREAS: &[&[&str]] = &[
    PARTNER_READS,
    PARTNER_EXCHANGE,
    PARTNER_SEPA,
    PARTNER_CRYPTO,
    USER_ONBOARDING,
    USER_MONEY,
    USER_STATUS,
    TRAVEL_RULE,
    ORDERS_AND_LINKS,
    CARDS,
];

#[test]
fn the_areas_together_cover_every_endpoint() {
    let declared: BTreeSet<&str> = AREAS.iter().flat_map(|area| area.iter().copied()).collect();
    let all: BTreeSet<&str> = endpoints::ALL.iter().map(|e| e.name).collect();
    let missing: Vec<_> = all.difference(&declared).collect();
    let unknown: Vec<_> = declared.difference(&all).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "endpoints no test declares: {missing:?}; declared names that are no endpoint: {unknown:?}"
    );
}

/// A user made at P100, verified by Method B and given a document (which activates the account and
/// opens its IBAN), then funded with 500.00 EUR from the partner balance, settled.
async fn funded_user(p100: &Client, id: &str, noted: &mut Noted) {
    p100.create_user(&new_user(id)).await.unwrap();
    noted.note("user.create");
    p100.create_kyc_verification(id).await.unwrap();
    noted.note("kyc.create");
    eventually("KYC to pass", || async {
        let status = p100.kyc_status(id).await.unwrap().value;
        (status.verification_status == VerificationStatus::Verified).then_some(())
    })
    .await;
    noted.note("kyc.status");
    p100.add_verification(&AddVerificationRequest {
        external_user_id: id.into(),
        document_type: DocumentType::Passport,
        document_number: "AB1234567".into(),
    })
    .await
    .unwrap();
    noted.note("user.verification");
    let funding = p100
        .internal_transfer(&InternalTransferRequest {
            source_external_user_id: None,
            destination_external_user_id: Some(id.into()),
            currency: Currency::Eur,
            amount: amount("500.00"),
        })
        .await
        .unwrap()
        .value;
    noted.note("transfer.create");
    eventually("funding to settle", || async {
        let d = p100
            .internal_transfer_details(&funding.transfer_id)
            .await
            .unwrap()
            .value;
        (d.status == MovementStatus::Successful).then_some(())
    })
    .await;
    noted.note("transfer.details");
}

#[tokio::test]
async fn partner_reads_and_a_new_wallet() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("partner_reads_and_a_new_wallet", PARTNER_READS);

    let balances = p100.partner_balances().await.unwrap().value;
    assert_eq!(balance_of(&balances, &Currency::Eur).to_string(), "250000.00");
    assert!(
        balances.fiat_balances[0]
            .iban
            .as_deref()
            .is_some_and(|i| i.starts_with("LT"))
    );
    noted.note("partner.balances");
    let history = p100
        .partner_transactions(&HistoryQuery {
            page: 1,
            limit: 25,
            ..Default::default()
        })
        .await
        .unwrap()
        .value;
    assert_eq!(history.len(), 25);
    noted.note("partner.transactions");
    let wallet = p100
        .create_partner_wallet(&CreateWallet {
            currency: Currency::Eurt,
            network: None,
        })
        .await
        .unwrap()
        .value;
    // P100 may answer before the wallet exists; the clock makes it and the balances show it.
    assert_eq!(wallet.currency, Currency::Eurt);
    eventually("the EURT wallet to exist", || async {
        let balances = p100.partner_balances().await.unwrap().value;
        let eurt = balances
            .crypto_balances
            .into_iter()
            .find(|b| b.name == Currency::Eurt)?;
        eurt.wallet.filter(|w| w.starts_with("0x"))
    })
    .await;
    noted.note("partner.create_wallet");
    let rates = p100.exchange_rates().await.unwrap().value;
    assert_eq!(rates[&Currency::Eur].0.get(), Decimal::ONE);
    noted.note("exchange.rates");
    noted.check();
}

#[tokio::test]
async fn a_partner_exchange_moves_the_balances() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("a_partner_exchange_moves_the_balances", PARTNER_EXCHANGE);

    let lock = p100.partner_exchange_lock().await.unwrap().value;
    noted.note("partner.exchange_lock");
    let request = ExchangeRequest {
        source_external_user_id: None,
        amount: Num(amount("0.5")),
        currency_from: Currency::Eth,
        currency_to: Currency::Eur,
        lock_id: lock.id,
    };
    let created = p100.exchange(&request).await.unwrap().value;
    noted.note("partner.exchange");
    let details = eventually("exchange to complete", || async {
        let d = p100.exchange_details(&created.exchange_id).await.unwrap().value;
        (d.status == MovementStatus::Completed).then_some(d)
    })
    .await;
    noted.note("exchange.details");
    let after = p100.partner_balances().await.unwrap().value;
    assert_eq!(
        balance_of(&after, &Currency::Eth),
        Decimal::from(42) - Decimal::new(5, 1)
    );
    assert_eq!(
        balance_of(&after, &Currency::Eur),
        Decimal::new(25_000_000, 2) + details.amount_to.get()
    );
    noted.note("partner.balances");
    noted.check();
}

#[tokio::test]
async fn a_partner_sepa_payout_settles() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("a_partner_sepa_payout_settles", PARTNER_SEPA);

    let info = p100.partner_sepa_deposit_info().await.unwrap().value;
    assert_eq!(info.swift, "BZENLT22");
    noted.note("partner.sepa_deposit_info");
    assert_eq!(p100.partner_sepa_contacts().await.unwrap().value.len(), 1);
    noted.note("partner.sepa_contacts");
    let transfer = p100
        .sepa_transfer(&SepaTransferRequest {
            source_external_user_id: None,
            amount: amount("100.00"),
            currency: Currency::Eur,
            destination_iban: "DE89370400440532013000".into(),
            transfer_title: "Invoice 1".into(),
            receiver_type: None,
            receiver_first_name: None,
            receiver_last_name: None,
            company_name: None,
        })
        .await
        .unwrap()
        .value;
    noted.note("partner.sepa_transfer");
    let sepa = eventually("SEPA to settle", || async {
        let d = p100.sepa_transfer_details(&transfer.transfer_id).await.unwrap().value;
        (d.status == MovementStatus::Successful).then_some(d)
    })
    .await;
    assert_eq!(sepa.fee.unwrap().0.get(), Decimal::ONE);
    noted.note("sepa.details");
    noted.check();
}

#[tokio::test]
async fn a_partner_crypto_withdrawal_settles() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("a_partner_crypto_withdrawal_settles", PARTNER_CRYPTO);

    let fee = p100.network_fee(&Currency::Btc, None).await.unwrap().value;
    assert_eq!(fee.network_fee.0.get().to_string(), "0.000469");
    noted.note("crypto.network_fee");
    let withdrawal = p100
        .crypto_withdrawal(&CryptoWithdrawalRequest {
            source_external_user_id: None,
            currency: Currency::Btc,
            amount: Num(amount("0.01")),
            wallet_address: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx".into(),
            memo: None,
            network: None,
            name: "Partner Treasury".into(),
            wallet_type: WalletType::Custodial,
            receiver_type: ReceiverType::Legal,
        })
        .await
        .unwrap()
        .value;
    noted.note("partner.crypto_withdrawal");
    eventually("withdrawal to settle", || async {
        let d = p100
            .crypto_withdrawal_details(&withdrawal.withdrawal_id)
            .await
            .unwrap()
            .value;
        (d.status == MovementStatus::Successful && d.transaction_hash.is_some()).then_some(())
    })
    .await;
    noted.note("crypto.withdrawal_details");
    noted.check();
}

/// By Method B (hosted KYC), then Method A (documents) and a proof of address.
#[tokio::test]
async fn a_user_goes_from_creation_to_an_active_verified_account() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new(
        "a_user_goes_from_creation_to_an_active_verified_account",
        USER_ONBOARDING,
    );

    let id = "it-user-1";
    let made = p100.create_user(&new_user(id)).await.unwrap().value;
    assert!(!made.user_id.is_empty());
    noted.note("user.create");
    let missing = p100.kyc_status(id).await.unwrap_err();
    assert!(matches!(
        missing.error,
        P100Error::Refused {
            code: PCode::P445,
            status: 404,
            ..
        }
    ));
    let verification = p100.create_kyc_verification(id).await.unwrap().value;
    assert!(verification.url.unwrap().contains(id));
    noted.note("kyc.create");
    // Method B as P100 answers it (an HTML page), then as a JSON `{url}`: the same link either way.
    let from_html = p100.kyc_redirect(id).await.unwrap().value.url;
    assert!(from_html.contains("hosted-kyc"), "{from_html}");
    let json_answers = Settings {
        kyc_redirect_json: Some(true),
        ..Default::default()
    };
    control::apply_settings(sandbox(&app), &json_answers).await.unwrap();
    assert_eq!(p100.kyc_redirect(id).await.unwrap().value.url, from_html);
    noted.note("kyc.redirect");
    eventually("KYC to pass", || async {
        let status = p100.kyc_status(id).await.unwrap().value;
        (status.verification_status == VerificationStatus::Verified).then_some(())
    })
    .await;
    noted.note("kyc.status");
    let upload = FileUpload {
        document_type: Some(DocumentType::Passport),
        parts: vec![
            FilePart {
                field: "front",
                file_name: "passport.jpg".into(),
                mime: "image/jpeg".into(),
                bytes: vec![0xff, 0xd8, 1, 2].into(),
            },
            FilePart {
                field: "selfie",
                file_name: "selfie.jpg".into(),
                mime: "image/jpeg".into(),
                bytes: vec![0xff, 0xd8, 3, 4].into(),
            },
        ],
    };
    p100.add_kyc_file(id, &upload).await.unwrap();
    noted.note("user.kyc_file");
    p100.add_verification(&AddVerificationRequest {
        external_user_id: id.into(),
        document_type: DocumentType::Passport,
        document_number: "AB1234567".into(),
    })
    .await
    .unwrap();
    noted.note("user.verification");
    let poa = FileUpload {
        document_type: None,
        parts: vec![FilePart {
            field: "file",
            file_name: "bill.pdf".into(),
            mime: "application/pdf".into(),
            bytes: b"%PDF-1.4".to_vec().into(),
        }],
    };
    p100.add_poa_file(id, &poa).await.unwrap();
    noted.note("user.poa_file");
    p100.update_user(&UpdateUserRequest {
        external_user_id: id.into(),
        email: Some("new@example.com".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    noted.note("user.update");
    let user_balances = p100.user_balances(id).await.unwrap().value;
    assert!(
        user_balances.fiat_balances[0].iban.is_some(),
        "verification opened the IBAN"
    );
    noted.note("user.balances");
    assert!(
        p100.user_sepa_deposit_info(id)
            .await
            .unwrap()
            .value
            .iban
            .starts_with("LT")
    );
    noted.note("user.sepa_deposit_info");
    assert!(p100.user_sepa_contacts(id).await.unwrap().value.is_empty());
    noted.note("user.sepa_contacts");
    noted.check();
}

/// Funded from the partner balance, the user's money is exchanged and paid out for them, and the
/// funding shows in their history.
#[tokio::test]
async fn a_users_money_moves_and_shows_in_their_history() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("a_users_money_moves_and_shows_in_their_history", USER_MONEY);
    let id = "it-user-1";
    funded_user(p100, id, &mut noted).await;

    let user_lock = p100.user_exchange_lock(id).await.unwrap().value;
    noted.note("user.exchange_lock");
    let user_exchange = ExchangeRequest {
        source_external_user_id: Some(id.into()),
        amount: Num(amount("100")),
        currency_from: Currency::Eur,
        currency_to: Currency::Usdc,
        lock_id: user_lock.id,
    };
    p100.exchange(&user_exchange).await.unwrap();
    noted.note("user.exchange");
    let payout = SepaTransferRequest {
        source_external_user_id: Some(id.into()),
        amount: amount("10.00"),
        currency: Currency::Eur,
        destination_iban: "DE89370400440532013000".into(),
        transfer_title: "Refund".into(),
        receiver_type: None,
        receiver_first_name: None,
        receiver_last_name: None,
        company_name: None,
    };
    p100.sepa_transfer(&payout).await.unwrap();
    noted.note("user.sepa_transfer");
    let user_withdrawal = CryptoWithdrawalRequest {
        source_external_user_id: Some(id.into()),
        currency: Currency::Usdc,
        amount: Num(amount("20")),
        wallet_address: "0x2e90ca5bbe46d5ae23f2df90457d020391b92673".into(),
        memo: None,
        network: Some("polygon".into()),
        name: "Ada Lovelace".into(),
        wallet_type: WalletType::NonCustodial,
        receiver_type: ReceiverType::Natural,
    };
    // The USDC from the exchange arrives when it settles.
    eventually("USDC to arrive", || async {
        let b = p100.user_balances(id).await.unwrap().value;
        (balance_of(&b, &Currency::Usdc) > Decimal::from(25)).then_some(())
    })
    .await;
    noted.note("user.balances");
    p100.crypto_withdrawal(&user_withdrawal).await.unwrap();
    noted.note("user.crypto_withdrawal");
    let history = p100
        .user_transactions(
            id,
            &HistoryQuery {
                page: 1,
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .value;
    assert!(
        history
            .iter()
            .any(|t| t.kind == "internal_transfer_in" && t.amount.get() == Decimal::new(50_000, 2))
    );
    noted.note("user.transactions");
    noted.check();
}

#[tokio::test]
async fn a_user_is_suspended_unsuspended_and_deleted_once_empty() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("a_user_is_suspended_unsuspended_and_deleted_once_empty", USER_STATUS);
    let id = "it-user-1";
    funded_user(p100, id, &mut noted).await;

    p100.suspend_user(id).await.unwrap();
    noted.note("user.suspend");
    let refused = p100.user_exchange_lock(id).await.unwrap_err();
    assert!(matches!(refused.error, P100Error::Refused { code: PCode::P455, .. }));
    noted.note("user.exchange_lock");
    p100.unsuspend_user(id).await.unwrap();
    noted.note("user.unsuspend");

    // Deleting needs empty balances: a fresh user can go, the funded one cannot.
    p100.create_user(&new_user("it-user-2")).await.unwrap();
    p100.delete_user("it-user-2").await.unwrap();
    noted.note("user.delete");
    let gone = p100.user_balances("it-user-2").await.unwrap_err();
    assert!(matches!(gone.error, P100Error::Refused { code: PCode::P412, .. }));
    noted.note("user.balances");
    let funded = p100.delete_user(id).await.unwrap_err();
    assert!(matches!(funded.error, P100Error::Refused { code: PCode::P403, .. }));
    noted.check();
}

#[tokio::test]
async fn a_held_crypto_deposit_takes_its_travel_rule_data() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("a_held_crypto_deposit_takes_its_travel_rule_data", TRAVEL_RULE);

    // A seeded deposit waiting for it.
    let deposit: (String,) = sqlx::query_as("SELECT id FROM sandbox_movements WHERE kind = 'crypto_deposit' LIMIT 1")
        .fetch_one(app.db())
        .await
        .unwrap();
    let update = TravelRuleUpdate {
        crypto_deposit_id: deposit.0.clone(),
        name: "Sender Name".into(),
        wallet_type: WalletType::Custodial,
        receiver_type: ReceiverType::Natural,
    };
    p100.update_travel_rule(&update).await.unwrap();
    noted.note("crypto.travel_rule");
    noted.check();
}

#[tokio::test]
async fn an_order_completes_and_a_payment_link_is_read_back() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("an_order_completes_and_a_payment_link_is_read_back", ORDERS_AND_LINKS);

    let order_rates = p100.order_rates().await.unwrap().value;
    assert!(order_rates.contains_key(&Currency::Usdc));
    noted.note("order.rates");
    let order_lock = p100
        .order_lock(&OrderLockRequest {
            currency: Currency::Usdc,
            amount: amount("346.59"),
            network: Some("polygon".into()),
        })
        .await
        .unwrap()
        .value;
    assert_eq!(order_lock.destination_currency, Some(Currency::Eur));
    noted.note("order.lock");
    let order = p100.create_order(&order_lock.lock_id).await.unwrap().value;
    noted.note("order.create");
    eventually("order to wait for payment", || async {
        let d = p100.order_details(&order.order_id).await.unwrap().value;
        (d.status == OrderStatus::WaitingForPayment && d.wallet_address.is_some()).then_some(())
    })
    .await;
    backoffice::sandbox::payer::pay(sandbox(&app), &order.order_id, Payment::Exact)
        .await
        .unwrap();
    eventually("order to complete", || async {
        let d = p100.order_details(&order.order_id).await.unwrap().value;
        (d.status == OrderStatus::Completed).then_some(())
    })
    .await;
    noted.note("order.details");
    let link_request = PaymentLinkRequest {
        amount: amount("25.00"),
        currency: Currency::Eur,
        description: None,
        redirect_url: None,
        reference: None,
        expires_at: None,
    };
    let link = p100.payment_link(&link_request).await.unwrap().value;
    noted.note("payment_link.create");
    p100.hosted_checkout(&link_request).await.unwrap();
    noted.note("payment_link.hosted_checkout");
    assert_eq!(p100.payment_link_details(&link.id).await.unwrap().value.url, link.url);
    noted.note("payment_link.details");
    noted.check();
}

#[tokio::test]
async fn cards_are_suspended_upstream_an_error_with_words() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    let mut noted = Noted::new("cards_are_suspended_upstream_an_error_with_words", CARDS);

    let user = "it-user-1";
    let card = CardRef {
        external_user_id: user.into(),
        card_id: "card-1".into(),
    };
    let limit = || Num(Amount(Decimal::new(500, 0)));
    let limits = CardLimits {
        monthly_trx_all: limit(),
        daily_trx_all: limit(),
        monthly_trx_atm: limit(),
        daily_trx_atm: limit(),
        monthly_trx_ecom: limit(),
        daily_trx_ecom: limit(),
    };
    let new_card = NewCard {
        external_user_id: user.into(),
        label: "Travel".into(),
        pin: "4821".into(),
    };
    let pin = CardPin {
        card: card.clone(),
        pin: "1234".into(),
    };
    let update = CardLimitsUpdate {
        card: card.clone(),
        limits,
    };
    let answers = [
        ("card.create", p100.create_card(&new_card).await.err()),
        ("card.list", p100.user_cards(user).await.err()),
        ("card.details", p100.card_details(user, "card-1").await.err()),
        ("card.pin", p100.update_card_pin(&pin).await.err()),
        ("card.block", p100.block_card(&card).await.err()),
        ("card.unblock", p100.unblock_card(&card).await.err()),
        ("card.limits", p100.card_limits(user, "card-1").await.err()),
        ("card.update_limits", p100.update_card_limits(&update).await.err()),
        ("card.delete", p100.delete_card(&card).await.err()),
    ];
    for (name, failure) in answers {
        let error = failure
            .unwrap_or_else(|| panic!("{name} answered as if the module were on"))
            .error;
        assert_eq!(error, P100Error::CardsSuspended, "{name}");
        assert_eq!(error.staff_message(), "Virtual cards are suspended at P100.");
        noted.note(name);
    }
    noted.check();

    // A card's own refusal keeps its code and words; any other refusal is the suspension.
    fault(&app, "card.list", |f| f.p_code = Some("P459".into())).await;
    let refused = p100.user_cards(user).await.unwrap_err().error;
    assert_eq!(
        (refused.code(), refused.staff_message()),
        ("P459".to_owned(), PCode::P459.staff_message().to_owned())
    );
}

#[tokio::test]
async fn every_documented_p_code_maps_to_its_error() {
    let app = spawn_app().await;
    // A write, so that P501 (temporary) is not retried away.
    let wallet = CreateWallet {
        currency: Currency::Btc,
        network: None,
    };
    for code in PCode::DOCUMENTED {
        fault(&app, "partner.create_wallet", |f| f.p_code = Some(code.as_str().into())).await;
        let failure = client(&app).create_partner_wallet(&wallet).await.unwrap_err();
        match &failure.error {
            P100Error::Refused { code: got, .. } => assert_eq!(got, code),
            other => panic!("{code}: {other:?}"),
        }
        assert!(!failure.error.staff_message().is_empty());
        assert_eq!(failure.error.code(), code.as_str());
    }
}

#[tokio::test]
async fn validation_errors_pass_p100s_words_through() {
    let app = spawn_app().await;
    let mut request = new_user("bad-user");
    request.country = "Poland".into();
    request.has_accepted_p100_tc = false;
    let failure = client(&app).create_user(&request).await.unwrap_err();
    let message = failure.error.staff_message();
    assert!(
        message.contains("country must be an ISO 3166-1 alpha-2 code"),
        "{message}"
    );
    assert!(message.contains("hasAcceptedP100Tc must be true"), "{message}");
    assert_eq!(failure.error.code(), "P403");
    let again = client(&app).create_user(&new_user("demo-0001")).await.unwrap_err();
    assert!(matches!(again.error, P100Error::Refused { code: PCode::P411, .. }));
}

#[tokio::test]
async fn reads_are_retried_on_5xx_and_timeouts_but_money_never_is() {
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    let p100 = client(&app);

    fault(&app, "partner.balances", |f| {
        f.http_status = Some(503);
        f.count = 2;
    })
    .await;
    let reply = p100.partner_balances().await.unwrap();
    assert_eq!(reply.call.attempts, 3, "two 503s, then the answer");

    fault(&app, "partner.balances", |f| {
        f.http_status = Some(502);
        f.count = 5;
    })
    .await;
    let failure = p100.partner_balances().await.unwrap_err();
    assert_eq!(
        (failure.error.clone(), failure.call.attempts),
        (P100Error::Unavailable { status: 502 }, 3)
    );
    control::clear_faults(sandbox(&app)).await.unwrap();

    fault(&app, "exchange.rates", |f| f.timeout = true).await;
    let reply = p100.exchange_rates().await.unwrap();
    assert_eq!(reply.call.attempts, 2, "a read that timed out is read again");

    // A money movement that fails is not sent again...
    let before = backoffice::sandbox::movement_count(app.db(), "sepa").await.unwrap();
    fault(&app, "partner.sepa_transfer", |f| f.http_status = Some(503)).await;
    let payout = SepaTransferRequest {
        source_external_user_id: None,
        amount: amount("12.00"),
        currency: Currency::Eur,
        destination_iban: "DE89370400440532013000".into(),
        transfer_title: "Retry check".into(),
        receiver_type: None,
        receiver_first_name: None,
        receiver_last_name: None,
        company_name: None,
    };
    let failure = p100.sepa_transfer(&payout).await.unwrap_err();
    assert_eq!(
        (failure.error, failure.call.attempts),
        (P100Error::Unavailable { status: 503 }, 1)
    );
    assert_eq!(
        backoffice::sandbox::movement_count(app.db(), "sepa").await.unwrap(),
        before
    );

    // ...and one whose answer never came is "outcome unknown": it did happen upstream, once.
    fault(&app, "partner.sepa_transfer", |f| f.timeout = true).await;
    let failure = p100.sepa_transfer(&payout).await.unwrap_err();
    assert_eq!(
        failure.error,
        P100Error::OutcomeUnknown {
            endpoint: "partner.sepa_transfer"
        }
    );
    assert_eq!(failure.call.attempts, 1);
    assert!(failure.error.staff_message().contains("check its status"));
    assert_eq!(
        backoffice::sandbox::movement_count(app.db(), "sepa").await.unwrap(),
        before + 1
    );
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_access_denied() {
    let app = spawn_app().await;
    let base = url::Url::parse(&app.url(backoffice::sandbox::MOUNT)).unwrap();
    let wrong = Client::new(base, "not-the-key".to_owned().into(), Default::default()).unwrap();
    let failure = wrong.partner_balances().await.unwrap_err();
    assert_eq!(failure.error, P100Error::AccessDenied { marker: "xo2".into() });
    assert!(failure.error.staff_message().contains("API key"));
    let bare = reqwest::get(app.url("/sandbox/p100/v1/partner/balances"))
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(bare.text().await.unwrap(), "Access Denied. xo1");
}

#[tokio::test]
async fn money_rules_hold_in_the_sandbox() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);

    // More than the balance: P433, and nothing moved.
    let lock = p100.partner_exchange_lock().await.unwrap().value;
    let too_much = ExchangeRequest {
        source_external_user_id: None,
        amount: Num(amount("43")),
        currency_from: Currency::Eth,
        currency_to: Currency::Eur,
        lock_id: lock.id.clone(),
    };
    let failure = p100.exchange(&too_much).await.unwrap_err();
    assert!(matches!(failure.error, P100Error::Refused { code: PCode::P433, .. }));
    assert!(failure.error.staff_message().contains("balance is too low"));
    assert_eq!(
        balance_of(&p100.partner_balances().await.unwrap().value, &Currency::Eth),
        Decimal::from(42)
    );

    // An expired or used lock is refused.
    let exchange = ExchangeRequest {
        amount: Num(amount("1")),
        ..too_much.clone()
    };
    p100.exchange(&exchange).await.unwrap();
    let reused = p100.exchange(&exchange).await.unwrap_err();
    assert!(reused.error.staff_message().contains("already used"));
    let lock = p100.partner_exchange_lock().await.unwrap().value;
    sqlx::query("UPDATE sandbox_locks SET valid_until = '2000-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(&lock.id)
        .execute(app.db())
        .await
        .unwrap();
    let expired = p100
        .exchange(&ExchangeRequest {
            lock_id: lock.id,
            ..exchange.clone()
        })
        .await
        .unwrap_err();
    assert!(expired.error.staff_message().contains("expired"));

    // A SEPA payout beyond the balance is accepted, then fails with the reason (as P100 does).
    let payout = SepaTransferRequest {
        source_external_user_id: None,
        amount: amount("999999.00"),
        currency: Currency::Eur,
        destination_iban: "DE89370400440532013000".into(),
        transfer_title: "Too much".into(),
        receiver_type: None,
        receiver_first_name: None,
        receiver_last_name: None,
        company_name: None,
    };
    let created = p100.sepa_transfer(&payout).await.unwrap().value;
    let failed = eventually("the payout to fail", || async {
        let d = p100.sepa_transfer_details(&created.transfer_id).await.unwrap().value;
        (d.status == MovementStatus::Failed).then_some(d)
    })
    .await;
    assert_eq!(failed.error.unwrap().description.as_deref(), Some("Insufficient funds"));

    // The control completes or fails a movement on demand.
    let small = SepaTransferRequest {
        amount: amount("5.00"),
        transfer_title: "Forced".into(),
        ..payout
    };
    control::apply_settings(
        sandbox(&app),
        &Settings {
            settle_ms: Some(60_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let held = p100.sepa_transfer(&small).await.unwrap().value;
    let status = control::force(sandbox(&app), &held.transfer_id, false).await.unwrap();
    assert_eq!(status, "FAILED");
}

async fn webhook_events(app: &TestApp) -> Vec<(String, String, bool, String, i64)> {
    let rows: Vec<(String, String, db::Flag, String, i64)> = sqlx::query_as(
        "SELECT route, kind, CASE WHEN authenticated THEN 1 ELSE 0 END, status, deliveries
         FROM webhook_events ORDER BY received_at",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(route, kind, authenticated, status, deliveries)| (route, kind, authenticated.into(), status, deliveries))
        .collect()
}

#[tokio::test]
async fn the_sandbox_sends_webhooks_and_the_intake_stores_them_once() {
    let app = spawn_app().await;
    quick(&app).await;
    let p100 = client(&app);
    p100.create_user(&new_user("hook-user")).await.unwrap();
    p100.create_kyc_verification("hook-user").await.unwrap();
    // The user was made straight at P100, not through the back office: its events are stored and
    // marked ignored, as the registry has no such user.
    let events = eventually("KYC webhooks", || async {
        let events = webhook_events(&app).await;
        (events
            .iter()
            .filter(|e| e.1 == "kyc_status" && e.3 == "ignored")
            .count()
            >= 3)
            .then_some(events)
    })
    .await;
    assert!(events.iter().all(|e| e.2), "every sandbox delivery carried the token");

    let token = app.webhook_token();
    let http = reqwest::Client::new();
    let url = app.url("/webhooks/p100/webhook/user/status");
    let body = json!({ "externalUserId": "hook-user", "status": "ACTIVE" });
    for header in [token.clone(), format!("Bearer {token}")] {
        let response = http
            .post(&url)
            .header("authorization", header)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
    }
    let stored: Vec<_> = webhook_events(&app)
        .await
        .into_iter()
        .filter(|e| e.1 == "user_status")
        .collect();
    assert_eq!(stored.len(), 1, "a redelivery is the same event");
    assert_eq!(stored[0].4, 2, "and it was counted");

    let wrong = http
        .post(&url)
        .header("authorization", "nope")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let missing = http
        .post(&url)
        .json(&json!({ "externalUserId": "x", "status": "ACTIVE" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(
        webhook_events(&app).await.iter().all(|e| e.2),
        "a refused delivery's body is not kept"
    );
    let refused: i64 =
        sqlx::query_scalar("SELECT CAST(SUM(refused) AS BIGINT) FROM webhook_refusals WHERE source = '127.0.0.1'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(refused, 2, "refused deliveries are counted by source");

    // The FAQ's envelope, on a route that does not say what it is.
    let envelope = json!({ "event_type": "crypto_deposit.status_changed", "data": { "cryptoDepositId": "dep_123", "status": "WAITING_FOR_TR_DATA", "amount": "0.05", "currency": "btc" } });
    let response = http
        .post(app.url("/webhooks/p100/webhook"))
        .header("authorization", &token)
        .json(&envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(webhook_events(&app).await.iter().any(|e| e.1 == "crypto_deposit"));

    let health = http.get(app.url("/webhooks/p100/webhook/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn undelivered_webhooks_follow_p100s_retry_schedule() {
    let app = spawn_app().await;
    quick(&app).await;
    // The intake cannot store anything: it answers 503, and the sandbox must retry, five times in all.
    control::set_delivery(sandbox(&app), DeliveryMode::Routes)
        .await
        .unwrap();
    sqlx::query("DROP TABLE webhook_events")
        .execute(app.db())
        .await
        .unwrap();
    client(&app).create_user(&new_user("retry-user")).await.unwrap();
    client(&app).suspend_user("retry-user").await.unwrap();
    let (attempts, status, next): (i64, Option<i64>, Option<String>) = eventually("five attempts", || async {
        let row: (i64, Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT attempts, last_status, next_attempt_at FROM sandbox_webhooks WHERE route = 'webhook/user/status'",
        )
        .fetch_one(app.db())
        .await
        .unwrap();
        (row.0 == 5).then_some(row)
    })
    .await;
    assert_eq!(
        (attempts, status, next),
        (5, Some(503), None),
        "given up after the fifth"
    );
}

#[tokio::test]
async fn the_control_endpoint_is_an_admins_and_audited() {
    let app = spawn_app().await;
    let path = "/sandbox/p100/_control/faults";
    let fault = json!({ "endpoint": "partner.balances", "pCode": "P501", "count": 3 });
    let post = |client: &crate::helpers::Client, body: &Value| client.http.post(app.url(path)).json(body).send();
    // Not with the sandbox's API key (anyone running the app has it), not without a session,
    // not for a member who is not an admin; nothing armed meanwhile.
    let key = sandbox(&app).api_key().expose_secret().to_owned();
    let keyed = reqwest::Client::new()
        .post(app.url(path))
        .header("x-api-key", &key)
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(keyed.status(), StatusCode::UNAUTHORIZED);
    let finance = app.signed_in(Role::Finance).await;
    assert_eq!(post(&finance, &fault).await.unwrap().status(), StatusCode::FORBIDDEN);
    client(&app).partner_balances().await.expect("no fault was armed");

    let admin = app.signed_in(Role::Admin).await;
    let armed = post(&admin, &fault).await.unwrap();
    assert_eq!(armed.status(), StatusCode::NO_CONTENT);
    let row = app.last_audit("sandbox.control").await.expect("the change is audited");
    assert_eq!(row.outcome, "success");
    assert_eq!(row.target_id.as_deref(), Some("POST /sandbox/p100/_control/faults"));
    assert!(row.after_data.unwrap_or_default().contains("P501"));
    let failure = client(&app).partner_balances().await.unwrap_err();
    assert!(matches!(failure.error, P100Error::Refused { code: PCode::P501, .. }));
    assert_eq!(failure.call.attempts, 3, "P501 is temporary: a read tries three times");

    let bad = json!({ "endpoint": "no.such", "count": 1 });
    assert_eq!(post(&admin, &bad).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.last_audit("sandbox.control").await.unwrap().outcome, "failure");
}
