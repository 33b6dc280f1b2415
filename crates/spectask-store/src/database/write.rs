//! Write transactions: one writer at a time on SQLite, commit-ordered events on PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{Any, Transaction};
use tokio::sync::{MutexGuard, Notify};

use crate::events::wakeups::EventFeed;
use crate::{Backend, Store, StoreError};

/// A transaction that may write state, events and jobs. Dropping it without `commit` rolls back.
pub(crate) struct WriteTx<'s> {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) backend: Backend,
    /// Set when the transaction made work for the orchestrator: committing then wakes it.
    wakes_orchestrator: bool,
    jobs_signal: Arc<Notify>,
    /// Set by `insert_history`: committing then wakes this process's history recorder.
    pub(crate) appended_history: bool,
    history_signal: Arc<Notify>,
    /// Set when a SpecTask was created or moved: committing then marks admission due.
    moves_admission: bool,
    admission_due: Arc<AtomicBool>,
    /// Set by `append_event`: committing then wakes the readers of the event stream.
    pub(crate) appended_events: bool,
    pub(crate) events_feed: Arc<EventFeed>,
    _gate: Option<MutexGuard<'s, ()>>,
}

impl Store {
    /// Begins a write transaction.
    ///
    /// On PostgreSQL it takes a transaction-scoped advisory lock first, so event sequence numbers
    /// become visible in the order they were assigned: a reader that has seen event N has seen every
    /// event before it (the live event stream and its `Last-Event-ID` replay rely on this).
    ///
    /// On SQLite it begins `IMMEDIATE`, taking the database's write lock at once: a deferred
    /// transaction that read first and then writes fails at once with "database is locked" when a
    /// write outside this process's gate (an autocommit statement, another process) committed in
    /// between, where an immediate one waits for it (`busy_timeout`) and then sees it.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>, StoreError> {
        let gate = match self.backend {
            Backend::Sqlite => Some(self.write_gate.lock().await),
            Backend::Postgres => None,
        };
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock(7070)").fetch_one(&mut *tx).await?;
        }
        Ok(WriteTx {
            tx,
            backend: self.backend,
            wakes_orchestrator: false,
            jobs_signal: self.jobs_signal.clone(),
            appended_history: false,
            history_signal: self.history_signal.clone(),
            moves_admission: false,
            admission_due: self.admission_due.clone(),
            appended_events: false,
            events_feed: self.events_feed.clone(),
            _gate: gate,
        })
    }
}

impl WriteTx<'_> {
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        self.announce_events().await?;
        self.tx.commit().await?;
        if self.moves_admission {
            // Before the wake-up, so the engine it wakes sees it.
            self.admission_due.store(true, Ordering::Release);
        }
        if self.wakes_orchestrator {
            self.jobs_signal.notify_one();
        }
        if self.appended_history {
            self.history_signal.notify_one();
        }
        if self.appended_events {
            self.events_feed.bump();
        }
        Ok(())
    }

    /// A SpecTask was created or moved: once committed, admission is due on this node (and, woken,
    /// on the others).
    pub(crate) async fn moves_admission(&mut self) -> Result<(), StoreError> {
        if !self.moves_admission && self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 AS sent FROM pg_notify('spectask_jobs', 'admission')")
                .fetch_one(&mut *self.tx)
                .await?;
        }
        self.moves_admission = true;
        self.wake_orchestrator().await
    }

    /// Wakes the orchestrator of this node once committed, and (PostgreSQL) those of other nodes.
    pub(crate) async fn wake_orchestrator(&mut self) -> Result<(), StoreError> {
        if !self.wakes_orchestrator && self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 AS sent FROM pg_notify('spectask_jobs', '')")
                .fetch_one(&mut *self.tx)
                .await?;
        }
        self.wakes_orchestrator = true;
        Ok(())
    }
}
