//! The WorkSession and what it leaves behind: its thread in the task's agent instance, the history
//! the recorder writes to the design-docs branch, and the coordination events the sessions of one
//! task tell each other.

pub mod coordination;
pub mod history;
pub mod thread;
pub mod work_session;
