//! spectask's agent runtime over ACP (Agent Client Protocol).
//!
//! - [`profiles`]: `[agents.<name>]` configuration and built-in presets, with availability.
//! - [`instance`]: one agent process ([`AgentInstance`]) per SpecTask; one ACP session per thread.
//! - [`pool`]: the [`AgentRuntime`] that starts instances on demand under a global cap and stops idle ones.
//! - [`confinement`]: the `fs/*` and `terminal/*` methods spectask serves, confined to the worktree.
//! - [`permission`]: permission policies and the [`PermissionBroker`] of pending approvals.
//! - [`fault`]: typed faults (exit, stall, garbage, oversize, flood) with the agent's stderr tail.
//! - [`probe`]: start an agent, report what it says, try a session.
//! - [`scripted`]: the scripted ACP agent used by tests and the offline demo.
//!
//! Invariant: no unbounded buffers between an agent and spectask: stdout lines, stderr, events,
//! terminal output and file sizes all have limits in [`RuntimeConfig`].

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod confinement;
pub mod error;
pub mod events;
pub mod fault;
mod handlers;
pub mod info;
pub mod instance;
pub mod permission;
pub mod pool;
pub mod probe;
pub mod profiles;
mod rpc;
pub mod scripted;
pub mod thread;
mod transport;

pub use config::{RateLimit, RuntimeConfig, TerminalLimits};
pub use error::{AgentError, SessionOutcome};
pub use events::AgentEvent;
pub use fault::{Fault, FaultKind};
pub use info::{AgentInfo, AuthMethodInfo};
pub use instance::{AgentInstance, InstanceOptions};
pub use permission::{ApprovalError, PendingApproval, PermissionBroker};
pub use pool::AgentRuntime;
pub use probe::{ProbeOptions, ProbeReport, SessionProbe, probe};
pub use profiles::{AgentProfile, PermissionPolicy, Profiles};
pub use thread::AcpSessionId;
