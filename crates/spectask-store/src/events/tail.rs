//! The event tail: the newest events of the outbox, read once per wake-up for every reader of
//! this node.
//!
//! One task per store (started by the first [`Store::event_tail`]) follows the outbox: on every
//! wake-up of [`EventWakeups`] (a commit of this node, another node's `NOTIFY`, or a sweep) it reads
//! the events after the newest it holds, in pages, each with the owner of its SpecTask, and appends
//! them to a ring of at most `capacity` events. Readers take what follows their cursor from the
//! ring ([`EventFollower`](crate::EventFollower)); a cursor older than the ring reads the store.
//! Readers share each event of the ring ([`SharedEvent`]) with the form it takes on the wire, made
//! by the first reader that sends it: a node encodes an event once, not once per client.

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use bytes::Bytes;

use spectask_core::{Event, SpecTaskId};
use tokio::sync::watch;

use crate::database::codec::get;
use crate::events::wakeups::EventWakeups;
use crate::{Store, StoreError};

/// Events the ring holds (older cursors read the store).
pub(crate) const TAIL_CAPACITY: usize = 1024;
/// Events read from the outbox at a time.
const PAGE: i64 = 500;
/// How often the tail looks again without having been woken (a safety net).
const SWEEP: Duration = Duration::from_secs(5);

/// Which events a reader may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventScope {
    /// Every event (a server without users).
    All,
    /// The events of the SpecTasks this user created (events of no task are nobody's).
    OwnedBy(String),
    /// The events of one SpecTask (whose owner the caller checked).
    SpecTask(SpecTaskId),
}

impl EventScope {
    fn holds(&self, event: &TailEvent) -> bool {
        match self {
            EventScope::All => true,
            EventScope::OwnedBy(owner) => event.owner.as_deref() == Some(owner.as_str()),
            EventScope::SpecTask(id) => event.event.spec_task_id == Some(*id),
        }
    }
}

/// An event as the readers of a node share it: with a slot for its form on the wire (the live
/// stream's frame), made by the first reader that sends it and handed to every other.
#[derive(Debug)]
pub struct SharedEvent {
    event: Event,
    wire: OnceLock<Bytes>,
}

impl SharedEvent {
    pub(crate) fn new(event: Event) -> Self {
        Self { event, wire: OnceLock::new() }
    }

    /// The event on the wire: `encode`d by the first caller, the same bytes for every caller after
    /// (there is one wire form: the live stream's).
    pub fn wire_with(&self, encode: impl FnOnce(&Event) -> Bytes) -> Bytes {
        self.wire.get_or_init(|| encode(&self.event)).clone()
    }
}

impl Deref for SharedEvent {
    type Target = Event;

    fn deref(&self) -> &Event {
        &self.event
    }
}

/// An event in the ring, with the owner of its SpecTask (`None`: an event of no task).
#[derive(Debug)]
struct TailEvent {
    event: Arc<SharedEvent>,
    owner: Option<String>,
}

/// The ring: every event with `floor < seq <= newest`, oldest first.
#[derive(Debug)]
struct Ring {
    floor: i64,
    newest: i64,
    events: VecDeque<TailEvent>,
    capacity: usize,
}

impl Ring {
    fn append(&mut self, page: Vec<TailEvent>) {
        for event in page {
            self.newest = event.event.seq;
            self.events.push_back(event);
            if self.events.len() > self.capacity
                && let Some(evicted) = self.events.pop_front()
            {
                self.floor = evicted.event.seq;
            }
        }
    }
}

/// What a reader at a cursor finds in the ring.
#[derive(Debug)]
pub(crate) enum TailRead {
    /// The events in scope after the cursor (at most the limit asked for), and the cursor to read
    /// on from: the newest event looked at, in scope or not.
    Events { events: Vec<Arc<SharedEvent>>, through: i64 },
    /// The ring no longer holds every event after the cursor: read the store from the cursor; once
    /// a read finds no more, the reader is past `floor` and may read the ring again.
    Behind { floor: i64 },
}

/// Where the tail is, for readers to wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TailHead {
    pub(crate) newest: i64,
    /// The store ended its event streams: readers end theirs.
    pub(crate) ended: bool,
}

/// This node's event tail (cheap to clone: a handle).
#[derive(Clone, Debug)]
pub struct EventTail {
    ring: Arc<RwLock<Ring>>,
    head: Arc<watch::Sender<TailHead>>,
}

impl EventTail {
    /// Reads what follows `after` in `scope`, up to `limit` events.
    pub(crate) fn read(&self, scope: &EventScope, after: i64, limit: usize) -> TailRead {
        let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
        if after < ring.floor {
            return TailRead::Behind { floor: ring.floor };
        }
        let start = ring.events.partition_point(|e| e.event.seq <= after);
        let mut events = Vec::new();
        let mut through = after.max(ring.newest);
        for entry in ring.events.range(start..).filter(|e| scope.holds(e)) {
            if events.len() == limit {
                through = events.last().map_or(through, |e: &Arc<SharedEvent>| e.seq);
                break;
            }
            events.push(entry.event.clone());
        }
        TailRead::Events { events, through }
    }

    pub(crate) fn watch(&self) -> watch::Receiver<TailHead> {
        self.head.subscribe()
    }

    fn append(&self, page: Vec<TailEvent>) {
        let newest = {
            let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
            ring.append(page);
            ring.newest
        };
        self.head.send_modify(|head| head.newest = newest);
    }

    fn end(&self) {
        self.head.send_modify(|head| head.ended = true);
    }

    fn newest(&self) -> i64 {
        self.ring.read().unwrap_or_else(PoisonError::into_inner).newest
    }
}

impl Store {
    /// This node's event tail, started by the first call (from the newest event then).
    pub async fn event_tail(&self) -> Result<EventTail, StoreError> {
        self.event_tail_holding(TAIL_CAPACITY).await
    }

    /// The event tail, started with a ring of `capacity` events if this is the first call.
    pub(crate) async fn event_tail_holding(&self, capacity: usize) -> Result<EventTail, StoreError> {
        let tail = self
            .event_tail
            .get_or_try_init(|| async {
                // Subscribed before reading where to start: no commit after that read is missed.
                let wakeups = self.event_wakeups();
                let newest = self.last_event_seq().await?;
                let ring = Ring { floor: newest, newest, events: VecDeque::new(), capacity: capacity.max(1) };
                let tail = EventTail {
                    ring: Arc::new(RwLock::new(ring)),
                    head: Arc::new(watch::Sender::new(TailHead { newest, ended: false })),
                };
                tokio::spawn(follow(self.clone(), tail.clone(), wakeups));
                Ok::<_, StoreError>(tail)
            })
            .await?;
        Ok(tail.clone())
    }

    /// Up to `limit` events with `seq > after`, oldest first, each with the owner of its SpecTask.
    async fn events_with_owners_after(&self, after: i64, limit: i64) -> Result<Vec<TailEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.seq, e.kind, e.spec_task_id, e.work_session_id, e.payload, e.at, \
             t.created_by AS owner FROM events e LEFT JOIN spec_tasks t ON t.id = e.spec_task_id \
             WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let event = Arc::new(SharedEvent::new(crate::events::outbox::event_from_row(row)?));
                Ok(TailEvent { event, owner: get(row, "owner")? })
            })
            .collect()
    }
}

/// The tail's one reader: appends what the outbox holds after the ring's newest event on every
/// wake-up, until the store ends its event streams. A failed read is retried at the next wake-up
/// or sweep (readers wait meanwhile; none of them reads the outbox on its own).
async fn follow(store: Store, tail: EventTail, mut wakeups: EventWakeups) {
    loop {
        loop {
            match store.events_with_owners_after(tail.newest(), PAGE).await {
                Ok(page) => {
                    let short = (page.len() as i64) < PAGE;
                    if !page.is_empty() {
                        tail.append(page);
                    }
                    if short {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, after = tail.newest(), "the event tail cannot read the outbox");
                    break;
                }
            }
        }
        if let Ok(false) = tokio::time::timeout(SWEEP, wakeups.next()).await {
            tail.end();
            return;
        }
    }
}
