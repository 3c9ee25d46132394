//! Money is sent to P100 at most once and its record here ends in the state P100 holds, whatever P100
//! answers: every money-moving operation against every class of answer the documents allow, plus a
//! restart before and after the call, driven over HTTP against the sandbox. Each case asserts how
//! many movements the sandbox holds (0 or 1), the local record's final state, its audit trail, and
//! that reconciliation never calls an unclear one matched. A failure names its case.

use backoffice::domain::Role;
use backoffice::sandbox::control::Fault;
use backoffice::sandbox::movement_count;
use backoffice::server::reconciliation::check;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, eventually, fault, quick, spawn_app_with};

const FUNDED: &str = "demo-0025";
const IBAN: &str = "DE89 3704 0044 0532 0130 00";
const BTC_ADDRESS: &str = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    SepaPartner,
    SepaUser,
    CryptoPartner,
    CryptoUser,
    TransferToUser,
    TransferToPartner,
    ExchangePartner,
    ExchangeUser,
}

impl Op {
    /// The sandbox endpoint the operation calls, and the kind its movements are stored under.
    fn endpoint(self) -> (&'static str, &'static str) {
        match self {
            Op::SepaPartner => ("partner.sepa_transfer", "sepa"),
            Op::SepaUser => ("user.sepa_transfer", "sepa"),
            Op::CryptoPartner => ("partner.crypto_withdrawal", "crypto_withdrawal"),
            Op::CryptoUser => ("user.crypto_withdrawal", "crypto_withdrawal"),
            Op::TransferToUser | Op::TransferToPartner => ("transfer.create", "transfer"),
            Op::ExchangePartner => ("partner.exchange", "exchange"),
            Op::ExchangeUser => ("user.exchange", "exchange"),
        }
    }

    fn holder(self) -> Value {
        match self {
            Op::SepaUser | Op::CryptoUser | Op::ExchangeUser => json!({ "User": FUNDED }),
            _ => json!("Partner"),
        }
    }

    fn is_exchange(self) -> bool {
        matches!(self, Op::ExchangePartner | Op::ExchangeUser)
    }

    /// A distinct amount per case, so that no case's movement fits another's entries.
    fn input(self, case: usize) -> Value {
        let holder = self.holder();
        match self {
            Op::SepaPartner | Op::SepaUser => {
                json!({ "Sepa": { "holder": holder, "beneficiary": "Anna Nowak", "iban": IBAN, "bic": "COBADEFFXXX",
                    "amount": format!("{}.{case:02}", 20 + case), "reference": format!("Matrix {case}") } })
            }
            Op::CryptoPartner | Op::CryptoUser => json!({ "Crypto": { "holder": holder, "currency": "btc",
                "network": "btc", "address": BTC_ADDRESS, "amount": format!("0.01{case:02}"), "memo": "",
                "beneficiary": "Anna Nowak", "wallet_type": "NON_CUSTODIAL", "receiver_type": "NATURAL" } }),
            Op::TransferToUser | Op::TransferToPartner => {
                let direction = if self == Op::TransferToUser {
                    "to_user"
                } else {
                    "to_partner"
                };
                json!({ "Transfer": { "user": FUNDED, "direction": direction, "currency": "eur",
                    "amount": format!("{}.{case:02}", 5 + case), "note": "matrix" } })
            }
            Op::ExchangePartner | Op::ExchangeUser => json!({ "holder": holder, "from": "eur", "to": "ltc",
                "amount": format!("{}.{case:02}", 30 + case) }),
        }
    }

    /// Makes the movement (a refusal is its record's state, not an error here) and returns its id
    /// and its status right after.
    async fn run(self, client: &Client, case: usize) -> (String, String) {
        if self.is_exchange() {
            let (status, locked) = client
                .call("exchanges/lock", json!({ "input": self.input(case) }))
                .await;
            assert_eq!(status, StatusCode::OK, "{self:?} lock: {locked}");
            let id = locked["id"].as_str().unwrap().to_owned();
            client.call("exchanges/finalize", json!({ "id": id })).await;
            let now = self.get(client, &id).await;
            return (id, now["status"].as_str().unwrap().to_owned());
        }
        let input = self.input(case);
        let (status, review) = client.call("payouts/review", json!({ "input": input })).await;
        assert_eq!(status, StatusCode::OK, "{self:?} review: {review}");
        let (status, detail) = client
            .call("payouts/submit", json!({ "input": input, "key": review["key"] }))
            .await;
        assert_eq!(status, StatusCode::OK, "{self:?} submit: {detail}");
        let id = detail["movement"]["id"].as_str().unwrap().to_owned();
        (id, detail["movement"]["status"].as_str().unwrap().to_owned())
    }

    /// The record, brought up to date from P100 as its page does.
    async fn get(self, client: &Client, id: &str) -> Value {
        let (endpoint, path): (&str, &[&str]) = if self.is_exchange() {
            ("exchanges/get", &[])
        } else {
            ("payouts/get", &["movement"])
        };
        let (status, body) = client.call(endpoint, json!({ "id": id })).await;
        assert_eq!(status, StatusCode::OK, "{self:?} get: {body}");
        path.iter().fold(body, |v, key| v[*key].clone())
    }

    fn table(self) -> &'static str {
        if self.is_exchange() { "exchanges" } else { "movements" }
    }

    fn audit_prefix(self) -> &'static str {
        if self.is_exchange() { "exchanges." } else { "payouts." }
    }
}

/// What P100 does and answers.
#[derive(Clone, Copy)]
enum Answer {
    Fault(fn(&mut Fault)),
    /// The server stops after recording the send and before anything reaches P100.
    RestartBeforeCall,
    /// The server stops after P100 applied it and before its answer was recorded.
    RestartAfterCall,
}

struct Case {
    name: &'static str,
    answer: Answer,
    /// Movements at the sandbox afterwards.
    at_p100: i64,
    /// The local record's state once followed.
    ends: &'static str,
}

fn cases() -> Vec<Case> {
    use Answer::*;
    vec![
        Case {
            name: "2xx",
            answer: Fault(|_| {}),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "P433 refused",
            answer: Fault(|f| f.p_code = Some("P433".into())),
            at_p100: 0,
            ends: "failed",
        },
        Case {
            name: "P403 refused",
            answer: Fault(|f| f.p_code = Some("P403".into())),
            at_p100: 0,
            ends: "failed",
        },
        Case {
            name: "P500 on HTTP 400 after applying",
            answer: Fault(|f| {
                f.p_code = Some("P500".into());
                f.applied = Some(true);
            }),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "P500 on HTTP 400, not applied",
            answer: Fault(|f| {
                f.p_code = Some("P500".into());
                f.applied = Some(false);
            }),
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "P501 after applying",
            answer: Fault(|f| {
                f.p_code = Some("P501".into());
                f.applied = Some(true);
            }),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "an undocumented P-code, not applied",
            answer: Fault(|f| f.p_code = Some("P999".into())),
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "503 after applying",
            answer: Fault(|f| {
                f.http_status = Some(503);
                f.applied = Some(true);
            }),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "502, not applied",
            answer: Fault(|f| f.http_status = Some(502)),
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "429 to the POST",
            answer: Fault(|f| f.http_status = Some(429)),
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "timeout after applying",
            answer: Fault(|f| f.timeout = true),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "timeout, not applied",
            answer: Fault(|f| {
                f.timeout = true;
                f.applied = Some(false);
            }),
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "2xx without the documented fields, applied",
            answer: Fault(|f| {
                f.malformed = true;
                f.applied = Some(true);
            }),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "connection dropped after applying",
            answer: Fault(|f| {
                f.reset = true;
                f.applied = Some(true);
            }),
            at_p100: 1,
            ends: "completed",
        },
        Case {
            name: "connection dropped, not applied",
            answer: Fault(|f| f.reset = true),
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "restart before the call",
            answer: RestartBeforeCall,
            at_p100: 0,
            ends: "unknown",
        },
        Case {
            name: "restart after the call",
            answer: RestartAfterCall,
            at_p100: 1,
            ends: "completed",
        },
    ]
}

/// Sets a record back to `submitting` with no P100 id, as a restart mid-call leaves it, and runs the
/// background round that finds such records.
async fn cut_off(app: &TestApp, op: Op, id: &str) {
    sqlx::query(&format!(
        "UPDATE {} SET status = 'submitting', upstream_id = NULL, failure = NULL,
             updated_at = '2000-01-01T00:00:00.000Z' WHERE id = $1",
        op.table()
    ))
    .bind(id)
    .execute(app.db())
    .await
    .unwrap();
    if op.is_exchange() {
        backoffice::server::exchanges::follow_due(&app.state).await.unwrap()
    } else {
        backoffice::server::movements::follow_due(&app.state).await.unwrap()
    }
}

/// A member's decision about an unclear payout or exchange, as its page sends it.
async fn decide(client: &Client, subject: &str, id: &str, upstream: Option<&str>) -> (StatusCode, Value) {
    let note = "the bank statement shows one debit";
    let input = json!({ "subject": subject, "id": id, "upstream_id": upstream, "note": note });
    client.call("payouts/resolve", json!({ "input": input })).await
}

/// A member approves exactly the request they were shown.
async fn approve(client: &Client, request: &Value) -> (StatusCode, Value) {
    let decision = json!({ "Approve": { "payload_hash": request["payload_hash"] } });
    client
        .call("approvals/decide", json!({ "id": request["id"], "decision": decision }))
        .await
}

async fn audit_actions(app: &TestApp, id: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log WHERE target_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(app.db())
        .await
        .unwrap()
}

/// Every amount goes straight to P100: this suite is about P100's answers, not four-eyes (whose
/// thresholds the many cases to one destination would pass together).
async fn without_thresholds(app: &TestApp) {
    sqlx::query("UPDATE settings SET value = '1000000' WHERE key LIKE 'approval_threshold.%'")
        .execute(app.db())
        .await
        .unwrap();
}

/// The user whose money the user-side cases move holds enough for every case.
async fn fund_the_user(app: &TestApp) {
    for (currency, amount) in [("eur", "100000.00"), ("btc", "10.00000000")] {
        sqlx::query("UPDATE sandbox_balances SET amount = $3 WHERE owner = $1 AND currency = $2")
            .bind(FUNDED)
            .bind(currency)
            .bind(amount)
            .execute(app.db())
            .await
            .unwrap();
    }
}

async fn matrix(op: Op) {
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    without_thresholds(&app).await;
    fund_the_user(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let (endpoint, kind) = op.endpoint();
    let mut unclear = Vec::new();
    for (n, case) in cases().into_iter().enumerate() {
        let name = format!("{op:?} × {}", case.name);
        let before = movement_count(app.db(), kind).await.unwrap();
        match case.answer {
            Answer::Fault(arm) => fault(&app, endpoint, arm).await,
            // Nothing reaches P100: the call is refused unapplied, then the record is cut off as a
            // restart leaves it.
            Answer::RestartBeforeCall => {
                fault(&app, endpoint, |f| {
                    f.http_status = Some(503);
                    f.applied = Some(false);
                })
                .await
            }
            Answer::RestartAfterCall => {}
        }
        let (id, _) = op.run(&finance, n).await;
        if matches!(case.answer, Answer::RestartBeforeCall | Answer::RestartAfterCall) {
            cut_off(&app, op, &id).await;
        }
        let record = eventually(&format!("{name}: the record to end {}", case.ends), || async {
            let record = op.get(&finance, &id).await;
            let settled = record["status"] == case.ends
                || (case.ends != "completed" && record["status"] != "submitting" && record["status"] != "pending");
            settled.then_some(record)
        })
        .await;
        assert_eq!(record["status"], case.ends, "{name}: {record}");
        assert_eq!(
            movement_count(app.db(), kind).await.unwrap() - before,
            case.at_p100,
            "{name}: movements at P100"
        );
        let actions = audit_actions(&app, &id).await;
        let prefix = op.audit_prefix();
        assert!(
            actions.iter().filter(|a| a.starts_with(prefix)).count() >= 2,
            "{name}: audit {actions:?}"
        );
        if case.at_p100 == 1 && case.name != "2xx" {
            assert!(
                actions.contains(&format!("{prefix}recover")),
                "{name}: found at P100, never sent again: {actions:?}"
            );
        }
        if case.ends == "unknown" {
            let failure = record["failure"].as_str().unwrap_or_default();
            assert!(failure.contains("not sent again"), "{name}: {failure}");
            unclear.push((name, id));
        }
    }
    // Reconciliation never calls an unclear one matched.
    for _ in 0..5 {
        check::round(&app.state).await.unwrap();
    }
    let (status, report) = finance.call("reconciliation/report", json!({ "filter": {} })).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    for (name, id) in unclear {
        let row = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == id.as_str())
            .unwrap_or_else(|| panic!("{name}: no reconciliation row"));
        assert!(
            !row["findings"].as_array().unwrap().is_empty(),
            "{name}: an unclear movement is never matched: {row}"
        );
    }
}

#[tokio::test]
async fn sepa_payouts_of_the_partner() {
    matrix(Op::SepaPartner).await;
}

#[tokio::test]
async fn sepa_payouts_of_a_user() {
    matrix(Op::SepaUser).await;
}

#[tokio::test]
async fn crypto_withdrawals() {
    matrix(Op::CryptoPartner).await;
}

#[tokio::test]
async fn transfers_to_a_user() {
    matrix(Op::TransferToUser).await;
}

#[tokio::test]
async fn crypto_withdrawals_of_a_user() {
    matrix(Op::CryptoUser).await;
}

#[tokio::test]
async fn transfers_to_the_partner() {
    matrix(Op::TransferToPartner).await;
}

#[tokio::test]
async fn exchanges() {
    matrix(Op::ExchangePartner).await;
}

#[tokio::test]
async fn exchanges_of_a_user() {
    matrix(Op::ExchangeUser).await;
}

/// Two equal payouts to one IBAN in one minute, both unknown, only one applied at P100: neither is
/// adopted automatically; both wait for a person with the one candidate.
#[tokio::test]
async fn two_equal_unknown_payouts_and_one_entry_at_p100_wait_for_a_person() {
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let (endpoint, kind) = Op::SepaPartner.endpoint();
    let before = movement_count(app.db(), kind).await.unwrap();
    fault(&app, endpoint, |f| {
        f.p_code = Some("P500".into());
        f.applied = Some(true);
    })
    .await;
    let (first, _) = Op::SepaPartner.run(&finance, 1).await;
    fault(&app, endpoint, |f| {
        f.p_code = Some("P500".into());
        f.applied = Some(false);
    })
    .await;
    let (second, _) = Op::SepaPartner.run(&finance, 1).await;
    assert_eq!(movement_count(app.db(), kind).await.unwrap() - before, 1);
    // Nobody decides before the back office has looked and asked for a person.
    let (status, body) = decide(&finance, "movement", &second, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("still looking"), "{body}");
    let mut candidate = String::new();
    for id in [&first, &second] {
        // P100's history may show the payout a moment after it is made.
        let record = eventually("the payout to need a decision", || async {
            let record = Op::SepaPartner.get(&finance, id).await;
            (!record["decision"].is_null()).then_some(record)
        })
        .await;
        assert_eq!(record["status"], "unknown", "{record}");
        let decision = &record["decision"];
        assert!(
            decision["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("could be this one"),
            "{record}"
        );
        assert_eq!(decision["candidates"].as_array().map(Vec::len), Some(1), "{record}");
        candidate = decision["candidates"][0].as_str().unwrap().to_owned();
        assert!(
            audit_actions(&app, id)
                .await
                .contains(&"payouts.needs_decision".to_owned())
        );
    }

    // Both are in the payouts list's "needs a decision" queue, and counted on the finance home.
    let (status, list) = finance
        .call("payouts/list", json!({ "filter": { "status": "needs_decision" } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed: Vec<&str> = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&first.as_str()) && listed.contains(&second.as_str()));
    let (_, home) = finance.call("reconciliation/home", json!({})).await;
    assert_eq!(home["needs_decision"], 2, "{home}");
    let (_, report) = finance.call("reconciliation/report", json!({ "filter": {} })).await;
    let row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == first.as_str())
        .unwrap();
    assert_eq!(row["verdict"], "mismatch", "{row}");
    assert!(
        row["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Needs a decision: "),
        "reconciliation names why: {row}"
    );

    // A person says which one P100 made; a second member approves that exact decision.
    let (status, body) = decide(&finance, "movement", &first, Some("not-a-candidate")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, request) = decide(&finance, "movement", &first, Some(&candidate)).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    assert_eq!(
        Op::SepaPartner.get(&finance, &first).await["status"],
        "unknown",
        "nothing until approved"
    );
    let (status, body) = approve(&finance, &request).await;
    assert_eq!(status, StatusCode::CONFLICT, "the maker cannot approve: {body}");
    let checker = app.signed_in_as("finance2").await;
    let (status, body) = approve(&checker, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record = eventually("the decided payout to complete", || async {
        let record = Op::SepaPartner.get(&finance, &first).await;
        (record["status"] == "completed").then_some(record)
    })
    .await;
    assert_eq!(record["upstream_id"], candidate.as_str());

    // The other one: P100 never received it.
    let (status, body) = decide(&finance, "movement", &second, Some(&candidate)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the candidate is taken now: {body}"
    );
    let (status, request) = decide(&finance, "movement", &second, None).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    let (status, body) = approve(&checker, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record = Op::SepaPartner.get(&finance, &second).await;
    assert_eq!(record["status"], "failed", "{record}");
    assert!(record["failure"].as_str().unwrap().contains("P100 never received it"));
    assert!(
        audit_actions(&app, &second)
            .await
            .contains(&"payouts.resolve".to_owned())
    );
    assert_eq!(
        movement_count(app.db(), kind).await.unwrap() - before,
        1,
        "nothing sent again"
    );
}

/// Every history shape the documents allow is read: entries without `status` show a dash and times
/// in any RFC 3339 precision or offset are placed right, on the history page and when looking for a
/// payout P100 made but answered P500 for.
#[tokio::test]
async fn history_in_every_shape_is_read_and_still_finds_a_payout() {
    use backoffice::sandbox::control::{self, HistoryShape};
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    for (n, shape) in HistoryShape::ALL.iter().enumerate() {
        control::set_history_shape(crate::helpers::sandbox(&app), *shape)
            .await
            .unwrap();
        let (endpoint, kind) = Op::SepaPartner.endpoint();
        let before = movement_count(app.db(), kind).await.unwrap();
        fault(&app, endpoint, |f| {
            f.p_code = Some("P500".into());
            f.applied = Some(true);
        })
        .await;
        let (id, status) = Op::SepaPartner.run(&finance, n).await;
        assert_eq!(status, "unknown", "{shape}");
        let record = eventually(&format!("{shape}: the payout found"), || async {
            let record = Op::SepaPartner.get(&finance, &id).await;
            (record["status"] == "completed").then_some(record)
        })
        .await;
        assert!(record["upstream_id"].is_string(), "{shape}: {record}");
        assert_eq!(movement_count(app.db(), kind).await.unwrap() - before, 1, "{shape}");

        let filter = json!({ "from": today, "to": today, "kind": "sepa_transfer" });
        let (status, page) = finance
            .call("balances/history", json!({ "holder": "Partner", "filter": filter }))
            .await;
        assert_eq!(status, StatusCode::OK, "{shape}: {page}");
        let rows = page["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{shape}: today's payouts are on today's page");
        let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
        if *shape == HistoryShape::NoStatus {
            assert!(statuses.iter().all(|s| *s == "—"), "{shape}: {statuses:?}");
        } else {
            assert!(statuses.iter().all(|s| *s != "—"), "{shape}: {statuses:?}");
        }
    }
}

/// A connection P100 never accepted cannot have moved money: the one answer besides a P-code that
/// is a refusal. (A closed port stands in for P100 here: the sandbox cannot refuse a connection.)
#[tokio::test]
async fn a_connection_never_opened_sent_nothing() {
    use backoffice::domain::money::{Amount, Currency};
    use backoffice::p100::error::MoneyAnswer;
    use backoffice::p100::types::SepaTransferRequest;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let base = url::Url::parse(&format!("http://{addr}/")).unwrap();
    let client = backoffice::p100::Client::new(base, "key".to_owned().into(), Default::default()).unwrap();
    let failure = client
        .sepa_transfer(&SepaTransferRequest {
            source_external_user_id: None,
            amount: Amount("10.00".parse().unwrap()),
            currency: Currency::Eur,
            destination_iban: "DE89370400440532013000".into(),
            transfer_title: "never sent".into(),
            receiver_type: None,
            receiver_first_name: None,
            receiver_last_name: None,
            company_name: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.money_answer(),
        MoneyAnswer::Refused,
        "{:?}",
        failure.error
    );
    assert_eq!(failure.call.attempts, 1);
}

/// The same for exchanges: two equal finalizes answered P500, one made at P100; both wait for a
/// person; one is decided to be P100's exchange, the other never received, each with four-eyes.
#[tokio::test]
async fn two_equal_unknown_exchanges_are_decided_by_people() {
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let checker = app.signed_in_as("finance2").await;
    let op = Op::ExchangePartner;
    let (endpoint, kind) = op.endpoint();
    let before = movement_count(app.db(), kind).await.unwrap();
    let mut ids = Vec::new();
    for applied in [true, false] {
        fault(&app, endpoint, |f| {
            f.p_code = Some("P500".into());
            f.applied = Some(applied);
        })
        .await;
        // Locked and finalized without reading it back: both are unknown before either is looked for.
        let (_, locked) = finance.call("exchanges/lock", json!({ "input": op.input(7) })).await;
        let id = locked["id"].as_str().expect("locked").to_owned();
        let (status, done) = finance.call("exchanges/finalize", json!({ "id": id })).await;
        assert_eq!(
            (status, done["status"].as_str()),
            (StatusCode::OK, Some("unknown")),
            "{done}"
        );
        ids.push(id);
    }
    let mut candidate = String::new();
    for id in &ids {
        let record = eventually("the exchange to need a decision", || async {
            let record = op.get(&finance, id).await;
            (!record["decision"].is_null()).then_some(record)
        })
        .await;
        candidate = record["decision"]["candidates"][0].as_str().unwrap().to_owned();
    }
    let (status, request) = decide(&finance, "exchange", &ids[0], Some(&candidate)).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    assert_eq!(request["action"], "exchanges.resolve");
    let (status, body) = approve(&checker, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done = eventually("the decided exchange to complete", || async {
        let record = op.get(&finance, &ids[0]).await;
        (record["status"] == "completed").then_some(record)
    })
    .await;
    assert_eq!(done["upstream_id"], candidate.as_str());

    let (status, request) = decide(&finance, "exchange", &ids[1], None).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    let (status, body) = approve(&checker, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(op.get(&finance, &ids[1]).await["status"], "failed");
    assert!(
        audit_actions(&app, &ids[1])
            .await
            .contains(&"exchanges.resolve".to_owned())
    );
    assert_eq!(
        movement_count(app.db(), kind).await.unwrap() - before,
        1,
        "one exchange at P100"
    );
}

/// A payout an earlier version recorded failed on P500 is unknown again at start, looked for at
/// P100 and found; one refused with P433 stays failed.
#[tokio::test]
async fn payouts_failed_on_an_unclear_answer_before_are_reopened_and_found() {
    let app = spawn_app_with(&[("P100_TIMEOUT", "1s")]).await;
    quick(&app).await;
    let finance = app.signed_in(Role::Finance).await;
    let (endpoint, kind) = Op::SepaPartner.endpoint();
    let before = movement_count(app.db(), kind).await.unwrap();
    fault(&app, endpoint, |f| {
        f.p_code = Some("P433".into());
        f.applied = Some(true);
    })
    .await;
    let (made, status) = Op::SepaPartner.run(&finance, 3).await;
    assert_eq!(status, "failed", "P433 is a refusal, even when the sandbox applied it");
    fault(&app, endpoint, |f| f.p_code = Some("P433".into())).await;
    let (refused, _) = Op::SepaPartner.run(&finance, 4).await;
    // What an earlier version wrote for a P500 that P100 had in fact applied.
    sqlx::query("UPDATE movements SET failure = 'P100 failed unexpectedly. Check the operation''s status before trying again. (P500)' WHERE id = $1")
        .bind(&made)
        .execute(app.db())
        .await
        .unwrap();
    let reopened = backoffice::server::reopen_unclear_failures(&app.state).await.unwrap();
    assert_eq!(reopened, 1);
    assert_eq!(
        backoffice::server::reopen_unclear_failures(&app.state).await.unwrap(),
        0,
        "a second run finds nothing to do"
    );
    assert!(audit_actions(&app, &made).await.contains(&"payouts.reopen".to_owned()));
    let found = eventually("the reopened payout found at P100", || async {
        let record = Op::SepaPartner.get(&finance, &made).await;
        (record["status"] == "completed").then_some(record)
    })
    .await;
    assert!(found["upstream_id"].is_string(), "{found}");
    assert_eq!(Op::SepaPartner.get(&finance, &refused).await["status"], "failed");
    assert_eq!(
        movement_count(app.db(), kind).await.unwrap() - before,
        1,
        "nothing sent again"
    );
}
