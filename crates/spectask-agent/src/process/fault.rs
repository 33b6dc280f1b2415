//! Faults of an agent process: what went wrong, the stderr tail, and the first-fault-wins latch that
//! kills the process group.

use std::collections::VecDeque;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// What made an agent process unusable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// The process exited while spectask still needed it.
    ProcessExited { code: Option<i32>, signal: Option<i32> },
    /// No message from the agent for `after` during a prompt turn.
    Stalled {
        #[serde(with = "millis")]
        after: Duration,
    },
    /// A stdout line that is not a JSON object (`line` is its first bytes).
    Garbage { line: String },
    /// A stdout line longer than `limit` bytes.
    LineTooLong { limit: usize },
    /// More than `max` permission requests within `per`.
    PermissionFlood {
        max: u32,
        #[serde(with = "millis")]
        per: Duration,
    },
}

mod millis {
    pub(super) fn serialize<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u128(d.as_millis())
    }
}

impl FaultKind {
    /// Whether the work session should be marked `interrupted` (retryable) rather than `failed`.
    pub fn is_interruption(&self) -> bool {
        matches!(self, FaultKind::ProcessExited { .. } | FaultKind::Stalled { .. })
    }

    pub(crate) fn from_exit(status: ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        FaultKind::ProcessExited { code: status.code(), signal: status.signal() }
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaultKind::ProcessExited { code: Some(code), .. } => write!(f, "agent exited with code {code}"),
            FaultKind::ProcessExited { signal, .. } => {
                write!(f, "agent killed by signal {}", signal.unwrap_or(0))
            }
            FaultKind::Stalled { after } => {
                write!(f, "agent sent nothing for {} ms during a prompt", after.as_millis())
            }
            FaultKind::Garbage { line } => {
                write!(f, "agent wrote a non-json line to stdout: {line:?}")
            }
            FaultKind::LineTooLong { limit } => {
                write!(f, "agent wrote a stdout line over {limit} bytes")
            }
            FaultKind::PermissionFlood { max, per } => {
                write!(f, "agent sent over {max} permission requests in {} ms", per.as_millis())
            }
        }
    }
}

/// A fault with its evidence, as reported to callers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub pid: u32,
    /// The last bytes the agent wrote to stderr.
    pub stderr_tail: String,
}

/// A bounded ring buffer of the agent's most recent stderr lines.
#[derive(Debug)]
pub struct StderrTail {
    limit: usize,
    inner: Mutex<(VecDeque<String>, usize)>,
    closed: CancellationToken,
}

impl StderrTail {
    pub fn new(limit: usize) -> Self {
        StderrTail { limit, inner: Mutex::new((VecDeque::new(), 0)), closed: CancellationToken::new() }
    }

    pub fn push(&self, line: &str) {
        let mut line = line.to_owned();
        if line.len() > self.limit {
            let mut cut = line.len() - self.limit;
            while !line.is_char_boundary(cut) {
                cut += 1;
            }
            line.drain(..cut);
        }
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (lines, bytes) = &mut *guard;
        *bytes += line.len() + 1;
        lines.push_back(line);
        while *bytes > self.limit {
            match lines.pop_front() {
                Some(old) => *bytes -= old.len() + 1,
                None => break,
            }
        }
    }

    pub(crate) fn close(&self) {
        self.closed.cancel();
    }

    /// The tail, after waiting up to `grace` for the agent's stderr to close (so a crash message is in).
    pub async fn snapshot(&self, grace: Duration) -> String {
        let _ = tokio::time::timeout(grace, self.closed.cancelled()).await;
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0.iter().map(String::as_str).collect::<Vec<_>>().join("\n")
    }
}

/// The first fault of an instance: recorded once, kills the process group, wakes every waiter.
#[derive(Clone, Debug)]
pub(crate) struct FaultLatch {
    pid: u32,
    kind: Arc<Mutex<Option<FaultKind>>>,
    tripped: CancellationToken,
    pub(crate) stderr: Arc<StderrTail>,
}

impl FaultLatch {
    pub(crate) fn new(pid: u32, stderr: Arc<StderrTail>) -> Self {
        FaultLatch { pid, kind: Arc::default(), tripped: CancellationToken::new(), stderr }
    }

    /// Records `kind` unless a fault is already recorded, and SIGKILLs the agent's process group.
    pub(crate) fn trip(&self, kind: FaultKind) {
        {
            let mut slot = self.kind.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.is_some() {
                return;
            }
            tracing::warn!(pid = self.pid, fault = %kind, "agent fault");
            *slot = Some(kind);
        }
        kill_group(self.pid);
        self.tripped.cancel();
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    pub(crate) fn kind(&self) -> Option<FaultKind> {
        self.kind.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) async fn tripped(&self) {
        self.tripped.cancelled().await;
    }

    /// The recorded fault with the stderr tail.
    pub(crate) async fn report(&self) -> Option<Fault> {
        let kind = self.kind()?;
        let stderr_tail = self.stderr.snapshot(Duration::from_millis(300)).await;
        Some(Fault { kind, pid: self.pid, stderr_tail })
    }
}

/// SIGKILLs the process group led by `pid` (every agent and terminal runs in its own group).
pub(crate) fn kill_group(pid: u32) {
    signal_group(pid, rustix::process::Signal::KILL);
}

pub(crate) fn signal_group(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}
