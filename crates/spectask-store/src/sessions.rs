//! Work sessions: their records, their threads and what passes between them and people.
//!
//! [`work_sessions`] creates sessions and applies their lifecycle transitions; [`threads`] are
//! their conversations on the agent side, and [`editor_threads`] the sessions opened from an
//! editor. [`messages`] queues what a person says to a running session, and [`mail`] what sessions
//! send each other. [`approvals`] are the permission requests waiting for a person, and [`stalls`]
//! marks a running session whose agent has gone silent. [`standings`] reads where every session of
//! a task stands, slim, for the views of its work.

pub(crate) mod approvals;
pub(crate) mod editor_threads;
pub(crate) mod mail;
pub(crate) mod messages;
pub(crate) mod stalls;
pub(crate) mod standings;
pub(crate) mod task_sessions;
pub(crate) mod threads;
pub(crate) mod work_sessions;
