//! Read views: what a task looks like to a person, computed once for every way it is shown.
//!
//! The server maps a view to its wire types, and clients (the dashboard, `spectask task`) read it
//! through the API. A view only reads: it never writes.
//!
//! - [`attention`]: what each task and session waits for (a person, a budget, a prerequisite …),
//!   the one rule every client shows.
//! - [`plan_tasks`]: the one rule of a plan task's state from its sessions, which every progress
//!   view, the exported report and the agents' `plan_status` tool read.
//! - [`progress`]: a task's plan tasks with their states, its sessions' progress through their
//!   agents' plans, and the plan tasks a fleet card shows around those in progress.
//! - [`fleet`]: a card per live agent instance: its progress, spending and silent sessions.
//! - [`review`]: the implementation review: commits, acceptance criteria, sessions and checks.
//! - [`summary`]: the implementation summary, what a person reviews first.
//! - [`export`]: a task's report as one markdown document.

pub mod attention;
pub mod export;
pub mod fleet;
pub mod plan_tasks;
pub mod progress;
pub mod review;
pub mod summary;

// What the other rooms use.
pub(crate) use self::plan_tasks::{PlanTaskStatus, ROUND_PLANNER, plan_task_states};
pub(crate) use self::review::{CriterionReview, ImplementationReview, implementation_review};
pub(crate) use self::summary::DECISION_PREFIX;
pub use self::summary::implementation_summary;
