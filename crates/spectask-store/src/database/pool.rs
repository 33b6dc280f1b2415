//! The store's connection pool, counting its round trips to the database: every statement run on
//! the pool outside a transaction, and every transaction begun. Tests hold a read path to a
//! constant number of them whatever the number of rows it answers (`testing::round_trips`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::stream::BoxStream;
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, AnyPool, Either, Execute, Executor, SqlStr, Transaction};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An [`AnyPool`] that counts what is run on it; cheap to clone, clones share pool and count.
#[derive(Clone)]
pub(crate) struct CountedPool {
    pool: AnyPool,
    round_trips: Arc<AtomicU64>,
}

impl CountedPool {
    pub(crate) fn new(pool: AnyPool) -> Self {
        Self { pool, round_trips: Arc::new(AtomicU64::new(0)) }
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.count();
        self.pool.begin().await
    }

    /// Begins a transaction with `statement` (SQLite's `BEGIN IMMEDIATE`, say).
    pub(crate) async fn begin_with(
        &self,
        statement: &'static str,
    ) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.count();
        self.pool.begin_with(statement).await
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Statements run on the pool outside a transaction plus transactions begun, since it opened.
    #[cfg(feature = "test-support")]
    pub(crate) fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for CountedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pool.fmt(f)
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
        (&self.pool).fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        self.count();
        (&self.pool).fetch_optional(query)
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
        (&self.pool).prepare_with(sql, parameters)
    }
}
