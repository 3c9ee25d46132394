//! Quick find: a term finds users, payouts, exchanges, orders and links, staff and audit rows, each kind only for the
//! members who may read it, and users under the users search's rules for personal data.

use backoffice::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, field_message, quick, spawn_app};
use crate::payouts::{send, sepa};

/// What `term` finds for `client`: (kind, href) of each result, in order.
async fn find(client: &Client, term: &str) -> Vec<(String, String)> {
    let (status, body) = client.call("find/quick", json!({ "term": term })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["href"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn kinds(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(kind, _)| kind.as_str()).collect()
}

#[tokio::test]
async fn quick_find_returns_only_what_the_role_may_see() {
    let app = spawn_app().await;
    quick(&app).await;
    let admin = app.signed_in(Role::Admin).await;
    let finance = app.signed_in(Role::Finance).await;
    let onboarding = app.signed_in(Role::Onboarding).await;
    let viewer = app.signed_in(Role::Viewer).await;

    // A user by external id, for everyone who reads users.
    let user = vec![("user".to_owned(), "/users/demo-0042".to_owned())];
    assert_eq!(find(&viewer, "demo-0042").await, user);
    assert_eq!(find(&onboarding, "demo-0042").await, user);

    // A payout by our id and by P100's, for members who read balances only.
    let (_, detail) = send(&finance, &sepa("12.50")).await;
    let movement = &detail["movement"];
    let id = movement["id"].as_str().unwrap();
    let href = format!("/payouts/{id}");
    assert_eq!(find(&finance, id).await, vec![("movement".to_owned(), href.clone())]);
    let p100_id: String = sqlx::query_scalar("SELECT upstream_id FROM movements WHERE id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(find(&viewer, &p100_id).await, vec![("movement".to_owned(), href)]);
    assert_eq!(find(&onboarding, id).await, vec![], "onboarding reads no balances");

    // A payment link by our id and by P100's, for members who read collections.
    let input = json!({ "kind": "payment_link", "amount": "15" });
    let (_, link) = finance.call("collections/create_link", json!({ "input": input })).await;
    let href = format!("/collections/{}", link["id"].as_str().unwrap());
    let found = vec![("collection".to_owned(), href)];
    assert_eq!(find(&finance, link["id"].as_str().unwrap()).await, found);
    assert_eq!(find(&viewer, link["upstream_id"].as_str().unwrap()).await, found);
    assert_eq!(find(&onboarding, link["upstream_id"].as_str().unwrap()).await, vec![]);

    // Staff for those who manage staff; an audit row by number for auditors.
    assert_eq!(kinds(&find(&admin, "Ada Adm").await), ["staff"]);
    assert_eq!(find(&finance, "Ada Adm").await, vec![]);
    let row: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(app.db())
        .await
        .unwrap();
    let audit = ("audit".to_owned(), format!("/audit?row={row}"));
    assert!(find(&viewer, &format!("#{row}")).await.contains(&audit));
    assert!(!kinds(&find(&onboarding, &row.to_string()).await).contains(&"audit"));

    // An email finds its user only whole without `pii.view`, where the result shows it masked.
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE external_user_id = 'demo-0042'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let (_, whole) = viewer.call("find/quick", json!({ "term": email })).await;
    assert_eq!(whole[0]["href"], "/users/demo-0042");
    assert!(!whole[0]["detail"].as_str().unwrap().contains(&email), "{whole}");
    assert_eq!(find(&viewer, &email[..email.len() - 3]).await, vec![]);
    let compliance = app.signed_in(Role::Compliance).await;
    assert!(kinds(&find(&compliance, &email[..email.len() - 3]).await).contains(&"user"));

    // Nothing to find in an empty term; a term no one types is refused on its field.
    assert_eq!(find(&viewer, "  ").await, vec![]);
    let (status, body): (StatusCode, Value) = viewer.call("find/quick", json!({ "term": "x".repeat(101) })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "q").is_some(), "{body}");
}
