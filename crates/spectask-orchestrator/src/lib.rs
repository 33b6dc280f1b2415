//! The orchestrator: drives every SpecTask through its lifecycle, from durable jobs.
//!
//! Every effect of a transition is a job row written in the transition's own transaction (see
//! `spectask-store`). The [`engine`] claims due jobs under a lease, runs them, renews the lease while
//! they run and records how they ended; a failure is retried with backoff and, when attempts run
//! out, the SpecTask fails with the reason. Wake-ups are events (an in-process signal, and
//! `LISTEN/NOTIFY` on PostgreSQL); the periodic sweep is only a safety net for leases and timers.
//!
//! Codemap: `config` (limits and defaults), `engine` (claim / run / finish loop), `dispatch` (job
//! kind → step), `planning` (run the planner, store the version), `handoff` (commit the approved
//! spec to the design-docs branch), `repos` (git access from async code), `recorder` (session history
//! to the design-docs branch in batches, exactly once) with `history_text` (its on-branch format), `mirror` (each task's
//! rows as `specs/<task>/state.json`) `recover` (the database rebuilt from the branch) and `progress_watch`
//! (progress markers ticked by agents themselves, reported as events), `audit` (the sandbox's
//! findings in an agent's tool calls, as history decisions and `agent.sandbox` events), `send_back`
//! (what a finished turn is sent back to its thread for: no change, a failing `repo_check`).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod agents;
mod approvals;
mod audit;
mod code_diff;
mod config;
mod coordination;
mod design_docs_writer;
mod dispatch;
mod drive;
mod editor;
mod editor_turn;
mod engine;
mod finish;
#[cfg(feature = "test-support")]
pub mod fixtures;
mod handed;
mod handoff;
mod history_text;
mod issues;
mod markers;
mod mirror;
mod overlaps;
mod plan_agent;
mod plan_status;
mod planning;
mod plans;
mod progress_updates;
mod progress_watch;
mod prompt;
mod pull_requests;
mod record;
mod recorder;
mod recover;
mod repo_check;
mod repos;
mod send_back;
mod session_watch;
mod sessions;
#[cfg(test)]
mod testing;
mod thread_tools;
mod whole_plan;
mod work;

pub use config::{CheckLimits, Granularity, Node, OrchestratorConfig, SessionToolsLaunch};
pub use coordination::{
    CoordinationError, CoordinationLimits, Sent, caller, log as coordination_log, report_blocked,
    resolve as resolve_session, send, spawn_child,
};
pub use dispatch::JobError;
pub use editor::{EditorThreadError, EditorThreadRequest, open_editor_thread};
pub use engine::{EngineObserver, Orchestrator};
pub use finish::implementation_summary;
pub use issues::{TakeUp, take_up};
pub use mirror::commit_progress;
pub use plan_status::{PlanStatus, PlanTaskStatus, SessionStatus, plan_status, plan_task_states};
pub use recorder::{FlushReport, HistoryCommit, RecorderHandle, flush_history};
pub use recover::{RecoverReport, recover};
pub use repos::{Opening, git_hooks, local_repo};
pub use sessions::{SpawnRequest, make_implementation_sessions, spawn};
