//! Test support (feature `test-support`): isolated PostgreSQL schemas for test runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{AnyPool, AssertSqlSafe, Row};
use uuid::Uuid;

use crate::StoreError;

/// The server the tests use: `SPECTASK_TEST_DATABASE_URL`, else the local `test` database.
pub fn postgres_base_url() -> String {
    std::env::var("SPECTASK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Creates a fresh schema `t_<uuidv7>` and returns a URL whose connections use it.
///
/// Schemas of earlier runs older than an hour are dropped on the way (their names carry the time).
pub async fn isolated_postgres_url() -> Result<String, StoreError> {
    sqlx::any::install_default_drivers();
    let base = postgres_base_url();
    let admin = AnyPool::connect(&base).await?;
    drop_stale_schemas(&admin).await?;
    let schema = format!("t_{}", Uuid::now_v7().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await?;
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

async fn drop_stale_schemas(admin: &AnyPool) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT nspname::text AS nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        .fetch_all(admin)
        .await?;
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    for row in rows {
        let name: String = row.try_get("nspname")?;
        let Ok(uuid) = Uuid::parse_str(&name[2..]) else {
            continue;
        };
        let Some(ts) = uuid.get_timestamp() else {
            continue;
        };
        let (secs, _) = ts.to_unix();
        if UNIX_EPOCH + Duration::from_secs(secs) < cutoff {
            sqlx::query(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE")))
                .execute(admin)
                .await?;
        }
    }
    Ok(())
}

/// Forgets that history entries were committed, as if the recorder died between its git commit and
/// marking them: the recorder must find them in git instead of appending them again.
pub async fn forget_history_commits(store: &crate::Store, seqs: &[i64]) -> Result<(), StoreError> {
    for seq in seqs {
        sqlx::query("UPDATE history_entries SET committed_at = NULL, commit_id = NULL WHERE seq = $1")
            .bind(*seq)
            .execute(&store.pool)
            .await?;
    }
    Ok(())
}

/// The stored hashes of every API token (what a copy of the database would show).
pub async fn api_token_hashes(store: &crate::Store) -> Result<Vec<String>, StoreError> {
    let rows =
        sqlx::query("SELECT token_hash FROM api_tokens ORDER BY token_hash").fetch_all(&store.pool).await?;
    rows.iter().map(|row| row.try_get("token_hash").map_err(StoreError::from)).collect()
}
