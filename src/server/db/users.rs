//! The user registry, its history and staff notes.

use sqlx::FromRow;

use super::{Backend, Conn, Db, Statement, Timestamp, Tx};
use crate::domain::users::{COUNT_CAP, KycState, PAGE_SIZE, UserSearch, UserSort, phone_key, search_key};

/// A registry row. Holds personal data in clear, so it is deliberately not `Serialize`: what the
/// browser sees is built (and masked) by `server::users`.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub external_user_id: String,
    pub p100_user_id: Option<String>,
    pub sync_state: String,
    pub request_hash: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub street: String,
    pub house_number: String,
    pub city: String,
    pub post_code: String,
    pub country: String,
    pub citizenship: String,
    pub nationality: String,
    pub birth_country: String,
    pub birth_date: String,
    pub id_number: String,
    pub kyc_state: String,
    pub verification_status: String,
    pub attempt_status: Option<String>,
    pub rejection_reason: Option<String>,
    pub kyc_method: Option<String>,
    pub poa_status: Option<String>,
    pub account_status: String,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub kyc_changed_at: Timestamp,
    pub changed_at: Timestamp,
    pub synced_at: Option<Timestamp>,
}

impl UserRecord {
    pub fn kyc(&self) -> KycState {
        KycState::parse(&self.kyc_state).unwrap_or(KycState::NotStarted)
    }
}

const COLUMNS: &str = "external_user_id, p100_user_id, sync_state, request_hash, first_name, last_name, email, phone, \
    street, house_number, city, post_code, country, citizenship, nationality, birth_country, birth_date, id_number, \
    kyc_state, verification_status, attempt_status, rejection_reason, kyc_method, poa_status, account_status, \
    created_by, created_at, kyc_changed_at, changed_at, synced_at";

/// Inserts a user with its search keys. `false` when the external id is taken (nothing changes).
pub async fn insert(tx: &mut Tx, user: &UserRecord) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO users ({COLUMNS}, name_key, last_name_key, email_key, phone_key, external_key, p100_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
                 $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)
         ON CONFLICT (external_user_id) DO NOTHING"
    ))
    .bind(&user.external_user_id)
    .bind(&user.p100_user_id)
    .bind(&user.sync_state)
    .bind(&user.request_hash)
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(&user.email)
    .bind(&user.phone)
    .bind(&user.street)
    .bind(&user.house_number)
    .bind(&user.city)
    .bind(&user.post_code)
    .bind(&user.country)
    .bind(&user.citizenship)
    .bind(&user.nationality)
    .bind(&user.birth_country)
    .bind(&user.birth_date)
    .bind(&user.id_number)
    .bind(&user.kyc_state)
    .bind(&user.verification_status)
    .bind(&user.attempt_status)
    .bind(&user.rejection_reason)
    .bind(&user.kyc_method)
    .bind(&user.poa_status)
    .bind(&user.account_status)
    .bind(&user.created_by)
    .bind(user.created_at)
    .bind(user.kyc_changed_at)
    .bind(user.changed_at)
    .bind(user.synced_at)
    .bind(search_key(&format!("{} {}", user.first_name, user.last_name)))
    .bind(search_key(&user.last_name))
    .bind(search_key(&user.email))
    .bind(phone_key(&user.phone))
    .bind(search_key(&user.external_user_id))
    .bind(search_key(user.p100_user_id.as_deref().unwrap_or_default()))
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn find(db: &Db, external_user_id: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE external_user_id = $1"))
        .bind(external_user_id)
        .fetch_optional(db)
        .await
}

pub async fn find_in(tx: &mut Tx, external_user_id: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE external_user_id = $1"))
        .bind(external_user_id)
        .fetch_optional(&mut **tx)
        .await
}

/// P100 confirmed the creation: its id, and the user is in step.
pub async fn confirm_created(
    tx: &mut Tx,
    external_user_id: &str,
    p100_user_id: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET p100_user_id = $2, p100_key = $3, sync_state = 'synced', synced_at = $4 WHERE external_user_id = $1",
    )
    .bind(external_user_id)
    .bind(p100_user_id)
    .bind(search_key(p100_user_id))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn set_sync_state(tx: &mut Tx, external_user_id: &str, state: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET sync_state = $2 WHERE external_user_id = $1")
        .bind(external_user_id)
        .bind(state)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Forgets a user P100 refused to create (with its history), so the form can be corrected and sent again.
pub async fn delete_unconfirmed(tx: &mut Tx, external_user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_events WHERE external_user_id = $1")
        .bind(external_user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM users WHERE external_user_id = $1 AND sync_state <> 'synced'")
        .bind(external_user_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The KYC fields as P100 last reported them.
pub struct KycUpdate<'a> {
    pub verification_status: &'a str,
    pub attempt_status: Option<&'a str>,
    pub rejection_reason: Option<&'a str>,
}

pub async fn set_kyc(
    tx: &mut Tx,
    external_user_id: &str,
    kyc: &KycUpdate<'_>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let state = KycState::of(kyc.verification_status, kyc.attempt_status);
    sqlx::query(
        "UPDATE users SET verification_status = $2, attempt_status = $3, rejection_reason = $4, kyc_state = $5,
             kyc_changed_at = $6, changed_at = $6, synced_at = $6
         WHERE external_user_id = $1",
    )
    .bind(external_user_id)
    .bind(kyc.verification_status)
    .bind(kyc.attempt_status)
    .bind(kyc.rejection_reason)
    .bind(state.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn set_kyc_method(tx: &mut Tx, external_user_id: &str, method: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET kyc_method = $2 WHERE external_user_id = $1")
        .bind(external_user_id)
        .bind(method)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// A status the registry follows besides KYC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    Account,
    ProofOfAddress,
}

impl Followed {
    fn column(self) -> &'static str {
        match self {
            Followed::Account => "account_status",
            Followed::ProofOfAddress => "poa_status",
        }
    }
}

pub async fn set_status(
    tx: &mut Tx,
    external_user_id: &str,
    followed: Followed,
    status: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let column = followed.column();
    sqlx::query(&format!(
        "UPDATE users SET {column} = $2, changed_at = $3, synced_at = $3 WHERE external_user_id = $1"
    ))
    .bind(external_user_id)
    .bind(status)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Erases a deleted user's personal data (and the search keys made from it). The row stays, with
/// its ids, statuses and history, so the audit trail still leads somewhere.
pub async fn erase(tx: &mut Tx, external_user_id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET first_name = '', last_name = '', email = '', phone = '', street = '', house_number = '',
             city = '', post_code = '', citizenship = '', nationality = '', birth_country = '', birth_date = '',
             id_number = '', rejection_reason = NULL, name_key = '', last_name_key = '', email_key = '',
             phone_key = '', changed_at = $2
         WHERE external_user_id = $1",
    )
    .bind(external_user_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// New contact details, with their search keys.
pub struct Contact<'a> {
    pub email: &'a str,
    pub phone: &'a str,
    pub street: &'a str,
    pub house_number: &'a str,
    pub city: &'a str,
    pub post_code: &'a str,
}

pub async fn set_contact(
    tx: &mut Tx,
    external_user_id: &str,
    c: &Contact<'_>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = $2, email_key = $3, phone = $4, phone_key = $5, street = $6, house_number = $7,
             city = $8, post_code = $9, synced_at = $10
         WHERE external_user_id = $1",
    )
    .bind(external_user_id)
    .bind(c.email)
    .bind(search_key(c.email))
    .bind(c.phone)
    .bind(phone_key(c.phone))
    .bind(c.street)
    .bind(c.house_number)
    .bind(c.city)
    .bind(c.post_code)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// The column a sort reads, and the value of it a cursor carries.
fn sort_column(sort: UserSort) -> &'static str {
    match sort {
        UserSort::Created => "created_at",
        UserSort::Name => "name_key",
        UserSort::Country => "country",
        UserSort::Kyc => "kyc_state",
        UserSort::Account => "account_status",
        UserSort::Changed => "changed_at",
    }
}

pub fn sort_value(user: &UserRecord, sort: UserSort) -> String {
    match sort {
        UserSort::Created => user.created_at.to_text(),
        UserSort::Name => search_key(&format!("{} {}", user.first_name, user.last_name)),
        UserSort::Country => user.country.clone(),
        UserSort::Kyc => user.kyc_state.clone(),
        UserSort::Account => user.account_status.clone(),
        UserSort::Changed => user.changed_at.to_text(),
    }
}

/// `column >= prefix AND column < prefix + U+10FFFF`: a prefix match every database serves from
/// the column's index (unlike `LIKE`, whose index use depends on collation settings).
fn push_prefix(q: &mut Statement<'_>, column: &str, prefix: &str) {
    q.push(format!("({column} >= "))
        .push_bind(prefix.to_owned())
        .push(format!(" AND {column} < "))
        .push_bind(format!("{prefix}\u{10FFFF}"))
        .push(")");
}

/// How a search term is matched: from the key columns' indexes, the filters checked on each match
/// (few matches: read them and sort), or row by row in the page's order, from the filters' indexes
/// (many matches: the first page is met within a few rows).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TermPlan {
    Indexes,
    InPageOrder,
}

/// A term matching more users than this is matched in the page's order. Reading a term's matches
/// from its indexes costs one row per match; reading rows in the page's order until a page is full
/// costs about 50 × users ÷ matches (the share of matches is about the same within any filter).
/// The two meet near √(50 × users): 2,200 at 100,000 users, 7,000 at a million (a fixed 3,000
/// read 13,000 rows in page order for a term matching 3,900 of a million; bench/users.sh).
fn dense_threshold(users: i64) -> i64 {
    (50 * users.max(0)).isqrt().clamp(1_000, COUNT_CAP)
}

/// How many users the database's statistics say there are (SQLite's `ANALYZE`, which `connect` and
/// `optimize` keep fresh; PostgreSQL's autovacuum): enough to choose a plan by, and read in
/// microseconds where counting a million rows takes tens of milliseconds.
async fn estimated_users(db: &Db) -> Result<i64, sqlx::Error> {
    let query = match Backend::of(db) {
        Backend::Sqlite => "SELECT COALESCE(MAX(CAST(stat AS INTEGER)), 0) FROM sqlite_stat1 WHERE tbl = 'users'",
        Backend::Postgres => "SELECT GREATEST(reltuples, 0)::BIGINT FROM pg_class WHERE oid = 'users'::regclass",
    };
    sqlx::query_scalar(query).fetch_one(db).await
}

/// A P100 id is matched from this many characters on: a shorter prefix of P100's random ids
/// matches one user in 16 to 4,096 and only crowds a search for a name (at a million users, 'a'
/// matched 62,000 users by their P100 id besides the Annas).
const P100_ID_PREFIX: usize = 4;

/// The key columns a search's term is matched against, each with the text it is matched by and
/// whether by prefix: email and phone by prefix for members who may see them, else only whole.
fn term_matches(search: &UserSearch) -> Vec<(&'static str, &str, bool)> {
    let Some(term) = &search.term else {
        return Vec::new();
    };
    let mut matches: Vec<_> = ["name_key", "last_name_key", "external_key"]
        .map(|column| (column, term.as_str(), true))
        .into();
    if term.chars().count() >= P100_ID_PREFIX {
        matches.push(("p100_key", term, true));
    }
    matches.push(("email_key", term, search.contact_prefix));
    if let Some(digits) = &search.phone_digits {
        matches.push(("phone_key", digits, search.contact_prefix));
    }
    matches
}

fn push_match(q: &mut Statement<'_>, column: &str, value: &str, prefix: bool) {
    if prefix {
        push_prefix(q, column, value);
    } else {
        q.push(format!("{column} = ")).push_bind(value.to_owned());
    }
}

/// The search's filters, each as ` AND <column> <op> <value>`, its column written as `column` says.
fn push_filter_conditions(q: &mut Statement<'_>, search: &UserSearch, column: impl Fn(&str) -> String) {
    if let Some(kyc) = search.kyc {
        q.push(format!(" AND {} = ", column("kyc_state")))
            .push_bind(kyc.as_str());
    }
    if let Some(account) = search.account {
        q.push(format!(" AND {} = ", column("account_status")))
            .push_bind(account.as_str());
    }
    if let Some(country) = search.country {
        q.push(format!(" AND {} = ", column("country")))
            .push_bind(country.as_str().to_owned());
    }
    if let Some(from) = search.from {
        q.push(format!(" AND {} >= ", column("created_at")))
            .push_bind(format!("{from}T00:00:00.000Z"));
    }
    if let Some(to) = search.to {
        q.push(format!(" AND {} < ", column("created_at")))
            .push_bind(format!("{}T00:00:00.000Z", to.next_day().unwrap_or(to)));
    }
}

fn push_filters(q: &mut Statement<'_>, search: &UserSearch, plan: TermPlan) {
    q.push(" WHERE 1 = 1");
    // `column || ''` is the same text, but no index serves it: so the databases read the rows the
    // plan says, instead of gambling on which of the term's six indexes and the filters' to use.
    let unindexed = |column: &str| format!("({column} || '')");
    if search.term.is_some() {
        q.push(" AND (");
        for (i, (column, value, prefix)) in term_matches(search).into_iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            let column = match plan {
                TermPlan::Indexes => column.to_owned(),
                TermPlan::InPageOrder => unindexed(column),
            };
            push_match(q, &column, value, prefix);
        }
        q.push(")");
    }
    push_filter_conditions(q, search, |column| match plan {
        TermPlan::Indexes if search.term.is_some() => unindexed(column),
        _ => column.to_owned(),
    });
}

/// How many users `search` matches, counted up to one more than `cap`, the rows read as `plan` says.
async fn count_up_to(db: &Db, search: &UserSearch, plan: TermPlan, cap: i64) -> Result<i64, sqlx::Error> {
    let mut count = Statement::new("SELECT COUNT(*) FROM (SELECT 1 FROM users");
    push_filters(&mut count, search, plan);
    count.push(" LIMIT ").push_bind(cap + 1).push(") AS matches");
    count.build_query_scalar().fetch_one(db).await
}

/// PostgreSQL counts a term's matches from each key column's index alone, the filters checked in
/// its entries (migration 0020 puts their columns there), and unites the users found. Its plan for
/// the term's `OR` fetched every match's row to check the filters: at a million users, the first
/// search for 'anna' in Germany took ~200 ms, and takes under 50 so (bench/databases.sh). Each
/// index is read until `cap + 1` matches, so a common term costs no more than a rarer one: if one
/// index alone passes the cap, so does the union.
async fn count_term_matches(db: &Db, search: &UserSearch, cap: i64) -> Result<i64, sqlx::Error> {
    let mut count = Statement::new("SELECT COUNT(*) FROM (");
    for (i, (column, value, prefix)) in term_matches(search).into_iter().enumerate() {
        if i > 0 {
            count.push(" UNION ");
        }
        count.push("(SELECT external_user_id FROM users WHERE ");
        push_match(&mut count, column, value, prefix);
        push_filter_conditions(&mut count, search, str::to_owned);
        count.push(" LIMIT ").push_bind(cap + 1).push(")");
    }
    count.push(") AS matches");
    let matches: i64 = count.build_query_scalar().fetch_one(db).await?;
    Ok(matches.min(cap + 1))
}

/// How a search's page is read, and how many users it matches, counted up to one more than
/// `COUNT_CAP` (a wide filter never counts every row).
///
/// Which rows are read is decided here, from counts capped at `dense_threshold`, not left to the database's
/// planner: a rare term is read from its indexes; a common one in the page's order through the
/// filters' indexes. SQLite counts a common term from the filters' side when they match few users;
/// PostgreSQL counts every term from its own indexes (`count_term_matches`).
async fn plan_and_count(db: &Db, search: &UserSearch) -> Result<(TermPlan, i64), sqlx::Error> {
    if search.term.is_none() {
        return Ok((
            TermPlan::InPageOrder,
            count_up_to(db, search, TermPlan::InPageOrder, COUNT_CAP).await?,
        ));
    }
    let dense = dense_threshold(estimated_users(db).await?);
    let plan = |dense_term: bool| {
        if dense_term {
            TermPlan::InPageOrder
        } else {
            TermPlan::Indexes
        }
    };
    if Backend::of(db) == Backend::Postgres {
        // Counted from the term's indexes whatever the plan. A term matching more than `dense`
        // users within the filters matches more alone: only a rarer one is counted alone too.
        let total = count_term_matches(db, search, COUNT_CAP).await?;
        let dense_term = total > dense
            || (search.has_filters() && count_term_matches(db, &search.term_only(), dense).await? > dense);
        return Ok((plan(dense_term), total));
    }
    if !search.has_filters() {
        let total = count_up_to(db, search, TermPlan::Indexes, COUNT_CAP).await?;
        return Ok((plan(total > dense), total));
    }
    if count_up_to(db, &search.term_only(), TermPlan::Indexes, dense).await? <= dense {
        return Ok((
            TermPlan::Indexes,
            count_up_to(db, search, TermPlan::Indexes, COUNT_CAP).await?,
        ));
    }
    // A common term: the page is read in its order; the total is counted from the filters'
    // indexes when they match few users, else from the term's.
    let counted_by = plan(count_up_to(db, &search.filters_only(), TermPlan::InPageOrder, dense).await? <= dense);
    Ok((
        TermPlan::InPageOrder,
        count_up_to(db, search, counted_by, COUNT_CAP).await?,
    ))
}

/// How many users the searches match, and how each is read, per revision of the users table
/// (migration 0019 moves it with every change of a user, in that change's transaction): paging
/// through a search, sorting it another way, or another member running it counts once. A count
/// of an older revision is never read again and ages out.
pub struct SearchCounts(quick_cache::sync::Cache<(i64, UserSearch), (TermPlan, i64)>);

impl Default for SearchCounts {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(1_000))
    }
}

/// The users table's revision (migration 0019).
async fn revision(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT revision FROM users_revision WHERE id = 1")
        .fetch_one(db)
        .await
}

/// One page of a search, in its order, and how many users match in all, counted up to one more
/// than `COUNT_CAP` (a wide filter never counts every row), or known from `counts`.
pub async fn search(
    db: &Db,
    counts: &SearchCounts,
    search: &UserSearch,
) -> Result<(Vec<UserRecord>, i64), sqlx::Error> {
    // The revision is read before counting: a change committed in between makes the count newer
    // than its key, never older.
    let key = (revision(db).await?, search.counted());
    let (plan, total) = counts.0.get_or_insert_async(&key, plan_and_count(db, search)).await?;

    let column = sort_column(search.sort);
    let (cmp, dir) = if search.descending { ("<", "DESC") } else { (">", "ASC") };
    let mut page = Statement::new(format!("SELECT {COLUMNS} FROM users"));
    push_filters(&mut page, search, plan);
    if let Some((value, id)) = &search.after {
        page.push(format!(" AND ({column} {cmp} "))
            .push_bind(value.clone())
            .push(format!(" OR ({column} = "))
            .push_bind(value.clone())
            .push(format!(" AND external_user_id {cmp} "))
            .push_bind(id.clone())
            .push("))");
    }
    page.push(format!(" ORDER BY {column} {dir}, external_user_id {dir} LIMIT "))
        .push_bind(PAGE_SIZE + 1);
    let rows = page.build_query_as().fetch_all(db).await?;
    Ok((rows, total))
}

/// Whose KYC is not final (the condition of the `users_kyc_open` index).
const KYC_OPEN: &str = "kyc_state <> 'verified' AND account_status <> 'DELETED'";

/// Users whose KYC is not final, oldest first.
pub async fn kyc_queue(db: &Db, limit: i64) -> Result<Vec<UserRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE {KYC_OPEN} ORDER BY created_at, external_user_id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn kyc_queue_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE {KYC_OPEN}"))
        .fetch_one(db)
        .await
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db).await
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRecord {
    pub kind: String,
    pub status: String,
    pub detail: Option<String>,
    pub source: String,
    pub at: Timestamp,
}

pub async fn add_event(tx: &mut Tx, external_user_id: &str, event: &EventRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_events (id, external_user_id, kind, status, detail, source, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(external_user_id)
    .bind(&event.kind)
    .bind(&event.status)
    .bind(&event.detail)
    .bind(&event.source)
    .bind(event.at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Whether the user's history already has an event of `kind` with `status` (inside a write
/// transaction, or on a connection of its own for a read).
pub async fn has_event(conn: &mut Conn, external_user_id: &str, kind: &str, status: &str) -> Result<bool, sqlx::Error> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM user_events WHERE external_user_id = $1 AND kind = $2 AND status = $3 LIMIT 1")
            .bind(external_user_id)
            .bind(kind)
            .bind(status)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

pub async fn events(db: &Db, external_user_id: &str) -> Result<Vec<EventRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, status, detail, source, at FROM user_events WHERE external_user_id = $1 ORDER BY at, id",
    )
    .bind(external_user_id)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct NoteRecord {
    pub author: String,
    pub body: String,
    pub created_at: Timestamp,
}

pub async fn add_note(
    tx: &mut Tx,
    external_user_id: &str,
    staff_id: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO user_notes (id, external_user_id, staff_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(external_user_id)
        .bind(staff_id)
        .bind(body)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Notes, newest first, with their authors' names.
pub async fn notes(db: &Db, external_user_id: &str) -> Result<Vec<NoteRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.name AS author, n.body, n.created_at FROM user_notes n JOIN staff s ON s.id = n.staff_id
         WHERE n.external_user_id = $1 ORDER BY n.created_at DESC, n.id DESC",
    )
    .bind(external_user_id)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::dense_threshold;

    #[test]
    fn a_term_is_dense_from_the_square_root_of_fifty_times_the_users() {
        assert_eq!(dense_threshold(100_000), 2_236);
        assert_eq!(dense_threshold(1_000_000), 7_071);
        // Small registries read a term's matches from its indexes; huge ones never count past the cap.
        assert_eq!(dense_threshold(0), 1_000);
        assert_eq!(dense_threshold(100_000_000), 10_000);
    }
}
