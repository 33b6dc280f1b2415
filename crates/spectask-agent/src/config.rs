//! Limits and timeouts of the agent runtime, in one plain struct with defaults.

use std::time::Duration;

use spectask_sandbox::SandboxConfig;

use crate::process::record::ProcessRecord;

/// Limits of the terminals spectask runs for agents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalLimits {
    /// A command still running after this long is killed (its whole process group).
    pub time_limit: Duration,
    /// Output kept per terminal when the agent asks for no (or a larger) limit.
    pub output_byte_limit: usize,
}

/// At most `max` permission requests per `per` on one agent instance; more is a flood fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub per: Duration,
}

/// Everything the runtime bounds. `Default` gives values fit for real agents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Agent processes alive at once; further starts wait in FIFO order.
    pub max_live_instances: usize,
    /// An instance with no prompt running for this long is stopped by the runtime.
    pub idle_timeout: Duration,
    /// Time limit of every request other than `session/prompt` (initialize, session/new, load …).
    pub request_timeout: Duration,
    /// A prompt turn with no message from the agent for this long (while no approval or terminal is
    /// pending) is a stall fault.
    pub stall_timeout: Duration,
    /// A line on the agent's stdout longer than this is a fault.
    pub max_line_bytes: usize,
    /// Bound of each thread's event channel, and of `session/update` lines read from an agent but not
    /// yet delivered to a channel. A consumer that does not drain its thread stops the agent's whole
    /// connection (back-pressure through the pipe), which a prompt turn then reports as a stall.
    pub event_buffer: usize,
    /// Bytes of the agent's stderr kept for fault reports.
    pub stderr_tail_bytes: usize,
    /// Largest file served by `fs/read_text_file` or accepted by `fs/write_text_file`.
    pub max_file_bytes: usize,
    pub permission_rate: RateLimit,
    pub terminal: TerminalLimits,
    /// Environment variables passed through from spectask's own environment to agents and terminals.
    /// Nothing else is inherited: profiles add their own `env`.
    pub passthrough_env: Vec<String>,
    /// The OS sandbox: the launcher, the kernel's Landlock support and the user's opt-out.
    pub sandbox: SandboxConfig,
    /// Where the process groups of agents and terminals are recorded, so that the next run on the
    /// same data dir stops those a crash left running; `None` records nothing.
    pub process_record: Option<ProcessRecord>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            max_live_instances: 8,
            idle_timeout: Duration::from_secs(600),
            request_timeout: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(600),
            max_line_bytes: 8 * 1024 * 1024,
            event_buffer: 256,
            stderr_tail_bytes: 16 * 1024,
            max_file_bytes: 4 * 1024 * 1024,
            permission_rate: RateLimit { max: 50, per: Duration::from_secs(10) },
            terminal: TerminalLimits { time_limit: Duration::from_secs(600), output_byte_limit: 1024 * 1024 },
            passthrough_env: [
                "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TERM", "TZ", "TMPDIR", "SHELL",
            ]
            .map(str::to_owned)
            .to_vec(),
            sandbox: SandboxConfig::default(),
            process_record: None,
        }
    }
}

impl RuntimeConfig {
    /// The inherited part of a child's environment: `passthrough_env` read from this process.
    pub fn base_env(&self) -> Vec<(String, String)> {
        self.passthrough_env
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|value| (name.clone(), value)))
            .collect()
    }
}
