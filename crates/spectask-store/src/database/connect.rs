//! Opening the database: URL parsing, connection settings and the embedded migrations.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use spectask_core::SpecTaskId;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AssertSqlSafe, ConnectOptions, Executor};

use crate::database::pool::CountedPool;
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

/// Creates the database file readable and writable by its owner only (0600), when it does not
/// exist yet: it holds every user's work. SQLite gives its journal files the same mode.
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::DataDir { path: path.display().to_string(), source }),
    }
}

/// Hides the password of a `scheme://user:password@host` URL. A URL that does not parse is hidden
/// whole after its scheme: it may hold a password the parser could not find.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Cannot fail on a URL that has a password, hence a host.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".to_owned(),
        },
    }
}

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// The readers' settings: the writer has made the database WAL, and they refuse to write.
const SQLITE_READER_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA query_only = ON;";

/// SQLite's reading connections (see `database::pool`); it has one writing connection.
const SQLITE_READERS: u32 = 4;

/// PostgreSQL's connections, reading and writing.
const POSTGRES_CONNECTIONS: u32 = 10;

/// The reading connections a PostgreSQL store given readers of its own opens beside the engine's.
const POSTGRES_OWN_READERS: u32 = 4;

/// Those readers' settings: they refuse to write, as SQLite's do.
const POSTGRES_READER_SETTINGS: &str = "SET default_transaction_read_only = on";

/// How long a statement waits for a connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

impl Store {
    /// Connects, creating the SQLite file (and its directory) when missing, and migrates the schema.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, StoreError> {
        Self::open_logged(url, true).await
    }

    /// [`Store::open`], with sqlx's statement log (`sqlx::query` events) on or off.
    pub(crate) async fn open_logged(url: &DatabaseUrl, logged: bool) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = url.backend();
        let connect_url = match url {
            DatabaseUrl::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
                }
                create_private(path)?;
                format!("sqlite://{}?mode=rwc", path.display())
            }
            DatabaseUrl::Postgres { url } => url.clone(),
        };
        let mut connect = AnyConnectOptions::from_str(&connect_url)?;
        if !logged {
            connect = connect.disable_statement_logging();
        }
        let pool = match backend {
            Backend::Sqlite => {
                let writer = sqlite_pool(1, SQLITE_PRAGMAS).connect_with(connect.clone()).await?;
                migrator(backend).run(&writer).await?;
                let readers =
                    sqlite_pool(SQLITE_READERS, SQLITE_READER_PRAGMAS).connect_with(connect).await?;
                CountedPool::new(writer, readers)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(POSTGRES_CONNECTIONS)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(connect)
                    .await?;
                migrator(backend).run(&pool).await?;
                CountedPool::new(pool.clone(), pool)
            }
        };
        tracing::debug!(database = %url.display(), "store opened");
        Ok(Store {
            pool,
            backend,
            url: url.clone(),
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
            jobs_signal: Arc::new(tokio::sync::Notify::new()),
            history_signal: Arc::new(tokio::sync::Notify::new()),
            admission_due: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            events_feed: crate::events::wakeups::EventFeed::new(),
            event_tail: Arc::default(),
        })
    }
}

impl Store {
    /// This store with reading connections of its own: its reads never queue behind the
    /// statements of the store it comes from (the server's API reads behind the engine's, say).
    /// It shares the writer, and sees every write committed before each read as any reader does.
    /// On SQLite the readers are set up as the first store's; on PostgreSQL, whose one pool
    /// serves the engine's reads and writes, they are a smaller pool beside it. On both they
    /// refuse to write.
    pub async fn with_own_readers(&self) -> Result<Store, StoreError> {
        let readers = match self.backend {
            // Set up as the first store's readers are: `query_only`.
            Backend::Sqlite => self.pool.new_readers(SQLITE_READERS, None).await?,
            Backend::Postgres => {
                self.pool.new_readers(POSTGRES_OWN_READERS, Some(POSTGRES_READER_SETTINGS)).await?
            }
        };
        let pool = self.pool.with_readers(readers);
        Ok(Store { pool, ..self.clone() })
    }
}

/// A pool of at most `connections` SQLite connections, each set up with `pragmas`.
fn sqlite_pool(connections: u32, pragmas: &'static str) -> AnyPoolOptions {
    AnyPoolOptions::new().max_connections(connections).acquire_timeout(ACQUIRE_TIMEOUT).after_connect(
        move |conn, _| {
            Box::pin(async move {
                conn.execute(pragmas).await?;
                Ok(())
            })
        },
    )
}

/// The schema migrations of each backend: every file of `migrations/<backend>/`, embedded at build
/// time (`build.rs` rebuilds when the directory changes). `run` refuses a database on which a migration
/// was applied that is no longer in the set, or whose text has changed since (checksums).
static SQLITE_MIGRATIONS: Migrator = sqlx_macros::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx_macros::migrate!("migrations/postgres");

fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// `$first, $first+1, …`: `count` placeholders for an `IN (…)` list whose values are bound.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// The rows of a query over several SpecTasks at once: `sql` is given the placeholders of the
/// `IN (…)` list that names them (`$n` from after the `leading` values, which are bound first) and
/// returns the whole statement. No tasks, no query.
pub(crate) async fn fetch_of_tasks(
    pool: &CountedPool,
    tasks: &[SpecTaskId],
    leading: &[&str],
    sql: impl FnOnce(&str) -> String,
) -> Result<Vec<AnyRow>, StoreError> {
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sql(&placeholders(leading.len() + 1, tasks.len()));
    let mut query = sqlx::query(fixed_sql(sql));
    for value in leading {
        query = query.bind(*value);
    }
    for task in tasks {
        query = query.bind(task.to_string());
    }
    Ok(query.fetch_all(pool).await?)
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

    #[test]
    fn redacts_passwords_holding_at_signs_and_colons() {
        let url = DatabaseUrl::parse("postgres://app:p@ss:w%40rd@db.internal:5432/prod").unwrap();
        let shown = url.display();
        assert_eq!(shown, "postgres://app:***@db.internal:5432/prod");
        for secret in ["p@ss", "ss:w", "w%40rd", "w@rd"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        let no_password = DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert_eq!(no_password.display(), "postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(redact("postgres://u:pw@[::1"), "postgres://***", "an unparsable URL is hidden whole");
    }

    /// Both backends have the same migrations (by number and name), and every `.sql` file of their
    /// directories is in the embedded set.
    #[test]
    fn every_migration_file_is_embedded_for_both_backends() {
        let listed = |backend: &str| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let embedded = |backend: Backend| {
            migrator(backend)
                .iter()
                .map(|m| format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_")))
                .collect::<Vec<_>>()
        };
        assert_eq!(listed("sqlite"), listed("postgres"), "the backends' migration files differ");
        assert_eq!(embedded(Backend::Sqlite), listed("sqlite"));
        assert_eq!(embedded(Backend::Postgres), listed("postgres"));
        assert!(embedded(Backend::Sqlite).len() >= 9);
    }
}
