//! Events: the outbox every change appends to, and everything that reads it.
//!
//! [`outbox`] appends an event in the write of its change and reads events back in `seq` order.
//! [`wakeups`] wakes readers after a commit, and other nodes' readers by `NOTIFY` on PostgreSQL;
//! [`tail`] keeps each node's newest events in a ring, and [`follow`] walks one client's cursor
//! through ring and store. [`notifications`] records the events a task's owner must hear of, and
//! their deliveries to webhooks.

pub(crate) mod follow;
pub(crate) mod notifications;
pub(crate) mod outbox;
pub(crate) mod tail;
pub(crate) mod wakeups;
