//! Opening the database: URL parsing, connection settings and the embedded migrations.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, Executor, SqlSafeStr};

use crate::{Backend, Store, StoreError};

/// Where the data lives: an SQLite file (the default, under the data dir) or a PostgreSQL URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl DatabaseUrl {
    /// The default database: `spectask.db` in the data directory.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        Self::Sqlite { path: data_dir.join("spectask.db") }
    }

    /// Accepts `postgres://…`, `postgresql://…`, `sqlite://PATH` and `sqlite:PATH`.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidUrl { url: redact(url), reason: reason.to_owned() };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres { url: url.to_owned() });
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(invalid("the sqlite url names no file"));
            }
            return Ok(Self::Sqlite { path: PathBuf::from(path) });
        }
        Err(invalid("expected postgres://… or sqlite://PATH"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, for logs and messages.
    pub fn display(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("sqlite://{}", path.display()),
            Self::Postgres { url } => redact(url),
        }
    }
}

/// Hides the password of a `scheme://user:password@host` URL.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

impl Store {
    /// Connects, creating the SQLite file (and its directory) when missing, and migrates the schema.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = url.backend();
        let (connect_url, options) = match url {
            DatabaseUrl::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
                }
                let options = AnyPoolOptions::new().max_connections(4).after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(SQLITE_PRAGMAS).await?;
                        Ok(())
                    })
                });
                (format!("sqlite://{}?mode=rwc", path.display()), options)
            }
            DatabaseUrl::Postgres { url } => (url.clone(), AnyPoolOptions::new().max_connections(10)),
        };
        let pool = options.acquire_timeout(Duration::from_secs(15)).connect(&connect_url).await?;
        migrator(backend).run(&pool).await?;
        tracing::debug!(database = %url.display(), "store opened");
        Ok(Store {
            pool,
            backend,
            url: url.clone(),
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
            jobs_signal: Arc::new(tokio::sync::Notify::new()),
            events_feed: crate::events_stream::EventFeed::new(),
        })
    }
}

/// The schema migrations, embedded in the binary; one directory per backend.
fn migrator(backend: Backend) -> Migrator {
    let files: &[(i64, &str, &'static str)] = match backend {
        Backend::Sqlite => &[
            (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
            (2, "jobs", include_str!("../migrations/sqlite/0002_jobs.sql")),
            (3, "queue_reason", include_str!("../migrations/sqlite/0003_queue_reason.sql")),
            (4, "history", include_str!("../migrations/sqlite/0004_history.sql")),
            (5, "task_leases", include_str!("../migrations/sqlite/0005_task_leases.sql")),
            (6, "recorder_leases", include_str!("../migrations/sqlite/0006_recorder_leases.sql")),
            (10, "merge_policy", include_str!("../migrations/sqlite/0010_merge_policy.sql")),
            (11, "session_messages", include_str!("../migrations/sqlite/0011_session_messages.sql")),
            (14, "touched_paths", include_str!("../migrations/sqlite/0014_touched_paths.sql")),
        ],
        Backend::Postgres => &[
            (1, "init", include_str!("../migrations/postgres/0001_init.sql")),
            (2, "jobs", include_str!("../migrations/postgres/0002_jobs.sql")),
            (3, "queue_reason", include_str!("../migrations/postgres/0003_queue_reason.sql")),
            (4, "history", include_str!("../migrations/postgres/0004_history.sql")),
            (5, "task_leases", include_str!("../migrations/postgres/0005_task_leases.sql")),
            (6, "recorder_leases", include_str!("../migrations/postgres/0006_recorder_leases.sql")),
            (10, "merge_policy", include_str!("../migrations/postgres/0010_merge_policy.sql")),
            (11, "session_messages", include_str!("../migrations/postgres/0011_session_messages.sql")),
            (14, "touched_paths", include_str!("../migrations/postgres/0014_touched_paths.sql")),
        ],
    };
    let migrations = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

/// Runs SQL text that is assembled from fixed fragments only (never from input).
pub(crate) fn fixed_sql(sql: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite { path: "/tmp/x.db".into() }
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:rel.db").unwrap(),
            DatabaseUrl::Sqlite { path: "rel.db".into() }
        );
        assert_eq!(DatabaseUrl::parse("postgresql://h/db").unwrap().backend(), Backend::Postgres);
        let err = DatabaseUrl::parse("mysql://root:hunter2@h/db").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid database url \"mysql://root:***@h/db\": expected postgres://… or sqlite://PATH"
        );
    }
}
