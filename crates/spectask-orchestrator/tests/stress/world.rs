//! One seed's world: a git repository, a database (SQLite, or a fresh PostgreSQL schema), the
//! engines (each its own agent runtime and node name), and the people — they approve specs as the
//! scenario says, review implementations and cancel tasks — until every task has ended.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use spectask_agent::profiles::ProfileKind;
use spectask_agent::{AgentProfile, AgentRuntime, Profiles, RuntimeConfig, SandboxMode};
use spectask_core::{
    CoordinationKind, JobStatus, Priority, SpecTask, SpecTaskCommand, SpecTaskId, SpecTaskStatus,
    WorkSessionStatus,
};
use spectask_orchestrator::{Orchestrator, OrchestratorConfig, SpawnRequest, fixtures};
use spectask_store::{DatabaseUrl, NewCoordination, Store, StoreError, WipLimits};
use tokio_util::sync::CancellationToken;

use crate::agent;
use crate::check::Finding;
use crate::scenario::Scenario;

/// How long a seed may take before its tasks count as stuck.
const DEADLINE: Duration = Duration::from_secs(120);
/// A task in implementation with no job behind it, or a running session with none, for this long
/// is stuck.
const STUCK_AFTER: Duration = Duration::from_secs(6);
const TICK: Duration = Duration::from_millis(100);

pub struct World {
    pub scenario: Scenario,
    pub dir: tempfile::TempDir,
    pub repo_path: PathBuf,
    pub default_branch: String,
    pub design_docs_branch: String,
    pub url: DatabaseUrl,
    /// The people's (as the server's) and the checker's store; on SQLite the engines' too (one
    /// writer per process), on PostgreSQL each engine opens its own, like a separate node.
    pub store: Store,
    pub profiles: Profiles,
    /// Task ids by scenario index.
    pub tasks: Vec<SpecTaskId>,
    /// What the run saw while it ran (liveness findings).
    pub findings: Vec<Finding>,
    /// Event seqs in the order a reader following the log (as `GET /events` does) saw them.
    pub events_seen: Vec<i64>,
    /// Tasks (by scenario index) in which people spawned a session.
    pub spawned: Vec<bool>,
    /// The state when the run was found stuck, before the engines were stopped (stopping them
    /// interrupts and hands back what they ran, which the final state then shows instead).
    pub stuck_state: Option<String>,
}

/// A live engine: its node, the handle of its run, and what a kill must stop.
struct Engine {
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<()>,
    runtime: AgentRuntime,
    store: Store,
    own_store: bool,
}

impl World {
    pub async fn new(scenario: Scenario) -> World {
        let dir = tempfile::tempdir_in(base_dir()).expect("temp dir");
        let url = if scenario.postgres {
            let url = spectask_store::testing::isolated_postgres_url().await.expect("PostgreSQL schema");
            DatabaseUrl::parse(&url).expect("PostgreSQL url")
        } else {
            DatabaseUrl::sqlite_in(&dir.path().join("data"))
        };
        let store = Store::open(&url).await.expect("store");
        let (repo, repository) =
            fixtures::registered_repository(&store, dir.path()).await.expect("registered repository");
        let agents = dir.path().join("agents");
        let me = std::env::current_exe().expect("this binary").display().to_string();
        let mut profile =
            AgentProfile::acp("sim", me, vec!["--scripted-agent".into(), agents.display().to_string()]);
        if let ProfileKind::Acp { sandbox, .. } = &mut profile.kind {
            // The agent is this test binary; the sandbox is tested elsewhere and would cost an exec.
            *sandbox = SandboxMode::Off;
        }
        let mut profiles = Profiles::presets();
        profiles.insert(profile);
        let mut tasks = Vec::new();
        for plan in &scenario.tasks {
            let task = fixtures::spec_task_in_review(
                &store,
                repository.id,
                &format!("Build {}", plan.letter),
                &plan.tasks_md(),
                "sim",
            )
            .await
            .expect("spec task in review");
            agent::write_scripts(&agents, &task.handle(), plan).expect("agent scripts");
            tasks.push(task.id);
        }
        World {
            default_branch: repo.default_branch().to_owned(),
            design_docs_branch: repo.design_docs_branch().to_owned(),
            scenario,
            url,
            dir,
            repo_path: repo.root().to_path_buf(),
            store,
            profiles,
            events_seen: Vec::new(),
            spawned: vec![false; tasks.len()],
            tasks,
            findings: Vec::new(),
            stuck_state: None,
        }
    }

    fn config(&self, engine: usize) -> OrchestratorConfig {
        let mut config = OrchestratorConfig::new(format!("node-{engine}"));
        config.lease = Duration::from_secs(2);
        config.sweep_interval = Duration::from_millis(250);
        config.max_attempts = 5;
        config.backoff_initial = Duration::from_millis(50);
        config.backoff_max = Duration::from_millis(500);
        let global = self.scenario.wip_global;
        config.wip = WipLimits { global, per_repository: global, per_user: global };
        config.default_implementation_agent = Some("sim".into());
        config.history_window = Duration::from_millis(200);
        config.max_parallel_sessions = self.scenario.max_parallel_sessions;
        config
    }

    async fn start(&self, engine: usize) -> Engine {
        let store = if self.scenario.postgres {
            // A node that cannot reach its database yet tries again (a shared server may be busy).
            let open = || Store::open(&self.url);
            let retry =
                backon::ExponentialBuilder::new().with_max_delay(Duration::from_secs(2)).with_max_times(8);
            backon::Retryable::retry(open, retry).await.expect("engine store")
        } else {
            self.store.clone()
        };
        let runtime = AgentRuntime::new(RuntimeConfig {
            max_live_instances: 16,
            request_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(3),
            ..RuntimeConfig::default()
        });
        let orchestrator =
            Orchestrator::new(store.clone(), self.profiles.clone(), runtime.clone(), self.config(engine));
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(orchestrator.run(shutdown.clone()));
        Engine { shutdown, handle, runtime, store, own_store: self.scenario.postgres }
    }

    /// Runs the scenario until every task has ended and no job is left, or the deadline.
    pub async fn run(&mut self) {
        let started = Instant::now();
        let mut engines: Vec<Option<Engine>> = Vec::new();
        for e in 0..self.scenario.engines {
            engines.push(Some(self.start(e).await));
        }
        let mut kills = self.scenario.kills.clone().into_iter().peekable();
        let mut restarts: Vec<(Instant, usize)> = Vec::new();
        let mut approved: HashMap<usize, Instant> = HashMap::new();
        let mut changes_requested: Vec<bool> = vec![false; self.tasks.len()];
        let mut idle_since: HashMap<String, Instant> = HashMap::new();
        loop {
            let now = Instant::now();
            while let Some(kill) = kills.next_if(|k| started + k.at <= now) {
                if let Some(engine) = engines[kill.engine].take() {
                    stop(engine, kill.abrupt).await;
                    restarts.push((Instant::now() + kill.down_for, kill.engine));
                }
            }
            for (at, e) in std::mem::take(&mut restarts) {
                if at <= now && engines[e].is_none() {
                    engines[e] = Some(self.start(e).await);
                } else if engines[e].is_none() {
                    restarts.push((at, e));
                }
            }
            let mut ended = 0;
            for (i, id) in self.tasks.clone().into_iter().enumerate() {
                let plan = self.scenario.tasks[i].clone();
                let task = busy("task", || self.store.spec_task(id)).await;
                match task.status() {
                    SpecTaskStatus::SpecReview if started + plan.approve_after <= now => {
                        fixtures::approve_spec(&self.store, &task, "sim").await.expect("spec approval");
                        approved.insert(i, now);
                    }
                    SpecTaskStatus::ImplementationReview => {
                        let ask = plan.request_changes && !changes_requested[i];
                        changes_requested[i] |= ask;
                        review(&self.store, &task, ask).await;
                    }
                    status if status.is_terminal() || status == SpecTaskStatus::Failed => ended += 1,
                    _ => {}
                }
                if let (Some(after), Some(at)) = (plan.spawn_after, approved.get(&i))
                    && *at + after <= now
                    && !self.spawned[i]
                    && task.status() == SpecTaskStatus::Implementation
                {
                    self.spawned[i] = spawn(&self.store, &task, plan.extra().0).await;
                }
                if let (Some(after), Some(at)) = (plan.cancel_after, approved.get(&i))
                    && *at + after <= now
                    && !task.status().is_terminal()
                    && task.status() != SpecTaskStatus::Failed
                {
                    let _ = self.store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await;
                }
                self.watch(&task, &mut idle_since).await;
            }
            self.follow_events().await;
            let unfinished = self.unfinished_jobs().await;
            if ended == self.tasks.len() && unfinished == 0 && restarts.is_empty() && kills.peek().is_none() {
                break;
            }
            if !self.findings.is_empty() {
                // Stuck for good: nothing moves it any more; the findings say where.
                break;
            }
            if now - started > DEADLINE {
                self.findings.push(Finding::new("liveness", format!("not ended after {DEADLINE:?}")));
                break;
            }
            tokio::time::sleep(TICK).await;
        }
        if !self.findings.is_empty() {
            self.stuck_state = Some(self.dump().await);
        }
        for engine in engines.into_iter().flatten() {
            stop(engine, false).await;
        }
        self.follow_events().await;
        self.agents_gone().await;
    }

    /// Reads the event log from where it stopped, like a live stream's cursor.
    async fn follow_events(&mut self) {
        loop {
            let cursor = self.events_seen.last().copied().unwrap_or(0);
            let page = busy("events", || self.store.events_after(cursor, 1000)).await;
            if page.is_empty() {
                return;
            }
            self.events_seen.extend(page.iter().map(|e| e.seq));
        }
    }

    /// Once every engine stopped, no agent process of this seed is left (each is stopped with its
    /// task or its engine); any found is reported and killed.
    async fn agents_gone(&mut self) {
        let marker = self.dir.path().join("agents").display().to_string();
        let mut left = agent_processes(&marker);
        for _ in 0..50 {
            if left.is_empty() {
                return;
            }
            tokio::time::sleep(TICK).await;
            left = agent_processes(&marker);
        }
        self.findings
            .push(Finding::new("agents stopped", format!("agent processes {left:?} outlived the engines")));
        for pid in left {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }

    /// Liveness while running: a task in implementation, or a running session, with no job behind it.
    async fn watch(&mut self, task: &SpecTask, idle_since: &mut HashMap<String, Instant>) {
        let jobs = busy("jobs", || self.store.jobs_of(task.id)).await;
        let open = |j: &&spectask_core::Job| matches!(j.status, JobStatus::Queued | JobStatus::Running);
        let mut idle = Vec::new();
        for session in busy("sessions", || self.store.work_sessions_of(task.id)).await {
            if session.status() == WorkSessionStatus::Running
                && !jobs.iter().filter(open).any(|j| j.work_session_id == Some(session.id))
            {
                idle.push(("running without a job", format!("session {:?} running", session.name)));
            }
        }
        // A thread on record has been told its task (the two are written together): a restart that
        // finds a thread resumes it as one that knows its task.
        for (id, thread) in busy("threads", || self.store.threads_of_task(task.id)).await {
            if thread.acp_session_id.is_some()
                && !busy("prompted", || self.store.session_was_prompted(id)).await
            {
                let finding =
                    Finding::new("thread told its task", format!("session {id} has a thread never prompted"));
                if !self.findings.contains(&finding) {
                    self.findings.push(finding);
                }
            }
        }
        // A session stuck running explains a stuck task; otherwise the task's own stall is the finding.
        if idle.is_empty()
            && task.status() == SpecTaskStatus::Implementation
            && !jobs.iter().any(|j| open(&j))
        {
            idle.push(("stalled implementation", format!("task {} in implementation", task.handle())));
        }
        let now = Instant::now();
        let prefix = format!("{}:", task.id);
        idle_since
            .retain(|k, _| !k.starts_with(&prefix) || idle.iter().any(|(_, i)| k.ends_with(i.as_str())));
        for (invariant, what) in idle {
            let since = *idle_since.entry(format!("{prefix}{what}")).or_insert(now);
            if now - since >= STUCK_AFTER {
                let finding =
                    Finding::new(invariant, format!("{what} with no job behind it for {STUCK_AFTER:?}"));
                if !self.findings.contains(&finding) {
                    self.findings.push(finding);
                }
            }
        }
    }

    async fn unfinished_jobs(&self) -> usize {
        let mut n = 0;
        for &id in &self.tasks {
            let jobs = busy("jobs", || self.store.jobs_of(id)).await;
            n += jobs.iter().filter(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running)).count();
        }
        n
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The whole state, for a failing seed: each task, its sessions and its jobs.
    pub async fn dump(&self) -> String {
        let mut out = String::new();
        for &id in &self.tasks {
            let task = self.store.spec_task(id).await.expect("task");
            let failure = task.state.failure().map(|f| format!(" ({})", f.reason)).unwrap_or_default();
            out.push_str(&format!("  task {} {}{failure}\n", task.handle(), task.status()));
            for s in self.store.work_sessions_of(id).await.expect("sessions") {
                let plan = s.plan_task.as_ref().map(|p| p.title.clone()).unwrap_or_default();
                out.push_str(&format!("    session {:?} [{plan}] {} {}\n", s.name, s.status(), s.id));
            }
            for j in self.store.jobs_of(id).await.expect("jobs") {
                let session = j.work_session_id.map(|s| s.to_string()).unwrap_or_default();
                let error = j.last_error.as_deref().unwrap_or("");
                let owner = j.lease_owner.as_deref().map(|o| format!("on {o} ")).unwrap_or_default();
                out.push_str(&format!(
                    "    job {} {} {} {owner}attempt {} {session} {error}\n",
                    j.id, j.kind, j.status, j.attempts
                ));
            }
        }
        out
    }
}

/// A read of the people's store while engines run, tried again while the database is too busy to
/// serve it (a pool timeout on a loaded machine, say) instead of panicking the whole run; bounded.
async fn busy<T, F, Fut>(what: &str, read: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let retry = backon::ExponentialBuilder::new().with_max_delay(Duration::from_secs(2)).with_max_times(30);
    backon::Retryable::retry(read, retry)
        .when(|e| matches!(e, StoreError::Database(_)))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Processes whose command line names this seed's agents directory (the simulated agents).
fn agent_processes(agents: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).split('\0').any(|arg| arg == agents))
        })
        .collect()
}

/// Where seeds keep their repository, database and agents: `SPECTASK_STRESS_DIR`, else memory
/// (`/dev/shm`) where there is one — a seed creates thousands of small files (git objects, worktrees),
/// which on a disk file system costs more than the rest of the run — else the temp dir.
fn base_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SPECTASK_STRESS_DIR") {
        return dir.into();
    }
    let shm = Path::new("/dev/shm");
    let writable = shm.is_dir() && tempfile::tempdir_in(shm).is_ok();
    if writable { shm.to_path_buf() } else { std::env::temp_dir() }
}

/// Stops an engine: gracefully, or as `kill -9` would (its steps dropped where they are, its agent
/// processes gone with it, nothing released).
async fn stop(engine: Engine, abrupt: bool) {
    if abrupt {
        engine.handle.abort();
        let _ = engine.handle.await;
        engine.runtime.stop_all().await;
    } else {
        engine.shutdown.cancel();
        let _ = engine.handle.await;
    }
    if engine.own_store {
        engine.store.close().await;
    }
}

/// A session spawned by people (as `task spawn` does); false when the task moved on meanwhile.
async fn spawn(store: &Store, task: &SpecTask, name: String) -> bool {
    let request = SpawnRequest {
        name,
        description: "Write the extra file.".into(),
        agent_profile: None,
        priority: Priority::Normal,
    };
    spectask_orchestrator::spawn(store, task, None, request).await.is_ok()
}

/// The implementation review as the server records it: the decision in the log, then the transition.
async fn review(store: &Store, task: &SpecTask, request_changes: bool) {
    let (command, decision) = if request_changes {
        (SpecTaskCommand::RequestImplementationChanges, "request_changes")
    } else {
        (SpecTaskCommand::ApproveImplementation, "approve")
    };
    store
        .record_coordination(NewCoordination {
            spec_task_id: task.id,
            kind: CoordinationKind::ReviewDecision,
            from_session: None,
            to_session: None,
            message: format!("implementation review: {}", decision.replace('_', " ")),
            data: json!({ "decision": decision, "comments": "Please add a review note.", "reviewer": "sim" }),
        })
        .await
        .expect("review decision");
    store.transition_spec_task(task, &command).await.expect("review transition");
}
