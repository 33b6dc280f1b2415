//! What the orchestrator needs to know: who it is, its limits and its defaults.

use std::path::PathBuf;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use spectask_store::WipLimits;

mod notify;

pub use self::notify::{NotifyConfig, Webhook, WebhookFormat};

/// What one implementation work session covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// One session per open plan task without sub-tasks.
    PlanTask,
    /// One session per open top-level task, its sub-tasks included.
    TopLevel,
}

#[derive(Clone, Debug)]
pub struct OrchestratorConfig {
    /// This node's name: the owner of the leases it takes.
    pub node: String,
    /// How long a claimed job stays ours without renewal; renewed every third of it.
    pub lease: Duration,
    /// The safety-net sweep when nothing wakes the engine.
    pub sweep_interval: Duration,
    /// Jobs this node claims while it runs this many at once. The threads a scheduling write starts
    /// and claims for this node (`ctx/handed.rs`) run whatever the count: the sessions' limits bound them.
    pub max_concurrent_jobs: usize,
    /// Attempts of one job before its task fails.
    pub max_attempts: u32,
    /// Delay before the second attempt; doubles per attempt (plus jitter) up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub wip: WipLimits,
    /// The agent profile that plans a task that names none; without one such tasks wait in backlog.
    pub default_planning_agent: Option<String>,
    /// The agent profile that implements a task that names none; without one such tasks wait.
    pub default_implementation_agent: Option<String>,
    /// How long acknowledged history entries wait before the recorder commits them in a batch.
    pub history_window: Duration,
    /// Work sessions of one task running at once.
    pub max_parallel_sessions: usize,
    pub granularity: Granularity,
    /// What work sessions' agents may do through their coordination tools.
    pub coordination: CoordinationLimits,
    /// How agents launch the MCP server of a session's coordination tools; `None`: no tools.
    pub session_tools: Option<SessionToolsLaunch>,
    /// How a repository's check command is run and how often a failure goes back to the session.
    pub checks: CheckLimits,
    /// Where this node clones a repository registered by URL whose registered path is not a clone
    /// of it here (another node's disk): `<clones_dir>/<repository id>`. `None`: such a
    /// repository is worked on at its registered path only.
    pub clones_dir: Option<PathBuf>,
    /// The forge connections of the configuration: where repositories with the `pull_request`
    /// merge policy open their tasks' pull requests.
    pub forges: spectask_forge::Forges,
    /// Prices per model, for the tokens of agents that report no cost themselves.
    pub prices: spectask_core::PriceTable,
    /// The budgets that hold where a person set none: a task's, and each repository's and each
    /// user's daily budget (`[budget]` in the configuration).
    pub budgets: spectask_core::BudgetDefaults,
    /// A running session whose agent says nothing for this long is marked stalled (and its
    /// profile's `on_stall` applies).
    pub stall_after: Duration,
    /// Where notifications go besides the store, and how their deliveries are retried.
    pub notifications: notify::NotifyConfig,
    /// Converge rounds a task may have after its implementation (`landing::converge`).
    pub converge_rounds: u32,
}

/// This node as its git work sees it: its name (the owner of the recorder leases it takes) and
/// where it clones repositories registered on another node's disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub clones_dir: Option<PathBuf>,
}

impl Node {
    /// A node that works on repositories at their registered paths only.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), clones_dir: None }
    }
}

/// Bounds of verified completion (a repository's check command after a session's turn).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckLimits {
    /// Times a failing check goes back to the session's thread; one more failure fails the session.
    pub rounds: u32,
    /// A check still running after this long is killed and counts as failed.
    pub time_limit: Duration,
    /// Bytes of the check's output kept (its end), sent back to the agent and recorded.
    pub output_bytes: usize,
}

impl Default for CheckLimits {
    fn default() -> Self {
        Self { rounds: 3, time_limit: Duration::from_secs(600), output_bytes: 8 * 1024 }
    }
}

/// The stdio MCP server every implementation thread is given (`spectask mcp --server URL`); the
/// session's credential goes in its environment as `credential_env`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionToolsLaunch {
    pub name: String,
    /// An absolute path (ACP requires it).
    pub command: std::path::PathBuf,
    pub args: Vec<String>,
    pub credential_env: String,
}

impl OrchestratorConfig {
    /// How long a node's lease on a task's agent instance lasts without renewal (renewed with its
    /// job leases, every third of `lease`): twice the job lease, so that six renewals can go amiss
    /// before another node may start a second agent for the task. With the default lease of 10 s,
    /// a dead node's tasks move to another node about 20 s after it died.
    pub fn task_lease(&self) -> Duration {
        self.lease * 2
    }

    pub fn new(node: impl Into<String>) -> Self {
        Self {
            node: node.into(),
            lease: Duration::from_secs(10),
            sweep_interval: Duration::from_secs(5),
            max_concurrent_jobs: 16,
            max_attempts: 3,
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            wip: WipLimits::default(),
            default_planning_agent: None,
            default_implementation_agent: None,
            history_window: Duration::from_secs(10),
            max_parallel_sessions: 4,
            granularity: Granularity::PlanTask,
            coordination: CoordinationLimits::default(),
            session_tools: None,
            checks: CheckLimits::default(),
            clones_dir: None,
            forges: spectask_forge::Forges::default(),
            prices: spectask_core::PriceTable::defaults(),
            budgets: spectask_core::BudgetDefaults::default(),
            stall_after: Duration::from_secs(300),
            notifications: notify::NotifyConfig::default(),
            converge_rounds: 3,
        }
    }

    /// This node, for its git work.
    pub fn here(&self) -> Node {
        Node { name: self.node.clone(), clones_dir: self.clones_dir.clone() }
    }

    /// What admission needs to know about defaults.
    pub(crate) fn admission(&self) -> spectask_store::Admission {
        spectask_store::Admission {
            wip: self.wip,
            default_planner: self.default_planning_agent.is_some(),
            default_implementer: self.default_implementation_agent.is_some(),
        }
    }

    /// The retry policy of a failed job: from `backoff_initial`, doubling, jitter adding up to the
    /// step again (so that jobs failing together do not retry together); [`Self::backoff`] caps it.
    pub(crate) fn job_retry(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_jitter()
            .with_min_delay(self.backoff_initial)
            .with_max_delay(self.backoff_max)
            .without_max_times()
    }

    /// The delay before attempt `attempt + 1`, at most `backoff_max`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let step = attempt.saturating_sub(1) as usize;
        self.job_retry().build().nth(step).unwrap_or(self.backoff_max).min(self.backoff_max)
    }
}

/// What one task's agents may do through their tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoordinationLimits {
    /// Spawned sessions per task (by agents and people together); agents are refused past it.
    pub max_spawned_sessions: usize,
    /// Messages, handoffs and blocked reports one session may send.
    pub max_messages_per_session: usize,
    /// The longest message, note or description, in bytes.
    pub max_text_bytes: usize,
}

impl Default for CoordinationLimits {
    fn default() -> Self {
        Self { max_spawned_sessions: 8, max_messages_per_session: 200, max_text_bytes: 8 * 1024 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dead node's task moves once its task lease lapses, and the engine of another node looks at
    /// least once a sweep: with the defaults, well within the 30 s docs/operations.md promises.
    #[test]
    fn a_dead_nodes_tasks_move_within_30_seconds_by_default() {
        let c = OrchestratorConfig::new("n");
        assert_eq!(c.task_lease(), Duration::from_secs(20));
        assert!(c.task_lease() + c.sweep_interval <= Duration::from_secs(30), "{c:?}");
        assert!(c.lease / 3 < c.task_lease() / 4, "several renewals fit in a task lease");
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let mut c = OrchestratorConfig::new("n");
        c.backoff_initial = Duration::from_secs(1);
        c.backoff_max = Duration::from_secs(5);
        let mut firsts = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let delays: Vec<_> = (1..=5).map(|a| c.backoff(a)).collect();
            for (delay, (low, high)) in
                delays.iter().zip([(1000, 2000), (2000, 4000), (4000, 5000), (5000, 5000), (5000, 5000)])
            {
                assert!(
                    *delay >= Duration::from_millis(low) && *delay <= Duration::from_millis(high),
                    "{delays:?}"
                );
            }
            firsts.insert(delays[0]);
        }
        assert!(firsts.len() > 1, "no jitter: {firsts:?}");
    }
}
