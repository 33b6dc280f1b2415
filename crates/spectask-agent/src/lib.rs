//! spectask's agent runtime over ACP (Agent Client Protocol).
//!
//! - [`profiles`]: `[agents.<name>]` configuration and built-in presets, with availability.
//! - [`pool`]: the [`AgentRuntime`] that starts instances on demand under a global cap and stops idle ones.
//! - [`instance`]: one agent process ([`AgentInstance`]) per SpecTask, and its side of the connection.
//! - [`thread`]: one ACP session per work session: its prompts, its MCP servers, its sandbox audit.
//! - [`events`]: what a thread streams: the agent's updates and spectask's decisions.
//! - [`confinement`]: the `fs/*` and `terminal/*` methods spectask serves, confined to the worktree.
//! - [`permission`]: permission policies, the [`PermissionBroker`] of pending approvals, the agent's
//!   own approval mode, and the policy applied to the writes and commands spectask serves.
//! - [`editor`]: editor support (`spectask acp`): the editor's ACP agent, editor turns, relayed threads.
//! - [`process`]: the agent's process: its line transport, typed faults, the record of process groups.
//! - [`config`], [`error`]: the runtime's limits ([`RuntimeConfig`]) and its error ([`AgentError`]);
//!   `rpc.rs`: a request to the agent within a time limit, its failure as an [`AgentError`].
//! - [`mod@probe`]: start an agent, report what it says, try a session.
//!
//! The Landlock sandbox every agent process and terminal runs in is the `spectask-sandbox` crate:
//! an instance decides its confinement when it starts and runs the agent and its terminals in it.
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
//! # Layers
//!
//! Bottom up: a module imports only from its own layer and those below it
//! (`scripts/check-layers` checks it). What a lower module needs of a higher one is passed in: a
//! thread's turn gets its instance's fault latch, stall timeout and permission broker; the editor
//! relay gets the instance's relays and threads.
//! 1. `process`, `events`, `profiles`: the agent's process, what a thread streams, the profiles.
//! 2. `config`, `error`: the runtime's limits and its error.
//! 3. `rpc`: a request to the agent within a time limit, its failure as an [`AgentError`].
//! 4. `confinement`: the `fs/*` and `terminal/*` methods served, confined to the worktree.
//! 5. `permission`: the policies, the broker, the approval mode, the served writes' policy.
//! 6. `thread`: one ACP session per work session.
//! 7. `editor`: editor support (`spectask acp`).
//! 8. `instance`: one agent process per task, and the handlers of what it sends.
//! 9. `pool`, `probe`: the runtime of all instances, and probing one agent.
//! 10. `bin`: the binaries under `src/bin/`, crates of their own.
//!
//! Invariant: no unbounded buffers between an agent and spectask: stdout lines, stderr, events,
//! terminal output and file sizes all have limits in [`RuntimeConfig`].

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod confinement;
pub mod editor;
pub mod error;
pub mod events;
pub mod instance;
pub mod permission;
pub mod pool;
pub mod probe;
pub mod process;
pub mod profiles;
mod rpc;
pub mod thread;

pub use config::{RateLimit, RuntimeConfig, TerminalLimits};
pub use confinement::terminal::CheckRun;
pub use editor::relay::{EditorOffers, EditorRefusal, EditorRelay, RelayFrame, RelayRequest};
pub use editor::turns::{EditorTurns, HeldTurn, TurnEnd};
pub use error::{AgentError, SessionOutcome};
pub use events::{AgentEvent, ReportedCost, TurnUsage};
pub use events::{ApprovalCheck, ApprovalStatus};
pub use instance::info::{AgentInfo, AuthMethodInfo};
pub use instance::{AgentInstance, InstanceOptions};
pub use permission::served::Enforcement;
pub use permission::{ApprovalError, PendingApproval, PermissionBroker};
pub use pool::AgentRuntime;
pub use probe::{AcpSessionProbe, ProbeOptions, ProbeReport, probe};
pub use process::fault::{Fault, FaultKind};
pub use process::record::ProcessRecord;
pub use profiles::{AgentProfile, PermissionPolicy, Profiles, StallPolicy};
pub use spectask_sandbox::{SandboxConfig, SandboxMode, Workspace};
pub use thread::AcpSessionId;
pub use thread::mcp_servers::McpServerSpec;
pub use thread::prompt::PromptContent;
