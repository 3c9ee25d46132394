//! End users of the partner as the back office knows them: the registry's rows and searches, the
//! onboarding and contact-change inputs, KYC states and what the pages show of each user.

use serde::{Deserialize, Serialize};

use super::UtcTime;

named_enum!(
    /// One word for where a user's identity check stands, from P100's verification and attempt
    /// statuses (`KycState::of`). Everything but `Verified` is in the KYC queue.
    KycState {
        NotStarted => "not_started",
        Pending => "pending",
        InReview => "in_review",
        Rejected => "rejected",
        Expired => "expired",
        Verified => "verified",
    }
);

impl KycState {
    /// P100's `verificationStatus` and `attemptStatus` (REFERENCE.md 3.0) summed up.
    pub fn of(verification: &str, attempt: Option<&str>) -> Self {
        match (verification, attempt) {
            ("VERIFIED", _) => KycState::Verified,
            ("EXPIRED", _) => KycState::Expired,
            (_, Some("PENDING")) => KycState::Pending,
            (_, Some("VERIFICATION" | "SUCCESSFUL")) => KycState::InReview,
            (_, Some("REJECTED_BY_PROVIDER")) => KycState::Rejected,
            _ => KycState::NotStarted,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KycState::NotStarted => "Not started",
            KycState::Pending => "Pending",
            KycState::InReview => "In review",
            KycState::Rejected => "Rejected",
            KycState::Expired => "Expired",
            KycState::Verified => "Verified",
        }
    }
}

named_enum!(
    /// The account status P100 reports (`WAITING_FOR_ACTIVATION` until KYC activates it).
    AccountState {
        WaitingForActivation => "WAITING_FOR_ACTIVATION",
        Active => "ACTIVE",
        Suspended => "SUSPENDED",
        Deleted => "DELETED",
    }
);

impl AccountState {
    pub fn label(self) -> &'static str {
        match self {
            AccountState::WaitingForActivation => "Waiting for activation",
            AccountState::Active => "Active",
            AccountState::Suspended => "Suspended",
            AccountState::Deleted => "Deleted",
        }
    }
}

/// The label of an account status as stored; a status P100 adds later shows as it came.
pub fn account_label(status: &str) -> String {
    AccountState::parse(status).map_or_else(|| status.to_owned(), |s| s.label().to_owned())
}

named_enum!(
    /// How the user's identity is checked: documents uploaded by staff (method A), or P100's
    /// hosted verification the user completes themselves (method B).
    KycMethod {
        Documents => "documents",
        Hosted => "hosted",
    }
);

impl KycMethod {
    pub fn label(self) -> &'static str {
        match self {
            KycMethod::Documents => "Documents (A)",
            KycMethod::Hosted => "Hosted (B)",
        }
    }
}

named_enum!(
    /// An identity document P100 accepts.
    DocumentKind {
        IdCard => "ID_CARD",
        Passport => "PASSPORT",
        ResidencePermit => "RESIDENCE_PERMIT",
    }
);

impl DocumentKind {
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::IdCard => "ID card",
            DocumentKind::Passport => "Passport",
            DocumentKind::ResidencePermit => "Residence permit",
        }
    }

    /// The images P100 asks for (REFERENCE.md 3.1.2): a passport has one page, cards two sides.
    pub fn sides(self) -> &'static [DocumentSide] {
        match self {
            DocumentKind::Passport => &[DocumentSide::Front, DocumentSide::Selfie],
            DocumentKind::IdCard | DocumentKind::ResidencePermit => {
                &[DocumentSide::Front, DocumentSide::Back, DocumentSide::Selfie]
            }
        }
    }
}

named_enum!(
    /// One image of a KYC upload; also the multipart field name P100 reads.
    DocumentSide {
        Front => "front",
        Back => "back",
        Selfie => "selfie",
    }
);

impl DocumentSide {
    pub fn label(self) -> &'static str {
        match self {
            DocumentSide::Front => "Front (or photo page)",
            DocumentSide::Back => "Back",
            DocumentSide::Selfie => "Selfie",
        }
    }
}

/// Files staff may upload: what P100's document checks read, and small enough to send at once.
pub mod upload {
    pub const MAX_BYTES: usize = 8 * 1024 * 1024;
    pub const TYPES: [&str; 3] = ["image/jpeg", "image/png", "application/pdf"];
    pub const ACCEPT: &str = "image/jpeg,image/png,application/pdf";

    /// Type and size, as the browser checks before sending and the server checks again.
    pub fn check(mime: &str, size: usize) -> Result<(), String> {
        if !TYPES.contains(&mime) {
            return Err("Upload a JPEG, PNG or PDF file.".into());
        }
        if size == 0 {
            return Err("The file is empty.".into());
        }
        if size > MAX_BYTES {
            return Err(format!("The file is larger than {} MB.", MAX_BYTES / 1024 / 1024));
        }
        Ok(())
    }
}

named_enum!(
    /// The columns the users list sorts by.
    UserSort {
        Created => "created",
        Name => "name",
        Country => "country",
        Kyc => "kyc",
        Account => "account",
        Changed => "changed",
    }
);

/// The users page's search as typed; also its query string, so a search can be shared and reloaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserQuery {
    pub q: String,
    pub kyc: String,
    pub account: String,
    pub country: String,
    pub from: String,
    pub to: String,
    pub sort: String,
    /// `asc` or `desc`; empty is the sort's natural order (newest first for dates).
    pub dir: String,
    /// Where the page starts: the cursor of the last row of the page before.
    pub after: String,
}

impl UserQuery {
    const KEYS: [&'static str; 9] = ["q", "kyc", "account", "country", "from", "to", "sort", "dir", "after"];

    fn values(&self) -> [&String; 9] {
        [
            &self.q,
            &self.kyc,
            &self.account,
            &self.country,
            &self.from,
            &self.to,
            &self.sort,
            &self.dir,
            &self.after,
        ]
    }

    /// Reads the query from `get(key)`, e.g. the page URL's parameters.
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut query = UserQuery::default();
        let [q, kyc, account, country, from, to, sort, dir, after] = Self::KEYS.map(|k| get(k).unwrap_or_default());
        (query.q, query.kyc, query.account, query.country) = (q, kyc, account, country);
        (query.from, query.to, query.sort, query.dir, query.after) = (from, to, sort, dir, after);
        query
    }

    /// `q=...&kyc=...`, leaving out what is empty; values are escaped by `escape`.
    pub fn query_string(&self, escape: impl Fn(&str) -> String) -> String {
        super::query_string(
            Self::KEYS.iter().copied().zip(self.values().map(String::as_str)),
            escape,
        )
    }

    pub fn sort(&self) -> UserSort {
        UserSort::parse(&self.sort).unwrap_or(UserSort::Created)
    }

    /// Dates sort newest first unless asked otherwise, text A to Z.
    pub fn descending(&self) -> bool {
        match self.dir.as_str() {
            "asc" => false,
            "desc" => true,
            _ => matches!(self.sort(), UserSort::Created | UserSort::Changed),
        }
    }
}

/// One row of the users list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub external_user_id: String,
    pub p100_user_id: Option<String>,
    pub name: String,
    /// In clear for staff with `pii.view`, masked for everyone else.
    pub email: String,
    pub phone: String,
    pub country: String,
    pub kyc: KycState,
    pub kyc_method: Option<KycMethod>,
    pub account_status: String,
    pub created_at: UtcTime,
    pub changed_at: UtcTime,
}

/// One row of the users list: what the page shows of a user.
///
/// A page of rows is in the page's HTML twice, rendered and as the data hydration reads, so a row
/// travels as an array rather than an object: the field names were a third of that data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "UserRowArray", into = "UserRowArray")]
pub struct UserRow {
    pub external_user_id: String,
    pub name: String,
    /// In clear for staff with `pii.view`, masked for everyone else.
    pub email: String,
    pub phone: String,
    pub country: String,
    pub kyc: KycState,
    pub account_status: String,
    pub created_at: UtcTime,
    pub changed_at: UtcTime,
}

type UserRowArray = (
    String,
    String,
    String,
    String,
    String,
    KycState,
    String,
    UtcTime,
    UtcTime,
);

impl From<UserRowArray> for UserRow {
    fn from(
        (external_user_id, name, email, phone, country, kyc, account_status, created_at, changed_at): UserRowArray,
    ) -> Self {
        UserRow {
            external_user_id,
            name,
            email,
            phone,
            country,
            kyc,
            account_status,
            created_at,
            changed_at,
        }
    }
}

impl From<UserRow> for UserRowArray {
    fn from(r: UserRow) -> Self {
        (
            r.external_user_id,
            r.name,
            r.email,
            r.phone,
            r.country,
            r.kyc,
            r.account_status,
            r.created_at,
            r.changed_at,
        )
    }
}

impl From<UserSummary> for UserRow {
    fn from(u: UserSummary) -> Self {
        UserRow {
            external_user_id: u.external_user_id,
            name: u.name,
            email: u.email,
            phone: u.phone,
            country: u.country,
            kyc: u.kyc,
            account_status: u.account_status,
            created_at: u.created_at,
            changed_at: u.changed_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub rows: Vec<UserRow>,
    /// How many users match, over all pages, counted up to `COUNT_CAP`.
    pub total: u64,
    /// More than `COUNT_CAP` match: the page says "10,000+" (a wide filter never counts every row).
    pub total_capped: bool,
    /// Pass as `after` for the next page; `None` on the last.
    pub next: Option<String>,
}

/// Personal data the page masks unless revealed (audited) by someone with `pii.view`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pii {
    pub email: String,
    pub phone: String,
    pub birth_date: String,
    pub street: String,
    pub house_number: String,
    pub city: String,
    pub post_code: String,
    pub id_number: String,
}

/// A user's virtual cards as P100 reports them. P100 keeps its card module suspended
/// (REFERENCE §3.9), so nothing here issues or changes a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserCards {
    /// The module is off at P100: no card can be issued, used or managed through it.
    Suspended,
    /// The module answered: the user's cards.
    Cards(Vec<CardView>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardView {
    pub id: String,
    pub label: Option<String>,
    pub last_digits: Option<String>,
    /// P100's status text (`ACTIVE`, `BLOCKED`, ...).
    pub status: String,
}

/// Everything the user page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub summary: UserSummary,
    pub first_name: String,
    pub last_name: String,
    pub citizenship: String,
    pub nationality: String,
    pub birth_country: String,
    /// Masked: date of birth, address and id number always; email and phone too without `pii.view`.
    pub pii: Pii,
    pub verification_status: String,
    pub attempt_status: Option<String>,
    pub rejection_reason: Option<String>,
    pub poa_status: Option<String>,
    /// `creating` or `unconfirmed` while P100 has not confirmed the creation.
    pub sync_state: String,
    pub created_by: Option<String>,
    pub kyc_changed_at: UtcTime,
    pub synced_at: Option<UtcTime>,
    pub events: Vec<UserEvent>,
    pub notes: Vec<UserNote>,
    /// An open request to delete the user, awaiting a second person.
    pub pending_delete: Option<super::approvals::PendingApproval>,
}

impl UserDetail {
    pub fn deleted(&self) -> bool {
        self.summary.account_status == AccountState::Deleted.as_str()
    }

    /// P100 knows the user and they were not deleted: only then can staff act on them.
    pub fn live(&self) -> bool {
        self.sync_state == "synced" && !self.deleted()
    }
}

/// One step in a user's history: a KYC status, an account status, a POA decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEvent {
    /// `created`, `kyc`, `account`, `poa`.
    pub kind: String,
    pub status: String,
    pub detail: Option<String>,
    /// `staff`, `webhook`, `refresh`, `import`.
    pub source: String,
    pub at: UtcTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserNote {
    pub author: String,
    pub body: String,
    pub at: UtcTime,
}

/// What the onboarding form starts from: a fresh external id (so a repeated submit is the same
/// user) and the country list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub external_user_id: String,
    pub countries: Vec<(String, String)>,
}

/// The create-user form as typed; every field P100's create call takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewUserInput {
    pub external_user_id: String,
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
    pub accepted_terms: bool,
}

/// The contact details that may change. `country` is here only so that a request that tries to
/// change it is refused in words rather than silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactChangeInput {
    pub email: String,
    pub phone: String,
    pub street: String,
    pub house_number: String,
    pub city: String,
    pub post_code: String,
    pub country: Option<String>,
}

/// A started hosted verification (method B): the link for the user, as text and as a QR code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostedVerification {
    pub url: String,
    /// An SVG image of the link, made on the server.
    pub qr_svg: String,
}

/// One row of the KYC queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueRow {
    pub external_user_id: String,
    pub name: String,
    pub country: String,
    pub kyc: KycState,
    pub kyc_method: Option<KycMethod>,
    pub rejection_reason: Option<String>,
    pub created_at: UtcTime,
    pub kyc_changed_at: UtcTime,
    /// Hours since the user was created, at the time of the answer.
    pub age_hours: i64,
}

/// The KYC queue: the oldest waiting users, and how many wait in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KycQueue {
    pub rows: Vec<QueueRow>,
    pub total: u64,
}

/// How late a verification is: within a day, over a day, over three days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sla {
    OnTime,
    Late,
    Overdue,
}

impl Sla {
    pub const LATE_HOURS: i64 = 24;
    pub const OVERDUE_HOURS: i64 = 72;

    pub fn of_age(hours: i64) -> Self {
        if hours > Self::OVERDUE_HOURS {
            Sla::Overdue
        } else if hours > Self::LATE_HOURS {
            Sla::Late
        } else {
            Sla::OnTime
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::*;

/// The server's half: checking inputs into typed values.
#[cfg(feature = "ssr")]
mod ssr {
    use time::Date;

    use super::*;
    use crate::domain::contact::{BirthDate, Country, Email, ExternalUserId, Line, Phone};
    use crate::domain::{AppError, FieldErrors};

    /// A checked search. Text matches by prefix, case-insensitively, on name, last name, email,
    /// phone digits, external id and P100 id.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct UserSearch {
        pub term: Option<String>,
        pub phone_digits: Option<String>,
        /// Email and phone match by prefix only for a member who may see them (`pii.view`);
        /// otherwise only the whole value matches, so a masked email cannot be recovered one
        /// character at a time from the result count.
        pub contact_prefix: bool,
        pub kyc: Option<KycState>,
        pub account: Option<AccountState>,
        pub country: Option<Country>,
        pub from: Option<Date>,
        pub to: Option<Date>,
        pub sort: UserSort,
        pub descending: bool,
        /// The sort value and external id of the row the page starts after.
        pub after: Option<(String, String)>,
    }

    impl UserSearch {
        /// Whether anything narrows the search besides its term.
        pub fn has_filters(&self) -> bool {
            self.kyc.is_some()
                || self.account.is_some()
                || self.country.is_some()
                || self.from.is_some()
                || self.to.is_some()
        }

        /// The same search without its filters.
        pub fn term_only(&self) -> UserSearch {
            UserSearch {
                kyc: None,
                account: None,
                country: None,
                from: None,
                to: None,
                ..self.clone()
            }
        }

        /// What the number of matches depends on: the search without its order and page.
        pub fn counted(&self) -> UserSearch {
            UserSearch {
                sort: UserSort::Created,
                descending: true,
                after: None,
                ..self.clone()
            }
        }

        /// The same search without its term.
        pub fn filters_only(&self) -> UserSearch {
            UserSearch {
                term: None,
                phone_digits: None,
                ..self.clone()
            }
        }
    }

    pub const PAGE_SIZE: i64 = 50;
    /// Matches are counted up to this many.
    pub const COUNT_CAP: i64 = 10_000;

    impl UserQuery {
        /// The search, checked; `may_see_contact`: the member holds `pii.view`.
        pub fn parse(&self, may_see_contact: bool) -> Result<UserSearch, AppError> {
            let mut errors = FieldErrors::default();
            let term = Some(search_key(&self.q)).filter(|t| !t.is_empty());
            let digits = phone_key(&self.q);
            let looks_like_phone = self
                .q
                .trim()
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
            let phone_digits = (looks_like_phone && digits.len() >= 3).then_some(digits);
            let kyc = errors
                .check(
                    "kyc",
                    optional(&self.kyc, KycState::parse, "Choose a KYC state from the list."),
                )
                .flatten();
            let account = errors
                .check(
                    "account",
                    optional(
                        &self.account,
                        AccountState::parse,
                        "Choose an account status from the list.",
                    ),
                )
                .flatten();
            let country = match self.country.trim() {
                "" => None,
                code => errors.check("country", Country::parse(code)),
            };
            let (from, to) = crate::domain::parse_day_range(&mut errors, &self.from, &self.to);
            if !self.sort.is_empty() && UserSort::parse(&self.sort).is_none() {
                errors.add("sort", "Unknown sort column.");
            }
            let after = match self.after.rsplit_once('|') {
                Some((value, id)) if ExternalUserId::parse(id).is_ok() => Some((value.to_owned(), id.to_owned())),
                Some(_) => {
                    errors.add("after", "This page link is broken; start from the first page.");
                    None
                }
                None if self.after.is_empty() => None,
                None => {
                    errors.add("after", "This page link is broken; start from the first page.");
                    None
                }
            };
            errors.into_result(|| UserSearch {
                term,
                phone_digits,
                contact_prefix: may_see_contact,
                kyc,
                account,
                country,
                from,
                to,
                sort: self.sort(),
                descending: self.descending(),
                after,
            })
        }
    }

    fn optional<T>(text: &str, parse: fn(&str) -> Option<T>, message: &str) -> Result<Option<T>, String> {
        match text.trim() {
            "" => Ok(None),
            text => parse(text).map(Some).ok_or_else(|| message.to_owned()),
        }
    }

    impl UserSearch {
        /// Whether a user with this email and phone is found by the search's term through them
        /// (the same rule the query applies).
        pub fn matches_contact(&self, email: &str, phone: &str) -> bool {
            let hit = |key: String, term: &str| {
                if self.contact_prefix {
                    key.starts_with(term)
                } else {
                    key == term
                }
            };
            self.term.as_deref().is_some_and(|t| hit(search_key(email), t))
                || self.phone_digits.as_deref().is_some_and(|d| hit(phone_key(phone), d))
        }
    }

    /// The form every search key is stored and searched in.
    pub fn search_key(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
    }

    /// The form a phone number is stored and searched in: its digits.
    pub fn phone_key(text: &str) -> String {
        text.chars().filter(char::is_ascii_digit).collect()
    }

    /// The cursor of a row: its sort value and its id (ids never contain `|`).
    pub fn cursor(value: &str, external_user_id: &str) -> String {
        format!("{value}|{external_user_id}")
    }

    /// A checked `NewUserInput`, ready to send.
    #[derive(Debug, Clone)]
    pub struct NewUser {
        pub external_user_id: ExternalUserId,
        pub first_name: Line,
        pub last_name: Line,
        pub email: Email,
        pub phone: Phone,
        pub street: Line,
        pub house_number: Line,
        pub city: Line,
        pub post_code: Line,
        pub country: Country,
        pub citizenship: Country,
        pub nationality: Country,
        pub birth_country: Country,
        pub birth_date: BirthDate,
        pub id_number: Line,
    }

    impl NewUserInput {
        /// Every field checked at once, so the form shows every message together.
        pub fn parse(&self, today: Date) -> Result<NewUser, AppError> {
            let mut e = FieldErrors::default();
            let external_user_id = e.check("external_user_id", ExternalUserId::parse(&self.external_user_id));
            let first_name = e.check("first_name", Line::parse(&self.first_name, 100));
            let last_name = e.check("last_name", Line::parse(&self.last_name, 100));
            let email = e.check("email", Email::parse(&self.email));
            let phone = e.check("phone", Phone::parse(&self.phone));
            let street = e.check("street", Line::parse(&self.street, 200));
            let house_number = e.check("house_number", Line::parse(&self.house_number, 20));
            let city = e.check("city", Line::parse(&self.city, 100));
            let post_code = e.check("post_code", Line::parse(&self.post_code, 20));
            let country = e.check("country", Country::parse(&self.country));
            let citizenship = e.check("citizenship", Country::parse(&self.citizenship));
            let nationality = e.check("nationality", Country::parse(&self.nationality));
            let birth_country = e.check("birth_country", Country::parse(&self.birth_country));
            let birth_date = e.check("birth_date", BirthDate::parse(&self.birth_date, today));
            let id_number = e.check("id_number", Line::parse(&self.id_number, 50));
            if !self.accepted_terms {
                e.add(
                    "accepted_terms",
                    "The user must accept P100's terms before an account can be opened.",
                );
            }
            e.into_result(|| NewUser {
                external_user_id: external_user_id.expect("checked"),
                first_name: first_name.expect("checked"),
                last_name: last_name.expect("checked"),
                email: email.expect("checked"),
                phone: phone.expect("checked"),
                street: street.expect("checked"),
                house_number: house_number.expect("checked"),
                city: city.expect("checked"),
                post_code: post_code.expect("checked"),
                country: country.expect("checked"),
                citizenship: citizenship.expect("checked"),
                nationality: nationality.expect("checked"),
                birth_country: birth_country.expect("checked"),
                birth_date: birth_date.expect("checked"),
                id_number: id_number.expect("checked"),
            })
        }
    }

    /// A checked contact change.
    #[derive(Debug, Clone)]
    pub struct ContactChange {
        pub email: Email,
        pub phone: Phone,
        pub street: Line,
        pub house_number: Line,
        pub city: Line,
        pub post_code: Line,
    }

    impl ContactChangeInput {
        /// `country` is the user's current country: any other value is refused.
        pub fn parse(&self, country: &str) -> Result<ContactChange, AppError> {
            let mut e = FieldErrors::default();
            if let Some(asked) = &self.country
                && !asked.trim().eq_ignore_ascii_case(country)
            {
                e.add(
                    "country",
                    "The country of residence cannot be changed; P100 ties it to the verified identity.",
                );
            }
            let email = e.check("email", Email::parse(&self.email));
            let phone = e.check("phone", Phone::parse(&self.phone));
            let street = e.check("street", Line::parse(&self.street, 200));
            let house_number = e.check("house_number", Line::parse(&self.house_number, 20));
            let city = e.check("city", Line::parse(&self.city, 100));
            let post_code = e.check("post_code", Line::parse(&self.post_code, 20));
            e.into_result(|| ContactChange {
                email: email.expect("checked"),
                phone: phone.expect("checked"),
                street: street.expect("checked"),
                house_number: house_number.expect("checked"),
                city: city.expect("checked"),
                post_code: post_code.expect("checked"),
            })
        }
    }

    /// `a***@example.com`.
    pub fn mask_email(email: &str) -> String {
        match email.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".into(),
        }
    }

    /// `+48*******67`: the country code and the last two digits.
    pub fn mask_phone(phone: &str) -> String {
        let chars: Vec<char> = phone.chars().collect();
        if chars.len() < 6 {
            return "***".into();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
    }

    pub const MASK: &str = "••••••";

    #[cfg(test)]
    mod tests {
        use super::*;

        fn good() -> NewUserInput {
            NewUserInput {
                external_user_id: "cust-1".into(),
                first_name: "Anna".into(),
                last_name: "Nowak".into(),
                email: "Anna@Example.com".into(),
                phone: "+48 601 234 567".into(),
                street: "ul. Marszałkowska".into(),
                house_number: "1/2".into(),
                city: "Warszawa".into(),
                post_code: "00-001".into(),
                country: "pl".into(),
                citizenship: "PL".into(),
                nationality: "PL".into(),
                birth_country: "PL".into(),
                birth_date: "1990-05-01".into(),
                id_number: "90050112345".into(),
                accepted_terms: true,
            }
        }

        #[test]
        fn a_new_user_is_checked_field_by_field() {
            let today = time::macros::date!(2026 - 11 - 24);
            let user = good().parse(today).unwrap();
            assert_eq!(user.email.as_str(), "anna@example.com");
            assert_eq!(user.country.as_str(), "PL");
            let bad = NewUserInput {
                email: "anna".into(),
                phone: "601234567".into(),
                country: "XX".into(),
                birth_date: "2015-01-01".into(),
                accepted_terms: false,
                first_name: " ".into(),
                ..good()
            };
            let err = bad.parse(today).unwrap_err();
            let fields = err.field_errors().unwrap();
            for field in [
                "email",
                "phone",
                "country",
                "birth_date",
                "accepted_terms",
                "first_name",
            ] {
                assert!(fields.get(field).is_some(), "{field} has no message");
            }
            assert!(fields.get("last_name").is_none());
        }

        #[test]
        fn country_cannot_change_and_searches_are_checked() {
            let change = ContactChangeInput {
                email: "a@b.co".into(),
                phone: "+48601234567".into(),
                street: "s".into(),
                house_number: "1".into(),
                city: "c".into(),
                post_code: "p".into(),
                country: Some("DE".into()),
            };
            let err = change.parse("PL").unwrap_err();
            assert!(err.field_errors().unwrap().get("country").is_some());
            assert!(
                ContactChangeInput {
                    country: Some("pl".into()),
                    ..change.clone()
                }
                .parse("PL")
                .is_ok()
            );
            assert!(
                ContactChangeInput {
                    country: None,
                    ..change
                }
                .parse("PL")
                .is_ok()
            );

            let search = UserQuery {
                q: "  Anna   NOWAK ".into(),
                ..Default::default()
            }
            .parse(true)
            .unwrap();
            assert_eq!(search.term.as_deref(), Some("anna nowak"));
            assert_eq!(search.phone_digits, None);
            assert!(search.descending && search.sort == UserSort::Created);
            let search = UserQuery {
                q: "+48 60".into(),
                sort: "name".into(),
                ..Default::default()
            }
            .parse(true)
            .unwrap();
            assert_eq!(search.phone_digits.as_deref(), Some("4860"));
            assert!(!search.descending);
            let err = UserQuery {
                kyc: "maybe".into(),
                after: "x".into(),
                ..Default::default()
            }
            .parse(true)
            .unwrap_err();
            let fields = err.field_errors().unwrap();
            assert!(fields.get("kyc").is_some() && fields.get("after").is_some());
        }

        #[test]
        fn contact_data_matches_by_prefix_only_for_members_who_may_see_it() {
            let search = |q: &str, may_see: bool| {
                UserQuery {
                    q: q.into(),
                    ..Default::default()
                }
                .parse(may_see)
                .unwrap()
            };
            let (email, phone) = ("Anna.Nowak@example.com", "+48 601 234 567");
            assert!(search("anna.n", true).matches_contact(email, phone));
            assert!(!search("anna.n", false).matches_contact(email, phone));
            assert!(search("anna.nowak@example.com", false).matches_contact(email, phone));
            assert!(search("+48 601", true).matches_contact(email, phone));
            assert!(!search("+48 601", false).matches_contact(email, phone));
            assert!(search("48601234567", false).matches_contact(email, phone));
            assert!(
                !search("nowak", true).matches_contact(email, phone),
                "a name is not contact data"
            );
        }

        #[test]
        fn masks_keep_only_a_hint() {
            assert_eq!(mask_email("anna@example.com"), "a***@example.com");
            assert_eq!(mask_phone("+48601234567"), "+48*******67");
            assert_eq!(
                KycState::of("NOT_VERIFIED", Some("REJECTED_BY_PROVIDER")),
                KycState::Rejected
            );
            assert_eq!(KycState::of("VERIFIED", None), KycState::Verified);
            assert_eq!(Sla::of_age(30), Sla::Late);
            assert_eq!(Sla::of_age(80), Sla::Overdue);
        }
    }
}

named_enum!(
    /// Why compliance suspended an account; the audit log and the user's history keep it.
    SuspendReason {
        FraudAlert => "fraud_alert",
        StolenAccount => "stolen_account",
        ComplianceReview => "compliance_review",
        UserRequest => "user_request",
        Other => "other",
    }
);

impl SuspendReason {
    pub fn label(self) -> &'static str {
        match self {
            SuspendReason::FraudAlert => "Fraud alert",
            SuspendReason::StolenAccount => "Stolen account report",
            SuspendReason::ComplianceReview => "Compliance review",
            SuspendReason::UserRequest => "User request",
            SuspendReason::Other => "Other",
        }
    }
}

/// The suspend form as typed: a reason code (checked on the server) and a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspendInput {
    pub reason: String,
    pub note: String,
}

/// The delete form: the user's email typed again, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteInput {
    pub confirm_email: String,
    pub note: String,
}

/// What happened to one user of a bulk action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub external_user_id: String,
    pub name: String,
    pub ok: bool,
    /// "Suspended", or why not (with the P100 code when P100 refused).
    pub message: String,
}

/// The most users one bulk action may name.
pub const BULK_MAX: usize = 200;

impl UserList {
    /// "1 user", "2,345 users", "10,000+ users".
    pub fn count_words(&self) -> String {
        let number = crate::domain::money::grouped(self.total.into());
        let more = if self.total_capped { "+" } else { "" };
        let noun = if self.total == 1 && !self.total_capped {
            "user"
        } else {
            "users"
        };
        format!("{number}{more} {noun}")
    }
}
