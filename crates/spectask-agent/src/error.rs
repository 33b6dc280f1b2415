//! The runtime's error type: every way starting, prompting or stopping an agent can fail.

use std::time::Duration;

use crate::process::fault::Fault;

/// How the work session of a failed call should end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionOutcome {
    /// The agent went away (exit, stall): retrying may help.
    Interrupted,
    /// The agent misbehaved or cannot run as configured.
    Failed,
}

/// Errors of the agent runtime.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("profile {0:?} is not an acp agent")]
    NotAcp(String),
    #[error(transparent)]
    Sandbox(#[from] spectask_sandbox::SandboxError),
    #[error("cannot start agent {command:?}: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("agent {profile:?} needs credentials: {advice}")]
    AuthRequired { profile: String, advice: String },
    #[error("agent did not answer {method} within {} ms", after.as_millis())]
    Timeout { method: &'static str, after: Duration },
    #[error("{}", fault_message(.0))]
    Fault(Fault),
    /// The agent exited with an error before it answered `initialize`: it will do the same on every
    /// start, so the start is not tried again.
    #[error(
        "agent {profile:?} exited before it answered initialize, and would again on every start: {}",
        fault_message(.fault)
    )]
    StartFailed { profile: String, fault: Fault },
    #[error("agent answered {method} with error {code}: {message}")]
    Rejected { method: &'static str, code: i32, message: String },
    #[error("agent does not support {0}")]
    Unsupported(&'static str),
    #[error("unknown thread {0:?}")]
    UnknownThread(String),
    #[error("agent instance {0} is stopped")]
    Stopped(u32),
    #[error("cannot use worktree {path}: {source}")]
    Worktree { path: std::path::PathBuf, source: std::io::Error },
    #[error("agent runtime is shut down")]
    RuntimeClosed,
    #[error("cannot run the check {command:?}: {reason}")]
    Check { command: String, reason: String },
    #[error("invalid prompt: {0}")]
    InvalidPrompt(String),
    #[error(
        "agent {profile:?} cannot be held to permission_policy {policy:?}: {}; spectask starts no session \
         in which the agent may edit or run commands without asking",
        approval_failure(.check)
    )]
    ApprovalMode { profile: String, policy: crate::PermissionPolicy, check: Box<crate::ApprovalCheck> },
}

fn approval_failure(check: &crate::ApprovalCheck) -> String {
    let mode = check.mode.as_deref().unwrap_or_default();
    let why = match check.status {
        crate::ApprovalStatus::NotOffered => "the agent does not offer its approval mode",
        _ => "the agent refused to switch to its approval mode",
    };
    match &check.detail {
        Some(detail) => format!("{why} {mode:?} ({detail})"),
        None => format!("{why} {mode:?}"),
    }
}

/// The fault, its stderr, and what the sandbox may have refused there with the key to allow it.
fn fault_message(fault: &Fault) -> String {
    if fault.stderr_tail.is_empty() {
        return format!("{} (pid {})", fault.kind, fault.pid);
    }
    let mut message = format!("{} (pid {}); stderr: {}", fault.kind, fault.pid, fault.stderr_tail);
    if let Some(advice) = spectask_sandbox::diagnose::advice(&fault.stderr_tail) {
        message.push_str(&format!("; {advice}"));
    }
    message
}

impl AgentError {
    /// The fault behind this error, if it is one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            AgentError::Fault(fault) | AgentError::StartFailed { fault, .. } => Some(fault),
            _ => None,
        }
    }

    /// Whether the work session is `interrupted` or `failed` because of this error.
    pub fn session_outcome(&self) -> SessionOutcome {
        match self {
            AgentError::Fault(fault) if fault.kind.is_interruption() => SessionOutcome::Interrupted,
            AgentError::Timeout { .. } | AgentError::Stopped(_) | AgentError::RuntimeClosed => {
                SessionOutcome::Interrupted
            }
            _ => SessionOutcome::Failed,
        }
    }
}
