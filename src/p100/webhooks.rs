//! The webhooks P100 sends (../shared/p100-api/WEBHOOKS.md, REFERENCE.md §0 C3-C5, C7): which
//! event a delivery is, from the path it came to under the registered base URL when that path is
//! one P100 names, else from its body. The sandbox sends these and the intake receives them, so
//! both change together here.

use serde::Deserialize;
use serde_json::Value;

use super::types::KycStatus;
use crate::domain::money::{Amount, Currency};

/// One kind of event. Route paths are documented for user status and POA only; the rest, and every
/// body shape marked so below, are INFERRED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    UserStatus,
    UserBalanceGeneration,
    KycFileAdded,
    KycStatus,
    PoaStatus,
    SepaTransfer,
    /// REFERENCE §0 C5: a SEPA deposit received and credited (body INFERRED).
    SepaDeposit,
    CryptoWithdrawal,
    CryptoDeposit,
    IbanStatus,
    Card3ds,
    /// REFERENCE §0 C4: the page exists, its body was not readable (INFERRED: `exchangeId`).
    Exchange,
    /// The P2P (internal) transfer webhook, §0 C4 (INFERRED: `transferId`).
    Transfer,
    /// Order status, §0 C4 (INFERRED: `orderId`).
    Order,
    /// Payment link, §0 C4 (INFERRED: `paymentLinkId`).
    PaymentLink,
    /// A wallet Create Wallet asked for now has its address (path and body INFERRED:
    /// `{ "currency", "network"?, "wallet", "externalUserId"? }`; `wallet` at the top level is
    /// this event's own key: a crypto withdrawal's is `walletAddress`, a balance's `wallet` is nested).
    WalletCreated,
}

/// The documented status values that tell apart bodies with the same keys (`externalUserId` and
/// `status`; REFERENCE §0 C3). User statuses beyond `ACTIVE` are INFERRED.
const USER_STATUSES: &[&str] = &["ACTIVE", "WAITING_FOR_ACTIVATION", "SUSPENDED", "DELETED"];
const KYC_FILE_STATUSES: &[&str] = &["ADDED", "ERROR"];
const POA_STATUSES: &[&str] = &["WAITING", "APPROVED", "REJECTED", "QUESTIONED"];
const IBAN_STATUSES: &[&str] = &["PENDING", "APPROVED", "REJECTED"];

impl Route {
    pub const ALL: [Route; 16] = [
        Route::UserStatus,
        Route::UserBalanceGeneration,
        Route::KycFileAdded,
        Route::KycStatus,
        Route::PoaStatus,
        Route::SepaTransfer,
        Route::SepaDeposit,
        Route::CryptoWithdrawal,
        Route::CryptoDeposit,
        Route::IbanStatus,
        Route::Card3ds,
        Route::Exchange,
        Route::Transfer,
        Route::Order,
        Route::PaymentLink,
        Route::WalletCreated,
    ];

    /// The path under the registered base, without a leading slash.
    pub fn path(self) -> &'static str {
        match self {
            Route::UserStatus => "webhook/user/status",
            Route::UserBalanceGeneration => "webhook/user/balance-generation",
            Route::KycFileAdded => "webhook/kyc-file/added",
            Route::KycStatus => "webhook/kyc-verification/status",
            Route::PoaStatus => "webhook/poa-verification/status",
            Route::SepaTransfer => "webhook/sepa-transfer",
            Route::SepaDeposit => "webhook/sepa-deposit",
            Route::CryptoWithdrawal => "webhook/crypto-withdrawal",
            Route::CryptoDeposit => "webhook/crypto-deposit",
            Route::IbanStatus => "webhook/iban/status",
            Route::Card3ds => "webhook/card/3ds",
            Route::Exchange => "webhook/exchange",
            Route::Transfer => "webhook/transfer",
            Route::Order => "webhook/order/status",
            Route::PaymentLink => "webhook/payment-link",
            Route::WalletCreated => "webhook/wallet/created",
        }
    }

    /// The kind name stored with each event.
    pub fn kind(self) -> &'static str {
        match self {
            Route::UserStatus => "user_status",
            Route::UserBalanceGeneration => "user_balance_generation",
            Route::KycFileAdded => "kyc_file_added",
            Route::KycStatus => "kyc_status",
            Route::PoaStatus => "poa_status",
            Route::SepaTransfer => "sepa_transfer",
            Route::SepaDeposit => "sepa_deposit",
            Route::CryptoWithdrawal => "crypto_withdrawal",
            Route::CryptoDeposit => "crypto_deposit",
            Route::IbanStatus => "iban_status",
            Route::Card3ds => "card_3ds",
            Route::Exchange => "exchange",
            Route::Transfer => "transfer",
            Route::Order => "order",
            Route::PaymentLink => "payment_link",
            Route::WalletCreated => "wallet_created",
        }
    }

    /// The route an event was stored as (`kind`).
    pub fn of_kind(kind: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.kind() == kind)
    }

    pub fn from_path(path: &str) -> Option<Route> {
        let path = path.trim_matches('/');
        Route::ALL.into_iter().find(|r| r.path() == path)
    }

    /// The event a delivery is: by the path it came to when P100 names that path (the base URL
    /// itself, or a path P100 does not name, says nothing), else by its body.
    pub fn classify(path: &str, body: &Value) -> Option<Route> {
        Route::from_path(path).or_else(|| Route::from_payload(body))
    }

    /// The event a body is, by its keys, then by the documented status value sets for bodies with
    /// the same keys (KYC File Added is never read as a user status; an order, which names a wallet
    /// address, is never read as a crypto withdrawal). `None`: no event this table knows.
    pub fn from_payload(payload: &Value) -> Option<Route> {
        let has = |key: &str| payload.get(key).is_some();
        let status = payload.get("status").and_then(Value::as_str).unwrap_or_default();
        let status_in = |set: &[&str]| set.contains(&status);
        Some(if has("exchangeId") {
            Route::Exchange
        } else if has("orderId") {
            Route::Order
        } else if has("paymentLinkId") {
            Route::PaymentLink
        } else if has("cryptoDepositId") {
            Route::CryptoDeposit
        } else if has("sepaDepositId") {
            Route::SepaDeposit
        } else if has("verificationStatus") {
            Route::KycStatus
        } else if has("transferId") {
            Route::Transfer
        } else if has("transferTitle") || has("destinationIban") {
            Route::SepaTransfer
        } else if has("id") && has("error") && status == "FAILED" {
            // A failed SEPA transfer's body is minimal, centred on its error (WEBHOOKS.md §4.2).
            Route::SepaTransfer
        } else if has("wallet") {
            Route::WalletCreated
        } else if has("withdrawalId") || has("walletAddress") {
            Route::CryptoWithdrawal
        } else if has("iban") && status_in(IBAN_STATUSES) {
            Route::IbanStatus
        } else if has("cardId") {
            Route::Card3ds
        } else if !has("externalUserId") {
            return None;
        } else if has("fiatBalances") || has("cryptoBalances") {
            Route::UserBalanceGeneration
        } else if status_in(KYC_FILE_STATUSES) {
            Route::KycFileAdded
        } else if status_in(POA_STATUSES) {
            Route::PoaStatus
        } else if status_in(USER_STATUSES) {
            Route::UserStatus
        } else {
            return None;
        })
    }
}

/// A delivery read as the event its route says: the fields the back office acts on, typed. Only
/// what the docs show is required (INFERRED fields are optional); the body itself stays on the
/// event row as received.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A user's KYC, proof of address, account status, or a KYC file added.
    User(UserEvent),
    /// A user's balances opened (after Add User Verification, REFERENCE §0 C2).
    BalancesOpened(BalancesOpened),
    /// A wallet Create Wallet asked for has its address.
    WalletCreated(WalletCreated),
    /// News of a payout, withdrawal or transfer, named by P100's id of it.
    Movement {
        upstream_id: String,
    },
    /// News of an exchange, named by P100's id of it.
    Exchange {
        upstream_id: String,
    },
    /// A SEPA or crypto deposit.
    Deposit {
        route: Route,
        deposit: Deposit,
    },
    Iban(IbanStatus),
    /// News of an order or a payment link, named by P100's id of it (INFERRED: `orderId`,
    /// `paymentLinkId`; the details endpoint is read for the rest).
    Collection {
        upstream_id: String,
    },
    /// An event no area follows (3-D Secure): kept as received.
    Unfollowed(Route),
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserEvent {
    pub external_user_id: String,
    pub change: UserChange,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    Kyc(KycStatus),
    ProofOfAddress(String),
    Account(String),
    KycFile(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancesOpened {
    pub external_user_id: String,
    #[serde(default)]
    pub fiat_balances: Vec<OpenedBalance>,
    #[serde(default)]
    pub crypto_balances: Vec<OpenedBalance>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OpenedBalance {
    /// The currency, as P100 names it (`eur`, `btc`).
    pub name: Option<String>,
}

/// Body INFERRED (see `Route::WalletCreated`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletCreated {
    pub currency: Currency,
    pub network: Option<String>,
    pub wallet: String,
    pub external_user_id: Option<String>,
}

/// A SEPA or crypto deposit event as P100 sends it. Crypto: WEBHOOKS.md §4.2. SEPA: REFERENCE.md
/// §0 C5 says the event exists, not its body: `sepaDepositId`, `senderIban`, `senderName` and
/// `status` are INFERRED (what the sandbox sends), read when present and never required beyond the
/// id, amount and currency.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deposit {
    pub sepa_deposit_id: Option<String>,
    pub crypto_deposit_id: Option<String>,
    pub external_user_id: Option<String>,
    /// A number or a string (P100 sends both; the FAQ's crypto example a string).
    pub amount: Amount,
    pub currency: Currency,
    pub status: Option<String>,
    pub transaction_hash: Option<String>,
    /// INFERRED: SEPA sender's IBAN and name.
    pub sender_iban: Option<String>,
    pub sender_name: Option<String>,
    /// INFERRED: the crypto sender's address, if P100 names it.
    pub sender_address: Option<String>,
    pub created_at: Option<String>,
}

/// An IBAN Status event (WEBHOOKS.md §4.2; body INFERRED: `externalUserId`, the sender `iban`,
/// `status`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IbanStatus {
    pub external_user_id: String,
    pub iban: String,
    pub status: String,
}

impl Event {
    /// The event `payload` is, read as `route` says; an error says in words what is missing.
    pub fn read(route: Route, payload: &Value) -> Result<Event, String> {
        let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_owned);
        let typed = |what: &str| {
            let what = what.to_owned();
            move |e: serde_json::Error| format!("the {what} event is unreadable: {e}")
        };
        let user = |change: fn(String) -> UserChange| {
            let external_user_id = text("externalUserId").ok_or("the event names no externalUserId")?;
            let status = text("status").ok_or("the event names no status")?;
            Ok::<_, String>(Event::User(UserEvent {
                external_user_id,
                change: change(status),
            }))
        };
        Ok(match route {
            Route::UserStatus => user(UserChange::Account)?,
            Route::PoaStatus => user(UserChange::ProofOfAddress)?,
            Route::KycFileAdded => user(UserChange::KycFile)?,
            Route::KycStatus => Event::User(UserEvent {
                external_user_id: text("externalUserId").ok_or("the event names no externalUserId")?,
                change: UserChange::Kyc(KycStatus::deserialize(payload).map_err(typed("KYC status"))?),
            }),
            Route::UserBalanceGeneration => {
                Event::BalancesOpened(BalancesOpened::deserialize(payload).map_err(typed("balance generation"))?)
            }
            Route::WalletCreated => {
                Event::WalletCreated(WalletCreated::deserialize(payload).map_err(typed("wallet created"))?)
            }
            Route::SepaTransfer | Route::CryptoWithdrawal | Route::Transfer | Route::Exchange => {
                let upstream_id = route
                    .id_keys()
                    .iter()
                    .find_map(|k| text(k))
                    .filter(|id| !id.trim().is_empty())
                    .ok_or("the event names no id P100 gave")?;
                match route {
                    Route::Exchange => Event::Exchange { upstream_id },
                    _ => Event::Movement { upstream_id },
                }
            }
            Route::SepaDeposit | Route::CryptoDeposit => Event::Deposit {
                route,
                deposit: Deposit::deserialize(payload).map_err(typed("deposit"))?,
            },
            Route::IbanStatus => Event::Iban(IbanStatus::deserialize(payload).map_err(typed("IBAN status"))?),
            Route::Order | Route::PaymentLink => Event::Collection {
                upstream_id: route
                    .id_keys()
                    .iter()
                    .find_map(|k| text(k))
                    .filter(|id| !id.trim().is_empty())
                    .ok_or("the event names no id P100 gave")?,
            },
            Route::Card3ds => Event::Unfollowed(route),
        })
    }
}

impl Route {
    /// The keys that may carry P100's id of the movement an event is about, first found wins.
    fn id_keys(self) -> &'static [&'static str] {
        match self {
            Route::Exchange => &["exchangeId", "id"],
            Route::Order => &["orderId", "id"],
            Route::PaymentLink => &["paymentLinkId", "id"],
            _ => &["transferId", "withdrawalId", "id"],
        }
    }
}

/// What an event is about: the movement it names, else the user. Reconciliation finds a
/// movement's events by this, the webhook log filters on it.
pub fn subject_of(event: &serde_json::Value) -> Option<String> {
    [
        "exchangeId",
        "orderId",
        "paymentLinkId",
        "sepaDepositId",
        "transferId",
        "withdrawalId",
        "cryptoDepositId",
        "id",
        "externalUserId",
    ]
    .iter()
    .find_map(|k| event.get(*k).and_then(serde_json::Value::as_str))
    .map(str::to_owned)
}

/// The event itself: P100's flat payload, or the FAQ's `{ "event_type", "data" }` envelope opened.
pub fn unwrap_envelope(payload: serde_json::Value) -> serde_json::Value {
    match payload {
        serde_json::Value::Object(mut map) if map.contains_key("event_type") && map.contains_key("data") => {
            map.remove("data").unwrap_or_default()
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_round_trip_and_payloads_are_recognised() {
        for route in Route::ALL {
            assert_eq!(Route::from_path(&format!("/{}", route.path())), Some(route));
            assert_eq!(Route::of_kind(route.kind()), Some(route));
        }
        let faq = json!({ "event_type": "crypto_deposit.status_changed", "data": { "cryptoDepositId": "dep_123", "status": "WAITING_FOR_TR_DATA" } });
        let event = unwrap_envelope(faq);
        assert_eq!(Route::from_payload(&event), Some(Route::CryptoDeposit));
        assert_eq!(
            Route::from_payload(&json!({ "externalUserId": "u", "status": "ACTIVE" })),
            Some(Route::UserStatus)
        );
        assert_eq!(
            Route::from_payload(&json!({ "id": "x", "transferTitle": "t", "status": "SUCCESSFUL" })),
            Some(Route::SepaTransfer)
        );
        assert_eq!(
            subject_of(&json!({ "externalUserId": "u-1", "transferId": "t-1" })).as_deref(),
            Some("t-1")
        );
        assert_eq!(
            subject_of(&json!({ "externalUserId": "u-1", "status": "ACTIVE" })).as_deref(),
            Some("u-1")
        );
        assert_eq!(subject_of(&json!({ "status": "ACTIVE" })), None);
    }

    #[test]
    fn bodies_with_the_same_keys_are_told_apart_by_their_status_values() {
        let user = |status: &str| Route::from_payload(&json!({ "externalUserId": "u-1", "status": status }));
        assert_eq!(user("ADDED"), Some(Route::KycFileAdded));
        assert_eq!(user("ERROR"), Some(Route::KycFileAdded));
        assert_eq!(user("REJECTED"), Some(Route::PoaStatus));
        assert_eq!(user("QUESTIONED"), Some(Route::PoaStatus));
        assert_eq!(user("SUSPENDED"), Some(Route::UserStatus));
        assert_eq!(user("SOMETHING_NEW"), None);
        // The path decides when P100 names it: a KYC file body delivered to the user-status route.
        let added = json!({ "externalUserId": "u-1", "status": "ADDED" });
        assert_eq!(
            Route::classify("webhook/kyc-file/added", &added),
            Some(Route::KycFileAdded)
        );
        assert_eq!(Route::classify("", &added), Some(Route::KycFileAdded));
        assert_eq!(Route::classify("/", &json!({ "x": 1 })), None);
        let order = json!({ "orderId": "o-1", "walletAddress": "0xabc", "status": "PENDING" });
        assert_eq!(Route::from_payload(&order), Some(Route::Order));
        let failed = json!({ "id": "t-1", "status": "FAILED", "error": { "description": "x" } });
        assert_eq!(Route::from_payload(&failed), Some(Route::SepaTransfer));
        let iban = json!({ "externalUserId": "u-1", "iban": "LT12", "status": "APPROVED" });
        assert_eq!(Route::from_payload(&iban), Some(Route::IbanStatus));
        let wallet = json!({ "currency": "ltc", "wallet": "tltc1qabc" });
        assert_eq!(Route::from_payload(&wallet), Some(Route::WalletCreated));
        let withdrawal = json!({ "withdrawalId": "w-1", "walletAddress": "0xabc", "status": "PENDING" });
        assert_eq!(Route::from_payload(&withdrawal), Some(Route::CryptoWithdrawal));
        let opened = json!({ "externalUserId": "u-1", "fiatBalances": [], "cryptoBalances": [{ "wallet": null }] });
        assert_eq!(Route::from_payload(&opened), Some(Route::UserBalanceGeneration));
    }

    #[test]
    fn each_route_reads_its_body_into_a_typed_event() {
        let read = |route, body: Value| Event::read(route, &body);
        let user = |change| {
            Ok(Event::User(UserEvent {
                external_user_id: "u-1".into(),
                change,
            }))
        };
        let account = json!({ "externalUserId": "u-1", "status": "SUSPENDED" });
        assert_eq!(
            read(Route::UserStatus, account.clone()),
            user(UserChange::Account("SUSPENDED".into()))
        );
        assert_eq!(
            read(
                Route::PoaStatus,
                json!({ "externalUserId": "u-1", "status": "REJECTED" })
            ),
            user(UserChange::ProofOfAddress("REJECTED".into()))
        );
        assert_eq!(
            read(
                Route::KycFileAdded,
                json!({ "externalUserId": "u-1", "status": "ADDED" })
            ),
            user(UserChange::KycFile("ADDED".into()))
        );
        let kyc = read(
            Route::KycStatus,
            json!({ "externalUserId": "u-1", "verificationStatus": "VERIFIED" }),
        );
        assert!(
            matches!(kyc, Ok(Event::User(UserEvent { change: UserChange::Kyc(k), .. })) if k.verification_status.as_str() == "VERIFIED")
        );
        assert_eq!(
            read(Route::Exchange, json!({ "exchangeId": "x-1", "id": "other" })),
            Ok(Event::Exchange {
                upstream_id: "x-1".into()
            })
        );
        assert_eq!(
            read(
                Route::CryptoWithdrawal,
                json!({ "withdrawalId": "w-1", "walletAddress": "0xabc" })
            ),
            Ok(Event::Movement {
                upstream_id: "w-1".into()
            })
        );
        assert_eq!(
            read(
                Route::SepaTransfer,
                json!({ "id": "s-1", "status": "FAILED", "error": {} })
            ),
            Ok(Event::Movement {
                upstream_id: "s-1".into()
            })
        );
        let opened = read(
            Route::UserBalanceGeneration,
            json!({ "externalUserId": "u-1", "fiatBalances": [{ "name": "eur" }] }),
        );
        assert!(
            matches!(opened, Ok(Event::BalancesOpened(o)) if o.fiat_balances.len() == 1 && o.crypto_balances.is_empty())
        );
        let iban = read(
            Route::IbanStatus,
            json!({ "externalUserId": "u-1", "iban": "LT12", "status": "APPROVED" }),
        );
        assert!(matches!(iban, Ok(Event::Iban(i)) if i.iban == "LT12"));
        assert_eq!(
            read(Route::Order, json!({ "orderId": "o-1" })),
            Ok(Event::Collection {
                upstream_id: "o-1".into()
            })
        );
    }

    #[test]
    fn a_body_missing_what_its_route_needs_is_refused_in_words() {
        let read = |route, body: Value| Event::read(route, &body).unwrap_err();
        assert_eq!(
            read(Route::UserStatus, json!({ "status": "ACTIVE" })),
            "the event names no externalUserId"
        );
        assert_eq!(
            read(Route::PoaStatus, json!({ "externalUserId": "u-1" })),
            "the event names no status"
        );
        assert!(
            read(Route::KycStatus, json!({ "externalUserId": "u-1" }))
                .starts_with("the KYC status event is unreadable")
        );
        assert_eq!(
            read(Route::Transfer, json!({ "transferId": " " })),
            "the event names no id P100 gave"
        );
        assert!(read(Route::SepaDeposit, json!({ "sepaDepositId": "d-1", "currency": "eur" })).contains("amount"));
        assert!(read(Route::WalletCreated, json!({ "currency": "btc" })).contains("wallet"));
    }
}
