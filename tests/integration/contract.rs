//! The sandbox must not drift from the documented API: every route's requests and answers are
//! checked against ../shared/p100-api/openapi.yaml (its JSON schemas, refs resolved in place).

use std::collections::BTreeSet;
use std::time::Duration;

use backoffice::p100::endpoints::{self, Endpoint};
use backoffice::sandbox::payer::Payment;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/p100-api/openapi.yaml");

struct Contract {
    spec: Value,
    app: TestApp,
    key: String,
    http: reqwest::Client,
    checked: BTreeSet<&'static str>,
}

impl Contract {
    /// The schema at `schema` (a fragment of the spec), with the spec's components beside it so
    /// every `#/components/...` reference resolves.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut schema = schema.clone();
        schema["components"] = self.spec["components"].clone();
        jsonschema::draft202012::new(&schema).expect("the spec's schemas compile")
    }

    fn operation(&self, endpoint: &Endpoint) -> &Value {
        let operation = &self.spec["paths"][endpoint.template][endpoint.method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{} {} is not in openapi.yaml",
            endpoint.method,
            endpoint.template
        );
        operation
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(path) => path.split('/').fold(&self.spec, |node, key| &node[key]),
            None => value,
        }
    }

    /// Sends one request to the sandbox and checks both the request and the answer against the spec.
    async fn call(
        &mut self,
        endpoint: &'static Endpoint,
        params: &[&str],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let operation = self.operation(endpoint).clone();
        if let Some(body) = &body {
            let schema = &self.resolve(&operation["requestBody"])["content"]["application/json"]["schema"];
            if schema.is_object() {
                let errors: Vec<String> = self
                    .validator(schema)
                    .iter_errors(body)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{} request does not match the spec: {errors:?}\n{body}",
                    endpoint.name
                );
            }
        }
        let url = self
            .app
            .url(&format!("{}{}", backoffice::sandbox::MOUNT, endpoint.path(params)));
        let mut request = self
            .http
            .request(endpoint.method.clone(), url)
            .query(query)
            .header("x-api-key", &self.key);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.check_answer(endpoint, &operation, status, &answer);
        (status, answer)
    }

    fn check_answer(&mut self, endpoint: &'static Endpoint, operation: &Value, status: StatusCode, answer: &Value) {
        let documented = &operation["responses"][status.as_str()];
        assert!(
            documented.is_object(),
            "{} answered {status}, which the spec does not list: {answer}",
            endpoint.name
        );
        let content = &self.resolve(documented)["content"];
        let schema = if answer.is_string() {
            &content["text/plain"]["schema"]
        } else {
            &content["application/json"]["schema"]
        };
        if schema.is_object() {
            let errors: Vec<String> = self
                .validator(schema)
                .iter_errors(answer)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{} {status} answer does not match the spec: {errors:?}\n{answer}",
                endpoint.name
            );
        }
        self.checked.insert(endpoint.name);
    }

    async fn ok(
        &mut self,
        endpoint: &'static Endpoint,
        params: &[&str],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Value {
        let (status, answer) = self.call(endpoint, params, query, body).await;
        assert_eq!(status, StatusCode::OK, "{}: {answer}", endpoint.name);
        answer
    }

    /// A multipart upload (its request is a form, so only the answer is checked).
    async fn upload(&mut self, endpoint: &'static Endpoint, user: &str, fields: &[&'static str]) {
        let mut form = reqwest::multipart::Form::new().text("documentType", "PASSPORT");
        for field in fields {
            form = form.part(
                *field,
                reqwest::multipart::Part::bytes(vec![0xff, 0xd8, 0, 1]).file_name(format!("{field}.jpg")),
            );
        }
        let url = self
            .app
            .url(&format!("{}{}", backoffice::sandbox::MOUNT, endpoint.path(&[user])));
        let response = self
            .http
            .post(url)
            .header("x-api-key", &self.key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{}: {answer}", endpoint.name);
        let operation = self.operation(endpoint).clone();
        self.check_answer(endpoint, &operation, status, &answer);
    }

    /// Waits for a movement's details to reach a final status.
    async fn settled(&mut self, endpoint: &'static Endpoint, id: &str, field: &str, finals: &[&str]) -> Value {
        for _ in 0..100 {
            let details = self.ok(endpoint, &[id], &[], None).await;
            if finals.iter().any(|f| details[field] == *f) {
                return details;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} {id} did not settle", endpoint.name);
    }

    /// Makes a movement at `endpoint` and waits for `details` to show it `status`.
    async fn moved(
        &mut self,
        endpoint: &'static Endpoint,
        body: Value,
        id_field: &str,
        details: &'static Endpoint,
        status: &str,
    ) {
        let made = self.ok(endpoint, &[], &[], Some(body)).await;
        let id = made[id_field]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no {id_field} in {made}", endpoint.name));
        self.settled(details, id, "status", &[status]).await;
    }
}

/// A request as a table row: (route, path parameters, query, body).
type Request<'a> = (
    &'static Endpoint,
    &'a [&'a str],
    &'a [(&'a str, &'a str)],
    Option<Value>,
);

/// A refusal as a table row: (case, route, path parameters, body, status, errorCode if checked).
type Refusal<'a> = (
    &'a str,
    &'static Endpoint,
    &'a [&'a str],
    Option<Value>,
    StatusCode,
    Option<&'a str>,
);

fn user_body(id: &str) -> Value {
    json!({
        "externalUserId": id, "email": format!("{id}@example.com"), "phone": "486012334567", "firstName": "Jan",
        "lastName": "Kowalski", "street": "ul. Marszałkowska", "number": "123/5", "city": "Warszawa",
        "postCode": "00-001", "country": "PL", "citizenship": "PL", "nationality": "PL", "birthCountry": "PL",
        "birthDate": "1990-01-01", "userIdentificationNumber": "90010112345", "hasAcceptedP100Tc": true
    })
}

#[tokio::test]
async fn every_sandbox_route_matches_openapi_yaml() {
    let yaml = std::fs::read_to_string(OPENAPI)
        .unwrap_or_else(|e| panic!("{OPENAPI}: {e} (../shared must sit beside the repo)"));
    let spec: Value = serde_norway::from_str(&yaml).expect("openapi.yaml parses");
    let app = spawn_app().await;
    let sandbox = app.state.sandbox.clone().unwrap();
    backoffice::sandbox::control::apply_settings(
        &sandbox,
        &backoffice::sandbox::control::Settings {
            settle_ms: Some(100),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let key = sandbox.api_key().expose_secret().to_owned();
    let mut c = Contract {
        spec,
        app,
        key,
        http: reqwest::Client::new(),
        checked: BTreeSet::new(),
    };
    use endpoints::*;

    // Routes that need nothing made before them.
    let plain: [Request; 8] = [
        (&PARTNER_BALANCES, &[], &[], None),
        (&PARTNER_TRANSACTIONS, &[], &[("page", "2"), ("limit", "10")], None),
        (&PARTNER_CREATE_WALLET, &[], &[], Some(json!({ "currency": "ltc" }))),
        (&EXCHANGE_RATES, &[], &[], None),
        (&ORDER_RATES, &[], &[], None),
        (&PARTNER_SEPA_DEPOSIT_INFO, &[], &[], None),
        (&PARTNER_SEPA_CONTACTS, &[], &[], None),
        (&NETWORK_FEE, &[], &[("currency", "usdc"), ("network", "polygon")], None),
    ];
    for (endpoint, params, query, body) in plain {
        c.ok(endpoint, params, query, body).await;
    }

    // The partner's movements, each followed to its end: (route, body, id field, details route, final status).
    let lock = c.ok(&PARTNER_EXCHANGE_LOCK, &[], &[], None).await;
    let moves: [(&'static Endpoint, Value, &str, &'static Endpoint, &str); 3] = [
        (
            &PARTNER_EXCHANGE,
            json!({ "amount": 0.25, "currencyFrom": "eth", "currencyTo": "eur", "lockId": lock["id"] }),
            "exchangeId",
            &EXCHANGE_DETAILS,
            "COMPLETED",
        ),
        (
            &PARTNER_SEPA_TRANSFER,
            json!({ "amount": "25.00", "currency": "eur", "destinationIban": "DE89370400440532013000", "transferTitle": "Contract" }),
            "transferId",
            &SEPA_TRANSFER_DETAILS,
            "SUCCESSFUL",
        ),
        (
            &PARTNER_CRYPTO_WITHDRAWAL,
            json!({
                "currency": "eth", "amount": 0.05, "walletAddress": "0x2e90ca5bbe46d5ae23f2df90457d020391b92673",
                "name": "Treasury", "walletType": "CUSTODIAL", "receiverType": "LEGAL"
            }),
            "withdrawalId",
            &CRYPTO_WITHDRAWAL_DETAILS,
            "SUCCESSFUL",
        ),
    ];
    for (endpoint, body, id, details, status) in moves {
        c.moved(endpoint, body, id, details, status).await;
    }

    // A user through onboarding, KYC and every account action.
    let user = "contract-user";
    c.ok(&CREATE_USER, &[], &[], Some(user_body(user))).await;
    let (status, _) = c.call(&KYC_STATUS, &[user], &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "P445 before any verification");
    c.ok(
        &CREATE_KYC_VERIFICATION,
        &[],
        &[],
        Some(json!({ "externalUserId": user })),
    )
    .await;
    c.ok(&KYC_REDIRECT, &[user], &[], None).await;
    c.settled(&KYC_STATUS, user, "verificationStatus", &["VERIFIED"]).await;
    c.upload(&KYC_FILE, user, &["front", "back", "selfie"]).await;
    c.ok(
        &ADD_VERIFICATION,
        &[],
        &[],
        Some(json!({ "externalUserId": user, "documentType": "ID_CARD", "documentNumber": "ABC123" })),
    )
    .await;
    c.upload(&POA_FILE, user, &["file"]).await;
    c.ok(
        &UPDATE_USER,
        &[],
        &[],
        Some(json!({ "externalUserId": user, "phone": "486012334568" })),
    )
    .await;
    for endpoint in [
        &USER_BALANCES,
        &USER_TRANSACTIONS,
        &USER_SEPA_DEPOSIT_INFO,
        &USER_SEPA_CONTACTS,
    ] {
        c.ok(endpoint, &[user], &[], None).await;
    }
    let funding = json!({ "destinationExternalUserId": user, "currency": "eur", "amount": "300.00" });
    c.moved(&CREATE_TRANSFER, funding, "transferId", &TRANSFER_DETAILS, "SUCCESSFUL")
        .await;
    let lock = c.ok(&USER_EXCHANGE_LOCK, &[user], &[], None).await;
    let body = json!({ "sourceExternalUserId": user, "amount": 50, "currencyFrom": "eur", "currencyTo": "btc", "lockId": lock["id"] });
    c.ok(&USER_EXCHANGE, &[], &[], Some(body)).await;
    let payout = json!({ "sourceExternalUserId": user, "amount": "20.00", "currency": "eur", "destinationIban": "DE89370400440532013000", "transferTitle": "Out" });
    c.ok(&USER_SEPA_TRANSFER, &[], &[], Some(payout)).await;
    let lock_id = c.ok(&USER_EXCHANGE_LOCK, &[user], &[], None).await["id"].clone();
    let back = json!({ "sourceExternalUserId": user, "amount": 100, "currencyFrom": "eur", "currencyTo": "usdc", "lockId": lock_id });
    c.moved(&USER_EXCHANGE, back, "exchangeId", &EXCHANGE_DETAILS, "COMPLETED")
        .await;
    let withdrawal = json!({
        "sourceExternalUserId": user, "currency": "usdc", "amount": 6, "network": "polygon",
        "walletAddress": "0x2e90ca5bbe46d5ae23f2df90457d020391b92673", "name": "Jan Kowalski",
        "walletType": "NON_CUSTODIAL", "receiverType": "NATURAL"
    });
    c.ok(&USER_CRYPTO_WITHDRAWAL, &[], &[], Some(withdrawal)).await;
    c.ok(&SUSPEND_USER, &[user], &[], None).await;
    c.ok(&UNSUSPEND_USER, &[user], &[], None).await;
    c.ok(&CREATE_USER, &[], &[], Some(user_body("contract-gone"))).await;
    c.ok(&DELETE_USER, &["contract-gone"], &[], None).await;

    let deposit: (String,) = sqlx::query_as("SELECT id FROM sandbox_movements WHERE kind = 'crypto_deposit' LIMIT 1")
        .fetch_one(c.app.db())
        .await
        .unwrap();
    let travel =
        json!({ "cryptoDepositId": deposit.0, "name": "Sender", "walletType": "CUSTODIAL", "receiverType": "NATURAL" });
    c.ok(&TRAVEL_RULE, &[], &[], Some(travel)).await;

    let lock = c
        .ok(
            &ORDER_LOCK,
            &[],
            &[],
            Some(json!({ "currency": "usdc", "amount": "346.59", "network": "polygon" })),
        )
        .await;
    let order = c
        .ok(&ORDER_CREATE, &[], &[], Some(json!({ "lockId": lock["lockId"] })))
        .await;
    let order = order["orderId"].as_str().expect("an orderId");
    c.settled(&ORDER_DETAILS, order, "status", &["WAITING_FOR_PAYMENT"])
        .await;
    backoffice::sandbox::payer::pay(&sandbox, order, Payment::Exact)
        .await
        .unwrap();
    c.settled(&ORDER_DETAILS, order, "status", &["COMPLETED"]).await;
    let link = c
        .ok(
            &PAYMENT_LINK,
            &[],
            &[],
            Some(json!({ "amount": "25.00", "currency": "eur" })),
        )
        .await;
    c.ok(
        &HOSTED_CHECKOUT,
        &[],
        &[],
        Some(json!({ "amount": "40.00", "currency": "eur" })),
    )
    .await;
    c.ok(&PAYMENT_LINK_DETAILS, &[link["id"].as_str().unwrap()], &[], None)
        .await;

    // Refusals have the documented shapes too.
    let mut invalid = user_body("contract-invalid");
    invalid["country"] = json!("Poland");
    let refusals: [Refusal; 11] = [
        (
            "the card module is suspended",
            &CARD_CREATE,
            &[],
            Some(json!({ "externalUserId": user, "label": "Travel", "pin": "4821" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_LIST,
            &[user],
            None,
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_DETAILS,
            &[user, "card-1"],
            None,
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_PIN,
            &[],
            Some(json!({ "externalUserId": user, "cardId": "card-1", "pin": "1234" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_BLOCK,
            &[],
            Some(json!({ "externalUserId": user, "cardId": "card-1" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_UNBLOCK,
            &[],
            Some(json!({ "externalUserId": user, "cardId": "card-1" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_LIMITS,
            &[user, "card-1"],
            None,
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_UPDATE_LIMITS,
            &[],
            Some(
                json!({ "externalUserId": user, "cardId": "card-1", "monthlyTrxAll": 500, "dailyTrxAll": 100, "monthlyTrxAtm": 200, "dailyTrxAtm": 50, "monthlyTrxEcom": 300, "dailyTrxEcom": 100 }),
            ),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "the card module is suspended",
            &CARD_DELETE,
            &[],
            Some(json!({ "externalUserId": user, "cardId": "card-1" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "a country that is no ISO code",
            &CREATE_USER,
            &[],
            Some(invalid),
            StatusCode::BAD_REQUEST,
            Some("P403"),
        ),
        (
            "P428: no such transfer",
            &SEPA_TRANSFER_DETAILS,
            &["no-such-transfer"],
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
    ];
    for (case, endpoint, params, body, status, code) in refusals {
        let (got, refusal) = c.call(endpoint, params, &[], body).await;
        assert_eq!(got, status, "{case} ({}): {refusal}", endpoint.name);
        if code.is_some() {
            assert_eq!(
                refusal["errorCode"].as_str(),
                code,
                "{case} ({}): {refusal}",
                endpoint.name
            );
        }
    }
    c.key = "wrong".into();
    let (status, denied) = c.call(&PARTNER_BALANCES, &[], &[], None).await;
    assert_eq!(
        (status, denied),
        (StatusCode::UNAUTHORIZED, json!("Access Denied. xo2")),
        "a wrong key"
    );

    let all: BTreeSet<&str> = endpoints::ALL.iter().map(|e| e.name).collect();
    let unchecked: Vec<_> = all.difference(&c.checked).collect();
    assert!(
        unchecked.is_empty(),
        "routes not checked against the spec: {unchecked:?}"
    );
}
