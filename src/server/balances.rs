//! Balances and transaction history of the partner and of each user, read live from P100 (the back
//! office keeps no copy of them), and the partner's deposit wallets.

use futures::{Stream, StreamExt, TryStreamExt, stream};
use rust_decimal::Decimal;
use serde_json::json;

use crate::domain::audit::Outcome;
use crate::domain::balances::{BalanceLine, BalanceSheet, HistoryFilter, HistoryLine, HistoryPage, Holder, NOT_OPENED};
use crate::domain::money::{Amount, Currency, display, rate_text};
use crate::domain::{AppError, FieldErrors};
use crate::p100::api::HistoryQuery;
use crate::p100::types::{Balances, CreateWallet, Transaction};
use crate::p100::webhooks::BalancesOpened;
use crate::p100::{P100Error, PCode};
use crate::server::audit::{self, Event};
use crate::server::auth::Actor;
use crate::server::db::users::EventRecord;
use crate::server::db::{self, Timestamp};
use crate::server::state::AppState;
use crate::server::users::kyc::Applied;
use crate::server::webhooks::{Preview, in_words};

/// Entries per page of the history table.
pub const PAGE_SIZE: usize = 25;
/// Entries asked of P100 per history call. A page of the table needs few: asking for a hundred
/// keeps each answer small. An export reads everything: the most the client asks for (P100's own
/// maximum is INFERRED) takes the fewest calls.
const VIEW_BATCH: u32 = 100;
pub const EXPORT_BATCH: u32 = 500;

/// The holder's live balances. A user must be in the registry.
pub async fn sheet(state: &AppState, holder: &Holder) -> Result<BalanceSheet, AppError> {
    let balances = live_balances(state, holder).await?;
    Ok(to_sheet(holder, balances))
}

/// P100's balances of `holder`, after checking a user is one of ours. A user's are empty until Add
/// User Verification (REFERENCE §0 C2): P100 may answer with empty lists or with P459 (user not
/// verified), and both read as no balances.
pub async fn live_balances(state: &AppState, holder: &Holder) -> Result<Balances, AppError> {
    let reply = match holder {
        Holder::Partner => state.p100.partner_balances().await?,
        Holder::User(id) => {
            super::users::find(&state.db, id).await?;
            match state.p100.user_balances(id).await {
                Ok(reply) => reply,
                Err(failure) if matches!(failure.error, P100Error::Refused { code: PCode::P459, .. }) => {
                    return Ok(Balances::default());
                }
                Err(failure) => return Err(failure.into()),
            }
        }
    };
    Ok(reply.value)
}

/// The balances money would move from or to: a user's must be open, else the form says why.
pub async fn balances_to_move(state: &AppState, holder: &Holder) -> Result<Balances, AppError> {
    let balances = live_balances(state, holder).await?;
    if holder.user().is_some() && balances.is_empty() {
        return Err(AppError::Refused(NOT_OPENED.to_owned()));
    }
    Ok(balances)
}

fn to_sheet(holder: &Holder, balances: Balances) -> BalanceSheet {
    let opened = holder.user().is_none() || !balances.is_empty();
    let mut total = Decimal::ZERO;
    let mut line = |currency: Currency, amount: Amount, rate: Decimal, account, status| {
        let eur = (amount.get() * rate).round_dp(2);
        total += eur;
        BalanceLine {
            shown: display(amount, &currency),
            eur: display(eur.into(), &Currency::Eur),
            rate: rate_text(&currency, &Currency::Eur, rate),
            currency,
            amount,
            account,
            status,
        }
    };
    let fiat = balances
        .fiat_balances
        .into_iter()
        .map(|b| line(b.name, b.amount, b.rate.0.get(), b.iban, Some(b.status.to_string())))
        .collect::<Vec<_>>();
    let crypto = balances
        .crypto_balances
        .into_iter()
        .map(|b| line(b.name, b.amount, b.rate.0.get(), b.wallet, None))
        .collect::<Vec<_>>();
    let lines: Vec<BalanceLine> = fiat.into_iter().chain(crypto).collect();
    let without_wallet = Currency::KNOWN
        .into_iter()
        .filter(|c| !c.is_fiat() && lines.iter().all(|l| &l.currency != c || l.account.is_none()))
        .collect();
    BalanceSheet {
        holder: holder.clone(),
        total_eur: display(total.into(), &Currency::Eur),
        rates_at: Timestamp::now().into(),
        without_wallet,
        lines,
        opened,
    }
}

/// Creates a deposit wallet for one of the partner's crypto currencies.
pub async fn create_wallet(state: &AppState, actor: &Actor, currency: &str) -> Result<BalanceSheet, AppError> {
    let currency = Currency::parse(currency);
    if currency.is_fiat() || matches!(currency, Currency::Unknown(_)) {
        return Err(AppError::field("currency", "Choose a crypto currency."));
    }
    let event = Event::new("balances.create_wallet", Outcome::Success).target("partner_balance", currency.code());
    let request = CreateWallet {
        currency: currency.clone(),
        network: None,
    };
    let reply = match state.p100.create_partner_wallet(&request).await {
        Ok(reply) => reply,
        Err(failure) => {
            return Err(audit::upstream_failure(&state.db, &actor.who(), &actor.meta, event, failure).await);
        }
    };
    let event = event
        .upstream(&reply.call)
        .change(None, Some(json!({ "wallet": reply.value.wallet })));
    audit::record_alone(&state.db, &actor.who(), &actor.meta, event).await?;
    let mut sheet = sheet(state, &Holder::Partner).await?;
    // P100 may answer before the wallet exists; the wallet created webhook brings the address.
    if sheet.line(&currency).is_some_and(|l| l.account.is_none()) {
        sheet.without_wallet.retain(|c| c != &currency);
        sheet
            .lines
            .iter_mut()
            .filter(|l| l.currency == currency)
            .for_each(|l| l.status = Some(WALLET_BEING_CREATED.to_owned()));
    }
    Ok(sheet)
}

const WALLET_BEING_CREATED: &str = "wallet being created";

/// What the User Balance Generation webhook changes. Balances are read live from P100, so nothing
/// is copied: the user's history notes (once) that the balances opened.
pub async fn apply_webhook(state: &AppState, opened: &BalancesOpened) -> Result<Applied, String> {
    let user = &opened.external_user_id;
    if db::users::find(&state.db, user).await.map_err(in_words)?.is_none() {
        return Ok(Applied::Ignored(format!("user {user} is not in the registry")));
    }
    let record = async {
        let mut tx = db::begin_write(&state.db).await?;
        if !db::users::has_event(&mut tx, user, BALANCES_EVENT, "OPENED").await? {
            let event = EventRecord {
                kind: BALANCES_EVENT.into(),
                status: "OPENED".into(),
                detail: Some(opened_detail(opened)),
                source: "webhook".into(),
                at: Timestamp::now(),
            };
            db::users::add_event(&mut tx, user, &event).await?;
        }
        tx.commit().await?;
        Ok::<_, AppError>(())
    };
    record.await.map_err(|e| e.to_string())?;
    Ok(Applied::Done)
}

/// What `apply_webhook` would change now.
pub async fn preview_webhook(state: &AppState, opened: &BalancesOpened) -> Result<Preview, String> {
    let user = &opened.external_user_id;
    if db::users::find(&state.db, user).await.map_err(in_words)?.is_none() {
        return Ok(Preview::nothing(format!("user {user} is not in the registry")));
    }
    if db::users::has_event(
        &mut *state.db.acquire().await.map_err(in_words)?,
        user,
        BALANCES_EVENT,
        "OPENED",
    )
    .await
    .map_err(in_words)?
    {
        return Ok(Preview::nothing(format!(
            "user {user}'s history already shows the balances opened"
        )));
    }
    Ok(
        Preview::new(format!("User {user}'s history notes that P100 opened the balances.")).change(
            &format!("user {user}"),
            "balances",
            "not opened",
            &opened_detail(opened),
        ),
    )
}

/// Why a Create Wallet webhook changes nothing here.
pub const WALLETS_READ_LIVE: &str =
    "balances and wallets are read live from P100, so the next read shows the new wallet";

const BALANCES_EVENT: &str = "balances";

/// The currencies the event opened, as the history shows them.
fn opened_detail(opened: &BalancesOpened) -> String {
    let codes: Vec<String> = opened
        .fiat_balances
        .iter()
        .chain(&opened.crypto_balances)
        .filter_map(|b| b.name.as_deref())
        .map(str::to_uppercase)
        .collect();
    if codes.is_empty() {
        "opened".to_owned()
    } else {
        format!("opened: {}", codes.join(", "))
    }
}

/// The filters, checked.
#[derive(Debug, Clone, Default)]
pub struct HistoryCriteria {
    kind: Option<String>,
    currency: Option<Currency>,
    status: Option<String>,
    from: Option<time::Date>,
    to: Option<time::Date>,
    min: Option<Decimal>,
    max: Option<Decimal>,
}

impl HistoryCriteria {
    pub fn parse(filter: &HistoryFilter) -> Result<Self, AppError> {
        let mut errors = FieldErrors::default();
        let (from, to) = crate::domain::parse_day_range(&mut errors, &filter.from, &filter.to);
        let bound = |text: &str| -> Result<Option<Decimal>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            match crate::domain::money::read_number(text)? {
                value if value >= Decimal::ZERO => Ok(Some(value)),
                _ => Err("Enter an amount of zero or more (it matches either direction).".into()),
            }
        };
        let min = errors.check("min", bound(&filter.min)).flatten();
        let max = errors.check("max", bound(&filter.max)).flatten();
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            errors.add("max", "The largest amount is below the smallest.");
        }
        let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
        let currency = text(&filter.currency).map(|c| Currency::parse(&c));
        if let Some(Currency::Unknown(code)) = &currency {
            errors.add("currency", format!("{code} is not a currency P100 supports."));
        }
        errors.into_result(|| HistoryCriteria {
            kind: text(&filter.kind),
            currency,
            status: text(&filter.status).map(|s| s.to_ascii_uppercase()),
            from,
            to,
            min,
            max,
        })
    }

    fn upstream_query(&self, page: u32, batch: u32) -> HistoryQuery {
        let day = |d: Option<time::Date>| d.map(|d| d.to_string());
        HistoryQuery {
            page,
            limit: batch,
            from: day(self.from),
            to: day(self.to),
        }
    }

    /// P100 is asked for the date range only (its other filters are unknown), so every criterion
    /// is checked here, the dates again too in case P100 ignores them.
    fn matches(&self, t: &Transaction) -> bool {
        // The UTC day, whatever offset P100 wrote; an entry without a time matches no day range.
        let day = Timestamp::parse_rfc3339(&t.created_at).ok().map(|at| at.get().date());
        let size = t.amount.get().abs();
        self.kind.as_ref().is_none_or(|k| &t.kind == k)
            && self.currency.as_ref().is_none_or(|c| &t.currency == c)
            && self
                .status
                .as_ref()
                .is_none_or(|s| t.status.as_deref().is_some_and(|theirs| theirs.eq_ignore_ascii_case(s)))
            && self.from.is_none_or(|from| day.is_some_and(|day| day >= from))
            && self.to.is_none_or(|to| day.is_some_and(|day| day <= to))
            && self.min.is_none_or(|min| size >= min)
            && self.max.is_none_or(|max| size <= max)
    }
}

/// Every entry of `holder`'s history that matches, newest first as P100 orders them, read from P100
/// `batch` entries a call as the consumer asks: a page of the table stops early, an export reads on.
pub fn matching(
    state: AppState,
    holder: Holder,
    criteria: HistoryCriteria,
    batch: u32,
) -> impl Stream<Item = Result<Transaction, AppError>> + Send + 'static {
    let pages = stream::try_unfold(Some(1u32), move |page| {
        let (state, holder, criteria) = (state.clone(), holder.clone(), criteria.clone());
        async move {
            let Some(page) = page else { return Ok(None) };
            let query = criteria.upstream_query(page, batch);
            let reply = match &holder {
                Holder::Partner => state.p100.partner_transactions(&query).await?,
                Holder::User(id) => state.p100.user_transactions(id, &query).await?,
            };
            let full = reply.value.sent as u32 >= batch;
            let next = full.then_some(page + 1);
            let rows: Vec<Transaction> = reply.value.into_iter().filter(|t| criteria.matches(t)).collect();
            Ok::<_, AppError>(Some((stream::iter(rows.into_iter().map(Ok)), next)))
        }
    });
    pages.try_flatten()
}

/// One page of the filtered history.
pub async fn history(state: &AppState, holder: &Holder, filter: &HistoryFilter) -> Result<HistoryPage, AppError> {
    let criteria = HistoryCriteria::parse(filter)?;
    if let Holder::User(id) = holder {
        super::users::find(&state.db, id).await?;
    }
    let page = filter.page.max(1);
    let skip = (page as usize - 1) * PAGE_SIZE;
    let mut rows: Vec<HistoryLine> = matching(state.clone(), holder.clone(), criteria, VIEW_BATCH)
        .skip(skip)
        .take(PAGE_SIZE + 1)
        .map_ok(line)
        .try_collect()
        .await?;
    let has_next = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    Ok(HistoryPage { rows, page, has_next })
}

fn line(t: Transaction) -> HistoryLine {
    let mut fields = vec![
        ("id".to_owned(), t.id.clone()),
        ("type".to_owned(), t.kind.clone()),
        ("currency".to_owned(), t.currency.code().to_owned()),
        ("amount".to_owned(), t.amount.to_string()),
        ("status".to_owned(), t.status.clone().unwrap_or_default()),
        ("createdAt".to_owned(), t.created_at.clone()),
    ];
    fields.extend(t.extra.iter().map(|(k, v)| {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        (k.clone(), text)
    }));
    HistoryLine {
        shown: display(t.amount, &t.currency),
        id: t.id,
        kind: t.kind,
        currency: t.currency,
        amount: t.amount,
        // P100 may send an entry without a status: shown as a dash, never an error.
        status: t.status.unwrap_or_else(|| "—".to_owned()),
        at: t.created_at,
        fields,
    }
}

/// The CSV columns of a history export.
pub const CSV_COLUMNS: [&str; 6] = ["id", "created_at", "type", "status", "currency", "amount"];

/// One history entry as CSV cells, the amount exact at its currency's scale.
pub fn csv_cells(t: &Transaction) -> [String; 6] {
    [
        t.id.clone(),
        t.created_at.clone(),
        t.kind.clone(),
        t.status.clone().unwrap_or_default(),
        t.currency.code().to_owned(),
        t.amount.at_scale_of(&t.currency).to_string(),
    ]
}
