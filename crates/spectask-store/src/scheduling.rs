//! Scheduling: what starts when, decided inside the write that carries it out.
//!
//! [`admission`] starts waiting tasks within the WIP limits once their prerequisites are done.
//! [`implementation`] writes a scheduling pass over one task's sessions: the caller's pure
//! decision, taken on the sessions as that write reads them, under rules the store keeps (a task is
//! submitted only once every session is finished). [`session_making`] makes the sessions a task
//! under implementation calls for, each once, in a write that checks the task's status.

pub(crate) mod admission;
pub(crate) mod implementation;
pub(crate) mod session_making;
