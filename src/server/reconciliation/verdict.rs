//! The judgement: given what we recorded, what P100 last said and which webhooks came, does a
//! movement converge? Pure, so every rule is tested here without a server.

use std::time::Duration;

use rust_decimal::Decimal;

use crate::domain::collections::settled_at_p100;
use crate::domain::reconciliation::{Finding, Mismatch, Subject, Verdict};
use crate::p100::types::MovementStatus as Upstate;
use crate::server::db::Timestamp;
use crate::server::db::sent::Stage as Sent;

/// Where a movement stands, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotSent,
    InFlight,
    Completed,
    Failed,
}

fn ours_stage(sent: Option<Sent>, upstream_id: Option<&str>) -> Stage {
    match sent {
        Some(Sent::Completed) => Stage::Completed,
        Some(Sent::Failed) if upstream_id.is_some() => Stage::Failed,
        // Refused by P100 at once, or never sent (cancelled, waiting for a second member, a lock
        // that ran out): nothing exists there.
        Some(Sent::Failed) | None => Stage::NotSent,
        Some(Sent::Submitting | Sent::Pending | Sent::Unknown) => Stage::InFlight,
    }
}

fn upstream_stage(kind: Subject, status: &str) -> Stage {
    if matches!(kind, Subject::Order | Subject::PaymentLink) {
        // An order's or link's own words (REFERENCE §2.6.4, §2.7; a link's INFERRED).
        return match status.to_ascii_uppercase().as_str() {
            word if settled_at_p100(word) => Stage::Completed,
            "EXPIRED" => Stage::Failed,
            _ => Stage::InFlight,
        };
    }
    match Upstate::parse(status) {
        Upstate::Completed | Upstate::Successful => Stage::Completed,
        Upstate::Failed => Stage::Failed,
        _ => Stage::InFlight,
    }
}

/// P100's last answer for a movement of ours.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub found: bool,
    /// `None`: the check could not be made yet (P100 unreachable).
    pub status: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    /// When it was read.
    pub checked_at: Timestamp,
}

/// One movement of ours as the report sees it.
#[derive(Debug, Clone)]
pub struct Ours<'a> {
    pub kind: Subject,
    /// Its status as stored, for the words.
    pub status: &'a str,
    /// Its stage in the money engine; `None` before it was sent.
    pub sent: Option<Sent>,
    pub amount: Decimal,
    /// Lower-case code.
    pub currency: &'a str,
    pub upstream_id: Option<&'a str>,
    /// When it was sent (or made, if never sent).
    pub sent_at: Timestamp,
    pub updated_at: Timestamp,
    pub upstream: Option<Upstream>,
    pub webhooks: i64,
    /// Set when the back office asked a person to decide what became of it.
    pub decision: Option<&'a str>,
}

/// P100 sends webhooks for payouts, withdrawals and transfers (issue 8); WEBHOOKS.md finds none for
/// exchanges, so an exchange without one is not a mismatch.
fn expects_webhook(kind: Subject) -> bool {
    matches!(kind, Subject::Sepa | Subject::Crypto | Subject::Transfer)
}

fn minutes(grace: Duration) -> u64 {
    grace.as_secs() / 60
}

/// The mismatches of one movement of ours, and whether P100 has yet to be read for it.
pub fn judge(ours: &Ours<'_>, now: Timestamp, grace: Duration) -> (Vec<Finding>, bool) {
    let mut findings = Vec::new();
    let mut add = |mismatch, detail: String| findings.push(Finding { mismatch, detail });
    let late = |at: Timestamp| at + grace <= now;
    let stage = ours_stage(ours.sent, ours.upstream_id);
    match ours.sent {
        Some(Sent::Unknown) => add(
            Mismatch::UpstreamMissing,
            match ours.decision {
                Some(why) => format!("Needs a decision: {why}"),
                None => "P100's answer did not say whether it was made, and its history does not show it yet.".into(),
            },
        ),
        Some(Sent::Submitting) if late(ours.sent_at) => add(
            Mismatch::UpstreamMissing,
            format!("Sending for over {} minutes with no answer from P100.", minutes(grace)),
        ),
        _ => {}
    }
    let Some(upstream_id) = ours.upstream_id else {
        return (findings, false);
    };
    if expects_webhook(ours.kind) && ours.webhooks == 0 && late(ours.sent_at) {
        add(
            Mismatch::NoWebhook,
            format!(
                "No webhook from P100 in the {} minutes since it was sent.",
                minutes(grace)
            ),
        );
    }
    // P100's answer must be newer than our last change to judge against it (a transfer read while
    // settling would otherwise show "completed here; P100 says PENDING" until the next read).
    let Some(upstream) = ours.upstream.as_ref().filter(|u| u.checked_at >= ours.updated_at) else {
        return (findings, true);
    };
    if !upstream.found {
        add(
            Mismatch::UpstreamMissing,
            format!("P100 has no record of {upstream_id}."),
        );
        return (findings, false);
    }
    let Some(status) = &upstream.status else {
        return (findings, true);
    };
    let theirs = upstream_stage(ours.kind, status);
    let differs = match stage {
        Stage::Completed | Stage::Failed => theirs != stage,
        // The follower applies P100's final word within seconds; only a lasting gap is a mismatch.
        Stage::InFlight => theirs != Stage::InFlight && late(ours.updated_at),
        Stage::NotSent => false,
    };
    if differs {
        add(
            Mismatch::StateDiffers,
            format!("Here it is {}; P100 says {status}.", ours.status),
        );
    }
    if let Some(mut amount) = upstream.amount
        && amount != ours.amount
    {
        // At our amount's decimals, so 48 reads 48.00 beside 40.00.
        if amount.scale() < ours.amount.scale() {
            amount.rescale(ours.amount.scale());
        }
        add(
            Mismatch::AmountDiffers,
            format!("Here {}; P100 says {amount}.", ours.amount),
        );
    }
    if let Some(currency) = &upstream.currency
        && !currency.eq_ignore_ascii_case(ours.currency)
    {
        add(
            Mismatch::CurrencyDiffers,
            format!(
                "Here {}; P100 says {}.",
                ours.currency.to_uppercase(),
                currency.to_uppercase()
            ),
        );
    }
    (findings, false)
}

/// A row's verdict: resolved when a resolution covers every mismatch it has now.
pub fn verdict(findings: &[Finding], checking: bool, resolved: Option<&[Mismatch]>) -> Verdict {
    if findings.is_empty() {
        return if checking { Verdict::Checking } else { Verdict::Matched };
    }
    match resolved {
        Some(covered) if findings.iter().all(|f| covered.contains(&f.mismatch)) => Verdict::Resolved,
        _ => Verdict::Mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::movements::MovementStatus;
    use crate::server::db::sent::Status;

    const GRACE: Duration = Duration::from_secs(15 * 60);

    fn at(minutes_ago: u64) -> Timestamp {
        Timestamp::now() - Duration::from_secs(minutes_ago * 60)
    }

    fn sepa(status: MovementStatus, upstream: Option<Upstream>, webhooks: i64) -> Ours<'static> {
        Ours {
            kind: Subject::Sepa,
            status: status.as_str(),
            sent: status.stage(),
            amount: Decimal::new(25000, 2),
            currency: "eur",
            upstream_id: Some("tr-1"),
            sent_at: at(30),
            updated_at: at(30),
            upstream,
            webhooks,
            decision: None,
        }
    }

    fn said(status: &str, amount: i64) -> Option<Upstream> {
        Some(Upstream {
            found: true,
            status: Some(status.into()),
            amount: Some(Decimal::new(amount, 2)),
            currency: Some("EUR".into()),
            checked_at: at(1),
        })
    }

    fn codes(ours: &Ours<'_>) -> Vec<Mismatch> {
        judge(ours, Timestamp::now(), GRACE)
            .0
            .into_iter()
            .map(|f| f.mismatch)
            .collect()
    }

    #[test]
    fn agreeing_sides_match() {
        let ours = sepa(MovementStatus::Completed, said("COMPLETED", 25000), 1);
        assert_eq!(judge(&ours, Timestamp::now(), GRACE), (vec![], false));
        assert_eq!(verdict(&[], false, None), Verdict::Matched);
        assert_eq!(
            codes(&sepa(MovementStatus::Completed, said("SUCCESSFUL", 25000), 2)),
            vec![]
        );
    }

    #[test]
    fn each_mismatch_is_named() {
        assert_eq!(
            codes(&sepa(MovementStatus::Completed, said("FAILED", 25000), 1)),
            vec![Mismatch::StateDiffers]
        );
        assert_eq!(
            codes(&sepa(MovementStatus::Completed, said("COMPLETED", 26000), 1)),
            vec![Mismatch::AmountDiffers]
        );
        assert_eq!(
            codes(&sepa(MovementStatus::Completed, said("COMPLETED", 25000), 0)),
            vec![Mismatch::NoWebhook]
        );
        let missing = Some(Upstream {
            found: false,
            status: None,
            amount: None,
            currency: None,
            checked_at: at(1),
        });
        assert_eq!(
            codes(&sepa(MovementStatus::Pending, missing, 1)),
            vec![Mismatch::UpstreamMissing]
        );
        let mut unknown = sepa(MovementStatus::Unknown, None, 0);
        unknown.upstream_id = None;
        assert_eq!(codes(&unknown), vec![Mismatch::UpstreamMissing]);
        let mut other_currency = sepa(MovementStatus::Completed, said("COMPLETED", 25000), 1);
        other_currency.currency = "btc";
        assert_eq!(codes(&other_currency), vec![Mismatch::CurrencyDiffers]);
    }

    #[test]
    fn recent_gaps_are_not_yet_mismatches() {
        // Sent a minute ago: no webhook yet is normal, and P100's final word is being applied.
        let mut fresh = sepa(MovementStatus::Pending, said("COMPLETED", 25000), 0);
        fresh.sent_at = at(1);
        fresh.updated_at = at(1);
        assert_eq!(codes(&fresh), vec![]);
        // Still pending here long after P100 finished: the follower did not apply it.
        assert_eq!(
            codes(&sepa(MovementStatus::Pending, said("COMPLETED", 25000), 1)),
            vec![Mismatch::StateDiffers]
        );
        // P100 read before our last change (a transfer read while settling): read again first.
        let mut read_before = sepa(MovementStatus::Completed, said("PENDING", 25000), 1);
        read_before.updated_at = at(0);
        let (findings, checking) = judge(&read_before, Timestamp::now(), GRACE);
        assert!(findings.is_empty() && checking, "{findings:?}");
        // Unchecked rows are waiting, not matched.
        let (findings, checking) = judge(&sepa(MovementStatus::Pending, None, 1), Timestamp::now(), GRACE);
        assert!(findings.is_empty() && checking);
        assert_eq!(verdict(&findings, checking, None), Verdict::Checking);
    }

    #[test]
    fn exchanges_need_no_webhook_and_unsent_movements_need_nothing() {
        let mut exchange = sepa(MovementStatus::Completed, said("COMPLETED", 25000), 0);
        exchange.kind = Subject::Exchange;
        assert_eq!(codes(&exchange), vec![]);
        let mut waiting = sepa(MovementStatus::AwaitingApproval, None, 0);
        waiting.upstream_id = None;
        assert_eq!(judge(&waiting, Timestamp::now(), GRACE), (vec![], false));
        let mut refused = sepa(MovementStatus::Failed, None, 0);
        refused.upstream_id = None;
        assert_eq!(codes(&refused), vec![]);
    }

    #[test]
    fn a_resolution_covers_only_what_it_saw() {
        let findings = judge(
            &sepa(MovementStatus::Completed, said("FAILED", 26000), 1),
            Timestamp::now(),
            GRACE,
        )
        .0;
        assert_eq!(verdict(&findings, false, None), Verdict::Mismatch);
        assert_eq!(
            verdict(&findings, false, Some(&[Mismatch::StateDiffers])),
            Verdict::Mismatch
        );
        assert_eq!(
            verdict(
                &findings,
                false,
                Some(&[Mismatch::StateDiffers, Mismatch::AmountDiffers])
            ),
            Verdict::Resolved
        );
    }
}
