//! The store's connections: a writer and readers behind one handle, which decides where each
//! statement runs and counts the round trips to the database (every statement run outside a
//! transaction, and every transaction begun). Tests hold a read path to a constant number of them
//! whatever the number of rows it answers (`testing::round_trips`).
//!
//! On SQLite they are two pools on one WAL database. The writer has one connection: SQLite takes
//! one writer at a time, and more connections would only wait on its lock. The readers are
//! `query_only`: under WAL each reads the snapshot committed when its statement began, without
//! waiting for the writer, so a read never queues behind writes, and sees every write committed
//! before it. A statement that only reads (`SELECT`, `WITH`, `EXPLAIN`) run on its own goes to the
//! readers; every transaction (a read in one may be followed by a write) and every other statement
//! go to the writer. On PostgreSQL, whose connections write concurrently, both are one pool.
//!
//! A store may be given readers of its own that share its writer (`Store::with_own_readers`): the
//! server's API reads on them, so a dashboard's reads never queue behind the engine's statements,
//! on either database.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::stream::BoxStream;
use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyPool, Either, Execute, Executor, SqlStr, Transaction};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The writer and the readers (the same pool on PostgreSQL); cheap to clone, clones share pools
/// and count.
#[derive(Clone)]
pub(crate) struct CountedPool {
    writer: AnyPool,
    readers: AnyPool,
    round_trips: Arc<AtomicU64>,
}

impl CountedPool {
    pub(crate) fn new(writer: AnyPool, readers: AnyPool) -> Self {
        Self { writer, readers, round_trips: Arc::new(AtomicU64::new(0)) }
    }

    /// This pool's writer (and count) with other readers.
    pub(crate) fn with_readers(&self, readers: AnyPool) -> Self {
        Self { writer: self.writer.clone(), readers, round_trips: self.round_trips.clone() }
    }

    /// A new pool of at most `connections` readers, set up as this one's, then each connection
    /// given `settings` when there are any.
    pub(crate) async fn new_readers(
        &self,
        connections: u32,
        settings: Option<&'static str>,
    ) -> Result<AnyPool, sqlx::Error> {
        let mut options = self.readers.options().clone().max_connections(connections);
        if let Some(settings) = settings {
            options = options.after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute(settings).await?;
                    Ok(())
                })
            });
        }
        options.connect_with((*self.readers.connect_options()).clone()).await
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.count();
        self.writer.begin().await
    }

    /// Begins a transaction with `statement` (SQLite's `BEGIN IMMEDIATE`, say).
    pub(crate) async fn begin_with(
        &self,
        statement: &'static str,
    ) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.count();
        self.writer.begin_with(statement).await
    }

    pub(crate) async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    /// Statements run on the pool outside a transaction plus transactions begun, since it opened.
    #[cfg(feature = "test-support")]
    pub(crate) fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// Where `sql` runs: the readers when it only reads, else the writer.
    fn pool_for(&self, sql: &str) -> &AnyPool {
        if reads_only(sql) { &self.readers } else { &self.writer }
    }
}

/// Whether a statement only reads, by its first word. A `WITH` that writes would be sent to the
/// readers, which refuse it (`query_only`): the store has none.
fn reads_only(sql: &str) -> bool {
    let first = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or_default();
    ["SELECT", "WITH", "EXPLAIN"].iter().any(|word| first.eq_ignore_ascii_case(word))
}

impl fmt::Debug for CountedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountedPool").field("writer", &self.writer).field("readers", &self.readers).finish()
    }
}

/// A statement taken apart to read its SQL, which [`Execute::sql`] gives up only with the rest.
struct Routed {
    sql: SqlStr,
    arguments: Option<AnyArguments>,
    persistent: bool,
}

impl Routed {
    fn of<'q>(mut query: impl Execute<'q, Any>) -> Result<Self, BoxDynError> {
        let arguments = query.take_arguments()?;
        let persistent = query.persistent();
        Ok(Self { sql: query.sql(), arguments, persistent })
    }
}

impl Execute<'_, Any> for Routed {
    fn sql(self) -> SqlStr {
        self.sql
    }

    fn statement(&self) -> Option<&AnyStatement> {
        None
    }

    fn take_arguments(&mut self) -> Result<Option<AnyArguments>, BoxDynError> {
        Ok(self.arguments.take())
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

/// Every statement goes through `fetch_many` or `fetch_optional` (sqlx's other methods are built
/// on them), so each is counted once.
impl<'p> Executor<'p> for &'_ CountedPool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        self.count();
        match Routed::of(query) {
            Ok(routed) => self.pool_for(routed.sql.as_str()).fetch_many(routed),
            Err(e) => Box::pin(futures::stream::once(async { Err(sqlx::Error::Encode(e)) })),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        self.count();
        match Routed::of(query) {
            Ok(routed) => self.pool_for(routed.sql.as_str()).fetch_optional(routed),
            Err(e) => Box::pin(async { Err(sqlx::Error::Encode(e)) }),
        }
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        self.count();
        self.pool_for(sql.as_str()).prepare_with(sql, parameters)
    }
}

#[cfg(test)]
mod tests {
    use super::reads_only;
    use crate::{DatabaseUrl, Store};

    /// A store with readers of its own reads while every reader of the one it comes from is held,
    /// and sees what was written through that one. On PostgreSQL those readers are all of the
    /// engine's connections.
    async fn own_readers_read_while_the_others_are_all_held(store: Store) {
        let apart = store.with_own_readers().await.unwrap();
        store.register_node("node-a", "http://127.0.0.1:1").await.unwrap();
        let readers = &store.pool.readers;
        let mut held = Vec::new();
        for _ in 0..readers.options().get_max_connections() {
            held.push(readers.acquire().await.unwrap());
        }
        assert_eq!(readers.num_idle(), 0, "every reader of the first store is held");
        // Were its readers the first store's, this would wait for one and fail once the acquire
        // timed out.
        let seen = sqlx::query("SELECT COUNT(*) AS n FROM nodes").fetch_one(&apart.pool).await.unwrap();
        assert_eq!(crate::database::codec::get::<i64>(&seen, "n").unwrap(), 1);
        drop(held);
        // They refuse to write, on either database: a write the store sent them by mistake fails
        // on both alike.
        let write = sqlx::query("DELETE FROM nodes").execute(&apart.pool.readers).await;
        assert!(write.is_err(), "the own readers wrote: {write:?}");
        let left = sqlx::query("SELECT COUNT(*) AS n FROM nodes").fetch_one(&store.pool).await.unwrap();
        assert_eq!(crate::database::codec::get::<i64>(&left, "n").unwrap(), 1);
    }

    #[tokio::test]
    async fn own_readers_read_while_the_others_are_all_held_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::sqlite_in(dir.path())).await.unwrap();
        own_readers_read_while_the_others_are_all_held(store).await;
    }

    #[tokio::test]
    async fn own_readers_read_while_the_others_are_all_held_on_postgres() {
        let url = crate::testing::isolated_postgres_url().await.unwrap();
        let store = Store::open(&DatabaseUrl::parse(&url).unwrap()).await.unwrap();
        own_readers_read_while_the_others_are_all_held(store).await;
    }

    #[test]
    fn tells_reads_by_their_first_word() {
        for sql in ["SELECT 1", "  select x FROM t", "WITH RECURSIVE b(id) AS (SELECT 1) SELECT id FROM b"] {
            assert!(reads_only(sql), "{sql}");
        }
        assert!(reads_only("EXPLAIN QUERY PLAN SELECT 1"));
        for sql in
            ["INSERT INTO t VALUES (1)", "UPDATE t SET x = 1", "DELETE FROM t", "VACUUM", "", "SELECTED"]
        {
            assert!(!reads_only(sql), "{sql}");
        }
    }
}
