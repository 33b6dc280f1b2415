//! What every test of the router starts from: a store, and the server's state over it.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AgentRuntime, Profiles, RuntimeConfig};
use spectask_server::AppState;
use spectask_store::{DatabaseUrl, Store};

/// A store in a fresh PostgreSQL schema, or on SQLite under `dir/data`.
pub async fn store(dir: &Path, postgres: bool) -> Store {
    let url = if postgres {
        DatabaseUrl::parse(&spectask_store::testing::isolated_postgres_url().await.unwrap()).unwrap()
    } else {
        DatabaseUrl::sqlite_in(&dir.join("data"))
    };
    Store::open(&url).await.unwrap()
}

/// The state of a server over `store` (node `test`): the preset agent profiles, no agent running, the
/// default coordination limits.
pub fn state(store: Store) -> AppState {
    AppState {
        store,
        node: "test".into(),
        task_lease: std::time::Duration::from_secs(90),
        runtime: AgentRuntime::new(RuntimeConfig::default()),
        profiles: Arc::new(Profiles::presets()),
        coordination: Default::default(),
        demo_repos: None,
        clones_dir: None,
        repositories: Default::default(),
        granularity: spectask_orchestrator::Granularity::PlanTask,
        converge_rounds: 3,
        metrics: Default::default(),
        forges: Default::default(),
        budgets: Default::default(),
    }
}

/// `dir/name`: a git repository with one (empty) commit on `main`; returns its path.
#[allow(dead_code)] // not every test binary registers repositories
pub fn git_repo(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    spectask_git::init_repository(&path, &[], "init").unwrap();
    path.display().to_string()
}
