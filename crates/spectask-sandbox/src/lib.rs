//! The OS sandbox of agent processes. Every agent spectask starts, and every terminal it runs for
//! one, is started through a launcher that applies a Landlock ruleset to itself and then execs the
//! command: the kernel enforces the worktree boundary whatever the agent does with its own system
//! calls, and the domain is inherited by everything the agent starts.
//!
//! - [`settings`]: a profile's `sandbox` mode, declared paths, network and ports (pure).
//! - [`policy`]: the [`Policy`] (paths and ports) of one agent in one [`Workspace`].
//! - [`kernel`]: the kernel's Landlock support, and applying a policy to the calling process.
//! - [`launcher`]: the launcher's command line, and its side of it (`spectask agent sandbox-exec`).
//! - [`confine`]: the sandbox one agent instance runs in, decided from all of the above.
//! - [`diagnose`]: what the sandbox may have refused a failed agent, and the key that allows it.
//!
//! The agent runtime (`spectask-agent`) decides an instance's [`Confinement`] and starts the agent
//! and its terminals through it; its audit of the agent's tool calls reports what the sandbox
//! refused. This crate knows nothing of ACP, profiles or the runtime.
//!
//! Invariant: an agent of a sandboxed profile runs confined or not at all, unless the user opted
//! out (`[sandbox] allow_without_landlock`) for a kernel without Landlock, which is then logged.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod confine;
pub mod diagnose;
pub mod kernel;
pub mod launcher;
pub mod policy;
pub mod settings;

use std::path::PathBuf;

pub use confine::{Confinement, SandboxConfig, SandboxReport};
pub use kernel::LandlockSupport;
pub use launcher::Launcher;
pub use policy::{Policy, Workspace, find_on_path};
pub use settings::{Network, SandboxMode, SandboxSettings};

/// Why an agent could not be sandboxed as its profile asks.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "agent profile {profile:?} runs sandboxed, but {reason}; set `sandbox = \"off\"` on the profile, \
         or `[sandbox] allow_without_landlock = true` to run sandboxed profiles unconfined on this kernel"
    )]
    Unavailable { profile: String, reason: String },
    #[error("agent profile {profile:?} runs sandboxed, but no sandbox launcher is configured")]
    NoLauncher { profile: String },
    #[error("cannot prepare the sandbox: {what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("invalid sandbox policy: {0}")]
    Policy(String),
    #[error("cannot apply the Landlock ruleset: {0}")]
    Landlock(String),
    #[error("the Landlock ruleset is not enforced by this kernel ({0})")]
    NotEnforced(String),
}
