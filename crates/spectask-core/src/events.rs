//! The outbox: the Event each change appends in its own transaction, its payload typed per kind
//! (`payload`), and the notifications that tell a person a task needs them. Which event is worth a
//! notification is decided here, once.

pub mod event;
pub mod notification;
pub mod payload;
