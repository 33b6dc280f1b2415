//! Wake-ups for readers of the event outbox (the live event stream).
//!
//! Every commit that appended events bumps a `watch` channel; on PostgreSQL the commit also sends a
//! `NOTIFY spectask_events` naming the store that sent it, which one listener task per store
//! (started on first use) turns into the same bump unless the store named is its own (that commit
//! has bumped already), so events committed by other nodes wake this node's readers too. A wake-up
//! carries no data: readers fetch `events_after` their own cursor, in pages, so a slow reader only
//! lags. The listener ends with the store's event streams ([`Store::close`] ends them) or once every
//! clone of the store is gone: it holds a connection of its own, outside the pool.

use std::sync::{Arc, Mutex, Weak};

use spectask_core::{Event, SpecTaskId};
use tokio::sync::watch;

use crate::database::write::WriteTx;
use crate::{Backend, DatabaseUrl, Store, StoreError};

const CHANNEL: &str = "spectask_events";

/// The wake-up source shared by all clones of a store.
#[derive(Debug)]
pub(crate) struct EventFeed {
    /// `true` once the store ends its event streams (server shutdown).
    ended: watch::Sender<bool>,
    /// The PostgreSQL listener task, once started.
    listener: Mutex<Listener>,
    /// What this store's notifications carry, so that its listener knows them for its own.
    sender: String,
}

impl EventFeed {
    pub(crate) fn new() -> Arc<Self> {
        let sender = uuid::Uuid::now_v7().simple().to_string();
        Arc::new(Self {
            ended: watch::Sender::new(false),
            listener: Mutex::new(Listener::NotStarted),
            sender,
        })
    }

    /// Wakes every reader (the value is left as it is); called after each commit that appended events.
    pub(crate) fn bump(&self) {
        self.ended.send_modify(|_| {});
    }
}

/// The life of a store's PostgreSQL listener task.
#[derive(Debug)]
enum Listener {
    NotStarted,
    Running(tokio::task::JoinHandle<()>),
    /// Ended with the event streams; never started again.
    Stopped,
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
        let wakeups = self.events_feed.ended.subscribe();
        if let DatabaseUrl::Postgres { url } = &self.url {
            let mut listener = self.events_feed.listener.lock().unwrap_or_else(|e| e.into_inner());
            if matches!(*listener, Listener::NotStarted) && !*wakeups.borrow() {
                let (url, feed) = (url.clone(), Arc::downgrade(&self.events_feed));
                let (sender, ended) = (self.events_feed.sender.clone(), wakeups.clone());
                *listener = Listener::Running(tokio::spawn(listen(url, feed, sender, ended)));
            }
        }
        EventWakeups(wakeups)
    }

    /// Ends every event stream of this store (readers' `next` returns `false`) and its listener
    /// for other nodes' events, for shutdown.
    pub fn end_event_streams(&self) {
        self.events_feed.ended.send_replace(true);
    }

    /// Ends the event streams and waits until the listener has let go of its connection.
    pub(crate) async fn stop_listening(&self) {
        self.end_event_streams();
        let running = {
            let mut listener = self.events_feed.listener.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *listener, Listener::Stopped)
        };
        if let Listener::Running(handle) = running {
            // It returns as soon as it sees the end; a panic in it has nothing left to release.
            let _ = handle.await;
        }
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
        rows.iter().map(crate::events::outbox::event_from_row).collect()
    }
}

/// The listener: turns other stores' notifications into wake-ups of this store's readers,
/// reconnecting after errors, until `ended` says the streams ended or the store is gone.
async fn listen(url: String, feed: Weak<EventFeed>, sender: String, mut ended: watch::Receiver<bool>) {
    let bump = || feed.upgrade().map(|feed| feed.bump()).is_some();
    loop {
        let listening = tokio::select! {
            listening = listen_once(&url, &sender, bump) => listening,
            () = streams_end(&mut ended) => return,
        };
        if !listening {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            () = streams_end(&mut ended) => return,
        }
    }
}

/// One connection's worth of listening; `false` once the store is gone, `true` to reconnect.
async fn listen_once(url: &str, sender: &str, bump: impl Fn() -> bool) -> bool {
    let mut listener = match sqlx::postgres::PgListener::connect(url).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(%err, "cannot connect the {CHANNEL} listener");
            return true;
        }
    };
    if let Err(err) = listener.listen(CHANNEL).await {
        tracing::warn!(%err, "cannot LISTEN {CHANNEL}");
        return true;
    }
    // Events may have been committed while nobody listened.
    if !bump() {
        return false;
    }
    loop {
        match listener.recv().await {
            // This store's own commits bumped when they committed.
            Ok(notification) if notification.payload() == sender => {}
            Ok(_) if !bump() => return false,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(%err, "lost the {CHANNEL} listener; reconnecting");
                return true;
            }
        }
    }
}

/// Returns once the streams have ended, or once their sender (the store) is gone.
async fn streams_end(ended: &mut watch::Receiver<bool>) {
    while !*ended.borrow_and_update() {
        if ended.changed().await.is_err() {
            return;
        }
    }
}
