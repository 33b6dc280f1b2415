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

/// A database of its own on the tests' server, dropped when this is dropped (a panicking test's
/// too): for tests that must not hear other tests' notifications (`NOTIFY` reaches every schema of
/// a database). Databases a killed test run left behind are dropped by a later run once they are
/// an hour old (their names carry the time).
#[derive(Debug)]
pub struct IsolatedDatabase {
    /// The database's URL.
    pub url: String,
    name: String,
}

/// Creates a fresh database `d_<uuidv7>` on the tests' server.
pub async fn isolated_postgres_database() -> Result<IsolatedDatabase, StoreError> {
    sqlx::any::install_default_drivers();
    let base = postgres_base_url();
    let admin = AnyPool::connect(&base).await?;
    let stale =
        stale_names(&admin, "SELECT datname::text AS name FROM pg_database WHERE datname LIKE 'd\\_%'");
    for name in stale.await? {
        drop_database(&admin, &name).await?;
    }
    let name = format!("d_{}", Uuid::now_v7().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
    admin.close().await;
    let mut url = url::Url::parse(&base)
        .map_err(|e| StoreError::InvalidUrl { url: base.clone(), reason: e.to_string() })?;
    url.set_path(&name);
    Ok(IsolatedDatabase { url: url.to_string(), name })
}

impl IsolatedDatabase {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Whether the tests' server has a database named `name`.
pub async fn postgres_database_exists(name: &str) -> Result<bool, StoreError> {
    let admin = AnyPool::connect(&postgres_base_url()).await?;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&admin)
        .await?;
    admin.close().await;
    Ok(row.try_get::<i64, _>("n")? == 1)
}

impl Drop for IsolatedDatabase {
    /// Drops the database, closing the connections still open to it (`WITH (FORCE)`), on a thread
    /// and runtime of its own: `Drop` cannot wait on the test's runtime.
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(async {
                    let admin = AnyPool::connect(&postgres_base_url()).await?;
                    drop_database(&admin, &name).await?;
                    admin.close().await;
                    Ok::<_, StoreError>(())
                })
                .map_err(|e| e.to_string())
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("test database {} was not dropped: {err}", self.name),
            Err(_) => eprintln!("test database {} was not dropped: the dropping thread panicked", self.name),
        }
    }
}

async fn drop_database(admin: &AnyPool, name: &str) -> Result<(), StoreError> {
    sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(admin).await?;
    Ok(())
}

async fn drop_stale_schemas(admin: &AnyPool) -> Result<(), StoreError> {
    let stale =
        stale_names(admin, "SELECT nspname::text AS name FROM pg_namespace WHERE nspname LIKE 't\\_%'");
    for name in stale.await? {
        sqlx::query(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE"))).execute(admin).await?;
    }
    Ok(())
}

/// The names `query` lists (as `name`, each a letter, `_` and a UUIDv7) made over an hour ago.
async fn stale_names(admin: &AnyPool, query: &'static str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(query).fetch_all(admin).await?;
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    let mut stale = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        let Some(ts) = Uuid::parse_str(&name[2..]).ok().and_then(|uuid| uuid.get_timestamp()) else {
            continue;
        };
        let (secs, _) = ts.to_unix();
        if UNIX_EPOCH + Duration::from_secs(secs) < cutoff {
            stale.push(name);
        }
    }
    Ok(stale)
}

/// Starts the store's event tail with a ring of `capacity` events, so that a test can move past it
/// with a few writes. Call it before anything reads the event stream (a started tail is kept).
pub async fn start_event_tail(store: &crate::Store, capacity: usize) -> Result<crate::EventTail, StoreError> {
    store.event_tail_holding(capacity).await
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

/// The store's round trips to the database so far: statements run outside a transaction plus
/// transactions begun. A read path answering in a constant number of queries moves it by the same
/// amount for 1 row as for 30.
pub fn round_trips(store: &crate::Store) -> u64 {
    store.pool.round_trips()
}

/// Another store on the same database, to watch what an engine on `url` does without taking part in
/// its figures: its round trips are its own, and its statements are not logged (the `sqlx::query`
/// events a benchmark counts).
pub async fn observer(url: &crate::DatabaseUrl) -> Result<crate::Store, StoreError> {
    crate::Store::open_logged(url, false).await
}

/// The stored hashes of every API token (what a copy of the database would show).
pub async fn api_token_hashes(store: &crate::Store) -> Result<Vec<String>, StoreError> {
    let rows =
        sqlx::query("SELECT token_hash FROM api_tokens ORDER BY token_hash").fetch_all(&store.pool).await?;
    rows.iter().map(|row| row.try_get("token_hash").map_err(StoreError::from)).collect()
}

/// The statuses [`seed_spec_tasks`] deals out in turn (none needs a failure reason).
const SEEDED_STATUSES: [&str; 6] =
    ["done", "implementation", "spec_review", "backlog", "cancelled", "implementation_queued"];

/// Rows per `INSERT` of [`seed_spec_tasks`] (21 parameters each, well under both backends' limits).
const SEED_BATCH: usize = 500;

/// Writes `count` SpecTasks of `created_by` in `repository_id` straight into `spec_tasks`, in one
/// transaction of multi-row inserts, without events or jobs: what a benchmark lists, loaded in
/// seconds rather than through `count` API calls. Each is created one millisecond after the one
/// before, ending now; statuses go round [`SEEDED_STATUSES`], and waiting ones say why they wait.
pub async fn seed_spec_tasks(
    store: &crate::Store,
    repository_id: spectask_core::RepositoryId,
    created_by: &str,
    count: usize,
) -> Result<(), StoreError> {
    let start = crate::database::codec::millis(crate::database::codec::now())
        - i64::try_from(count).unwrap_or(i64::MAX);
    let first_short = u32::from_be_bytes(Uuid::now_v7().into_bytes()[12..].try_into().unwrap_or_default());
    let mut tx = store.pool.begin().await?;
    let mut seeded = 0;
    while seeded < count {
        let rows = SEED_BATCH.min(count - seeded);
        let values: Vec<String> = (0..rows)
            .map(|row| {
                let first = row * 21;
                let params: Vec<String> = (first + 1..=first + 21).map(|n| format!("${n}")).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO spec_tasks (id, short_id, slug, title, prompt, kind, status, failed_from, error, \
             repository_id, planning_agent, implementation_agent, priority, spec_version, created_by, \
             created_at, updated_at, started_at, completed_at, version, queue_reason) VALUES {}",
            values.join(", ")
        );
        let mut insert = sqlx::query(crate::database::connect::fixed_sql(sql));
        for n in seeded..seeded + rows {
            // The short id is the uuid's last 4 bytes: counting there keeps 100,000 of them apart.
            let mut bytes = Uuid::now_v7().into_bytes();
            let counted = first_short.wrapping_add(u32::try_from(n).unwrap_or(u32::MAX));
            bytes[12..].copy_from_slice(&counted.to_be_bytes());
            let id = spectask_core::SpecTaskId::from_uuid(Uuid::from_bytes(bytes));
            let status = SEEDED_STATUSES[n % SEEDED_STATUSES.len()];
            let created_at = start + i64::try_from(n).unwrap_or(i64::MAX);
            let waiting = matches!(status, "backlog" | "implementation_queued");
            insert = insert
                .bind(id.to_string())
                .bind(spectask_core::ShortId::of(id).to_string())
                .bind(format!("seeded-task-{n}"))
                .bind(format!("Seeded task {n}"))
                .bind(format!("Seeded task {n}: add pagination to the items list of the service"))
                .bind("spec")
                .bind(status)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(repository_id.to_string())
                .bind(Some("planner"))
                .bind(Some("coder"))
                .bind(spectask_core::Priority::Normal.rank())
                .bind(i64::from(status != "backlog"))
                .bind(created_by)
                .bind(created_at)
                .bind(created_at)
                .bind(None::<i64>)
                .bind(None::<i64>)
                .bind(1_i64)
                .bind(waiting.then_some("waiting for a free agent slot (8 tasks at work, the limit is 8)"));
        }
        insert.execute(&mut *tx).await?;
        seeded += rows;
    }
    tx.commit().await?;
    Ok(())
}

/// Makes every update of a SpecTask fail as a busy database would ("database is locked"), or stops
/// doing so: a fault for the writes that move tasks (admission, say), injected with a trigger.
pub async fn refuse_task_updates(store: &crate::Store, refuse: bool) -> Result<(), StoreError> {
    let statements: &[&str] = match (store.backend, refuse) {
        (crate::Backend::Sqlite, true) => {
            &["CREATE TRIGGER refuse_task_updates BEFORE UPDATE ON spec_tasks \
              BEGIN SELECT RAISE(ABORT, 'database is locked'); END"]
        }
        (crate::Backend::Postgres, true) => &[
            "CREATE FUNCTION refuse_task_updates() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'database is locked'; END $$",
            "CREATE TRIGGER refuse_task_updates BEFORE UPDATE ON spec_tasks \
             FOR EACH ROW EXECUTE FUNCTION refuse_task_updates()",
        ],
        (crate::Backend::Sqlite, false) => &["DROP TRIGGER refuse_task_updates"],
        (crate::Backend::Postgres, false) => {
            &["DROP TRIGGER refuse_task_updates ON spec_tasks", "DROP FUNCTION refuse_task_updates()"]
        }
    };
    for statement in statements {
        sqlx::query(*statement).execute(&store.pool).await?;
    }
    Ok(())
}

/// Makes every node's lease lapse now, as renewals coming too late (a loaded machine) would; returns
/// how many.
pub async fn lapse_node_leases(store: &crate::Store) -> Result<u64, StoreError> {
    let done = sqlx::query("UPDATE node_leases SET expires_at = 0").execute(&store.pool).await?;
    Ok(done.rows_affected())
}

pub use crate::tasks::listing::ListingPlans;

/// How the database runs the SpecTask listing's count and page queries for `filter`.
pub async fn listing_plans(
    store: &crate::Store,
    filter: &crate::SpecTaskFilter,
) -> Result<ListingPlans, StoreError> {
    store.listing_plans(filter).await
}

/// Brings PostgreSQL's statistics and visibility map of `spec_tasks` up to date (`VACUUM ANALYZE`,
/// what autovacuum does in time), so that its planner chooses as it will on a database in use.
/// Nothing on SQLite, whose planner spectask leaves without statistics.
pub async fn vacuum_spec_tasks(store: &crate::Store) -> Result<(), StoreError> {
    if store.backend() == crate::Backend::Postgres {
        sqlx::query("VACUUM ANALYZE spec_tasks").execute(&store.pool).await?;
    }
    Ok(())
}

/// Moves the decisions on the approvals of `session` back by `by`, as if they were made that long
/// ago.
pub async fn backdate_approval_decisions(
    store: &crate::Store,
    session: spectask_core::WorkSessionId,
    by: Duration,
) -> Result<(), StoreError> {
    let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE approvals SET decided_at = decided_at - $1 WHERE work_session_id = $2 AND decided_at IS NOT NULL")
        .bind(by)
        .bind(session.to_string())
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Moves every usage ledger entry back by `by`, as if it was spent that long ago (a daily budget's
/// day ending).
pub async fn backdate_usage(store: &crate::Store, by: Duration) -> Result<(), StoreError> {
    let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE usage_entries SET at = at - $1").bind(by).execute(&store.pool).await?;
    Ok(())
}

/// Moves a repository's `updated_at` forward by `by`, as a node whose clock runs ahead stamps it.
pub async fn postdate_repository(
    store: &crate::Store,
    id: spectask_core::RepositoryId,
    by: Duration,
) -> Result<(), StoreError> {
    let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE repositories SET updated_at = updated_at + $1 WHERE id = $2")
        .bind(by)
        .bind(id.to_string())
        .execute(&store.pool)
        .await?;
    Ok(())
}
