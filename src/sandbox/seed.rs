//! Demo data, written once on first start: the partner's balances, about 200 users in every KYC
//! and account state, a few thousand history lines, deposits waiting for travel-rule data.
//! A fixed random seed makes every sandbox start from the same world.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

use super::store::{self, MovementRow, PARTNER, TransactionRow, UserRow};
use super::{SEEDED, contacts_key, ledger};
use crate::domain::money::Currency;
use crate::kernel::db::{self, Db, Timestamp, Tx};
use crate::p100::types::CreateUserRequest;

pub const USERS: usize = 200;

/// First and last names of the demo people (also used by `examples/seed_users.rs`).
pub const FIRST: [&str; 16] = [
    "Anna",
    "Piotr",
    "Maria",
    "Jan",
    "Katarzyna",
    "Tomasz",
    "Eva",
    "Lukas",
    "Sofia",
    "Mateo",
    "Ines",
    "Jonas",
    "Lea",
    "Marek",
    "Olga",
    "Viktor",
];
pub const LAST: [&str; 16] = [
    "Nowak",
    "Kowalski",
    "Müller",
    "Schmidt",
    "Rossi",
    "Dubois",
    "García",
    "Novák",
    "Horvat",
    "Jansen",
    "Silva",
    "Berg",
    "Kaya",
    "Popescu",
    "Ivanova",
    "Lindqvist",
];
pub const COUNTRIES: [&str; 8] = ["PL", "DE", "LT", "FR", "ES", "IT", "NL", "CZ"];

/// A user P100 holds, with what the app's registry imports of it in sandbox mode.
#[derive(Debug, Clone)]
pub struct SeededUser {
    pub external_user_id: String,
    pub user_id: String,
    pub profile: CreateUserRequest,
    pub status: String,
    pub verification_status: String,
    pub attempt_status: Option<String>,
    pub rejection_reason: Option<String>,
    pub poa_status: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Every user the sandbox holds, oldest first: the seeded people, and any created through its API
/// since. One whose stored profile does not read is left out, with a warning.
pub async fn users(db: &Db) -> Result<Vec<SeededUser>, sqlx::Error> {
    let rows = store::all_users(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let Ok(profile) = serde_json::from_str(&row.profile) else {
                tracing::warn!(user = %row.external_user_id, "sandbox user profile unreadable; not imported");
                return None;
            };
            Some(SeededUser {
                external_user_id: row.external_user_id,
                user_id: row.user_id,
                profile,
                status: row.status,
                verification_status: row.verification_status,
                attempt_status: row.attempt_status,
                rejection_reason: row.rejection_reason,
                poa_status: row.poa_status,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect())
}

/// Seeds the world unless it already exists.
pub async fn seed(db: &Db) -> Result<(), sqlx::Error> {
    if store::setting(db, SEEDED).await?.is_some() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(100);
    let mut tx = db::begin_write(db).await?;
    ledger::open_balances(&mut tx, PARTNER).await?;
    let partner_funds = [
        (Currency::Eur, dec!(250000.00)),
        (Currency::Btc, dec!(3.5)),
        (Currency::Eth, dec!(42)),
        (Currency::Usdc, dec!(150000)),
        (Currency::Usdt, dec!(80000)),
        (Currency::Ltc, dec!(120)),
        (Currency::Doge, dec!(50000)),
        (Currency::Pol, dec!(20000)),
    ];
    for (currency, amount) in &partner_funds {
        set_amount(&mut tx, PARTNER, currency, *amount, Some(&iban_for(PARTNER))).await?;
    }
    let contacts = json!([{ "iban": "DE89370400440532013000", "name": "Partner Operations GmbH", "createdAt": Timestamp::now().to_text() }]);
    store::set_setting(&mut tx, &contacts_key(PARTNER), &contacts.to_string()).await?;

    let start = Timestamp::now() - Duration::from_secs(120 * 86_400);
    for i in 0..USERS {
        seed_user(&mut tx, &mut rng, i, start).await?;
    }
    seed_history(&mut tx, &mut rng, PARTNER, 600, start).await?;
    store::set_setting(&mut tx, SEEDED, &Timestamp::now().to_text()).await?;
    tx.commit().await?;
    tracing::info!(users = USERS, "sandbox seeded");
    Ok(())
}

/// A stable, valid-looking Lithuanian IBAN for an owner.
pub fn iban_for(owner: &str) -> String {
    use sha2::{Digest, Sha256};
    let digits: String = Sha256::digest(owner.as_bytes())
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .take(11)
        .collect();
    let bban = format!("31300{digits}");
    // ISO 13616 check digits: move "LT00" to the end, letters to numbers, 98 - mod 97.
    let rearranged = format!("{bban}212900");
    let remainder = rearranged
        .chars()
        .fold(0u32, |acc, c| (acc * 10 + c.to_digit(10).unwrap_or(0)) % 97);
    format!("LT{:02}{bban}", 98 - remainder)
}

async fn set_amount(
    tx: &mut Tx,
    owner: &str,
    currency: &Currency,
    amount: Decimal,
    iban: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut row = store::balance(tx, owner, currency.code())
        .await?
        .expect("balances were opened");
    let mut amount = amount;
    amount.rescale(currency.scale());
    row.amount = amount.to_string();
    if currency.is_fiat() {
        row.iban = iban.map(str::to_owned);
        row.status = if iban.is_some() {
            "ACTIVE"
        } else {
            "WAITING_TO_BE_ACTIVATED"
        }
        .to_owned();
    } else if row.wallet.is_none() && !amount.is_zero() {
        row.wallet = Some(ledger::wallet_address(currency, &row.id));
    }
    store::update_balance(tx, &row).await
}

async fn seed_user(tx: &mut Tx, rng: &mut StdRng, i: usize, start: Timestamp) -> Result<(), sqlx::Error> {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / FIRST.len() + i) % LAST.len()];
    let country = COUNTRIES[i % COUNTRIES.len()];
    let external_user_id = format!("demo-{:04}", i + 1);
    let request = CreateUserRequest {
        external_user_id: external_user_id.clone(),
        email: format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            ascii(last).to_lowercase(),
            i + 1
        ),
        phone: format!("48{:09}", 600_000_000 + i * 7919 % 99_999_999),
        first_name: first.into(),
        last_name: last.into(),
        street: "ul. Marszałkowska".into(),
        number: format!("{}/{}", 1 + i % 140, 1 + i % 12),
        city: "Warszawa".into(),
        post_code: format!("00-{:03}", i % 1000),
        country: country.into(),
        citizenship: country.into(),
        nationality: country.into(),
        birth_country: country.into(),
        birth_date: format!("{}-{:02}-{:02}", 1950 + i % 50, 1 + i % 12, 1 + i % 28),
        user_identification_number: format!("{:011}", 80_010_112_345u64 + i as u64 * 97),
        has_accepted_p100_tc: true,
    };
    // A spread over the states: most users active, the rest in every other KYC or account state.
    let (status, verification, attempt, reason) = match i % 10 {
        0 => ("WAITING_FOR_ACTIVATION", "NOT_VERIFIED", None, None),
        1 => ("WAITING_FOR_ACTIVATION", "NOT_VERIFIED", Some("PENDING"), None),
        2 => (
            "WAITING_FOR_ACTIVATION",
            "NOT_VERIFIED",
            Some("REJECTED_BY_PROVIDER"),
            Some("NO_FACE_FOUND"),
        ),
        3 if i % 20 == 3 => ("SUSPENDED", "VERIFIED", Some("SUCCESSFUL"), None),
        4 if i % 40 == 4 => ("ACTIVE", "EXPIRED", Some("SUCCESSFUL"), None),
        5 if i % 50 == 5 => ("DELETED", "VERIFIED", Some("SUCCESSFUL"), None),
        _ => ("ACTIVE", "VERIFIED", Some("SUCCESSFUL"), None),
    };
    let created = start + Duration::from_secs((i as u64) * 50_000);
    let user = UserRow {
        external_user_id: external_user_id.clone(),
        user_id: uuid::Uuid::from_u128(rng.random()).to_string(),
        profile: serde_json::to_string(&request).expect("a request serialises"),
        status: status.into(),
        verification_status: verification.into(),
        attempt_status: attempt.map(str::to_owned),
        rejection_reason: reason.map(str::to_owned),
        poa_status: (i % 25 == 7).then(|| "QUESTIONED".to_owned()),
        created_at: created,
        updated_at: created,
    };
    store::insert_user(tx, &user).await?;
    // Balances exist once Add User Verification was submitted (REFERENCE §0 C2): every user past
    // activation has them, one still waiting for it has none.
    if status != "WAITING_FOR_ACTIVATION" {
        ledger::open_balances(tx, &external_user_id).await?;
    }
    if verification == "VERIFIED" && status != "DELETED" {
        let eur = Decimal::new(rng.random_range(0..2_500_000), 2);
        set_amount(
            tx,
            &external_user_id,
            &Currency::Eur,
            eur,
            Some(&iban_for(&external_user_id)),
        )
        .await?;
        if i.is_multiple_of(3) {
            set_amount(
                tx,
                &external_user_id,
                &Currency::Btc,
                Decimal::new(rng.random_range(0..5_000_000), 8),
                None,
            )
            .await?;
        }
        if i.is_multiple_of(4) {
            set_amount(
                tx,
                &external_user_id,
                &Currency::Usdc,
                Decimal::new(rng.random_range(0..900_000_000), 6),
                None,
            )
            .await?;
        }
        seed_history(tx, rng, &external_user_id, 12, created).await?;
        let contacts = json!([{ "iban": iban_for(&format!("{external_user_id}-own")), "name": format!("{first} {last}"), "createdAt": created.to_text() }]);
        store::set_setting(tx, &contacts_key(&external_user_id), &contacts.to_string()).await?;
    }
    if i % 33 == 5 && status == "ACTIVE" {
        // A deposit stopped for travel-rule data, for the travel-rule form.
        let id = uuid::Uuid::from_u128(rng.random()).to_string();
        let details = json!({
            "externalUserId": external_user_id, "cryptoDepositId": id, "amount": "0.015", "currency": "eth",
            "status": "WAITING_FOR_TR_DATA", "transactionHash": format!("0x{}", id.replace('-', "")),
            "createdAt": created.to_text(),
        });
        let row = MovementRow {
            id,
            kind: "crypto_deposit".into(),
            owner: external_user_id.clone(),
            status: "WAITING_FOR_TR_DATA".into(),
            details: details.to_string(),
            settle_at: None,
            created_at: created,
            updated_at: created,
        };
        store::insert_movement(tx, &row).await?;
        // P100 tells the partner with the crypto deposit webhook: the app's only list of them.
        let route = crate::p100::webhooks::Route::CryptoDeposit.path();
        store::enqueue_webhook(tx, route, &details.to_string(), Timestamp::now()).await?;
    }
    Ok(())
}

/// `count` past movements in `owner`'s history, spread from `since` until now.
async fn seed_history(
    tx: &mut Tx,
    rng: &mut StdRng,
    owner: &str,
    count: usize,
    since: Timestamp,
) -> Result<(), sqlx::Error> {
    let span = (Timestamp::now().get() - since.get()).whole_seconds().max(1) as u64;
    let kinds = [
        "sepa_deposit",
        "sepa_transfer",
        "exchange",
        "crypto_deposit",
        "crypto_withdrawal",
        "internal_transfer_in",
    ];
    for n in 0..count {
        let kind = kinds[rng.random_range(0..kinds.len())];
        let currency = if kind.starts_with("sepa") {
            Currency::Eur
        } else {
            [Currency::Eur, Currency::Btc, Currency::Usdc][n % 3].clone()
        };
        let magnitude = match currency {
            Currency::Eur => Decimal::new(rng.random_range(100..500_000), 2),
            Currency::Btc => Decimal::new(rng.random_range(10_000..5_000_000), 8),
            _ => Decimal::new(rng.random_range(1_000_000..900_000_000), 6),
        };
        let outgoing = matches!(kind, "sepa_transfer" | "crypto_withdrawal") || (kind == "exchange" && n % 2 == 0);
        let row = TransactionRow {
            id: uuid::Uuid::from_u128(rng.random()).to_string(),
            owner: owner.to_owned(),
            kind: kind.to_owned(),
            currency: currency.code().to_owned(),
            amount: if outgoing { -magnitude } else { magnitude }.to_string(),
            status: if n % 29 == 0 { "FAILED" } else { "SUCCESSFUL" }.to_owned(),
            created_at: since + Duration::from_secs(rng.random_range(0..span)),
        };
        store::insert_transaction(tx, &row).await?;
    }
    Ok(())
}

/// A name as an email's local part: its ASCII letters, accents dropped.
pub fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ü' => 'u',
            'í' => 'i',
            'á' => 'a',
            'é' => 'e',
            other => other,
        })
        .filter(char::is_ascii_alphabetic)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ibans_pass_the_mod_97_check() {
        for owner in [PARTNER, "demo-0001", "demo-0200"] {
            let iban = iban_for(owner);
            assert_eq!(iban.len(), 20);
            let rearranged = format!("{}{}", &iban[4..], "2129") + &iban[2..4];
            let remainder = rearranged
                .chars()
                .fold(0u32, |acc, c| (acc * 10 + c.to_digit(10).unwrap()) % 97);
            assert_eq!(remainder, 1, "{iban}");
        }
    }
}
