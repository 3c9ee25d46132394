//! Fills the user registry of a database with synthetic users, for `bench/users.sh`:
//! `cargo run --release --features ssr --example seed_users -- <DATABASE_URL> <COUNT>`.
//! A fixed random seed makes every run the same data.

use std::time::{Duration, Instant};

use backoffice::domain::users::KycState;
use backoffice::sandbox::seed::{COUNTRIES, FIRST, LAST, ascii};
use backoffice::server::db::{self, Timestamp, users::UserRecord};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STATES: [(&str, Option<&str>, &str); 6] = [
    ("VERIFIED", Some("SUCCESSFUL"), "ACTIVE"),
    ("VERIFIED", Some("SUCCESSFUL"), "ACTIVE"),
    ("VERIFIED", Some("SUCCESSFUL"), "SUSPENDED"),
    ("NOT_VERIFIED", None, "WAITING_FOR_ACTIVATION"),
    ("NOT_VERIFIED", Some("PENDING"), "WAITING_FOR_ACTIVATION"),
    ("NOT_VERIFIED", Some("REJECTED_BY_PROVIDER"), "WAITING_FOR_ACTIVATION"),
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed_users <DATABASE_URL> <COUNT>")?;
    let count: usize = args.next().ok_or("usage: seed_users <DATABASE_URL> <COUNT>")?.parse()?;
    let pool = db::connect(&url).await?;
    let mut rng = StdRng::seed_from_u64(100_000);
    let start = Timestamp::now() - Duration::from_secs(3 * 365 * 86_400);
    let started = Instant::now();
    // A bulk load's usual shape (PostgreSQL's "Populating a Database"): the secondary indexes are
    // dropped, the rows inserted, and the indexes built again from sorted data, rather than ~20
    // B-trees updated at random places a million times. Unique indexes stay: they keep the data valid.
    let indexes = secondary_indexes(&pool).await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}")).execute(&pool).await?;
    }
    // The users table's revision (migration 0019) moves once per inserted row; on PostgreSQL each
    // move is a new version of its one row, 5,000 per transaction here, and a million of them
    // added a minute. Off for the load and moved once after it (SQLite's row trigger costs little).
    let postgres = db::Backend::of(&pool) == db::Backend::Postgres;
    if postgres {
        sqlx::query("ALTER TABLE users DISABLE TRIGGER users_revision")
            .execute(&pool)
            .await?;
    }
    for batch in (0..count).collect::<Vec<_>>().chunks(5_000) {
        let mut tx = db::begin_write(&pool).await?;
        for &i in batch {
            let (first, last) = (
                FIRST[rng.random_range(0..FIRST.len())],
                LAST[rng.random_range(0..LAST.len())],
            );
            let country = COUNTRIES[rng.random_range(0..COUNTRIES.len())];
            let (verification, attempt, account) = STATES[rng.random_range(0..STATES.len())];
            let created = start + Duration::from_secs(rng.random_range(0..3 * 365 * 86_400));
            let user = UserRecord {
                external_user_id: format!("bench-{i:06}"),
                p100_user_id: Some(uuid::Uuid::from_u128(rng.random()).to_string()),
                sync_state: "synced".into(),
                request_hash: None,
                first_name: first.into(),
                last_name: last.into(),
                email: format!(
                    "{}.{}{i}@example.com",
                    ascii(first).to_lowercase(),
                    ascii(last).to_lowercase()
                ),
                phone: format!("+48{}", rng.random_range(500_000_000u64..899_999_999)),
                street: "Main Street".into(),
                house_number: format!("{}", rng.random_range(1..200)),
                city: "City".into(),
                post_code: format!("{:05}", rng.random_range(0..99_999)),
                country: country.into(),
                citizenship: country.into(),
                nationality: country.into(),
                birth_country: country.into(),
                birth_date: format!(
                    "19{:02}-{:02}-{:02}",
                    rng.random_range(40..99),
                    rng.random_range(1..13),
                    rng.random_range(1..29)
                ),
                id_number: format!("{:011}", rng.random_range(0..99_999_999_999u64)),
                kyc_state: KycState::of(verification, attempt).as_str().into(),
                verification_status: verification.into(),
                attempt_status: attempt.map(str::to_owned),
                rejection_reason: (attempt == Some("REJECTED_BY_PROVIDER")).then(|| "NO_FACE_FOUND".into()),
                kyc_method: Some(if i % 2 == 0 { "documents" } else { "hosted" }.into()),
                poa_status: None,
                account_status: account.into(),
                created_by: None,
                created_at: created,
                kyc_changed_at: created,
                changed_at: created,
                synced_at: Some(created),
            };
            db::users::insert(&mut tx, &user).await?;
        }
        tx.commit().await?;
    }
    for (_, create) in &indexes {
        sqlx::query(create).execute(&pool).await?;
    }
    if postgres {
        sqlx::query("ALTER TABLE users ENABLE TRIGGER users_revision")
            .execute(&pool)
            .await?;
        sqlx::query("UPDATE users_revision SET revision = revision + 1 WHERE id = 1")
            .execute(&pool)
            .await?;
    }
    // Statistics for the planner, and on PostgreSQL the visibility map that lets a count read only
    // an index: what autovacuum gives a live database soon after a bulk load.
    let tidy = match db::Backend::of(&pool) {
        db::Backend::Sqlite => "ANALYZE",
        db::Backend::Postgres => "VACUUM ANALYZE users",
    };
    sqlx::query(tidy).execute(&pool).await?;
    println!("seeded {count} users in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The users table's indexes that are neither its key nor unique: (name, the statement creating it).
async fn secondary_indexes(pool: &db::Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    let query = match db::Backend::of(pool) {
        db::Backend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'
             AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
        }
        db::Backend::Postgres => {
            "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'users'::regclass AND NOT i.indisunique"
        }
    };
    sqlx::query_as(query).fetch_all(pool).await
}
