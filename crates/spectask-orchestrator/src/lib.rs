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
//! - The foundation: `job_error` (how a step failed), `config` (limits, defaults, the `Node`, the
//!   webhooks), `memory` (how a process running the engine allocates), `ctx` (what every step
//!   may use: the store, the agents, and this node's state across steps), `repos` (git from
//!   async code on the blocking pool; `local_repo`, this node's copy of a repository; a person's
//!   change of a repository's settings, [`repository_settings`]).
//! - [`views`]: read views (progress, fleet, implementation review, the summary), mapped by the
//!   server.
//! - `history`: history entries, the design-docs branch's writes (recorder, progress markers, task
//!   state) and `recover`, which reads them back.
//! - `implementation`: the scheduling pass that makes, blocks and starts work sessions (those a
//!   review sends back among them), a session's commit (`implementation::work`), a task's agents,
//!   worktree and lease.
//! - `coordination`: the tools agents call over MCP (spawn, messages, handoffs, plan status).
//! - `drive`: one work session's turns on its agent thread: the prompt, what the agent streams
//!   recorded, the MCP tools, the budget and stall checks, permission approvals, what a turn is
//!   sent back for, and the turns of threads opened from an editor.
//! - `planning`: the planning step, a coding agent as planner, the hand-off; [`landing`]: from
//!   the implementation's end to the work landed (the summary for review, a person's decision, the
//!   converge pass, the merge or pull request, forge issues taken up as tasks); `editor`: threads
//!   opened from an editor (`spectask acp`).
//! - The engine: [`engine`] (admission under WIP limits, claims, lease renewal, outcomes),
//!   `dispatch` (job kind → step), `notify` (notifications delivered to webhooks, beside the
//!   engine).
//! - Tests: `fixtures` (feature `test-support`, for benchmarks, the stress simulation and tests),
//!   `testing` (unit-test fixtures).
//!
//! Layers, bottom up: a module uses modules of its own layer and of those below, never one above;
//! a room that needs what a higher one does is handed it, or the dispatching layer calls both
//! (`scripts/check-layers` reads this list, and fails on a use that goes up or an import cycle of
//! more than four modules):
//!
//! 1. `job_error`, `config`, `memory`, `ctx`, `repos`: the foundation.
//! 2. `views`: reads, no effects.
//! 3. `history`: what happened, in the store and on the design-docs branch.
//! 4. `implementation`: work sessions made, scheduled and committed.
//! 5. `coordination`: the agents' tools (a spawned session is an implementation session).
//! 6. `drive`: a session's turns (a turn's end commits through `implementation`).
//! 7. `planning`, `landing`, `editor`: the steps before and after the implementation.
//! 8. `engine`, `dispatch`, `notify`: the loop that claims jobs and runs each kind's step.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod coordination;
mod ctx;
mod dispatch;
mod drive;
mod editor;
mod engine;
#[cfg(feature = "test-support")]
pub mod fixtures;
mod history;
mod implementation;
mod job_error;
pub mod landing;
mod memory;
mod notify;
mod planning;
mod repos;
#[cfg(test)]
mod testing;
pub mod views;

pub use config::{
    CheckLimits, CoordinationLimits, Granularity, Node, OrchestratorConfig, SessionToolsLaunch,
};
pub use coordination::{
    CoordinationError, MessageDelivery, PlanStatus, SessionStatus, caller, log as coordination_log,
    plan_status, report_blocked, resolve as resolve_session, send, spawn_child,
};
pub use ctx::{EngineObserver, RecorderHandle};
pub use drive::{
    BudgetError, budget_hold, daily_hold, release_budget_hold, resume_paused, set_repository_budget,
    set_task_budget,
};
pub use editor::{EditorThreadError, EditorThreadRequest, open_editor_thread};
pub use engine::Orchestrator;
pub use history::{FlushReport, HistoryCommit, RecoverReport, commit_progress, flush_history, recover};
pub use implementation::{SpawnRequest, make_implementation_sessions, spawn};
pub use job_error::JobError;
pub use landing::{TakeUp, take_up};
pub use memory::limit_malloc_arenas;
pub use notify::{NotifyConfig, Webhook, WebhookFormat};
pub use planning::{
    FollowUpError, FollowUpRequest, MAX_PROMPT_BYTES, NoFinding, ReportError, ReviewReport, WorkflowError,
    available_workflows, make_follow_up, resolve_workflow, review_report, with_steering,
};
pub use repos::settings as repository_settings;
pub use repos::{Opening, git_hooks, local_path, local_repo, remote_trust};
pub use views::implementation_summary;
