//! Implementation: the approved plan carried out by work sessions, and their scheduling.
//!
//! A scheduling pass ([`sessions`]) makes the missing sessions, blocks and unblocks them by the
//! plan, starts up to the per-task limit and submits the task for review when all are done; the
//! decision itself is `sessions::decide`. A `simple` task gets one session for its whole plan
//! ([`whole_plan`]). [`follow_ups`] are the sessions a review or a conflicting merge sends back. When a session's turn ends, [`work`] commits its changes, pushes them, and
//! completes the session with the task's scheduling in one write (the engine runs the jobs such a
//! write claimed for this node without a new claim: `ctx::handed`). [`held`] pushes, when a node starts, the
//! commits it holds that the remote lacks (or says them in the task's log). [`agents`] owns a task's agent instance, worktree and lease, and
//! [`progress_updates`] the snapshot each decision leaves for the history.

pub(crate) mod agents;
pub(crate) mod follow_ups;
mod held;
mod progress_updates;
pub(crate) mod sessions;
mod whole_plan;
pub(crate) mod work;

// What the other rooms use; `agents`, `follow_ups`, `sessions` and `work` are used by name, as
// their modules (the job a step runs is `sessions::…` or `work::…`).
pub(crate) use self::held::push_held;
pub use self::sessions::{SpawnRequest, make_implementation_sessions, spawn};
