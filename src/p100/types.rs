//! Requests and answers of the P100 endpoints, as the API spells them (camelCase JSON).
//!
//! Answers ignore fields they do not know; a missing required field is an error naming it. Amounts
//! are `Amount` (exact decimals, read from strings or numbers), currencies and statuses tolerate
//! values P100 adds later. The sandbox serialises these same types, so both sides agree.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::money::{Amount, Currency};

macro_rules! upstream_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        /// Read case-insensitively; a value P100 adds later is kept as `Unknown`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)+ Unknown(String) }

        impl $name {
            pub fn parse(text: &str) -> Self {
                match text.trim().to_ascii_uppercase().as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Unknown(text.trim().to_owned()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self { $($name::$variant => $text,)+ $name::Unknown(text) => text }
            }

            /// One of the values we know, as typed in a form; `None` for anything else.
            pub fn known(text: &str) -> Option<Self> {
                Some($name::parse(text)).filter(|v| !matches!(v, $name::Unknown(_)))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::parse(&String::deserialize(d)?))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

/// An amount P100's schema types as a JSON number (rates, fees, some request amounts). Read like
/// any `Amount`; written as a number whose shortest text is exactly the decimal (checked: up to 15
/// significant digits, far beyond any amount or rate here), so no value changes on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Num(pub Amount);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        let value = self.0.get();
        let float = value
            .to_f64()
            .filter(|f| f.to_string().parse::<Amount>().is_ok_and(|back| back.get() == value));
        match float {
            Some(float) => serializer.serialize_f64(float),
            None => Err(serde::ser::Error::custom(format!(
                "{value} has too many digits to send as a JSON number"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Amount::deserialize(deserializer).map(Num)
    }
}

impl From<Amount> for Num {
    fn from(value: Amount) -> Self {
        Num(value)
    }
}

upstream_enum!(BalanceStatus { Active => "ACTIVE", WaitingToBeActivated => "WAITING_TO_BE_ACTIVATED" });
upstream_enum!(
    /// Exchanges, SEPA payouts, crypto withdrawals and internal transfers share this vocabulary;
    /// `PENDING`/`PROCESSING` are INFERRED in-flight names, `COMPLETED` and `SUCCESSFUL` both final.
    MovementStatus {
        Pending => "PENDING",
        Processing => "PROCESSING",
        Completed => "COMPLETED",
        Successful => "SUCCESSFUL",
        Failed => "FAILED",
    }
);
upstream_enum!(AccountStatus {
    WaitingForActivation => "WAITING_FOR_ACTIVATION",
    Active => "ACTIVE",
    Suspended => "SUSPENDED",
    Deleted => "DELETED",
});
upstream_enum!(VerificationStatus { NotVerified => "NOT_VERIFIED", Verified => "VERIFIED", Expired => "EXPIRED" });
upstream_enum!(AttemptStatus {
    Pending => "PENDING",
    Verification => "VERIFICATION",
    RejectedByProvider => "REJECTED_BY_PROVIDER",
    Successful => "SUCCESSFUL",
});
upstream_enum!(PoaStatus { Waiting => "WAITING", Approved => "APPROVED", Rejected => "REJECTED", Questioned => "QUESTIONED" });
upstream_enum!(DepositStatus {
    WaitingForVerification => "WAITING_FOR_VERIFICATION",
    WaitingForTrData => "WAITING_FOR_TR_DATA",
    Successful => "SUCCESSFUL",
    Unsuccessful => "UNSUCCESSFUL",
});
upstream_enum!(IbanStatus { Pending => "PENDING", Approved => "APPROVED", Rejected => "REJECTED" });
upstream_enum!(OrderStatus {
    WaitingForWalletAddress => "WAITING_FOR_WALLET_ADDRESS",
    WaitingForPayment => "WAITING_FOR_PAYMENT",
    WaitingForConfirmation => "WAITING_FOR_CONFIRMATION",
    Completed => "COMPLETED",
    Expired => "EXPIRED",
});
upstream_enum!(ReceiverType { Natural => "NATURAL", Legal => "LEGAL" });
upstream_enum!(WalletType { Custodial => "CUSTODIAL", NonCustodial => "NON_CUSTODIAL", Other => "OTHER" });
upstream_enum!(DocumentType { IdCard => "ID_CARD", Passport => "PASSPORT", ResidencePermit => "RESIDENCE_PERMIT" });

// ---- Balances -------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balances {
    pub fiat_balances: Vec<FiatBalance>,
    pub crypto_balances: Vec<CryptoBalance>,
}

impl Balances {
    /// No balance at all: a user's before Add User Verification (REFERENCE §0 C2).
    pub fn is_empty(&self) -> bool {
        self.fiat_balances.is_empty() && self.crypto_balances.is_empty()
    }

    /// Every balance, fiat then crypto, as its currency and amount.
    pub fn amounts(&self) -> impl Iterator<Item = (&Currency, Amount)> {
        let fiat = self.fiat_balances.iter().map(|b| (&b.name, b.amount));
        fiat.chain(self.crypto_balances.iter().map(|b| (&b.name, b.amount)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FiatBalance {
    pub id: String,
    pub amount: Amount,
    pub name: Currency,
    /// EUR value of one unit.
    pub rate: Num,
    pub iban: Option<String>,
    pub status: BalanceStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CryptoBalance {
    pub id: String,
    pub amount: Amount,
    pub name: Currency,
    pub wallet: Option<String>,
    pub rate: Num,
    #[serde(default)]
    pub network_config: BTreeMap<String, NetworkConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    pub mainnet: bool,
    pub name: String,
    pub withdrawal: Option<WithdrawalLimits>,
    pub deposit: Option<DepositLimits>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalLimits {
    pub fee_withdrawal: Num,
    pub min_withdrawal: Num,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositLimits {
    pub min_deposit: Num,
}

/// One history entry. The history endpoints' shape is INFERRED (REFERENCE.md 2.1.2, §0): only
/// what every planned use needs is required (id, type, currency, amount); `status` and `createdAt`
/// may be missing, and every other field is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub currency: Currency,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// RFC 3339 in whatever precision and offset P100 sends; empty when it sends none.
    #[serde(default)]
    pub created_at: String,
    /// Whatever else P100 sends with an entry, kept so staff see every field.
    #[serde(flatten, default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A page of history as P100 sent it: the entries that could be read, and how many it sent. An
/// entry without the required fields is left out (and logged) instead of failing the page, and
/// paging goes on by what P100 sent, so one unusual entry never ends a read early.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub entries: Vec<Transaction>,
    pub sent: usize,
}

impl std::ops::Deref for History {
    type Target = Vec<Transaction>;
    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl IntoIterator for History {
    type Item = Transaction;
    type IntoIter = std::vec::IntoIter<Transaction>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a History {
    type Item = &'a Transaction;
    type IntoIter = std::slice::Iter<'a, Transaction>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl<'de> Deserialize<'de> for History {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Vec::<serde_json::Value>::deserialize(deserializer)?;
        let sent = raw.len();
        let entries = raw
            .into_iter()
            .filter_map(|value| {
                let id = value.get("id").map(ToString::to_string);
                serde_json::from_value(value)
                    .inspect_err(|err| tracing::warn!(?id, %err, "history entry left out: unreadable"))
                    .ok()
            })
            .collect();
        Ok(History { entries, sent })
    }
}

impl Transaction {
    /// The movement an entry belongs to (a transfer or withdrawal id), for finding a movement whose
    /// create call went unanswered. INFERRED: the history's shape is not documented; these keys are
    /// the ids P100 names elsewhere, and `referenceId` is what the sandbox writes.
    pub fn movement_id(&self) -> Option<&str> {
        [
            "transferId",
            "withdrawalId",
            "exchangeId",
            "orderId",
            "paymentLinkId",
            "referenceId",
        ]
        .iter()
        .find_map(|k| self.extra.get(*k).and_then(serde_json::Value::as_str))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateWallet {
    pub currency: Currency,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// Create Wallet's answer (INFERRED). The address may come later, with the wallet created webhook,
/// so it is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wallet {
    pub currency: Currency,
    #[serde(default)]
    pub wallet: Option<String>,
}

// ---- Exchange -------------------------------------------------------------------------------

/// Indicative rates: EUR value of one unit of each currency.
pub type Rates = BTreeMap<Currency, Num>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLock {
    pub id: String,
    pub rates: Rates,
    pub fee_percentage: Num,
    pub created_at: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRequest {
    /// The user whose balances are exchanged; absent for the partner's own exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_external_user_id: Option<String>,
    pub amount: Num,
    pub currency_from: Currency,
    pub currency_to: Currency,
    pub lock_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeCreated {
    pub exchange_id: String,
}

/// Exchange details; the shape is INFERRED (REFERENCE.md 2.2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeDetails {
    pub id: String,
    pub status: MovementStatus,
    pub currency_from: Currency,
    pub currency_to: Currency,
    pub amount_from: Amount,
    pub amount_to: Amount,
    pub rate: Num,
    pub fee: Amount,
    pub created_at: String,
}

// ---- SEPA -----------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SepaDepositInfo {
    pub title: String,
    pub iban: String,
    pub swift: String,
    pub account_holder: String,
    pub address: String,
}

/// A whitelisted payout destination; the shape is INFERRED (REFERENCE.md 2.3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SepaContact {
    pub iban: String,
    pub name: String,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SepaTransferRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_external_user_id: Option<String>,
    pub amount: Amount,
    pub currency: Currency,
    pub destination_iban: String,
    pub transfer_title: String,
    /// Open-loop (legacy) partners only; closed-loop partners must leave these out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_type: Option<ReceiverType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferCreated {
    pub transfer_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SepaTransferDetails {
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub amount: Amount,
    pub transfer_title: Option<String>,
    pub destination_iban: Option<String>,
    pub receiver_first_name: Option<String>,
    pub receiver_last_name: Option<String>,
    pub status: MovementStatus,
    pub currency: Currency,
    pub fee: Option<Num>,
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<UpstreamFailure>,
}

/// Why a movement failed, as P100 describes it (field names INFERRED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamFailure {
    pub description: Option<String>,
    pub status: Option<String>,
}

// ---- Crypto ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkFee {
    pub network_fee: Num,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CryptoWithdrawalRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_external_user_id: Option<String>,
    pub currency: Currency,
    pub amount: Num,
    pub wallet_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Travel rule: the beneficiary.
    pub name: String,
    pub wallet_type: WalletType,
    pub receiver_type: ReceiverType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalCreated {
    pub withdrawal_id: String,
}

/// Withdrawal details; the shape is INFERRED (REFERENCE.md 3.6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalDetails {
    pub id: String,
    pub status: MovementStatus,
    pub currency: Currency,
    pub network: Option<String>,
    pub amount: Amount,
    pub fee: Option<Amount>,
    pub wallet_address: String,
    pub transaction_hash: Option<String>,
    pub created_at: Option<String>,
}

/// Travel-rule data for a deposit waiting in `WAITING_FOR_TR_DATA` (body INFERRED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TravelRuleUpdate {
    pub crypto_deposit_id: String,
    pub name: String,
    pub wallet_type: WalletType,
    pub receiver_type: ReceiverType,
}

// ---- Users ----------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    pub external_user_id: String,
    pub email: String,
    /// Digits with country code, no `+` (as P100's example).
    pub phone: String,
    pub first_name: String,
    pub last_name: String,
    pub street: String,
    pub number: String,
    pub city: String,
    pub post_code: String,
    pub country: String,
    pub citizenship: String,
    pub nationality: String,
    pub birth_country: String,
    pub birth_date: String,
    pub user_identification_number: String,
    #[serde(rename = "hasAcceptedP100Tc")]
    pub has_accepted_p100_tc: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCreated {
    pub user_id: String,
    #[serde(default)]
    pub poa_required_for_extended: bool,
}

/// Contact fields that may change (body INFERRED).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    pub external_user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KycVerificationRequest {
    pub external_user_id: String,
}

/// The start of a hosted verification (shape INFERRED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KycVerification {
    pub id: String,
    pub url: Option<String>,
}

/// The link to hand the user for a hosted verification: the provider's page when Method B's answer
/// names it, else P100's redirect page itself (which sends the browser on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KycRedirect {
    pub url: String,
}

impl KycRedirect {
    /// Where Method B's answer sends the user, if it says (REFERENCE §0 C1: `200 text/html`, a page
    /// that redirects "through embedded logic" to the provider, e.g. `ui.idenfy.com`). The page's
    /// markup is not documented; the shapes read here are INFERRED, tried in this order:
    /// a JSON `{ "url": ... }` (the first edition's reading); an HTML
    /// `<meta http-equiv="refresh" content="0;url=...">`; a script's `location.href = "..."`,
    /// `window.location = "..."`, `location.replace("...")` or `location.assign("...")`; the first
    /// `https://` address on the provider's host, else in an `href`.
    pub fn target_in(body: &[u8]) -> Option<String> {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            return value.get("url").and_then(|u| u.as_str()).and_then(web_address);
        }
        let text = String::from_utf8_lossy(body);
        // ASCII lower-casing keeps every byte offset, so positions found in `lower` index `text`.
        let lower = text.to_ascii_lowercase();
        let quoted_after = |at: usize| {
            let rest = text[at..].trim_start_matches([' ', '\t', '\n', '\r', '=', '(']);
            let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))?;
            rest[1..].split(quote).next().and_then(web_address)
        };
        let meta = lower.match_indices("<meta").find_map(|(at, _)| {
            let tag = &lower[at..at + lower[at..].find('>')?];
            if !tag.contains("refresh") {
                return None;
            }
            let start = at + tag.find("url=")? + 4;
            let end = start + text[start..].find(['"', '\'', '>'])?;
            web_address(text[start..end].trim())
        });
        let script = || {
            [
                "location.href",
                "location.replace",
                "location.assign",
                "window.location",
                "document.location",
            ]
            .into_iter()
            .flat_map(|call| {
                lower
                    .match_indices(call)
                    .map(|(at, m)| at + m.len())
                    .collect::<Vec<_>>()
            })
            .find_map(quoted_after)
        };
        let link = || {
            let addresses = || {
                lower.match_indices("https://").filter_map(|(at, _)| {
                    let end = at
                        + text[at..]
                            .find(['"', '\'', '<', '>', ' ', '\n', ')', '`'])
                            .unwrap_or(text.len() - at);
                    Some((at, web_address(&text[at..end])?))
                })
            };
            let provider = addresses().find(|(_, url)| url.contains("idenfy.com"));
            provider
                .or_else(|| addresses().find(|(at, _)| lower[..*at].trim_end_matches(['"', '\'']).ends_with("href=")))
                .map(|(_, url)| url)
        };
        meta.or_else(script).or_else(link)
    }
}

/// `text` as a web address a user can open (HTML's `&amp;` undone), if it is one.
fn web_address(text: &str) -> Option<String> {
    let url = url::Url::parse(&text.trim().replace("&amp;", "&")).ok()?;
    matches!(url.scheme(), "https" | "http").then(|| url.to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KycStatus {
    pub external_user_id: Option<String>,
    pub verification_status: VerificationStatus,
    pub attempt_status: Option<AttemptStatus>,
    pub rejection_reason: Option<String>,
}

/// Identity document data that completes verification (body INFERRED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddVerificationRequest {
    pub external_user_id: String,
    pub document_type: DocumentType,
    pub document_number: String,
}

// ---- Internal transfers ---------------------------------------------------------------------

/// Exactly one of the two users: a destination funds the user from the partner balance, a source
/// collects from the user into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternalTransferRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_external_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_external_user_id: Option<String>,
    pub currency: Currency,
    pub amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternalTransferDetails {
    pub id: String,
    pub status: MovementStatus,
    pub source_external_user_id: Option<String>,
    pub destination_external_user_id: Option<String>,
    pub currency: Currency,
    pub amount: Amount,
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<UpstreamFailure>,
}

// ---- Orders and payment links ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLockRequest {
    pub currency: Currency,
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLock {
    pub lock_id: String,
    pub amount: Num,
    pub rate: Amount,
    pub expires_at: String,
    /// Newest docs say `currency`; the intermediate tree said `cryptocurrency`.
    #[serde(alias = "cryptocurrency")]
    pub currency: Currency,
    pub destination_currency: Option<Currency>,
    pub network: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub lock_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub order_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetails {
    pub order_id: String,
    pub lock_id: String,
    pub status: OrderStatus,
    pub created_at: String,
    pub expires_at: Option<String>,
    #[serde(default)]
    pub confirmations: u32,
    #[serde(default)]
    pub required_confirmations: u32,
    pub received_amount: Option<Num>,
    pub total_amount_required: Num,
    pub cryptocurrency: Currency,
    pub wallet_address: Option<String>,
    pub transaction_hash: Option<String>,
    pub network: Option<String>,
}

/// A payment link or hosted checkout request (body INFERRED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinkRequest {
    pub amount: Amount,
    pub currency: Currency,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// INFERRED: the partner's own reference, and when the link stops taking payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinkCreated {
    pub id: String,
    pub url: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLink {
    pub id: String,
    pub status: String,
    pub amount: Amount,
    pub currency: Currency,
    pub url: String,
    pub expires_at: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub transactions: Vec<PaymentLinkTransaction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinkTransaction {
    pub transaction_hash: String,
    pub amount: Amount,
    pub currency: Currency,
    pub network: Option<String>,
    pub status: String,
    /// INFERRED: the EUR this transfer settled to the partner balance.
    #[serde(default)]
    pub settled_amount: Option<Amount>,
}

// ---- Cards (module suspended upstream) ------------------------------------------------------

// Every shape but the details' is INFERRED from a third-party client (REFERENCE §3.9).

upstream_enum!(
    /// A card's state (INFERRED).
    CardStatus { Active => "ACTIVE", LockedByUser => "LOCKED_BY_USER", Blocked => "BLOCKED", Suspended => "SUSPENDED", Deleted => "DELETED" }
);

/// Create Virtual Card. The PIN never appears in logs.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCard {
    pub external_user_id: String,
    pub label: String,
    pub pin: String,
}

/// A created card: its number and CVV, meant only for the card holder's secure screen.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedCard {
    pub card_id: String,
    pub card_number: String,
    pub cvv: String,
    pub exp: String,
}

/// Get Card Details (documented): the full number, CVV and expiry besides the status (shape of
/// the secret fields not published), so only the id, status and last digits are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardDetails {
    pub card_id: String,
    pub status: CardStatus,
    pub card_last_digits: Option<String>,
}

/// Get All User Cards.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CardList {
    #[serde(default)]
    pub cards: Vec<CardSummary>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardSummary {
    pub card_id: String,
    pub status: CardStatus,
    pub label: Option<String>,
    pub card_last_digits: Option<String>,
}

/// Names a user's card: block, unblock and delete.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardRef {
    pub external_user_id: String,
    pub card_id: String,
}

/// Update Card PIN. The PIN never appears in logs.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardPin {
    #[serde(flatten)]
    pub card: CardRef,
    pub pin: String,
}

/// A card's spending limits in EUR, per kind of use (numbers on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardLimits {
    pub monthly_trx_all: Num,
    pub daily_trx_all: Num,
    pub monthly_trx_atm: Num,
    pub daily_trx_atm: Num,
    pub monthly_trx_ecom: Num,
    pub daily_trx_ecom: Num,
}

/// Update Card Limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardLimitsUpdate {
    #[serde(flatten)]
    pub card: CardRef,
    #[serde(flatten)]
    pub limits: CardLimits,
}

/// Secrets stay out of logs: a card's number and CVV, a PIN.
macro_rules! redacted_debug {
    ($($name:ident { $($shown:ident),* }),+) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))$(.field(stringify!($shown), &self.$shown))*.finish_non_exhaustive()
            }
        }
    )+};
}
redacted_debug!(
    NewCard {
        external_user_id,
        label
    },
    CreatedCard { card_id },
    CardPin { card }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_balance_example_reads() {
        let json = r#"{
          "fiatBalances": [{ "id": "02ee1b09", "amount": "0.00", "name": "eur", "rate": 1,
                             "iban": "LT683130019950000568", "status": "ACTIVE" }],
          "cryptoBalances": [{ "id": "f2de1f4b", "amount": "0.000000", "name": "usdc",
            "wallet": "0x2e90", "rate": 0.963728, "extra": true,
            "networkConfig": { "ethereum": { "mainnet": false, "name": "sepolia",
              "withdrawal": { "feeWithdrawal": 10, "minWithdrawal": 15 }, "deposit": { "minDeposit": 5 } } } }]
        }"#;
        let balances: Balances = serde_json::from_str(json).unwrap();
        assert_eq!(balances.fiat_balances[0].status, BalanceStatus::Active);
        assert_eq!(balances.crypto_balances[0].rate.0.to_string(), "0.963728");
        assert_eq!(
            balances.crypto_balances[0].network_config["ethereum"]
                .withdrawal
                .as_ref()
                .unwrap()
                .min_withdrawal
                .0
                .to_string(),
            "15"
        );
    }

    #[test]
    fn a_missing_field_is_named_and_new_statuses_are_kept() {
        let err = serde_json::from_str::<ExchangeCreated>("{}").unwrap_err();
        assert!(err.to_string().contains("exchangeId"), "{err}");
        let status: MovementStatus = serde_json::from_str(r#""completed""#).unwrap();
        assert_eq!(status, MovementStatus::Completed);
        let status: MovementStatus = serde_json::from_str(r#""ON_HOLD""#).unwrap();
        assert_eq!(status, MovementStatus::Unknown("ON_HOLD".into()));
    }

    #[test]
    fn method_b_answers_give_the_link_to_hand_out() {
        let read = |body: &str| KycRedirect::target_in(body.as_bytes());
        let idenfy = "https://ui.idenfy.com/?authToken=abc&lang=en";
        assert_eq!(
            read(r#"{"url":"https://ui.idenfy.com/?authToken=abc&lang=en"}"#).as_deref(),
            Some(idenfy)
        );
        assert_eq!(read(r#"{"id":"x"}"#), None);
        let meta = r#"<html><head><META HTTP-EQUIV="refresh" content="0; URL=https://ui.idenfy.com/?authToken=abc&amp;lang=en"></head></html>"#;
        assert_eq!(read(meta).as_deref(), Some(idenfy));
        let script = r#"<html><script src="https://cdn.example.com/a.js"></script><script>window.location.href = 'https://ui.idenfy.com/?authToken=abc&lang=en';</script></html>"#;
        assert_eq!(read(script).as_deref(), Some(idenfy));
        let replace = r#"<script>location.replace("http://127.0.0.1:3000/sandbox/p100/hosted-kyc/u-1")</script>"#;
        assert_eq!(
            read(replace).as_deref(),
            Some("http://127.0.0.1:3000/sandbox/p100/hosted-kyc/u-1")
        );
        let assigned = "<script>window.location = `https://ui.idenfy.com/?authToken=abc&lang=en`;</script>";
        assert_eq!(read(assigned).as_deref(), Some(idenfy));
        // No redirect that can be read: the provider's address anywhere, else a link.
        let computed = r#"<script>var t = "https://ui.idenfy.com/?authToken=abc&lang=en"; go(t);</script>"#;
        assert_eq!(read(computed).as_deref(), Some(idenfy));
        let linked = r#"<link rel="stylesheet" href="/s.css"><script src="https://cdn.example.com/a.js"></script><a href="https://verify.example.com/s/1">Continue</a>"#;
        assert_eq!(read(linked).as_deref(), Some("https://verify.example.com/s/1"));
        assert_eq!(read("<html><script>go(token)</script></html>"), None);
        assert_eq!(
            read(r#"<meta http-equiv="refresh" content="0;url=javascript:alert(1)">"#),
            None
        );
    }
}
