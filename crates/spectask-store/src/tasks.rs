//! SpecTasks: their records, their specs and the tasks they wait for.
//!
//! [`spec_tasks`] creates tasks, finds them and applies their lifecycle transitions; [`listing`]
//! reads one page of tasks and the number of matches in two queries. [`spec_versions`] keeps every
//! spec a planner produced, and [`reviews`] a person's decision on one. [`prerequisites`] are the
//! tasks a task waits for, which admission reads.

pub(crate) mod listing;
pub(crate) mod prerequisites;
pub(crate) mod reviews;
pub(crate) mod spec_tasks;
pub(crate) mod spec_versions;
