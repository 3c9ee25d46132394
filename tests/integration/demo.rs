//! The sandbox's demo money (`SANDBOX_DEMO_DATA=on`, as `make run` sets): made once per database
//! through the app's own services, so the money lists have rows on the first sign-in.

use backoffice::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Client, TestApp, eventually, spawn_app_with, spawn_on};

const DEMO: [(&str, &str); 2] = [("SANDBOX_DEMO_DATA", "on"), ("SANDBOX_API_KEY", "demo-key-shared")];

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db()).await.unwrap()
}

/// How many distinct records of `kind` (`payouts`, ...) the page at `path` links to (by id).
async fn rows(client: &Client, path: &str, kind: &str) -> usize {
    let html = client.get(path).await.text().await.unwrap();
    let prefix = format!("href=\"/{kind}/");
    let mut ids: Vec<&str> = html
        .match_indices(&prefix)
        .filter_map(|(at, _)| html[at + prefix.len()..].split('"').next())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

#[tokio::test]
async fn the_demo_money_fills_the_money_lists_once() {
    let app = spawn_app_with(&DEMO).await;
    eventually("the demo money", || async {
        (count(&app, "SELECT COUNT(*) FROM settings WHERE key = 'sandbox.demo_money'").await == 1).then_some(())
    })
    .await;
    let made = [
        "SELECT COUNT(*) FROM movements",
        "SELECT COUNT(*) FROM exchanges",
        "SELECT COUNT(*) FROM approvals WHERE status = 'pending'",
        "SELECT COUNT(*) FROM collections",
        "SELECT COUNT(*) FROM reconciliation_resolutions",
    ];
    let mut first = Vec::new();
    for sql in made {
        first.push(count(&app, sql).await);
    }
    // Seven SEPA payouts, two withdrawals (one failed) and a transfer; an exchange finalized and a lock; two payouts,
    // two deletions and a threshold change waiting for a second member; two orders and three links;
    // one resolution.
    assert_eq!(first, [10, 2, 5, 5, 1]);
    // Every state a payout can be in that P100 decides, through P100's answers (not raw inserts).
    let states = eventually("the payouts' states", || async {
        let states: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT status, decision FROM movements ORDER BY status, decision")
                .fetch_all(app.db())
                .await
                .unwrap();
        let failed = states.iter().filter(|(s, _)| s == "failed").count() == 2;
        let decided = states.iter().filter(|(_, d)| d.is_some()).count() == 2;
        (failed && decided).then_some(states)
    })
    .await;
    assert!(states.iter().any(|(s, d)| s == "unknown" && d.is_none()), "{states:?}");
    let collections: Vec<String> = sqlx::query_scalar("SELECT status FROM collections ORDER BY status")
        .fetch_all(app.db())
        .await
        .unwrap();
    assert!(collections.contains(&"paid".to_owned()) && collections.contains(&"underpaid".to_owned()));
    // The SEPA deposit arrives by P100's webhook.
    eventually("the SEPA deposit", || async {
        (count(&app, "SELECT COUNT(*) FROM deposits WHERE kind = 'sepa'").await == 1).then_some(())
    })
    .await;

    let finance = app.signed_in(Role::Finance).await;
    assert_eq!(rows(&finance, "/payouts", "payouts").await, 10);
    assert_eq!(rows(&finance, "/collections", "collections").await, 5);
    assert_eq!(rows(&finance, "/exchanges", "exchanges").await, 2);
    // Something waits for each member who decides (their own requests are not theirs to decide).
    for handle in ["finance", "finance2", "compliance", "compliance2", "admin2"] {
        let member = app.signed_in_as(handle).await;
        let (status, inbox) = member.call("approvals/inbox", json!({ "query": {} })).await;
        assert_eq!(status, StatusCode::OK, "{inbox}");
        let open = inbox["open"].as_array().unwrap();
        let awaiting = open.iter().filter(|a| a["may_decide"] == true).count();
        assert!(awaiting >= 1, "nothing waits for {handle}: {inbox}");
    }

    // A second start on the same database makes none again (its seed runs at once and finds it made).
    let again = spawn_on(tempfile::tempdir().unwrap(), app.db_url.clone(), &DEMO).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mut second = Vec::new();
    for sql in made {
        second.push(count(&again, sql).await);
    }
    assert_eq!(second, first);
}
