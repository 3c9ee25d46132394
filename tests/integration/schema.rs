//! The two migration folders describe one schema: after both run, SQLite and PostgreSQL hold the
//! same tables, with the same columns (name, type, whether NULL is allowed, default) and the same
//! indexes. Runs where the suite has a PostgreSQL server (scripts/with-postgres.sh).

use std::collections::BTreeSet;

use backoffice::server::db;

use crate::helpers::fresh_database;

/// (table, column, type, not null, default) and (index, table) in a comparable form.
type Schema = (
    BTreeSet<(String, String, String, bool, Option<String>)>,
    BTreeSet<(String, String)>,
);

async fn sqlite_schema(db: &db::Db) -> Schema {
    let columns: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT m.name, c.name, lower(c.type), c.\"notnull\" + c.pk, c.dflt_value
         FROM sqlite_master m, pragma_table_info(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT IN ('_sqlx_migrations', 'tower_sessions')",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, tbl_name FROM sqlite_master
         WHERE type = 'index' AND sql IS NOT NULL AND tbl_name NOT IN ('_sqlx_migrations', 'tower_sessions')",
    )
    .fetch_all(db)
    .await
    .unwrap();
    (
        columns
            .into_iter()
            .map(|(t, c, ty, not_null, default)| (t, c, ty, not_null > 0, default.map(|d| d.to_lowercase())))
            .collect(),
        indexes.into_iter().collect(),
    )
}

async fn postgres_schema(db: &db::Db) -> Schema {
    let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    // Indexes made by CREATE INDEX, not the ones PRIMARY KEY and UNIQUE columns bring.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexname::text, i.tablename::text FROM pg_indexes i
         WHERE i.schemaname = 'public' AND i.tablename <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .fetch_all(db)
    .await
    .unwrap();
    (
        columns
            .into_iter()
            .map(|(t, c, ty, nullable, default)| (t, c, ty, nullable == "NO", default.map(|d| d.to_lowercase())))
            .collect(),
        indexes.into_iter().collect(),
    )
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    if std::env::var("TEST_POSTGRES_URL").is_err() {
        eprintln!("no TEST_POSTGRES_URL: the schemas are compared in the PostgreSQL run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = db::connect(&format!("sqlite://{}", dir.path().join("schema.db").display()))
        .await
        .unwrap();
    let postgres = db::connect(&fresh_database(&dir).await).await.unwrap();
    assert_eq!(db::Backend::of(&postgres), db::Backend::Postgres);

    let (sqlite_columns, sqlite_indexes) = sqlite_schema(&sqlite).await;
    let (pg_columns, pg_indexes) = postgres_schema(&postgres).await;
    // PostgreSQL names SQLite's declared types its own way, and quotes its text defaults with a cast.
    let pg_columns: BTreeSet<_> = pg_columns
        .into_iter()
        .map(|(t, c, ty, not_null, default)| {
            let ty = match ty.as_str() {
                "text" => "text".to_owned(),
                "bigint" => "bigint".to_owned(),
                "boolean" => "boolean".to_owned(),
                other => panic!("{t}.{c} has the type {other}, which migrations/sqlite does not use"),
            };
            (
                t,
                c,
                ty,
                not_null,
                default.map(|d| d.trim_end_matches("::text").to_owned()),
            )
        })
        .collect();
    assert!(
        sqlite_columns.len() > 100,
        "the comparison sees the schema: {sqlite_columns:?}"
    );
    assert_eq!(
        sqlite_columns.symmetric_difference(&pg_columns).collect::<Vec<_>>(),
        Vec::<&(String, String, String, bool, Option<String>)>::new(),
        "columns that differ between migrations/sqlite and migrations/postgres"
    );
    assert_eq!(
        sqlite_indexes.symmetric_difference(&pg_indexes).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "indexes that differ between migrations/sqlite and migrations/postgres"
    );
}
