//! Wake-ups for readers of the event outbox (the live event stream).
//!
//! Every commit that appended events bumps a `watch` channel; on PostgreSQL the commit also sends a
//! `NOTIFY spectask_events` naming the store that sent it, which one listener task per store
//! (started on first use) turns into the same bump unless the store named is its own (that commit
//! has bumped already), so events committed by other nodes wake this node's readers too. A wake-up
//! carries no data: readers fetch `events_after` their own cursor, in pages, so a slow reader only
//! lags.

use std::sync::{Arc, OnceLock};

use spectask_core::{Event, SpecTaskId};
use tokio::sync::watch;

use crate::write::WriteTx;
use crate::{Backend, DatabaseUrl, Store, StoreError};

const CHANNEL: &str = "spectask_events";

/// The wake-up source shared by all clones of a store.
#[derive(Debug)]
pub(crate) struct EventFeed {
    /// `true` once the store ends its event streams (server shutdown).
    ended: watch::Sender<bool>,
    /// Set when the PostgreSQL listener task has been started.
    listener: OnceLock<()>,
    /// What this store's notifications carry, so that its listener knows them for its own.
    sender: String,
    /// The node's event tail, started by its first reader.
    pub(crate) tail: tokio::sync::OnceCell<crate::EventTail>,
}

impl EventFeed {
    pub(crate) fn new() -> Arc<Self> {
        let sender = uuid::Uuid::now_v7().simple().to_string();
        Arc::new(Self {
            ended: watch::Sender::new(false),
            listener: OnceLock::new(),
            sender,
            tail: tokio::sync::OnceCell::new(),
        })
    }

    /// Wakes every reader (the value is left as it is); called after each commit that appended events.
    pub(crate) fn bump(&self) {
        self.ended.send_modify(|_| {});
    }
}

/// Wakes a reader when events may have been committed since its last wake-up.
#[derive(Debug)]
pub struct EventWakeups(watch::Receiver<bool>);

impl EventWakeups {
    /// Waits for the next wake-up; `false` when the store ended its event streams.
    ///
    /// A commit that happened after this handle was made (or after the previous call returned) is
    /// never missed: it makes this return at once.
    pub async fn next(&mut self) -> bool {
        if *self.0.borrow() {
            return false;
        }
        match self.0.changed().await {
            Ok(()) => !*self.0.borrow_and_update(),
            Err(_) => false,
        }
    }
}

impl WriteTx<'_> {
    /// Before committing a transaction that appended events: tell other nodes (PostgreSQL). The
    /// notification is delivered when, and only if, the transaction commits.
    pub(crate) async fn announce_events(&mut self) -> Result<(), StoreError> {
        if self.appended_events && self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 AS sent FROM pg_notify('spectask_events', $1)")
                .bind(self.events_feed.sender.as_str())
                .fetch_one(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Wake-ups for a reader of the outbox. On PostgreSQL the first call starts the store's one
    /// listener for other nodes' events (`LISTEN spectask_events`, reconnecting after errors).
    pub fn event_wakeups(&self) -> EventWakeups {
        if let DatabaseUrl::Postgres { url } = &self.url {
            self.events_feed.listener.get_or_init(|| {
                let url = url.clone();
                let feed = self.events_feed.clone();
                tokio::spawn(async move { listen(url, feed).await });
            });
        }
        EventWakeups(self.events_feed.ended.subscribe())
    }

    /// Ends every event stream of this store (readers' `next` returns `false`), for shutdown.
    pub fn end_event_streams(&self) {
        self.events_feed.ended.send_replace(true);
    }

    /// The events of one SpecTask with `seq > after`, oldest first, at most `limit`.
    pub async fn events_of_spec_task_after(
        &self,
        id: SpecTaskId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, spec_task_id, work_session_id, payload, at FROM events \
             WHERE spec_task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(id.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::events::event_from_row).collect()
    }
}

async fn listen(url: String, feed: Arc<EventFeed>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Err(err) => tracing::warn!(%err, "cannot LISTEN {CHANNEL}"),
                Ok(()) => {
                    // Events may have been committed while nobody listened.
                    feed.bump();
                    loop {
                        match listener.recv().await {
                            // This store's own commits bumped when they committed.
                            Ok(notification) if notification.payload() == feed.sender => {}
                            Ok(_) => feed.bump(),
                            Err(err) => {
                                tracing::warn!(%err, "lost the {CHANNEL} listener; reconnecting");
                                break;
                            }
                        }
                    }
                }
            },
            Err(err) => tracing::warn!(%err, "cannot connect the {CHANNEL} listener"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
