//! Unit-test fixtures: a store (SQLite in a temp dir, or a fresh PostgreSQL schema) with one
//! repository, tasks and work sessions on it, the orchestrator's context over them, and a way to run
//! queued jobs without the engine loop.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use spectask_agent::{AgentRuntime, Profiles, RuntimeConfig};
use spectask_core::{
    Job, JobKind, NewSpecTask, PlanTaskRef, Priority, RepositoryId, SpecTask, SpecTaskCommand, SpecTaskId,
    TaskKind, WorkSession, WorkSessionCommand, WorkSessionEffect, WorkSessionId, WorkSessionPhase,
    WorkSessionStanding, WorkSessionState,
};
use spectask_git::{DesignDocsCommit, FileWrite};
use spectask_store::{DatabaseUrl, JobOutcome, NewWorkSession, Store};
use tokio_util::sync::CancellationToken;

use crate::OrchestratorConfig;
use crate::ctx::Ctx;

/// The steps' context over `store`, with `config`.
fn ctx_over(store: Store, config: OrchestratorConfig) -> Ctx {
    Ctx {
        store,
        profiles: Arc::new(Profiles::presets()),
        runtime: AgentRuntime::new(RuntimeConfig::default()),
        config: Arc::new(config),
        plans: Arc::default(),
        registered: Arc::default(),
        observer: None,
        handed: None,
        leases: Arc::default(),
        sessions: Arc::default(),
        standings: Arc::default(),
        start_gate: Arc::default(),
        staging: Arc::default(),
        recorder: crate::ctx::RecorderHandle::default(),
        design_docs: Arc::default(),
    }
}

/// A context over an SQLite store in `dir`, with a task (on a fresh repository) and its session.
pub(crate) async fn ctx_with_session(dir: &Path) -> (Ctx, SpecTask, WorkSession) {
    let store = Store::open(&DatabaseUrl::sqlite_in(&dir.join("data"))).await.unwrap();
    let info = spectask_git::init_repository(&dir.join("r"), &[("README.md", "# r\n")], "init").unwrap();
    let repository = store
        .register_repository(&info.root, &info.default_branch, "helix-design-docs", Some("local"))
        .await
        .unwrap();
    let task = store
        .create_spec_task(NewSpecTask::new(TaskKind::CodingSession, repository.id, "t", "t", "me"))
        .await
        .unwrap();
    let session = store.create_work_session(NewWorkSession::implementation(task.id, "s", "")).await.unwrap();
    let ctx = ctx_over(store, OrchestratorConfig::new("test"));
    (ctx, task, session)
}

pub(crate) struct Fixture {
    pub ctx: Ctx,
    pub repository: RepositoryId,
    _dir: tempfile::TempDir,
}

pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Fixture {
    pub(crate) async fn new(backend: Backend) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend {
            Backend::Sqlite => DatabaseUrl::sqlite_in(&dir.path().join("data")),
            Backend::Postgres => {
                let url = spectask_store::testing::isolated_postgres_url()
                    .await
                    .expect("PostgreSQL must be reachable for this test");
                DatabaseUrl::parse(&url).unwrap()
            }
        };
        let store = Store::open(&url).await.unwrap();
        let info =
            spectask_git::init_repository(&dir.path().join("r"), &[("README.md", "# r\n")], "init").unwrap();
        let repository = store
            .register_repository(&info.root, &info.default_branch, "helix-design-docs", Some("local"))
            .await
            .unwrap()
            .id;
        let mut config = OrchestratorConfig::new("test");
        config.lease = Duration::from_secs(30);
        let ctx = ctx_over(store, config);
        Fixture { ctx, repository, _dir: dir }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.ctx.store
    }

    /// Changes the configuration the steps see.
    pub(crate) fn configure(&mut self, change: impl FnOnce(&mut OrchestratorConfig)) {
        let mut config = (*self.ctx.config).clone();
        change(&mut config);
        self.ctx.config = Arc::new(config);
    }

    /// A coding-session task moved to implementation (its StartImplementation job queued).
    pub(crate) async fn task_in_implementation(&self) -> SpecTask {
        let store = self.store();
        let task = store
            .create_spec_task(NewSpecTask::new(TaskKind::CodingSession, self.repository, "t", "do t", "me"))
            .await
            .unwrap();
        store.apply_to_spec_task(task.id, &SpecTaskCommand::QueueImplementation).await.unwrap();
        store.apply_to_spec_task(task.id, &SpecTaskCommand::StartImplementation).await.unwrap().value
    }

    /// A spec task whose plan (its spec version's, and handed off: `tasks.md` and `progress.md`
    /// under `specs/<task>/` on the design-docs branch) is `plan`.
    pub(crate) async fn spec_task_with_plan(&self, plan: &str) -> SpecTask {
        let task = crate::fixtures::spec_task_in_review(self.store(), self.repository, "s", plan, "me")
            .await
            .unwrap();
        let repo = self.repo().await;
        let writes = ["tasks.md", "progress.md"]
            .map(|name| FileWrite::put(format!("specs/{}/{name}", task.handle()), plan.as_bytes().to_vec()));
        repo.commit_design_docs(&DesignDocsCommit {
            message: "spec".into(),
            trailers: vec![],
            writes: writes.into(),
        })
        .unwrap();
        task
    }

    /// The fixture's repository, registered.
    pub(crate) async fn repo(&self) -> spectask_git::Repo {
        let repository = self.store().repository(self.repository).await.unwrap();
        crate::repos::open(&self.ctx, &repository).await.unwrap()
    }

    /// A pending top-level session of `task`.
    pub(crate) async fn session(&self, task: &SpecTask, name: &str) -> WorkSession {
        self.store().create_work_session(NewWorkSession::implementation(task.id, name, "")).await.unwrap()
    }

    /// Claims the next due job, as the engine would.
    pub(crate) async fn claim(&self) -> Option<Job> {
        self.store().claim_job(&self.ctx.config.node, self.ctx.config.lease).await.unwrap()
    }

    /// Records a claimed job as done.
    pub(crate) async fn finish(&self, job: &Job) {
        assert!(self.store().finish_job(job, &self.ctx.config.node, &JobOutcome::Done).await.unwrap());
    }

    /// Runs a claimed job's step and records it done; panics when the step fails.
    pub(crate) async fn run(&self, job: &Job) {
        let result = crate::dispatch::run(&self.ctx, job, &CancellationToken::new()).await;
        assert_eq!(result, Ok(()), "job {} ({}) failed", job.id, job.kind);
        self.finish(job).await;
    }

    /// Plays a claimed StartThread job as a drive that completed its session: the session completes
    /// (its commit step queued) and the job is done.
    pub(crate) async fn complete_drive(&self, job: &Job) {
        assert_eq!(job.kind, JobKind::WorkSession(WorkSessionEffect::StartThread), "{job:?}");
        let session = self.store().work_session(job.work_session_id.unwrap()).await.unwrap();
        self.store().transition_work_session(&session, &WorkSessionCommand::Complete).await.unwrap();
        self.finish(job).await;
    }

    /// Runs due jobs one by one while `take` accepts them; returns the first job it refused (claimed,
    /// not run) or `None` when nothing is due.
    pub(crate) async fn run_while(&self, take: impl Fn(&Job) -> bool) -> Option<Job> {
        while let Some(job) = self.claim().await {
            if !take(&job) {
                return Some(job);
            }
            self.run(&job).await;
        }
        None
    }
}

/// The jobs that make a task's scheduling decisions.
pub(crate) fn scheduling(job: &Job) -> bool {
    use spectask_core::SpecTaskEffect as E;
    matches!(
        job.kind,
        JobKind::AdvanceImplementation | JobKind::SpecTask(E::StartImplementation | E::ResumeImplementation)
    )
}

/// A work session held in memory only, for the pure decisions over sessions: `s<n>` (its id made
/// from `n`) of the task whose id is made from 99, on the plan task at `plan_task` (id `index + 1`,
/// title `task <index + 1>`) or on none, in `state`.
pub(crate) fn work_session(n: u128, plan_task: Option<u32>, state: WorkSessionState) -> WorkSession {
    let now = chrono::Utc::now();
    WorkSession {
        id: WorkSessionId::from_uuid(uuid::Uuid::from_u128(n)),
        spec_task_id: SpecTaskId::from_uuid(uuid::Uuid::from_u128(99)),
        parent_id: None,
        spawned_by_id: None,
        name: format!("s{n}"),
        description: String::new(),
        phase: WorkSessionPhase::Implementation,
        state,
        plan_task: plan_task.map(|index| PlanTaskRef {
            index,
            id: Some((index + 1).to_string()),
            title: format!("task {}", index + 1),
            description: String::new(),
        }),
        agent_profile: None,
        agent_config: serde_json::json!({}),
        priority: Priority::Normal,
        created_at: now,
        updated_at: now,
        started_at: None,
        completed_at: None,
        version: 1,
    }
}

/// Where [`work_session`] `n` stands, for the views' rules.
pub(crate) fn session_standing(
    n: u128,
    plan_task: Option<u32>,
    state: WorkSessionState,
) -> WorkSessionStanding {
    (&work_session(n, plan_task, state)).into()
}
