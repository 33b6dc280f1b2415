//! The engine loop through its public API, on SQLite and PostgreSQL: what a node does with its jobs
//! when it is told to stop, with an admission that failed, and with what its previous run left.

use std::io::Read;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spectask_agent::{AgentRuntime, Profiles, RuntimeConfig};
use spectask_core::{
    HistoryFile, JobKind, JobStatus, NewSpecTask, SpecTaskCommand, SpecTaskStatus, TaskKind,
};
use spectask_orchestrator::{EngineObserver, Orchestrator, OrchestratorConfig};
use spectask_store::{DatabaseUrl, NewHistoryEntry, Store, StoreError};
use tokio_util::sync::CancellationToken;

/// Tells the node to stop as soon as it claims its first job, and counts its claims.
#[derive(Debug)]
struct StopAtFirstClaim {
    shutdown: CancellationToken,
    claims: AtomicUsize,
}

impl EngineObserver for StopAtFirstClaim {
    fn job_claimed(&self, _kind: JobKind, _waited: Duration) {
        self.claims.fetch_add(1, Ordering::SeqCst);
        self.shutdown.cancel();
    }
}

/// Lifts the database's fault once the node's admission failed on it.
#[derive(Debug)]
struct FailedAdmissions(tokio::sync::mpsc::UnboundedSender<String>);

impl EngineObserver for FailedAdmissions {
    fn job_claimed(&self, _kind: JobKind, _waited: Duration) {}

    fn admission_failed(&self, error: &StoreError) {
        let _ = self.0.send(error.to_string());
    }
}

async fn store(dir: &std::path::Path, postgres: bool) -> Store {
    let url = match postgres {
        true => DatabaseUrl::parse(&spectask_store::testing::isolated_postgres_url().await.unwrap()).unwrap(),
        false => DatabaseUrl::sqlite_in(&dir.join("data")),
    };
    Store::open(&url).await.unwrap()
}

/// A node told to stop while it claims jobs claims no more: it does not fill its runner slots with
/// jobs it interrupts at once and hands back. One write claims the three jobs (the node is told to stop at the first it reports);
/// none is claimed again, and each is either done or handed back with its attempt uncounted.
async fn a_node_told_to_stop_claims_no_more_jobs(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), postgres).await;
    let (_repo, repository) =
        spectask_orchestrator::fixtures::registered_repository(&store, dir.path()).await.unwrap();
    let mut tasks = Vec::new();
    for title in ["a", "b", "c"] {
        let task = store
            .create_spec_task(NewSpecTask::new(TaskKind::CodingSession, repository.id, title, title, "me"))
            .await
            .unwrap();
        // Cancelled: one stop_agents job each, and nothing for admission to start.
        store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await.unwrap();
        tasks.push(task.id);
    }
    let shutdown = CancellationToken::new();
    let observer = Arc::new(StopAtFirstClaim { shutdown: shutdown.clone(), claims: AtomicUsize::new(0) });
    let runtime = AgentRuntime::new(RuntimeConfig::default());
    let orchestrator =
        Orchestrator::new(store.clone(), Profiles::presets(), runtime, OrchestratorConfig::new("n1"))
            .observed_by(observer.clone());
    tokio::time::timeout(Duration::from_secs(120), orchestrator.run(shutdown)).await.expect("the node stops");
    let mut jobs = Vec::new();
    for task in &tasks {
        jobs.extend(store.jobs_of(*task).await.unwrap());
    }
    let state = format!("{jobs:#?}");
    assert_eq!(observer.claims.load(Ordering::SeqCst), 3, "claims after the stop:\n{state}");
    let done = jobs.iter().filter(|j| j.status == JobStatus::Done).count();
    let untouched = jobs.iter().filter(|j| j.status == JobStatus::Queued && j.attempts == 0).count();
    assert_eq!((done, untouched, jobs.len()), (done, 3 - done, 3), "{state}");
}

/// An admission that fails (SQLite's "database is locked" under another writer) keeps its due mark
/// and is tried again shortly: before, the mark was taken first and lost with the error, and the
/// task waited for the next sweep (5 s by default; never, here). Seen in `it wip::` on SQLite.
async fn a_failed_admission_is_tried_again_without_waiting_for_the_sweep(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), postgres).await;
    let (_repo, repository) =
        spectask_orchestrator::fixtures::registered_repository(&store, dir.path()).await.unwrap();
    let task = store
        .create_spec_task(NewSpecTask::new(TaskKind::CodingSession, repository.id, "t", "t", "me"))
        .await
        .unwrap();
    spectask_store::testing::refuse_task_updates(&store, true).await.unwrap();
    let (failed, mut failures) = tokio::sync::mpsc::unbounded_channel();
    let mut config = OrchestratorConfig::new("n1");
    config.sweep_interval = Duration::from_secs(3600);
    config.lease = Duration::from_secs(3 * 3600);
    let runtime = AgentRuntime::new(RuntimeConfig::default());
    let shutdown = CancellationToken::new();
    let orchestrator = Orchestrator::new(store.clone(), Profiles::presets(), runtime, config)
        .observed_by(Arc::new(FailedAdmissions(failed)));
    let node = tokio::spawn(orchestrator.run(shutdown.clone()));
    // Three failures in a row: on PostgreSQL the job listener also marks admission due once, when it
    // connects, so two could come without any retry. (On PostgreSQL other databases' tests on the
    // same server also wake it — notification channels are per database, not per schema — so there
    // this test may pass without the retry; on SQLite it cannot.)
    for _ in 0..3 {
        let error = tokio::time::timeout(Duration::from_secs(120), failures.recv()).await;
        assert!(matches!(&error, Ok(Some(e)) if e.contains("database is locked")), "{error:?}");
    }
    spectask_store::testing::refuse_task_updates(&store, false).await.unwrap();
    let admitted = async {
        loop {
            let status = store.spec_task(task.id).await.unwrap().status();
            if status != SpecTaskStatus::Backlog {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let status = tokio::time::timeout(Duration::from_secs(60), admitted).await;
    shutdown.cancel();
    node.await.unwrap();
    assert_eq!(status, Ok(SpecTaskStatus::ImplementationQueued), "admitted once the database is free");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_admission_is_tried_again_without_waiting_for_the_sweep_on_sqlite() {
    a_failed_admission_is_tried_again_without_waiting_for_the_sweep(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_admission_is_tried_again_without_waiting_for_the_sweep_on_postgres() {
    a_failed_admission_is_tried_again_without_waiting_for_the_sweep(true).await;
}

/// A node that starts gives up the history leases of its previous run (killed in the middle of a
/// history commit) and commits the history they kept waiting; another node's lease stays. No
/// recorder waits for those leases to expire.
async fn a_node_takes_back_the_history_leases_of_its_previous_run(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), postgres).await;
    let mut pending = Vec::new();
    for (sub, holder) in [("ours", "n1/4242/1"), ("theirs", "n10/4242/1")] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        let (_repo, repository) =
            spectask_orchestrator::fixtures::registered_repository(&store, &dir.path().join(sub))
                .await
                .unwrap();
        let task = store
            .create_spec_task(NewSpecTask::new(TaskKind::CodingSession, repository.id, sub, sub, "me"))
            .await
            .unwrap();
        store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await.unwrap();
        let entry = NewHistoryEntry {
            spec_task_id: task.id,
            work_session_id: None,
            file: HistoryFile::CoordinationLog,
            content: format!("<{sub}>"),
        };
        pending.push(store.append_history(&[entry]).await.unwrap()[0]);
        assert!(
            store.acquire_recorder_lease(repository.id, holder, Duration::from_secs(3600)).await.unwrap()
        );
    }
    let mut config = OrchestratorConfig::new("n1");
    config.history_window = Duration::from_millis(50);
    let runtime = AgentRuntime::new(RuntimeConfig::default());
    let shutdown = CancellationToken::new();
    let node = tokio::spawn(
        Orchestrator::new(store.clone(), Profiles::presets(), runtime, config).run(shutdown.clone()),
    );
    let committed = async {
        loop {
            let left: Vec<i64> = store.pending_history(10).await.unwrap().iter().map(|e| e.seq).collect();
            if !left.contains(&pending[0]) {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let left = tokio::time::timeout(Duration::from_secs(60), committed).await;
    shutdown.cancel();
    node.await.unwrap();
    assert_eq!(left, Ok(vec![pending[1]]), "ours committed, theirs left to their node");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_takes_back_the_history_leases_of_its_previous_run_on_sqlite() {
    a_node_takes_back_the_history_leases_of_its_previous_run(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_takes_back_the_history_leases_of_its_previous_run_on_postgres() {
    a_node_takes_back_the_history_leases_of_its_previous_run(true).await;
}

/// Accepts the next connection to the fake model, waiting up to 120 s.
async fn next_connection(connections: &Arc<Mutex<Receiver<TcpStream>>>) -> TcpStream {
    let connections = connections.clone();
    let next = move || connections.lock().unwrap().recv_timeout(Duration::from_secs(120));
    tokio::task::spawn_blocking(next).await.unwrap().expect("a connection to the model")
}

/// Whether the peer closed `stream` (after reading what it sent), waiting up to 60 s.
async fn closed_by_peer(stream: TcpStream) -> bool {
    tokio::task::spawn_blocking(move || {
        let mut stream = stream;
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => return e.kind() == std::io::ErrorKind::ConnectionReset,
            }
        }
    })
    .await
    .unwrap()
}

/// A node whose lease on a running job lapsed under it (renewals too late, as on a loaded machine)
/// claims the job again and ends its own earlier run: one run of a job at a time, the later one
/// (the store's side is `jobs::an_expired_lease_taken_back_by_the_same_node_ends_its_earlier_run`). The job is a task's
/// planning, waiting on a model that answers nothing: the earlier run's request is dropped (its
/// connection closed) when the node claims the job again, and the later run's waits on.
async fn a_node_claiming_again_its_own_lapsed_job_ends_its_earlier_run(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), postgres).await;
    let (_repo, repository) =
        spectask_orchestrator::fixtures::registered_repository(&store, dir.path()).await.unwrap();
    let model = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v1", model.local_addr().unwrap());
    let (accepted, connections) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in model.incoming() {
            if stream.map(|s| accepted.send(s)).is_err() {
                return;
            }
        }
    });
    let connections = Arc::new(Mutex::new(connections));
    let profiles = Profiles::from_toml(&format!(
        "[agents.planner]\nkind = \"llm\"\nprovider = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"m\"\n"
    ))
    .unwrap();
    let mut config = OrchestratorConfig::new("n1");
    config.default_planning_agent = Some("planner".to_owned());
    // Renewed once an hour: only the test makes the lease lapse.
    config.lease = Duration::from_secs(3 * 3600);
    config.sweep_interval = Duration::from_millis(200);
    let task = store
        .create_spec_task(NewSpecTask::new(TaskKind::Spec, repository.id, "t", "plan it", "me"))
        .await
        .unwrap();
    let runtime = AgentRuntime::new(RuntimeConfig::default());
    let shutdown = CancellationToken::new();
    let node =
        tokio::spawn(Orchestrator::new(store.clone(), profiles, runtime, config).run(shutdown.clone()));

    let earlier = next_connection(&connections).await;
    let running = store.jobs_of(task.id).await.unwrap();
    assert_eq!(spectask_store::testing::lapse_node_leases(&store).await.unwrap(), 1, "{running:#?}");
    let later = next_connection(&connections).await;
    let earlier_ended = closed_by_peer(earlier).await;

    let jobs = store.jobs_of(task.id).await.unwrap();
    // The later run's request is still waiting: what it sent is there, and no end after it.
    later.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    let later_waits = loop {
        match (&later).read(&mut buf) {
            Ok(0) => break false,
            Ok(_) => continue,
            Err(e) => break e.kind() == std::io::ErrorKind::WouldBlock,
        }
    };
    shutdown.cancel();
    drop(later);
    node.await.unwrap();
    assert!(earlier_ended, "the earlier run's request went on: {jobs:#?}");
    assert!(later_waits, "{jobs:#?}");
    let planning: Vec<_> = jobs.iter().filter(|j| j.status == JobStatus::Running).collect();
    assert_eq!(planning.len(), 1, "{jobs:#?}");
    assert_eq!((planning[0].attempts, planning[0].lease_owner.as_deref()), (2, Some("n1")), "{jobs:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_claiming_again_its_own_lapsed_job_ends_its_earlier_run_on_sqlite() {
    a_node_claiming_again_its_own_lapsed_job_ends_its_earlier_run(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_claiming_again_its_own_lapsed_job_ends_its_earlier_run_on_postgres() {
    a_node_claiming_again_its_own_lapsed_job_ends_its_earlier_run(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_told_to_stop_claims_no_more_jobs_on_sqlite() {
    a_node_told_to_stop_claims_no_more_jobs(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_told_to_stop_claims_no_more_jobs_on_postgres() {
    a_node_told_to_stop_claims_no_more_jobs(true).await;
}
