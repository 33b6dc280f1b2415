//! The orchestrator: drives every SpecTask through its lifecycle, from durable jobs.
//!
//! Every effect of a transition is a job row written in the transition's own transaction (see
//! `spectask-store`). The [`engine`] claims due jobs under a lease, runs them, renews the lease while
//! they run and records how they ended; a failure is retried with backoff and, when attempts run
//! out, the SpecTask fails with the reason. Wake-ups are events (an in-process signal, and
//! `LISTEN/NOTIFY` on PostgreSQL); the periodic sweep is only a safety net for leases and timers.
//!
//! Codemap, by sub-domain (each module's own docs say more):
//!
//! - The engine: `engine` (admission under WIP limits, claims, lease renewal once per third of a
//!   lease for every job it runs, outcomes; a node told to stop hands its jobs back uncounted),
//!   `handed` (jobs a step claimed for this node in the write that queued them, run with no claim
//!   in between), `dispatch` (job kind → step), `config` (limits, defaults, the `Node`).
//! - Planning: `planning` (the planning step: an `llm` profile through `spectask-planner`),
//!   `plan_agent` (an `acp` planning profile writes `.spectask/spec/`; spectask lints and asks for
//!   repairs), `handoff` (the approved spec committed, implementation queued).
//! - Implementation and its scheduling: `sessions` (a scheduling pass: make the missing sessions,
//!   block and unblock by the plan, start up to the per-task limit, submit for review) with
//!   `sessions::decide` (the pure decision the store's write takes), `whole_plan` (one session for
//!   a `simple` task's whole plan), `plans` (each approved plan parsed once per version), `agents`
//!   (a session's profile and worktree, the task lease, the agent started early by `warm_up`, agents
//!   stopped when a task leaves implementation), `session_watch` (a running turn told its session
//!   moved: one outbox follower per node), `progress_updates` (the snapshot each decision makes).
//! - Driving a session: `drive` (a session's turns on its thread: `drive::thread`,
//!   `drive::first_prompt`, `drive::turn`), `prompt` (what a session is told, and an editor
//!   thread's spec slice), `record` (the agent's stream as history and live events; `code_diff` a
//!   file change as a bounded diff; `audit` the sandbox's findings), `send_back` (a turn sent back
//!   to its thread: no change, a failing `repo_check`), `work` (a finished session's commit with
//!   trailers, the task's scheduling in the same write, its plan task ticked), `approvals`
//!   (permission requests held by this node's agents, answered from any node).
//! - Coordination: `coordination` (the MCP tools' rules: the caller from its credential, spawning
//!   under `CoordinationLimits`, messages, handoffs, blocked reports), `plan_status`, `overlaps`
//!   (two sessions changing one file), `thread_tools` (the MCP servers a thread is given).
//! - Editor threads: `editor` (which task a new editor thread joins; its session), `editor_turn`
//!   (an editor's prompt as the session's next turn, relayed to the editor; the turn runs on the
//!   node holding the task's lease).
//! - Review and merge: `finish` (the summary, the sessions addressing requested changes, the merge
//!   or kept branch, IMPLEMENTATION_COMPLETE.md, once per review round; `finish::integrate` a moved
//!   default branch taken in before review), `pull_requests` (hand-off as a pull request, a watcher
//!   per node reading it; `pull_requests::feedback`, `pull_requests::merging`), `issues` (forge
//!   issues taken up as tasks).
//! - History to git: `recorder` (session history to the design-docs branch in batches, exactly
//!   once, under a recorder lease per repository; `History-Seqs` trailers) with `history_text` (its
//!   on-branch format), `markers` (one-byte ticks of plan tasks), `design_docs_writer` (one writer
//!   per node and repository; waiting parts share a commit), `mirror` (each task's rows as
//!   `specs/<task>/state.json`), `recover` (the database rebuilt from the branch),
//!   `progress_watch` (markers ticked by agents, reported as events), `repos` (git from async code:
//!   the blocking pool, and `local_repo`, this node's copy of a repository).
//! - Notifications: `notify` (the notifications of the outbox's events recorded once for all
//!   nodes, and delivered to the configured webhooks with retries, beside the engine).
//! - Tests: `fixtures` (feature `test-support`, for benchmarks, the stress simulation and tests),
//!   `testing` (unit-test fixtures).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod agents;
mod approvals;
mod audit;
mod budget;
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
mod notify;
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
pub use notify::{NotifyConfig, Webhook, WebhookFormat};
pub use plan_status::{PlanStatus, PlanTaskStatus, SessionStatus, plan_status, plan_task_states};
pub use recorder::{FlushReport, HistoryCommit, RecorderHandle, flush_history};
pub use recover::{RecoverReport, recover};
pub use repos::{Opening, git_hooks, local_repo};
pub use sessions::{SpawnRequest, make_implementation_sessions, spawn};
