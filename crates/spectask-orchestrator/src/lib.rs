//! The orchestrator: drives every SpecTask through its lifecycle, from durable jobs.
//!
//! Every effect of a transition is a job row written in the transition's own transaction (see
//! `spectask-store`). The [`engine`] claims due jobs under a lease, runs them, renews the lease while
//! they run and records how they ended; a failure is retried with backoff and, when attempts run
//! out, the SpecTask fails with the reason. Wake-ups are events (an in-process signal, and
//! `LISTEN/NOTIFY` on PostgreSQL); the periodic sweep is only a safety net for leases and timers.
//!
//! Codemap: one directory per sub-domain, each with a module doc that names its parts.
//!
//! - The engine: [`engine`] (admission under WIP limits, claims, lease renewal, outcomes),
//!   `dispatch` (job kind → step), `config` (limits, defaults, the `Node`), `repos` (git from
//!   async code on the blocking pool; `local_repo`, this node's copy of a repository).
//! - `planning`: the planning step, a coding agent as planner, the approved plan, the hand-off.
//! - `implementation`: the scheduling pass that makes, blocks and starts work sessions, a
//!   session's commit (`implementation::work`), a task's agents, worktree and lease.
//! - `drive`: one work session's turns on its agent thread: the prompt, the MCP tools, the budget
//!   and stall checks, permission approvals, and what a turn is sent back for.
//! - `coordination`: the tools agents call over MCP (spawn, messages, handoffs, plan status).
//! - `editor`: threads opened from an editor (`spectask acp`) and their turns.
//! - [`review`]: the summary for review, the converge pass, the merge or pull request, forge
//!   issues taken up as tasks.
//! - `history`: the agent's stream as history; its commits to the design-docs branch (recorder,
//!   progress markers, task state) and `recover`, which reads them back.
//! - `notify`: notifications delivered to webhooks, beside the engine.
//! - [`views`]: read views (progress, fleet, implementation review), mapped by the server.
//! - Tests: `fixtures` (feature `test-support`, for benchmarks, the stress simulation and tests),
//!   `testing` (unit-test fixtures).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod coordination;
mod dispatch;
mod drive;
mod editor;
mod engine;
#[cfg(feature = "test-support")]
pub mod fixtures;
mod history;
mod implementation;
mod notify;
mod planning;
mod repos;
pub mod review;
#[cfg(test)]
mod testing;
pub mod views;

pub use config::{CheckLimits, Granularity, Node, OrchestratorConfig, SessionToolsLaunch};
pub use coordination::plan_status::{PlanStatus, SessionStatus, plan_status};
pub use coordination::{
    CoordinationError, CoordinationLimits, MessageDelivery, caller, log as coordination_log, report_blocked,
    resolve as resolve_session, send, spawn_child,
};
pub use dispatch::JobError;
pub use drive::budget::{budget_hold, daily_hold, release as release_budget_hold, resume_paused};
pub use editor::{EditorThreadError, EditorThreadRequest, open_editor_thread};
pub use engine::{EngineObserver, Orchestrator};
pub use history::mirror::commit_progress;
pub use history::recorder::{FlushReport, HistoryCommit, RecorderHandle, flush_history};
pub use history::recover::{RecoverReport, recover};
pub use implementation::sessions::{SpawnRequest, make_implementation_sessions, spawn};
pub use notify::{NotifyConfig, Webhook, WebhookFormat};
pub use planning::templates::{WorkflowError, available_workflows, resolve_workflow, with_steering};
pub use repos::{Opening, git_hooks, local_path, local_repo};
pub use review::finish::implementation_summary;
pub use review::issues::{TakeUp, take_up};
