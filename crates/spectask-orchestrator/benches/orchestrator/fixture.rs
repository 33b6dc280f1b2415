//! The fixture of every scenario: a registered repository, a SQLite store in a temp dir (or a
//! PostgreSQL database, `nodes`), an agent profile running this binary as the scripted agent, and the
//! engine started and stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use spectask_agent::{AgentProfile, AgentRuntime, Profiles, RuntimeConfig, SandboxConfig};
use spectask_core::{SpecTask, SpecTaskId, SpecTaskStatus};
use spectask_orchestrator::{EngineObserver, Orchestrator, OrchestratorConfig, RecorderHandle, fixtures};
use spectask_sandbox::Launcher;
use spectask_store::{DatabaseUrl, Store, WipLimits};
use tokio_util::sync::CancellationToken;

pub(crate) struct Fixture {
    pub(crate) store: Store,
    /// The registered repository's working tree.
    pub(crate) root: std::path::PathBuf,
    /// The same database, read by the bench's polls apart from `store`'s figures.
    watch: Store,
    repository: spectask_core::RepositoryId,
    profiles: Profiles,
    _dir: tempfile::TempDir,
}

pub(crate) struct Engine {
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<()>,
    recorder: RecorderHandle,
    /// The node's agent instances.
    pub(crate) agents: AgentRuntime,
}

impl Engine {
    /// Has the recorder commit everything the run left to record (history still in its window, the
    /// last milestones), so that a figure counts all the recording its sessions caused.
    pub(crate) async fn flush_recorder(&self) {
        self.recorder.flush().await;
    }

    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.unwrap();
    }
}

pub(crate) fn config(slots: usize, jobs: usize) -> OrchestratorConfig {
    let mut config = OrchestratorConfig::new("bench");
    config.wip = WipLimits { global: 10_000, per_repository: 10_000, per_user: 10_000 };
    config.max_parallel_sessions = slots;
    config.max_concurrent_jobs = jobs;
    config
}

impl Fixture {
    pub(crate) async fn new(script: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite_in(&dir.path().join("data"));
        Fixture::on(script, &url, dir).await
    }

    /// The fixture on the database at `url`, its repository and agent script in `dir`.
    pub(crate) async fn on(script: &str, url: &DatabaseUrl, dir: tempfile::TempDir) -> Fixture {
        let store = Store::open(url).await.unwrap();
        let watch = spectask_store::testing::observer(url).await.unwrap();
        let (repo, repository) = fixtures::registered_repository(&store, dir.path()).await.unwrap();
        let (root, repository) = (repo.root().to_path_buf(), repository.id);
        let script_path = dir.path().join("agent.toml");
        std::fs::write(&script_path, script).unwrap();
        let me = std::env::current_exe().unwrap().to_str().unwrap().to_owned();
        let args = vec!["--scripted-agent".into(), "--script".into(), script_path.to_str().unwrap().into()];
        let mut profiles = Profiles::presets();
        profiles.insert(AgentProfile::acp("bench", me, args));
        Fixture { store, root, watch, repository, profiles, _dir: dir }
    }

    pub(crate) fn start(&self, config: OrchestratorConfig) -> Engine {
        self.start_node(self.store.clone(), config, None)
    }

    /// The engine of one node on `store`, its claims told to `observer`. What it spawns runs on the
    /// runtime this is called in (a node's own, `nodes`).
    pub(crate) fn start_node(
        &self,
        store: Store,
        config: OrchestratorConfig,
        observer: Option<Arc<dyn EngineObserver>>,
    ) -> Engine {
        let me = std::env::current_exe().unwrap();
        let launcher = Launcher { program: me, args: vec!["--sandbox-exec".into()] };
        // Unconfined where Landlock is missing: an old kernel, or valgrind (which lacks its system calls).
        let sandbox = SandboxConfig {
            launcher: Some(launcher),
            allow_without_landlock: true,
            ..SandboxConfig::default()
        };
        let runtime = AgentRuntime::new(RuntimeConfig {
            max_live_instances: 1024,
            sandbox,
            ..RuntimeConfig::default()
        });
        let mut orchestrator = Orchestrator::new(store, self.profiles.clone(), runtime.clone(), config);
        if let Some(observer) = observer {
            orchestrator = orchestrator.observed_by(observer);
        }
        let shutdown = CancellationToken::new();
        let recorder = orchestrator.recorder();
        let handle = tokio::spawn(orchestrator.run(shutdown.clone()));
        Engine { shutdown, handle, recorder, agents: runtime }
    }

    /// A spec task waiting for review with `tasks` as its plan (planning is skipped).
    /// When the agent last wrote `file` in `task`'s worktree (the file's mtime: the kernel's coarse
    /// clock, a tick early at most).
    pub(crate) fn written_at(&self, task: &SpecTask, file: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let path = self.root.join(".git-worktrees").join(task.handle()).join(file);
        Some(std::fs::metadata(path).ok()?.modified().ok()?.into())
    }

    /// How many commits the design-docs branch holds now.
    pub(crate) async fn design_docs_commits(&self) -> usize {
        let branch = self.store.repository(self.repository).await.unwrap().design_docs_branch;
        let out = std::process::Command::new("git")
            .args(["rev-list", "--count", &format!("refs/heads/{branch}")])
            .current_dir(&self.root)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    pub(crate) async fn in_review(&self, title: &str, tasks: &str) -> SpecTask {
        fixtures::spec_task_in_review(&self.store, self.repository, title, tasks, "bench").await.unwrap()
    }

    /// The bench's own store on the same database: its polls stay out of the engine's pool and figures.
    pub(crate) fn watch(&self) -> &Store {
        &self.watch
    }

    pub(crate) async fn approve(&self, task: &SpecTask) {
        fixtures::approve_spec(&self.store, task, "bench").await.unwrap();
    }

    /// Polls (every 100 ms, a negligible share of the CPU measured, through the store that is not the
    /// engine's: its reads are not counted as the engine's) until every task reached `status`.
    pub(crate) async fn wait_for(&self, ids: &[SpecTaskId], status: SpecTaskStatus) {
        let deadline = Instant::now() + Duration::from_secs(600);
        for &id in ids {
            while self.watch.spec_task(id).await.unwrap().status() != status {
                self.fail_if_failed(id).await;
                assert!(Instant::now() < deadline, "task {id} did not reach {status}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    pub(crate) async fn fail_if_failed(&self, id: SpecTaskId) {
        let task = self.watch.spec_task(id).await.unwrap();
        if let Some(failure) = task.state.failure() {
            panic!("task {id} failed: {}", failure.reason);
        }
    }
}
