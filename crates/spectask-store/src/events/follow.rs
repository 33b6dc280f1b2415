//! One reader's way through the outbox (a client of the live event stream): from the node's
//! [`EventTail`] while its cursor is within the ring, from the store while it is older (a
//! `Last-Event-ID` from long ago, or a reader that fell behind while the ring moved on), never
//! skipping an event of its scope and never giving one twice.
//!
//! A reader holds one page at a time and nothing is pushed to it: a slow reader only lags, and
//! catches up from the store once the ring has moved past it.

use std::sync::Arc;

use spectask_core::Event;
use tokio::sync::watch;

use crate::events::tail::{EventScope, EventTail, SharedEvent, TailHead, TailRead};
use crate::{Store, StoreError};

/// Events handed to a reader at a time.
const PAGE: usize = 200;

/// A reader's position in the outbox, within one [`EventScope`].
#[derive(Debug)]
pub struct EventFollower {
    store: Store,
    tail: EventTail,
    head: watch::Receiver<TailHead>,
    scope: EventScope,
    /// The newest seq looked at (given or out of scope).
    cursor: i64,
}

impl Store {
    /// A reader of the events of `scope` with `seq > after`, oldest first, then live.
    pub async fn follow_events(&self, scope: EventScope, after: i64) -> Result<EventFollower, StoreError> {
        let tail = self.event_tail().await?;
        Ok(EventFollower { store: self.clone(), head: tail.watch(), tail, scope, cursor: after })
    }

    /// Up to `limit` events of `scope` with `seq > after`, oldest first.
    pub async fn events_in_scope_after(
        &self,
        scope: &EventScope,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        match scope {
            EventScope::All => self.events_after(after, limit).await,
            EventScope::OwnedBy(owner) => self.events_of_owner_after(owner, after, limit).await,
            EventScope::SpecTask(id) => self.events_of_spec_task_after(*id, after, limit).await,
        }
    }
}

impl EventFollower {
    /// The events of the reader's scope up to `seq` (an event committed, which this node's tail may
    /// not hold yet) that it was not given yet, waiting for the tail to reach `seq`; empty once the
    /// reader is there, and `None` once the store ended its event streams. A page may hold newer
    /// events too.
    pub async fn next_page_through(&mut self, seq: i64) -> Result<Option<Vec<Arc<SharedEvent>>>, StoreError> {
        loop {
            if self.cursor >= seq {
                return Ok(Some(Vec::new()));
            }
            if self.head.borrow_and_update().ended {
                return Ok(None);
            }
            match self.tail.read(&self.scope, self.cursor, PAGE) {
                TailRead::Events { events, through } => {
                    self.cursor = through;
                    if !events.is_empty() {
                        return Ok(Some(events));
                    }
                    if through >= seq {
                        return Ok(Some(Vec::new()));
                    }
                }
                TailRead::Behind { .. } => return self.next_page().await,
            }
            if self.head.changed().await.is_err() {
                return Ok(None);
            }
        }
    }

    /// The next events, waiting for some; `None` once the store ended its event streams.
    /// Events from the ring are shared with the node's other readers ([`SharedEvent::wire_with`]).
    pub async fn next_page(&mut self) -> Result<Option<Vec<Arc<SharedEvent>>>, StoreError> {
        loop {
            // Seen before reading the ring: an append after this wakes the wait below.
            if self.head.borrow_and_update().ended {
                return Ok(None);
            }
            match self.tail.read(&self.scope, self.cursor, PAGE) {
                TailRead::Events { events, through } => {
                    self.cursor = through;
                    if !events.is_empty() {
                        return Ok(Some(events));
                    }
                }
                TailRead::Behind { floor } => {
                    let page =
                        self.store.events_in_scope_after(&self.scope, self.cursor, PAGE as i64).await?;
                    if let Some(last) = page.last() {
                        self.cursor = last.seq;
                    }
                    if page.len() < PAGE {
                        // The store had nothing more in scope, as of a read after the ring's floor
                        // was committed: the ring holds whatever comes next.
                        self.cursor = self.cursor.max(floor);
                    }
                    if !page.is_empty() {
                        return Ok(Some(page.into_iter().map(|e| Arc::new(SharedEvent::new(e))).collect()));
                    }
                    continue;
                }
            }
            if self.head.changed().await.is_err() {
                return Ok(None);
            }
        }
    }
}
