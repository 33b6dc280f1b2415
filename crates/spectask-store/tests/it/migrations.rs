//! The schema's migrations are checked, not trusted: a database on which a migration was applied that
//! the binary no longer has, or whose text changed after it was applied, is refused with a message
//! naming the migration.

use spectask_store::{DatabaseUrl, Store, StoreError};
use sqlx::AnyPool;

/// A migrated database and its URL, on each backend (the temp dir keeps the SQLite file alive).
async fn migrated(backend: &str) -> (DatabaseUrl, String, Option<tempfile::TempDir>) {
    let (url, connect, dir) = if backend == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite_in(dir.path());
        let connect = format!("sqlite://{}", dir.path().join("spectask.db").display());
        (url, connect, Some(dir))
    } else {
        let url = spectask_store::testing::isolated_postgres_url().await.unwrap();
        (DatabaseUrl::parse(&url).unwrap(), url, None)
    };
    Store::open(&url).await.unwrap().close().await;
    (url, connect, dir)
}

async fn tamper(connect: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(connect).await.unwrap();
    let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
    pool.close().await;
}

async fn reopen_fails(url: &DatabaseUrl) -> String {
    match Store::open(url).await {
        Ok(_) => panic!("a database with a tampered migration history was opened"),
        Err(e @ StoreError::Migrate(_)) => e.to_string(),
        Err(other) => panic!("expected a migration error, got {other:?}"),
    }
}

async fn an_edited_migration_is_refused(backend: &str) {
    let (url, connect, _dir) = migrated(backend).await;
    Store::open(&url).await.unwrap().close().await; // the same set opens again
    let blob = if backend == "sqlite" { "X'00'" } else { "'\\x00'::bytea" };
    tamper(&connect, &format!("UPDATE _sqlx_migrations SET checksum = {blob} WHERE version = 2")).await;
    let message = reopen_fails(&url).await;
    assert!(message.contains("migration 2 was previously applied but has been modified"), "{message}");
}

async fn a_missing_migration_is_refused(backend: &str) {
    let (url, connect, _dir) = migrated(backend).await;
    let checksum = if backend == "sqlite" { "X'00'" } else { "'\\x00'::bytea" };
    tamper(
        &connect,
        &format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from a newer binary', TRUE, {checksum}, 0)"
        ),
    )
    .await;
    let message = reopen_fails(&url).await;
    assert!(message.contains("migration 9999 was previously applied but is missing"), "{message}");
}

mod on_sqlite {
    #[tokio::test(flavor = "multi_thread")]
    async fn an_edited_migration_is_refused() {
        super::an_edited_migration_is_refused("sqlite").await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn a_missing_migration_is_refused() {
        super::a_missing_migration_is_refused("sqlite").await
    }
}

mod on_postgres {
    #[tokio::test(flavor = "multi_thread")]
    async fn an_edited_migration_is_refused() {
        super::an_edited_migration_is_refused("postgres").await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn a_missing_migration_is_refused() {
        super::a_missing_migration_is_refused("postgres").await
    }
}
