//! The state every handler shares.

use std::path::PathBuf;
use std::sync::Arc;

use spectask_agent::{AgentRuntime, Profiles};
use spectask_store::Store;

use crate::metrics::Metrics;

/// Cheap to clone: every field is a handle.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// This server process's name among the nodes sharing a database.
    pub node: String,
    /// How long a task lease this node takes lasts unless renewed (its orchestrator renews it): an
    /// editor's turn takes its task's lease here, where the turn must run.
    pub task_lease: std::time::Duration,
    /// The agents of this node (its live instances and editor turns).
    pub runtime: AgentRuntime,
    pub profiles: Arc<Profiles>,
    /// What work sessions' agents may do through their coordination tools.
    pub coordination: spectask_orchestrator::CoordinationLimits,
    /// What one implementation session covers (`POST implementation-sessions` makes them as the
    /// orchestrator does).
    pub granularity: spectask_orchestrator::Granularity,
    /// Converge rounds a task may have after its implementation (`[orchestrator] converge_rounds`).
    pub converge_rounds: u32,
    /// Where `spectask demo` creates the sample repositories people pick (`None` outside the demo:
    /// no demo repositories are offered).
    pub demo_repos: Option<PathBuf>,
    /// Where repositories registered by URL are cloned (`<data-dir>/clones/<name>-<hash>`); `None`:
    /// only an administrator may register by URL, naming where to clone to.
    pub clones_dir: Option<PathBuf>,
    /// What users may register: paths under which roots, URLs of which schemes and hosts
    /// (`[repositories]` in the configuration).
    pub repositories: crate::RepositoryPolicy,
    /// What `GET /metrics` reports; the orchestrator of this process reports to it too.
    pub metrics: Arc<Metrics>,
    /// The forge connections of the configuration (where pull requests are opened).
    pub forges: spectask_forge::Forges,
    /// The budgets that hold where a person set none (`[budget]` in the configuration).
    pub budgets: spectask_core::BudgetDefaults,
}

impl AppState {
    /// This node, for its git work: its name, and where it clones repositories registered on
    /// another node's disk.
    pub fn here(&self) -> spectask_orchestrator::Node {
        spectask_orchestrator::Node { name: self.node.clone(), clones_dir: self.clones_dir.clone() }
    }
}
