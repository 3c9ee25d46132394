//! The user registry over HTTP: onboarding with good and bad input (nothing sent upstream on bad
//! input), KYC methods A and B against the sandbox, webhooks moving KYC status, search and
//! filters, masking by role.

use backoffice::domain::Role;
use backoffice::domain::users::{UserList, UserRow};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, eventually, fault, field_message, quick, sandbox, spawn_app};

/// A create-user form as a browser sends it.
pub fn new_user_json(id: &str) -> Value {
    json!({
        "external_user_id": id, "first_name": "Zofia", "last_name": "Zielińska",
        "email": format!("{id}@example.com"), "phone": "+48 601 234 567",
        "street": "ul. Marszałkowska", "house_number": "12/3", "city": "Warszawa", "post_code": "00-001",
        "country": "PL", "citizenship": "PL", "nationality": "PL", "birth_country": "PL",
        "birth_date": "1991-04-12", "id_number": "91041212345", "accepted_terms": true,
    })
}

/// The rows of a `users/search` answer.
fn rows(page: &Value) -> Vec<UserRow> {
    serde_json::from_value::<UserList>(page.clone())
        .expect("a users list")
        .rows
}

async fn sandbox_users(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_users")
        .fetch_one(app.db())
        .await
        .unwrap()
}

async fn registry(app: &TestApp, id: &str) -> Option<(String, String, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT sync_state, kyc_state, kyc_method, p100_user_id FROM users WHERE external_user_id = $1")
        .bind(id)
        .fetch_optional(app.db())
        .await
        .unwrap()
}

async fn create(client: &Client, id: &str) -> (StatusCode, Value) {
    client.call("users/create", json!({ "input": new_user_json(id) })).await
}

/// A tiny file whose first bytes say JPEG.
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(&[0u8; 2048]);
    bytes
}

async fn upload(client: &Client, app: &TestApp, id: &str, form: reqwest::multipart::Form) -> (StatusCode, Value) {
    let response = client
        .http
        .post(app.url(&format!("/uploads/users/{id}/documents")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn part(bytes: Vec<u8>, name: &str, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

#[tokio::test]
async fn onboarding_creates_one_user_and_refuses_bad_input_before_p100() {
    let app = spawn_app().await;
    let agent = app.signed_in(Role::Onboarding).await;
    let before = sandbox_users(&app).await;

    let (status, body) = agent.call("users/new_form", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["external_user_id"].as_str().unwrap().to_owned();
    assert!(body["countries"].as_array().unwrap().len() > 240);

    // Bad input: every message next to its field, nothing recorded, nothing sent.
    let mut bad = new_user_json(&id);
    bad["email"] = json!("zofia@");
    bad["phone"] = json!("601234567");
    bad["country"] = json!("XX");
    bad["birth_date"] = json!("2015-01-01");
    bad["accepted_terms"] = json!(false);
    let (status, body) = agent.call("users/create", json!({ "input": bad })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["email", "phone", "country", "birth_date", "accepted_terms"] {
        assert!(field_message(&body, field).is_some(), "{field}: {body}");
    }
    assert_eq!(sandbox_users(&app).await, before, "nothing reached P100");
    assert!(registry(&app, &id).await.is_none());

    // Good input, submitted twice at once and once more later: one user upstream.
    let (first, second) = tokio::join!(create(&agent, &id), create(&agent, &id));
    let oks = [&first, &second].iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert!(oks >= 1, "{first:?} {second:?}");
    let (status, again) = create(&agent, &id).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["external_user_id"], id.as_str());
    assert_eq!(sandbox_users(&app).await, before + 1, "one user at P100");
    let (sync, kyc, _, p100_id) = registry(&app, &id).await.unwrap();
    assert_eq!((sync.as_str(), kyc.as_str()), ("synced", "not_started"));
    assert!(p100_id.is_some());
    let row = app.last_audit("users.create").await.unwrap();
    assert_eq!(row.outcome, "success");
    assert!(row.request_id.is_some());

    // The same external id with other data is refused at the field.
    let mut other = new_user_json(&id);
    other["first_name"] = json!("Someone");
    let (status, body) = agent.call("users/create", json!({ "input": other })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "external_user_id").is_some(), "{body}");
}

#[tokio::test]
async fn a_p100_refusal_is_shown_with_its_code_and_leaves_nothing_behind() {
    let app = spawn_app().await;
    let agent = app.signed_in(Role::Onboarding).await;
    fault(&app, "user.create", |f| f.p_code = Some("P403".into())).await;
    let (status, body) = create(&agent, "refused-1").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["Upstream"]["code"], "P403");
    assert!(
        registry(&app, "refused-1").await.is_none(),
        "the form can be sent again"
    );
    let row = app.last_audit("users.create").await.unwrap();
    assert_eq!(row.outcome, "failure");
    assert!(row.reason.unwrap().starts_with("P403"));
    // Sent again once the fault is gone, it works.
    let (status, body) = create(&agent, "refused-1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn documents_and_hosted_verification_reach_p100_and_webhooks_move_the_status() {
    let app = spawn_app().await;
    quick(&app).await;
    let agent = app.signed_in(Role::Onboarding).await;
    create(&agent, "kyc-a").await;
    create(&agent, "kyc-b").await;

    // Method A, a passport without its selfie and with a text file: refused, nothing sent.
    let form = reqwest::multipart::Form::new()
        .text("kind", "PASSPORT")
        .part("front", part(b"not an image".to_vec(), "front.txt", "text/plain"));
    let (status, body) = upload(&agent, &app, "kyc-a", form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        field_message(&body, "selfie").is_some() && field_message(&body, "front").is_some(),
        "{body}"
    );
    assert_eq!(registry(&app, "kyc-a").await.unwrap().2, None);

    // Then right: P100 starts the attempt, and the sandbox's approval arrives by webhook.
    let form = reqwest::multipart::Form::new()
        .text("kind", "PASSPORT")
        .part("front", part(jpeg(), "front.jpg", "image/jpeg"))
        .part("selfie", part(jpeg(), "selfie.jpg", "image/jpeg"));
    let (status, body) = upload(&agent, &app, "kyc-a", form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(registry(&app, "kyc-a").await.unwrap().2.as_deref(), Some("documents"));
    eventually("method A approved by webhook", || async {
        (registry(&app, "kyc-a").await.unwrap().1 == "verified").then_some(())
    })
    .await;

    // Method B: a link and its QR code; the next outcome is a rejection.
    backoffice::sandbox::control::set_kyc_next(sandbox(&app), "reject:DOCUMENT_EXPIRED")
        .await
        .unwrap();
    let (status, body) = agent.call("users/start_hosted_kyc", json!({ "id": "kyc-b" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["url"].as_str().unwrap().contains("kyc-b"));
    assert!(body["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    assert_eq!(registry(&app, "kyc-b").await.unwrap().2.as_deref(), Some("hosted"));
    eventually("method B rejected by webhook", || async {
        (registry(&app, "kyc-b").await.unwrap().1 == "rejected").then_some(())
    })
    .await;
    let compliance = app.signed_in(Role::Compliance).await;
    let (_, detail) = compliance.call("users/detail", json!({ "id": "kyc-b" })).await;
    assert_eq!(detail["rejection_reason"], "DOCUMENT_EXPIRED");
    let kyc_steps: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "kyc")
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert!(
        kyc_steps.ends_with(&["rejected"]) && kyc_steps.contains(&"pending"),
        "{kyc_steps:?}"
    );

    // The queue holds the rejected user, not the verified one.
    let (_, queue) = compliance.call("users/kyc_queue", json!({})).await;
    let ids: Vec<&str> = queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["external_user_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"kyc-b") && !ids.contains(&"kyc-a"));
    assert_eq!(
        queue["total"].as_u64().unwrap() as usize,
        ids.len(),
        "every waiting user is listed"
    );

    // Verification data activates the verified user; the account-status webhook says so.
    let (status, body) = agent
        .call(
            "users/add_verification",
            json!({ "id": "kyc-a", "kind": "PASSPORT", "number": "ZX1234567" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("account activated by webhook", || async {
        let status: String = sqlx::query_scalar("SELECT account_status FROM users WHERE external_user_id = 'kyc-a'")
            .fetch_one(app.db())
            .await
            .unwrap();
        (status == "ACTIVE").then_some(())
    })
    .await;
}

#[tokio::test]
async fn search_filters_sorts_and_pages_through_the_seeded_users() {
    let app = spawn_app().await;
    let finance = app.signed_in(Role::Finance).await;
    let search = |query: Value| finance.call("users/search", json!({ "query": query }));

    let (status, all) = search(json!({})).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 200);
    assert_eq!(all["rows"].as_array().unwrap().len(), 50);

    // Page through everything by name: every user once, in order.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let (_, page) = search(json!({ "sort": "name", "after": after })).await;
        seen.extend(rows(&page).into_iter().map(|r| r.name.to_lowercase()));
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 200);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "sorted by name");

    // Prefix and case-insensitive, on name, last name, email, external id and phone.
    let (_, by_name) = search(json!({ "q": "ANNA" })).await;
    assert!(by_name["total"].as_u64().unwrap() > 0);
    assert!(rows(&by_name).iter().all(|r| r.name.starts_with("Anna")));
    let (_, by_last) = search(json!({ "q": "nowak" })).await;
    assert!(rows(&by_last).iter().all(|r| r.name.ends_with("Nowak")));
    let (_, by_id) = search(json!({ "q": "DEMO-0042" })).await;
    assert_eq!(by_id["total"], 1);
    // P100's id from its fourth character: a shorter prefix of a random id only crowds a name search.
    let p100_id: String = sqlx::query_scalar("SELECT p100_user_id FROM users WHERE external_user_id = 'demo-0042'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let named = |page: &Value| rows(page).iter().any(|r| r.external_user_id == "demo-0042");
    let (_, four) = search(json!({ "q": &p100_id[..4] })).await;
    assert!(named(&four), "{p100_id}: found by four characters");
    let (_, three) = search(json!({ "q": &p100_id[..3] })).await;
    assert!(!named(&three), "{p100_id}: not by three");
    let phone: String = sqlx::query_scalar("SELECT phone FROM users WHERE external_user_id = 'demo-0042'")
        .fetch_one(app.db())
        .await
        .unwrap();
    // Email and phone: by prefix only for a member who may see them (onboarding), otherwise only
    // the whole value, so a masked value cannot be recovered from the result count (finance).
    let found = |page: &Value| rows(page).iter().any(|r| r.external_user_id == "demo-0042");
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE external_user_id = 'demo-0042'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let onboarding = app.signed_in(Role::Onboarding).await;
    for prefix in [&phone[..8], &email[..email.len() - 3]] {
        let (_, seen) = onboarding
            .call("users/search", json!({ "query": { "q": prefix } }))
            .await;
        assert!(found(&seen), "{prefix}: a prefix finds the user for pii.view");
        let (_, seen) = search(json!({ "q": prefix })).await;
        assert!(!found(&seen), "{prefix}: not without pii.view");
    }
    let audited = app.audit_count().await;
    for whole in [&phone, &email] {
        let (_, seen) = search(json!({ "q": whole })).await;
        assert!(found(&seen), "{whole}: the whole value finds the user");
        let row = app
            .last_audit("users.search")
            .await
            .expect("a search by contact data is audited");
        assert_eq!(row.target_id.as_deref(), Some(whole.as_str()));
        assert_eq!(row.staff_email.as_deref(), Some("finance@sandbox.test"));
    }
    assert_eq!(app.audit_count().await, audited + 2);
    // The same look again (another sort, a refresh) is the same access: no second row. Another
    // member's look at the same people is theirs: audited.
    let (_, again) = search(json!({ "q": &email, "sort": "name" })).await;
    assert!(found(&again));
    assert_eq!(app.audit_count().await, audited + 2);
    let compliance = app.signed_in(Role::Compliance).await;
    let audited = app.audit_count().await;
    let (_, theirs) = compliance
        .call("users/search", json!({ "query": { "q": &email } }))
        .await;
    assert!(found(&theirs));
    assert_eq!(app.audit_count().await, audited + 1);
    assert_eq!(
        app.last_audit("users.search").await.unwrap().staff_email.as_deref(),
        Some("compliance@sandbox.test")
    );

    // Filters combine and agree with the database.
    let (_, rejected) = search(json!({ "kyc": "rejected", "country": "pl" })).await;
    let expected: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE kyc_state = 'rejected' AND country = 'PL'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(rejected["total"], expected);
    assert!(expected > 0);
    // A term with a filter: a user it matches by name and by email too is counted once.
    let (_, annas) = onboarding
        .call("users/search", json!({ "query": { "q": "anna", "kyc": "verified" } }))
        .await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE kyc_state = 'verified'
           AND ((name_key >= 'anna' AND name_key < 'annb') OR (email_key >= 'anna' AND email_key < 'annb'))",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(annas["total"], expected);
    assert!(expected > 1);
    assert!(rows(&annas).iter().all(|r| r.email.starts_with("anna")));
    let (status, body) = search(json!({ "kyc": "maybe", "from": "yesterday" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "kyc").is_some() && field_message(&body, "from").is_some());

    // Finance has no pii.view: emails and phones are masked.
    let first = &rows(&all)[0];
    assert!(first.email.contains("***@"), "{first:?}");
    let agent = app.signed_in(Role::Onboarding).await;
    let (_, clear) = agent.call("users/search", json!({ "query": {} })).await;
    assert!(!rows(&clear)[0].email.contains("***"));
}

#[tokio::test]
async fn personal_data_is_masked_and_every_reveal_is_audited() {
    let app = spawn_app().await;
    let viewer = app.signed_in(Role::Viewer).await;
    let (status, detail) = viewer.call("users/detail", json!({ "id": "demo-0011" })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert!(detail["pii"]["email"].as_str().unwrap().contains("***"));
    assert_eq!(detail["pii"]["birth_date"], "••••••");
    assert_eq!(detail["pii"]["street"], "••••••");
    let (status, _) = viewer.call("users/reveal", json!({ "id": "demo-0011" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let compliance = app.signed_in(Role::Compliance).await;
    let (_, detail) = compliance.call("users/detail", json!({ "id": "demo-0011" })).await;
    assert_eq!(detail["pii"]["birth_date"], "••••••", "masked until revealed");
    let (status, pii) = compliance.call("users/reveal", json!({ "id": "demo-0011" })).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pii["birth_date"].as_str().unwrap().len() == 10);
    let row = app.last_audit("users.pii.reveal").await.unwrap();
    assert_eq!(row.staff_email.as_deref(), Some("compliance@sandbox.test"));
    assert_eq!(row.target_id.as_deref(), Some("demo-0011"));

    // Notes are kept and audited.
    let (status, _) = compliance
        .call("users/add_note", json!({ "id": "demo-0011", "note": "  " }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = compliance
        .call(
            "users/add_note",
            json!({ "id": "demo-0011", "note": "Called the user." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = viewer.call("users/detail", json!({ "id": "demo-0011" })).await;
    assert_eq!(detail["notes"][0]["body"], "Called the user.");
    assert_eq!(detail["notes"][0]["author"], "Cleo Compliance");
    assert_eq!(app.last_audit("users.note.add").await.unwrap().outcome, "success");
}

#[tokio::test]
async fn contact_details_change_but_the_country_does_not() {
    let app = spawn_app().await;
    let agent = app.signed_in(Role::Onboarding).await;
    let change = json!({ "email": "new.address@example.com", "phone": "+48 600 111 222", "street": "Nowy Świat", "house_number": "5", "city": "Warszawa", "post_code": "00-497", "country": "DE" });
    let (status, body) = agent
        .call("users/update_contact", json!({ "id": "demo-0011", "input": change }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(field_message(&body, "country").is_some());

    let mut change = change;
    change["country"] = Value::Null;
    let (status, body) = agent
        .call("users/update_contact", json!({ "id": "demo-0011", "input": change }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, found) = agent
        .call("users/search", json!({ "query": { "q": "new.address@" } }))
        .await;
    assert_eq!(rows(&found)[0].external_user_id, "demo-0011");
    let profile: String = sqlx::query_scalar("SELECT profile FROM sandbox_users WHERE external_user_id = 'demo-0011'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(profile.contains("new.address@example.com"), "P100 has the new email");
    let row = app.last_audit("users.update").await.unwrap();
    assert!(row.after_data.unwrap().contains("email"));
}

/// A user page opened by link (or reloaded) is rendered whole by the server: the live balances
/// are loaded later by the browser and must not leave the streamed page unfinished.
#[tokio::test]
async fn a_user_page_renders_completely_from_a_link() {
    let app = spawn_app().await;
    let compliance = app.signed_in(Role::Compliance).await;
    for _ in 0..10 {
        let response = compliance.get("/users/demo-0007").await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"data-testid="user-name""#),
            "the page's content is missing"
        );
        assert!(
            html.contains("__INCOMPLETE_CHUNKS=[]"),
            "a streamed chunk never arrived"
        );
    }
}

/// REFERENCE §0 C1 and C2: Method B answered as HTML or JSON gives staff a link and its QR code; a
/// new user has no balances, and every page that reads them says so, until Add User Verification;
/// then the User Balance Generation webhook arrives and the balances show.
#[tokio::test]
async fn balances_open_after_verification_and_method_b_gives_a_link_either_way() {
    let app = spawn_app().await;
    quick(&app).await;
    let agent = app.signed_in(Role::Onboarding).await;
    let finance = app.signed_in(Role::Finance).await;
    let compliance = app.signed_in(Role::Compliance).await;
    let id = "bal-new";
    let holder = json!({ "holder": { "User": id } });
    create(&agent, id).await;

    // No balances yet: the card says why, not an error; so does it when P100 answers P459.
    let (status, sheet) = finance.call("balances/sheet", holder.clone()).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(
        (sheet["opened"].as_bool(), sheet["lines"].as_array().map(Vec::len)),
        (Some(false), Some(0))
    );
    fault(&app, "user.balances", |f| {
        f.http_status = Some(400);
        f.p_code = Some("P459".into());
    })
    .await;
    let (status, sheet) = finance.call("balances/sheet", holder.clone()).await;
    assert_eq!(
        (status, sheet["opened"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{sheet}"
    );
    // Exchanges and payouts from the user say so next to the form.
    let exchange = json!({ "input": { "holder": { "User": id }, "from": "eur", "to": "btc", "amount": "10.00" } });
    let (status, body) = finance.call("exchanges/quote", exchange).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["Refused"].as_str().unwrap().contains("Add User Verification"),
        "{body}"
    );

    // Method B: the link and its QR code, from P100's HTML page and from a JSON answer alike.
    let (status, started) = agent.call("users/start_hosted_kyc", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let (status, from_html) = agent.call("users/hosted_kyc_link", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{from_html}");
    assert!(
        from_html["url"].as_str().unwrap().contains(&format!("hosted-kyc/{id}")),
        "{from_html}"
    );
    assert!(from_html["qr_svg"].as_str().unwrap().contains("<svg"));
    let json_answers = backoffice::sandbox::control::Settings {
        kyc_redirect_json: Some(true),
        ..Default::default()
    };
    backoffice::sandbox::control::apply_settings(sandbox(&app), &json_answers)
        .await
        .unwrap();
    let (status, from_json) = agent.call("users/hosted_kyc_link", json!({ "id": id })).await;
    assert_eq!(status, StatusCode::OK, "{from_json}");
    assert_eq!(from_json["url"], from_html["url"]);
    eventually("method B approved by webhook", || async {
        (registry(&app, id).await.unwrap().1 == "verified").then_some(())
    })
    .await;

    // Deletion of a user without balances is not blocked by them.
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE external_user_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    let delete = json!({ "id": id, "input": { "confirm_email": email, "note": "a duplicate account" } });
    let (status, body) = compliance.call("users/request_delete", delete).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Add User Verification opens the balances; the webhook notes it in the user's history.
    let verify = json!({ "id": id, "kind": "PASSPORT", "number": "ZX1234567" });
    let (status, body) = agent.call("users/add_verification", verify).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("balances opened by webhook", || async {
        let (_, detail) = compliance.call("users/detail", json!({ "id": id })).await;
        detail["events"]
            .as_array()?
            .iter()
            .any(|e| e["kind"] == "balances" && e["status"] == "OPENED")
            .then_some(())
    })
    .await;
    let (status, sheet) = finance.call("balances/sheet", holder).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["opened"], true);
    assert!(
        sheet["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["currency"] == "eur"),
        "{sheet}"
    );
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_events WHERE kind = 'user_balance_generation' AND subject = $1",
    )
    .bind(id)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(events, 1);
}

/// Adds `n` verified, active German users named "Bulk User <i>" (ids `bulk-<i>`), in one statement.
async fn add_bulk_users(app: &TestApp, n: i64) {
    sqlx::query(
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1)
         INSERT INTO users (external_user_id, sync_state, first_name, last_name, email, phone, street, house_number,
             city, post_code, country, citizenship, nationality, birth_country, birth_date, id_number, name_key,
             last_name_key, email_key, phone_key, external_key, p100_key, kyc_state, verification_status,
             account_status, created_at, kyc_changed_at, changed_at)
         SELECT 'bulk-' || i, 'synced', 'Bulk', 'User ' || i, 'bulk' || i || '@example.test', '+4930' || i, 'Street',
             '1', 'Berlin', '10115', 'DE', 'DE', 'DE', 'DE', '1990-01-01', 'X1', 'bulk user ' || i, 'user ' || i,
             'bulk' || i || '@example.test', '4930' || i, 'bulk-' || i, '', 'verified', 'APPROVED', 'ACTIVE',
             '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z'
         FROM seq",
    )
    .bind(n)
    .execute(app.db())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_wide_search_counts_up_to_ten_thousand_and_says_so() {
    let app = spawn_app().await;
    add_bulk_users(&app, 10_050).await;
    let finance = app.signed_in(Role::Finance).await;
    let search = |query: Value| finance.call("users/search", json!({ "query": query }));

    let (_, all) = search(json!({})).await;
    assert_eq!(
        (all["total"].clone(), all["total_capped"].clone()),
        (json!(10_000), json!(true))
    );
    let page = finance.get("/users").await.text().await.unwrap();
    assert!(page.contains("10,000+ users"), "the page says there are more");

    // Below the cap the count is exact.
    let (_, polish) = search(json!({ "country": "pl" })).await;
    let expected: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE country = 'PL'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        (polish["total"].clone(), polish["total_capped"].clone()),
        (json!(expected), json!(false))
    );

    // A term matching thousands is read in the page's order, a rare one from its indexes: the
    // same users in the same order as the database's own sort, either way.
    for (term, dense) in [("bulk", true), ("bulk user 99", false)] {
        let (_, page) = search(json!({ "q": term, "sort": "name" })).await;
        let shown: Vec<String> = rows(&page).into_iter().map(|r| r.external_user_id).collect();
        let expected: Vec<String> = sqlx::query_scalar(
            "SELECT external_user_id FROM users WHERE name_key >= $1 AND name_key < $2
             ORDER BY name_key, external_user_id LIMIT 50",
        )
        .bind(term)
        .bind(format!("{term}\u{10FFFF}"))
        .fetch_all(app.db())
        .await
        .unwrap();
        assert_eq!(shown, expected, "{term}");
        assert_eq!(page["total"].as_u64().unwrap() > 3_000, dense, "{term}");
    }

    // A common term with a rarer filter is counted from the filter's side, with a wider filter
    // from the term's: the right users and count either way.
    sqlx::query("UPDATE users SET country = 'AT' WHERE external_user_id IN ('bulk-7', 'bulk-70', 'bulk-700')")
        .execute(app.db())
        .await
        .unwrap();
    let (_, austrian) = search(json!({ "q": "bulk", "country": "at", "sort": "name" })).await;
    let shown: Vec<String> = rows(&austrian).into_iter().map(|r| r.external_user_id).collect();
    assert_eq!(shown, ["bulk-7", "bulk-70", "bulk-700"]);
    assert_eq!(
        (austrian["total"].clone(), austrian["total_capped"].clone()),
        (json!(3), json!(false))
    );
    let (_, verified) = search(json!({ "q": "bulk", "kyc": "verified" })).await;
    assert_eq!(
        (verified["total"].clone(), verified["total_capped"].clone()),
        (json!(10_000), json!(true))
    );
    assert_eq!(rows(&verified).len(), 50);
}

/// The user page's cards: P100's suspended module is said in words, a card's own refusal keeps its
/// code, an unknown user is refused before P100 is asked, and a module switched on lists the cards.
#[tokio::test]
async fn a_users_cards_say_the_module_is_suspended() {
    let app = spawn_app().await;
    let viewer = app.signed_in(Role::Viewer).await;
    let user = json!({ "id": "demo-0042" });
    let (status, cards) = viewer.call("users/cards", user.clone()).await;
    assert_eq!((status, cards), (StatusCode::OK, json!("Suspended")));

    fault(&app, "card.list", |f| f.p_code = Some("P461".into())).await;
    let (status, body) = viewer.call("users/cards", user.clone()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body["Upstream"]["code"], "P461", "{body}");
    assert_eq!(body["Upstream"]["message"], "The user is not on the extended tier.");

    let (status, _) = viewer.call("users/cards", json!({ "id": "no-such-user" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Were P100 to switch the module back on, the page would list the user's cards.
    let on = backoffice::sandbox::control::Settings {
        cards_on: Some(true),
        ..Default::default()
    };
    backoffice::sandbox::control::apply_settings(sandbox(&app), &on)
        .await
        .unwrap();
    let (status, cards) = viewer.call("users/cards", user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        cards,
        json!({ "Cards": [{ "id": "card-demo-0042", "label": "Everyday", "last_digits": "4242", "status": "ACTIVE" }] })
    );
}
