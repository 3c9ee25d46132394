//! From what staff typed to a checked plan: every field validated on its own, then the paying
//! balance read live from P100 so nothing is sent that the balance cannot cover, and the exact
//! request body built. Nothing here writes or sends.

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::Value;

use crate::domain::balances::Holder;
use crate::domain::destinations::{Bic, Iban, check_address};
use crate::domain::money::{Amount, Currency, display, parse_amount};
use crate::domain::movements::{
    CryptoInput, Direction, MovementInput, MovementKind, NetworkChoice, SepaInput, TransferInput,
};
use crate::domain::{AppError, FieldErrors};
use crate::p100::types::{
    Balances, CryptoWithdrawalRequest, InternalTransferRequest, Num, ReceiverType, SepaTransferRequest, WalletType,
    WithdrawalLimits,
};
use crate::server::state::AppState;

/// SEPA references and names: what a SEPA payment carries at most.
const SEPA_TEXT_MAX: usize = 140;
const NOTE_MAX: usize = 500;

/// The request P100 will receive, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Upstream {
    Sepa(SepaTransferRequest),
    Crypto(CryptoWithdrawalRequest),
    Transfer(InternalTransferRequest),
}

impl Upstream {
    pub fn to_json(&self) -> Value {
        let value = match self {
            Upstream::Sepa(r) => serde_json::to_value(r),
            Upstream::Crypto(r) => serde_json::to_value(r),
            Upstream::Transfer(r) => serde_json::to_value(r),
        };
        value.unwrap_or(Value::Null)
    }

    /// The stored body read back as the request of `kind`.
    pub fn from_json(kind: MovementKind, body: &str) -> Result<Upstream, serde_json::Error> {
        Ok(match kind {
            MovementKind::Sepa => Upstream::Sepa(serde_json::from_str(body)?),
            MovementKind::Crypto => Upstream::Crypto(serde_json::from_str(body)?),
            MovementKind::Transfer => Upstream::Transfer(serde_json::from_str(body)?),
        })
    }
}

/// A movement that passed every check, ready to record.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: MovementKind,
    /// The user concerned (the paying user, or a transfer's user); `None` for the partner's own.
    pub user: Option<String>,
    pub direction: Option<Direction>,
    pub currency: Currency,
    pub amount: Decimal,
    /// What P100 charges on top (estimated: P100's standard SEPA fee; the crypto service and live network fee).
    pub fee: Decimal,
    pub network: Option<String>,
    /// IBAN, address, or the receiving balance's label.
    pub destination: String,
    pub beneficiary: Option<String>,
    pub bic: Option<String>,
    pub reference: Option<String>,
    pub request: Upstream,
    /// What the member and the checker are shown.
    pub lines: Vec<(String, String)>,
}

impl Plan {
    pub fn money(&self, value: Decimal) -> String {
        display(value.into(), &self.currency)
    }
}

/// P100's standard SEPA fee (REFERENCE.md 1.9): 0.1 %, at least EUR 1.00, rounded up to the cent.
fn sepa_fee(amount: Decimal) -> Decimal {
    (amount * dec!(0.001))
        .round_dp_with_strategy(2, RoundingStrategy::AwayFromZero)
        .max(dec!(1.00))
}

fn text(value: &str, field: &str, missing: &str, max: usize, errors: &mut FieldErrors) -> Option<String> {
    errors.check(field, crate::domain::required_text(value, missing, max))
}

/// SEPA's character set (the EPC's basic Latin subset), which every bank on the way accepts.
fn sepa_text(value: String) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || " /-?:().,'+".contains(c);
    match value.chars().find(|c| !allowed(*c)) {
        None => Ok(value),
        Some(c) => Err(format!(
            "SEPA carries letters, digits, spaces and / - ? : ( ) . , ' + only, not \u{201c}{c}\u{201d}."
        )),
    }
}

/// A choice from a form's list: `missing` when none (or something else) was sent.
pub fn choice<T>(value: &str, parse: impl Fn(&str) -> Option<T>, missing: &str) -> Result<T, String> {
    parse(value.trim()).ok_or_else(|| missing.to_owned())
}

/// `a person, self-hosted wallet`: the travel rule choices as the member picked them.
fn travel_rule_words(receiver: &ReceiverType, wallet: &WalletType) -> String {
    let who = match receiver {
        ReceiverType::Legal => "a company",
        _ => "a person",
    };
    let wallet = match wallet {
        WalletType::Custodial => "wallet at an exchange or custodian",
        WalletType::NonCustodial => "self-hosted wallet",
        _ => "other wallet",
    };
    format!("{who}, {wallet}")
}

/// The live balance of `currency` that `payer` has at P100.
fn available(balances: &Balances, currency: &Currency) -> Decimal {
    balances
        .amounts()
        .find(|(c, _)| *c == currency)
        .map_or(Decimal::ZERO, |(_, a)| a.get())
}

/// The address format a network's key names (P100's `networkConfig` keys).
fn chain_of(network: &str) -> &str {
    match network {
        "dogecoin" => "doge",
        other => other,
    }
}

/// The networks a holder can withdraw each crypto currency on, with P100's fee and minimum.
pub fn network_choices(balances: &Balances) -> Vec<NetworkChoice> {
    balances
        .crypto_balances
        .iter()
        .flat_map(|b| {
            b.network_config.iter().filter_map(move |(key, config)| {
                let limits = config.withdrawal.as_ref()?;
                Some(NetworkChoice {
                    currency: b.name.code().to_owned(),
                    network: key.clone(),
                    label: format!("{} ({})", key, config.name),
                    service_fee: display(limits.fee_withdrawal.0, &b.name),
                    minimum: display(limits.min_withdrawal.0, &b.name),
                    available: display(b.amount, &b.name),
                })
            })
        })
        .collect()
}

/// The payer must have `debit` available; the message goes under `amount`.
fn covered(have: Decimal, debit: Decimal, currency: &Currency) -> Result<(), AppError> {
    if debit > have {
        return Err(AppError::field(
            "amount",
            format!(
                "With the fee this takes {} and only {} is available.",
                display(debit.into(), currency),
                display(have.into(), currency)
            ),
        ));
    }
    Ok(())
}

pub async fn plan(state: &AppState, input: &MovementInput) -> Result<Plan, AppError> {
    match input {
        MovementInput::Sepa(input) => sepa(state, input).await,
        MovementInput::Crypto(input) => crypto(state, input).await,
        MovementInput::Transfer(input) => transfer(state, input).await,
    }
}

/// The holder must be the partner or a user P100 knows (and who was not deleted).
async fn payer_user(state: &AppState, holder: &Holder) -> Result<Option<String>, AppError> {
    match holder {
        Holder::Partner => Ok(None),
        Holder::User(id) => moving_user(state, id).await.map(Some),
    }
}

async fn moving_user(state: &AppState, id: &str) -> Result<String, AppError> {
    Ok(crate::server::users::moving_user(&state.db, id).await?.external_user_id)
}

/// A text SEPA carries: required, at most 140 characters, in SEPA's character set.
fn sepa_field(errors: &mut FieldErrors, field: &str, value: &str, missing: &str) -> Option<String> {
    text(value, field, missing, SEPA_TEXT_MAX, errors).and_then(|t| errors.check(field, sepa_text(t)))
}

/// A SEPA payout whose every field passed its check: what the request is built from.
struct SepaOrder {
    beneficiary: String,
    iban: Iban,
    bic: Option<Bic>,
    amount: Decimal,
    reference: String,
}

impl SepaOrder {
    fn parse(input: &SepaInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let beneficiary = sepa_field(
            &mut errors,
            "beneficiary",
            &input.beneficiary,
            "Enter the beneficiary's name.",
        );
        let iban = errors.check("iban", Iban::parse(&input.iban));
        let bic = match input.bic.trim() {
            "" => None,
            typed => errors.check("bic", Bic::parse(typed)),
        };
        let amount = errors.check("amount", parse_amount(&input.amount, &Currency::Eur));
        let reference = sepa_field(
            &mut errors,
            "reference",
            &input.reference,
            "Enter the reference the beneficiary will see.",
        );
        match (beneficiary, iban, amount, reference) {
            (Some(beneficiary), Some(iban), Some(amount), Some(reference)) if errors.is_empty() => Ok(SepaOrder {
                beneficiary,
                iban,
                bic,
                amount: amount.get(),
                reference,
            }),
            _ => Err(errors),
        }
    }

    /// The plan for `user`'s (or the partner's) balance, which has `have` EUR.
    fn plan(self, holder: &Holder, user: Option<String>, fee: Decimal, have: Decimal) -> Plan {
        let eur = |d: Decimal| display(d.into(), &Currency::Eur);
        let mut lines = vec![
            ("From".to_owned(), holder.label()),
            ("Beneficiary".to_owned(), self.beneficiary.clone()),
            ("IBAN".to_owned(), self.iban.display()),
        ];
        if let Some(bic) = &self.bic {
            lines.push(("BIC".to_owned(), bic.to_string()));
        }
        lines.extend([
            ("Reference".to_owned(), self.reference.clone()),
            ("Amount".to_owned(), eur(self.amount)),
            ("Fee (P100 standard, estimated)".to_owned(), eur(fee)),
            ("Taken from the balance".to_owned(), eur(self.amount + fee)),
            ("Available now".to_owned(), eur(have)),
        ]);
        // Closed-loop partners (P100's default level) send no receiver names: P100 checks the IBAN
        // against the owner's verified accounts. The name and BIC are kept here for the record.
        let request = SepaTransferRequest {
            source_external_user_id: user.clone(),
            amount: Amount(self.amount).at_scale_of(&Currency::Eur).into(),
            currency: Currency::Eur,
            destination_iban: self.iban.as_str().to_owned(),
            transfer_title: self.reference.clone(),
            receiver_type: None,
            receiver_first_name: None,
            receiver_last_name: None,
            company_name: None,
        };
        Plan {
            kind: MovementKind::Sepa,
            user,
            direction: None,
            currency: Currency::Eur,
            amount: self.amount,
            fee,
            network: None,
            destination: self.iban.as_str().to_owned(),
            beneficiary: Some(self.beneficiary),
            bic: self.bic.map(|b| b.to_string()),
            reference: Some(self.reference),
            request: Upstream::Sepa(request),
            lines,
        }
    }
}

async fn sepa(state: &AppState, input: &SepaInput) -> Result<Plan, AppError> {
    let order = SepaOrder::parse(input);
    let user = payer_user(state, &input.holder).await?;
    // Fields first: a typo is reported without asking P100 anything.
    let order = order.map_err(AppError::Invalid)?;
    let fee = sepa_fee(order.amount);
    let balances = crate::server::balances::balances_to_move(state, &input.holder).await?;
    let have = available(&balances, &Currency::Eur);
    covered(have, order.amount + fee, &Currency::Eur)?;
    Ok(order.plan(&input.holder, user, fee, have))
}

/// A crypto withdrawal whose fields passed their checks; the address is checked against the
/// network's format once the network is known to be one the holder withdraws on (`limits`).
struct CryptoOrder {
    currency: Currency,
    /// P100's network key, lower case.
    network: String,
    /// As typed.
    address: String,
    amount: Decimal,
    memo: Option<String>,
    beneficiary: String,
    wallet_type: WalletType,
    receiver_type: ReceiverType,
}

impl CryptoOrder {
    fn parse(input: &CryptoInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let currency = errors.check(
            "currency",
            match Currency::parse(&input.currency) {
                _ if input.currency.trim().is_empty() => Err("Choose a currency.".to_owned()),
                Currency::Unknown(code) => Err(format!("{code} is not a currency P100 withdraws.")),
                Currency::Eur => Err("EUR leaves by SEPA payout, not as a crypto withdrawal.".to_owned()),
                known => Ok(known),
            },
        );
        let amount = currency
            .as_ref()
            .and_then(|c| errors.check("amount", parse_amount(&input.amount, c)));
        let beneficiary = text(
            &input.beneficiary,
            "beneficiary",
            "Enter the name of the person or company receiving it (travel rule).",
            SEPA_TEXT_MAX,
            &mut errors,
        );
        let wallet_type = errors.check(
            "wallet_type",
            choice(&input.wallet_type, WalletType::known, "Choose the kind of wallet."),
        );
        let receiver_type = errors.check(
            "receiver_type",
            choice(
                &input.receiver_type,
                ReceiverType::known,
                "Choose a person or a company.",
            ),
        );
        let memo = match input.memo.trim() {
            "" => None,
            _ => text(&input.memo, "memo", "", SEPA_TEXT_MAX, &mut errors),
        };
        let network = input.network.trim().to_ascii_lowercase();
        if network.is_empty() {
            errors.add("network", "Choose the network.");
        }
        match (currency, amount, beneficiary, wallet_type, receiver_type) {
            (Some(currency), Some(amount), Some(beneficiary), Some(wallet_type), Some(receiver_type))
                if errors.is_empty() =>
            {
                Ok(CryptoOrder {
                    currency,
                    network,
                    address: input.address.clone(),
                    amount: amount.get(),
                    memo,
                    beneficiary,
                    wallet_type,
                    receiver_type,
                })
            }
            _ => Err(errors),
        }
    }

    /// P100's limits for the currency on the network, from the holder's live balances: the
    /// network must be one it is withdrawn on, the address in its format (kept in normal form) and
    /// the amount at least its minimum.
    fn limits(&mut self, balances: &Balances) -> Result<WithdrawalLimits, AppError> {
        let limits = balances
            .crypto_balances
            .iter()
            .find(|b| b.name == self.currency)
            .and_then(|b| b.network_config.get(&self.network))
            .and_then(|c| c.withdrawal.clone());
        let Some(limits) = limits else {
            return Err(AppError::field(
                "network",
                format!(
                    "{} is not withdrawn on {} here.",
                    self.currency.code().to_uppercase(),
                    self.network
                ),
            ));
        };
        let mut errors = FieldErrors::default();
        let chain = chain_of(&self.network);
        let address = errors.check("address", check_address(self.currency.code(), chain, &self.address));
        let minimum = limits.min_withdrawal.0.get();
        if self.amount < minimum {
            errors.add(
                "amount",
                format!(
                    "P100's minimum on {} is {}.",
                    self.network,
                    display(minimum.into(), &self.currency)
                ),
            );
        }
        errors.into_result(|| ())?;
        self.address = address.unwrap_or_default();
        Ok(limits)
    }

    /// USDC and USDT name their network; every other currency has one (REFERENCE.md 2.4.1).
    fn names_network(&self) -> bool {
        matches!(self.currency, Currency::Usdc | Currency::Usdt)
    }

    /// P100's live network fee for this withdrawal.
    async fn network_fee(&self, state: &AppState) -> Result<Decimal, AppError> {
        let fee_network = (self.names_network() && self.network == "polygon").then_some("polygon");
        let fee = state.p100.network_fee(&self.currency, fee_network).await?;
        Ok(fee.value.network_fee.0.get())
    }

    fn plan(self, holder: &Holder, user: Option<String>, fees: (Decimal, Decimal), have: Decimal) -> Plan {
        let (service_fee, network_fee) = fees;
        let fee = service_fee + network_fee;
        let currency = self.currency.clone();
        let money = |d: Decimal| display(d.into(), &currency);
        let mut lines = vec![
            ("From".to_owned(), holder.label()),
            (
                "Currency and network".to_owned(),
                format!("{} on {}", currency.code().to_uppercase(), self.network),
            ),
            ("To address".to_owned(), self.address.clone()),
            (
                "Receiver (travel rule)".to_owned(),
                format!(
                    "{} ({})",
                    self.beneficiary,
                    travel_rule_words(&self.receiver_type, &self.wallet_type)
                ),
            ),
        ];
        if let Some(memo) = &self.memo {
            lines.push(("Memo".to_owned(), memo.clone()));
        }
        lines.extend([
            ("Arrives at the address".to_owned(), money(self.amount)),
            ("P100 service fee".to_owned(), money(service_fee)),
            ("Network fee (live)".to_owned(), money(network_fee)),
            ("Taken from the balance".to_owned(), money(self.amount + fee)),
            ("Available now".to_owned(), money(have)),
        ]);
        let request = CryptoWithdrawalRequest {
            source_external_user_id: user.clone(),
            currency: currency.clone(),
            amount: Num(Amount(self.amount)),
            wallet_address: self.address.clone(),
            memo: self.memo.clone(),
            network: self.names_network().then(|| self.network.to_ascii_uppercase()),
            name: self.beneficiary.clone(),
            wallet_type: self.wallet_type,
            receiver_type: self.receiver_type,
        };
        Plan {
            kind: MovementKind::Crypto,
            user,
            direction: None,
            currency,
            amount: self.amount,
            fee,
            network: Some(self.network),
            destination: self.address,
            beneficiary: Some(self.beneficiary),
            bic: None,
            reference: self.memo,
            request: Upstream::Crypto(request),
            lines,
        }
    }
}

async fn crypto(state: &AppState, input: &CryptoInput) -> Result<Plan, AppError> {
    let order = CryptoOrder::parse(input);
    let user = payer_user(state, &input.holder).await?;
    let mut order = order.map_err(AppError::Invalid)?;
    // The network and its limits come from the holder's live balances.
    let balances = crate::server::balances::balances_to_move(state, &input.holder).await?;
    let limits = order.limits(&balances)?;
    let fees = (limits.fee_withdrawal.0.get(), order.network_fee(state).await?);
    let have = available(&balances, &order.currency);
    covered(have, order.amount + fees.0 + fees.1, &order.currency)?;
    Ok(order.plan(&input.holder, user, fees, have))
}

/// A transfer whose every field passed its check, but for the user (checked in the registry).
struct TransferOrder {
    direction: Direction,
    currency: Currency,
    amount: Decimal,
    note: String,
}

impl TransferOrder {
    fn parse(input: &TransferInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let direction = errors.check(
            "direction",
            choice(&input.direction, Direction::parse, "Choose the direction."),
        );
        let currency = errors.check(
            "currency",
            match Currency::parse(&input.currency) {
                _ if input.currency.trim().is_empty() => Err("Choose a currency.".to_owned()),
                Currency::Unknown(code) => Err(format!("{code} is not a currency P100 holds.")),
                known => Ok(known),
            },
        );
        let amount = currency
            .as_ref()
            .and_then(|c| errors.check("amount", parse_amount(&input.amount, c)));
        let note = text(
            &input.note,
            "note",
            "Say what the transfer is for.",
            NOTE_MAX,
            &mut errors,
        );
        match (direction, currency, amount, note) {
            (Some(direction), Some(currency), Some(amount), Some(note)) if errors.is_empty() => Ok(TransferOrder {
                direction,
                currency,
                amount: amount.get(),
                note,
            }),
            _ => Err(errors),
        }
    }

    /// Who pays and who receives.
    fn parties(&self, user: &str) -> (Holder, Holder) {
        let user = Holder::User(user.to_owned());
        match self.direction {
            Direction::ToUser => (Holder::Partner, user),
            Direction::ToPartner => (user, Holder::Partner),
        }
    }

    fn plan(self, user: String, have: Decimal) -> Plan {
        let (payer, receiver) = self.parties(&user);
        let currency = self.currency.clone();
        let money = |d: Decimal| display(d.into(), &currency);
        let lines = vec![
            ("Direction".to_owned(), self.direction.label().to_owned()),
            ("From".to_owned(), payer.label()),
            ("To".to_owned(), receiver.label()),
            ("Amount".to_owned(), money(self.amount)),
            ("Fee".to_owned(), money(Decimal::ZERO)),
            ("Note (kept here)".to_owned(), self.note.clone()),
            ("Available now".to_owned(), money(have)),
        ];
        let request = InternalTransferRequest {
            source_external_user_id: payer.user().map(str::to_owned),
            destination_external_user_id: receiver.user().map(str::to_owned),
            currency: currency.clone(),
            amount: Amount(self.amount).at_scale_of(&currency).into(),
        };
        Plan {
            kind: MovementKind::Transfer,
            user: Some(user),
            direction: Some(self.direction),
            currency,
            amount: self.amount,
            fee: Decimal::ZERO,
            network: None,
            destination: receiver.label(),
            beneficiary: None,
            bic: None,
            reference: Some(self.note),
            request: Upstream::Transfer(request),
            lines,
        }
    }
}

/// The transfer's user as the registry knows them, or the message for the `user` field.
async fn transfer_user(state: &AppState, typed: &str) -> Result<Result<String, String>, AppError> {
    let id = typed.trim();
    if id.is_empty() {
        return Ok(Err("Choose the user.".into()));
    }
    match moving_user(state, id).await {
        Ok(user) => Ok(Ok(user)),
        Err(AppError::NotFound) => Ok(Err(format!("No user {id} in the registry."))),
        Err(AppError::Refused(message)) => Ok(Err(message)),
        Err(other) => Err(other),
    }
}

async fn transfer(state: &AppState, input: &TransferInput) -> Result<Plan, AppError> {
    let (order, user) = match (TransferOrder::parse(input), transfer_user(state, &input.user).await?) {
        (Ok(order), Ok(user)) => (order, user),
        (order, user) => {
            let mut errors = order.err().unwrap_or_default();
            if let Err(message) = user {
                errors.add("user", message);
            }
            return Err(AppError::Invalid(errors));
        }
    };
    let (payer, payee) = order.parties(&user);
    let balances = crate::server::balances::balances_to_move(state, &payer).await?;
    if payee.user().is_some() {
        crate::server::balances::balances_to_move(state, &payee).await?;
    }
    let have = available(&balances, &order.currency);
    covered(have, order.amount, &order.currency)?;
    Ok(order.plan(user, have))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sepa_fee_is_a_tenth_of_a_percent_at_least_one_euro_rounded_up() {
        assert_eq!(sepa_fee(dec!(10)), dec!(1.00));
        assert_eq!(sepa_fee(dec!(1000)), dec!(1.00));
        assert_eq!(sepa_fee(dec!(1500)), dec!(1.50));
        assert_eq!(sepa_fee(dec!(1234.56)), dec!(1.24));
    }

    #[test]
    fn sepa_text_refuses_characters_banks_drop() {
        assert!(sepa_text("Invoice 2026/11-3 (final)".into()).is_ok());
        assert!(sepa_text("Zahlung für Müller".into()).is_err());
    }
}
