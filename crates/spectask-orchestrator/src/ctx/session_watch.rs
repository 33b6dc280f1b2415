//! Telling a running turn that its session changed state (a person paused it, on any node) without
//! every turn reading the store on every event.
//!
//! One follower per node reads the event outbox once per wake-up (each commit that appended events;
//! other nodes' by `NOTIFY`) and bumps the watch of each session a `work_session.transitioned` event
//! names. A turn subscribes to its own session and reads it again only when bumped, so the cost of
//! an event no longer grows with the number of sessions waiting on their agents.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use spectask_core::{EventKind, WorkSessionId};
use spectask_store::Store;
use tokio::sync::{OnceCell, watch};

/// Events read per page by the follower.
const PAGE: i64 = 500;

/// The sessions being watched on this node, and the follower that bumps them.
#[derive(Debug, Default)]
pub(crate) struct SessionWatch {
    watched: Mutex<HashMap<WorkSessionId, watch::Sender<()>>>,
    follower: OnceCell<()>,
}

/// Bumped after each committed transition of one session.
pub(crate) struct Subscription {
    changes: watch::Receiver<()>,
    session: WorkSessionId,
    watch: Arc<SessionWatch>,
}

impl SessionWatch {
    /// Watches `session` from now on: every transition committed after this returns bumps the
    /// subscription. Starts the node's follower on first use.
    pub(crate) async fn subscribe(self: &Arc<Self>, store: &Store, session: WorkSessionId) -> Subscription {
        self.follower
            .get_or_init(|| async {
                // The cursor is taken before anyone subscribes: a transition committed after it is
                // followed; one committed before it is seen by the subscriber's own first read.
                let cursor = match store.last_event_seq().await {
                    Ok(seq) => seq,
                    Err(err) => {
                        tracing::warn!(%err, "cannot read the newest event; following from the start");
                        0
                    }
                };
                tokio::spawn(follow(store.clone(), Arc::downgrade(self), cursor));
            })
            .await;
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        let changes = watched.entry(session).or_insert_with(|| watch::Sender::new(())).subscribe();
        Subscription { changes, session, watch: self.clone() }
    }

    fn bump(&self, session: WorkSessionId) {
        let watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = watched.get(&session) {
            sender.send_replace(());
        }
    }
}

impl Subscription {
    /// Waits until a transition of the session was committed since the last call (or since the
    /// subscription); never returns when the node stops following events (shutdown).
    pub(crate) async fn changed(&mut self) {
        if self.changes.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut watched = self.watch.watched.lock().unwrap_or_else(PoisonError::into_inner);
        // This subscription's receiver is still counted while it drops.
        if watched.get(&self.session).is_some_and(|s| s.receiver_count() <= 1) {
            watched.remove(&self.session);
        }
    }
}

/// Follows the outbox from `cursor` until the store ends its event streams or the watch is gone.
async fn follow(store: Store, watch: Weak<SessionWatch>, mut cursor: i64) {
    let mut wakeups = store.event_wakeups();
    loop {
        let Some(watch) = watch.upgrade() else { return };
        loop {
            let page = match store.events_after(cursor, PAGE).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(%err, "reading events for the session watch failed");
                    break;
                }
            };
            for event in &page {
                if event.kind == EventKind::WorkSessionTransitioned
                    && let Some(session) = event.work_session_id
                {
                    watch.bump(session);
                }
            }
            cursor = page.last().map_or(cursor, |e| e.seq);
            if (page.len() as i64) < PAGE {
                break;
            }
        }
        drop(watch);
        if !wakeups.next().await {
            return;
        }
    }
}
