use backoffice::domain::Role;
use backoffice::domain::audit::Outcome;
use backoffice::server::audit::{self, Event, RequestMeta, Verdict, Who};
use backoffice::server::db;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, append_at_once, spawn_app, spawn_app_with};

/// Writes `n` audit rows directly, each with a distinct action suffix.
async fn write_rows(app: &TestApp, n: usize) {
    for i in 0..n {
        let event = Event::new("test.row", Outcome::Success).target("thing", format!("t{i}"));
        audit::record_alone(app.db(), &Who::system(), &RequestMeta::default(), event)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_chain_verifies_and_names_the_first_edited_row() {
    let app = spawn_app().await;
    app.signed_in(Role::Admin).await;
    write_rows(&app, 5).await;
    let rows = app.audit_count().await;
    assert_eq!(
        audit::verify(app.db(), &app.state.config.audit_key).await.unwrap(),
        Verdict::Intact { rows }
    );

    // The app itself cannot change a row...
    let refused = sqlx::query("UPDATE audit_log SET reason = 'edited' WHERE seq = 3")
        .execute(app.db())
        .await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(app.db())
            .await
            .is_err()
    );
    let wipe = match db::Backend::of(app.db()) {
        db::Backend::Sqlite => "DELETE FROM audit_log",
        db::Backend::Postgres => "TRUNCATE audit_log",
    };
    let refused = sqlx::query(wipe).execute(app.db()).await;
    assert!(refused.unwrap_err().to_string().contains("append-only"), "{wipe}");
    assert_eq!(
        audit::verify(app.db(), &app.state.config.audit_key).await.unwrap(),
        Verdict::Intact { rows }
    );

    // ...but someone with the database file can. Verify must notice, and name row 3.
    let drop_trigger = match db::Backend::of(app.db()) {
        db::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        db::Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    sqlx::query(drop_trigger).execute(app.db()).await.unwrap();
    sqlx::query("UPDATE audit_log SET reason = 'edited' WHERE seq = 3")
        .execute(app.db())
        .await
        .unwrap();
    match audit::verify(app.db(), &app.state.config.audit_key).await.unwrap() {
        Verdict::Broken { seq, .. } => assert_eq!(seq, 3),
        intact => panic!("tampering not detected: {intact:?}"),
    }

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.db_url)
        .env("LOG_LEVEL", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(stdout.contains("BROKEN at row 3"), "{stdout}");
}

#[tokio::test]
async fn concurrent_appends_never_fork_the_chain() {
    let app = spawn_app().await;
    let before = app.audit_count().await;
    let seqs = append_at_once(&[app.db()], 24).await;
    assert_eq!(seqs.len(), 24);
    assert_eq!(
        audit::verify(app.db(), &app.state.config.audit_key).await.unwrap(),
        Verdict::Intact { rows: before + 24 }
    );
}

#[tokio::test]
async fn audit_page_filters_and_pages_back() {
    let app = spawn_app().await;
    let viewer = app.signed_in(Role::Viewer).await;
    write_rows(&app, 60).await;

    let (status, first) = viewer
        .call("audit/page", json!({ "filter": { "action": "TEST." }, "before": null }))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 50);
    assert!(entries.iter().all(|e| e["action"] == "test.row"));
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first");

    let before = first["next_before"].as_i64().expect("a second page");
    let (_, second) = viewer
        .call(
            "audit/page",
            json!({ "filter": { "action": "test." }, "before": before }),
        )
        .await;
    let second: Vec<i64> = second["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(second.len(), 10);
    assert!(second.iter().all(|s| *s < *seqs.last().unwrap()));

    let (_, by_staff) = viewer
        .call(
            "audit/page",
            json!({ "filter": { "staff": "viewer@" }, "before": null }),
        )
        .await;
    let by_staff = by_staff["entries"].as_array().unwrap();
    assert!(!by_staff.is_empty() && by_staff.iter().all(|e| e["staff_email"] == "viewer@sandbox.test"));

    let (_, by_target) = viewer
        .call("audit/page", json!({ "filter": { "target": "t5" }, "before": null }))
        .await;
    let targets: Vec<&str> = by_target["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_id"].as_str().unwrap())
        .collect();
    assert_eq!(targets.len(), 11, "t5 and t50..t59: {targets:?}");

    let (status, body) = viewer
        .call(
            "audit/page",
            json!({ "filter": { "from": "2026-02-01", "to": "2026-01-01" }, "before": null }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(crate::helpers::field_message(&body, "to").is_some());

    let (_, future) = viewer
        .call(
            "audit/page",
            json!({ "filter": { "from": "2999-01-01" }, "before": null }),
        )
        .await;
    assert_eq!(future["entries"], json!([]));
    assert!(future["next_before"].is_null());
}

#[tokio::test]
async fn csv_export_streams_the_filtered_rows_and_is_audited() {
    let app = spawn_app().await;
    let compliance = app.signed_in(Role::Compliance).await;
    write_rows(&app, 1200).await;
    let response = compliance.get("/exports/audit.csv?action=test.").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("seq,at,staff_email,staff_roles,action")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 1200, "every row, across batches");
    assert!(rows.iter().all(|r| r.contains(",test.row,")));

    let row = app.last_audit("audit.export").await.unwrap();
    assert_eq!(row.staff_email.as_deref(), Some("compliance@sandbox.test"));
    assert!(row.reason.unwrap().contains("test."));

    let bad = compliance.get("/exports/audit.csv?from=someday").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_chain_rebuilt_without_the_key_does_not_verify() {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let app = spawn_app_with(&[("AUDIT_KEY", key.as_str())]).await;
    let real = app.state.config.audit_key.clone();
    write_rows(&app, 4).await;
    let rows = app.audit_count().await;
    assert_eq!(audit::verify(app.db(), &real).await.unwrap(), Verdict::Intact { rows });
    // `audit verify` needs the key: the sandbox's published one does not pass for it.
    assert!(verify_cli(&app, Some(&key)).await.contains("intact"));
    assert!(verify_cli(&app, None).await.contains("BROKEN at row 1"));

    // Someone with the database's credentials but not the key wipes the log and writes a chain
    // of their own, consistent under their key...
    for trigger in ["audit_log_no_delete", "audit_log_no_truncate"] {
        let drop = match db::Backend::of(app.db()) {
            db::Backend::Sqlite => format!("DROP TRIGGER IF EXISTS {trigger}"),
            db::Backend::Postgres => format!("DROP TRIGGER IF EXISTS {trigger} ON audit_log"),
        };
        sqlx::query(&drop).execute(app.db()).await.unwrap();
    }
    sqlx::query("DELETE FROM audit_log").execute(app.db()).await.unwrap();
    sqlx::query("UPDATE audit_head SET seq = 0, hash = $1 WHERE id = 1")
        .bind("0".repeat(64))
        .execute(app.db())
        .await
        .unwrap();
    let forged = audit::AuditKey::secret(vec![7u8; 32]);
    audit::use_key(app.db(), forged.clone());
    write_rows(&app, rows as usize).await;
    audit::use_key(app.db(), real.clone());
    assert_eq!(
        audit::verify(app.db(), &forged).await.unwrap(),
        Verdict::Intact { rows }
    );

    // ...which the real key does not accept, from its first row.
    match audit::verify(app.db(), &real).await.unwrap() {
        Verdict::Broken { seq, .. } => assert_eq!(seq, 1),
        intact => panic!("forgery not detected: {intact:?}"),
    }
    assert!(verify_cli(&app, Some(&key)).await.contains("BROKEN at row 1"));
}

/// What `backoffice audit verify` prints for the app's database, with `AUDIT_KEY` if given.
async fn verify_cli(app: &TestApp, key: Option<&str>) -> String {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_backoffice"));
    command
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.db_url)
        .env("LOG_LEVEL", "warn");
    if let Some(key) = key {
        command.env("AUDIT_KEY", key);
    }
    let output = command.output().await.unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}
