//! Unit-test fixtures: a store with one repository, a coding-session task and one work session, and
//! the orchestrator's context over them.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AgentRuntime, Profiles, RuntimeConfig};
use spectask_core::{NewSpecTask, Priority, SpecTask, TaskKind, WorkSession, WorkSessionPhase};
use spectask_store::{DatabaseUrl, NewWorkSession, Store};

use crate::OrchestratorConfig;
use crate::engine::Ctx;

/// A context over an SQLite store in `dir`, with a task (on a fresh repository) and its session.
pub(crate) async fn ctx_with_session(dir: &Path) -> (Ctx, SpecTask, WorkSession) {
    let store = Store::open(&DatabaseUrl::sqlite_in(&dir.join("data"))).await.unwrap();
    let info = spectask_git::init_repository(&dir.join("r"), &[("README.md", "# r\n")], "init").unwrap();
    let repository =
        store.register_repository(&info.root, &info.default_branch, "helix-design-docs").await.unwrap();
    let task = store
        .create_spec_task(NewSpecTask {
            title: "t".into(),
            prompt: "t".into(),
            kind: TaskKind::CodingSession,
            repository_id: repository.id,
            planning_agent: None,
            implementation_agent: None,
            priority: Priority::Normal,
            created_by: "me".into(),
        })
        .await
        .unwrap();
    let session = store
        .create_work_session(NewWorkSession {
            spec_task_id: task.id,
            parent_id: None,
            spawned_by_id: None,
            name: "s".into(),
            description: String::new(),
            phase: WorkSessionPhase::Implementation,
            plan_task: None,
            agent_profile: None,
            agent_config: serde_json::json!({}),
            priority: Priority::Normal,
        })
        .await
        .unwrap();
    let ctx = Ctx {
        store,
        profiles: Arc::new(Profiles::presets()),
        runtime: AgentRuntime::new(RuntimeConfig::default()),
        config: Arc::new(OrchestratorConfig::new("test")),
        markers: Arc::default(),
        registered: Arc::default(),
    };
    (ctx, task, session)
}
