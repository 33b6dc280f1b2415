//! spectask's agent runtime over ACP (Agent Client Protocol).
//!
//! - [`profiles`]: `[agents.<name>]` configuration and built-in presets, with availability.
//! - [`instance`]: one agent process ([`AgentInstance`]) per SpecTask; one ACP session per thread.
//! - [`pool`]: the [`AgentRuntime`] that starts instances on demand under a global cap and stops idle ones.
//! - [`confinement`]: the `fs/*` and `terminal/*` methods spectask serves, confined to the worktree.
//! - [`permission`]: permission policies and the [`PermissionBroker`] of pending approvals.
//! - `served`: the permission policy applied to the writes and commands spectask serves.
//! - [`editor`]: spectask as an ACP agent for an editor (`spectask acp`): each thread a work session.
//! - [`relay`]: threads an editor holds (`spectask acp`): updates and requests go to the editor.
//! - [`editor_turns`]: editor prompts waiting for (or running) their turn, with their relay.
//! - [`sandbox`]: the Landlock sandbox every agent process and terminal runs in, and its audit.
//! - [`approval`]: the agent's own approval mode, selected so that it asks spectask first.
//! - [`fault`]: typed faults (exit, stall, garbage, oversize, flood) with the agent's stderr tail.
//! - [`process_record`]: the process groups a node started, so that its next run stops what a crash left.
//! - [`mod@probe`]: start an agent, report what it says, try a session.
//!
//! # Wiring
//!
//! - One [`AgentRuntime`] per server; `runtime.instance(task, &profile, &workspace)` starts or reuses
//!   the task's agent (waiting for a slot under `max_live_instances`) in its sandbox.
//! - Per work session: `let (tx, rx) = instance.event_channel();` then `new_thread(&worktree, tx)`
//!   (record the returned [`AcpSessionId`] on the Thread) or `load_thread(&id, &worktree, tx)`; the
//!   `…_with_tools` variants also pass [`McpServerSpec`]s the agent launches for the thread. Drain
//!   `rx` in its own task while `prompt` runs; the turn ends with [`AgentEvent::TurnEnded`].
//! - A failed call's [`AgentError::session_outcome`] says `interrupted` or `failed`; its
//!   [`AgentError::fault`] carries the reason and the stderr tail.
//! - Approvals: a held request is an [`AgentEvent::PermissionRequested`] with its approval id
//!   (`runtime.broker().find(id)` names its thread); `runtime.broker().resolve(id, option_id)`
//!   answers it. The orchestrator records them in the store, where any node lists and answers them.
//!
//! Invariant: no unbounded buffers between an agent and spectask: stdout lines, stderr, events,
//! terminal output and file sizes all have limits in [`RuntimeConfig`].

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod approval;
pub mod config;
pub mod confinement;
pub mod editor;
pub mod editor_turns;
pub mod error;
pub mod events;
pub mod fault;
mod handlers;
pub mod info;
pub mod instance;
pub mod mcp_servers;
pub mod permission;
pub mod pool;
pub mod probe;
pub mod process_record;
pub mod profiles;
pub mod prompt;
pub mod relay;
mod rpc;
pub mod sandbox;
mod served;
pub mod thread;
mod transport;
mod unserved;

pub use approval::{ApprovalCheck, ApprovalStatus};
pub use config::{RateLimit, RuntimeConfig, TerminalLimits};
pub use confinement::terminal::CheckRun;
pub use editor_turns::{EditorTurns, HeldTurn, TurnEnd};
pub use error::{AgentError, SessionOutcome};
pub use events::{AgentEvent, ReportedCost, TurnUsage};
pub use fault::{Fault, FaultKind};
pub use info::{AgentInfo, AuthMethodInfo};
pub use instance::{AgentInstance, InstanceOptions};
pub use mcp_servers::McpServerSpec;
pub use permission::{ApprovalError, PendingApproval, PermissionBroker};
pub use pool::AgentRuntime;
pub use probe::{AcpSessionProbe, ProbeOptions, ProbeReport, probe};
pub use process_record::ProcessRecord;
pub use profiles::{AgentProfile, PermissionPolicy, Profiles, StallPolicy};
pub use prompt::PromptContent;
pub use relay::{EditorOffers, EditorRefusal, EditorRelay, RelayFrame, RelayRequest};
pub use sandbox::{SandboxConfig, SandboxMode, Workspace};
pub use served::Enforcement;
pub use thread::AcpSessionId;
