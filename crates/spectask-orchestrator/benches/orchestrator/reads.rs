//! API-like reads while the engine is busy: the board's list of tasks, the fleet view and the task
//! page of the fleet's first task, read as the server reads them (the engine's store with readers of
//! its own, sharing its writer) one after the other, every `EVERY`, timed each. Their p99 is the
//! latency a person's dashboard sees while the sessions run; a read that fails (the pool's acquire
//! timing out) counts with the time it took, and is told apart.

use std::time::{Duration, Instant};

use spectask_core::{Budget, SpecTaskId};
use spectask_orchestrator::views::{attention, progress};
use spectask_store::{SpecTaskFilter, Store, StoreError};
use tokio_util::sync::CancellationToken;

/// How often the reads are made (a dashboard refetching, a few people looking).
const EVERY: Duration = Duration::from_millis(100);

/// Reads running until [`Reads::stop`].
pub(crate) struct Reads {
    stop: CancellationToken,
    handle: tokio::task::JoinHandle<Samples>,
}

/// Each read's latency in ms, by view.
#[derive(Default)]
pub(crate) struct Samples {
    pub(crate) board: Vec<f64>,
    pub(crate) fleet: Vec<f64>,
    /// The task page (`GET /spec-tasks/{id}` and its `/progress`) of the fleet's first task.
    pub(crate) task: Vec<f64>,
    /// Reads that failed, with their errors.
    pub(crate) failed: Vec<String>,
}

impl Samples {
    /// Every view's latencies together.
    pub(crate) fn all(&self) -> Vec<f64> {
        self.board.iter().chain(&self.fleet).chain(&self.task).copied().collect()
    }
}

impl Reads {
    /// Starts reading the board, the fleet and a task page from the engine's `store` every [`EVERY`].
    pub(crate) async fn start(store: &Store) -> Reads {
        let store = store.with_own_readers().await.unwrap();
        let stop = CancellationToken::new();
        let handle = tokio::spawn(read(store, stop.clone()));
        Reads { stop, handle }
    }

    pub(crate) async fn stop(self) -> Samples {
        self.stop.cancel();
        self.handle.await.unwrap()
    }
}

async fn read(store: Store, stop: CancellationToken) -> Samples {
    let mut samples = Samples::default();
    let board = SpecTaskFilter { limit: 50, ..SpecTaskFilter::default() };
    let budget = Budget::default();
    while !stop.is_cancelled() {
        let at = Instant::now();
        let listed = store.list_spec_tasks_waiting(&board).await;
        samples.board.push(at.elapsed().as_secs_f64() * 1000.0);
        let at = Instant::now();
        let fleet = spectask_orchestrator::views::fleet::fleet(&store, None, &budget).await;
        samples.fleet.push(at.elapsed().as_secs_f64() * 1000.0);
        samples.failed.extend(listed.err().map(|e| format!("board: {e}")));
        let first = fleet.as_ref().ok().and_then(|cards| cards.first()).map(|card| card.task.id);
        samples.failed.extend(fleet.err().map(|e| format!("fleet: {e}")));
        if let Some(id) = first {
            let at = Instant::now();
            let page = task_page(&store, id, &budget).await;
            samples.task.push(at.elapsed().as_secs_f64() * 1000.0);
            samples.failed.extend(page.err().map(|e| format!("task page: {e}")));
        }
        tokio::select! {
            () = stop.cancelled() => {}
            () = tokio::time::sleep(EVERY) => {}
        }
    }
    samples
}

/// What the server reads for a task's page: the task as `GET /spec-tasks/{id}` gives it (its
/// repository, budget, attention, plan standing, queue reason, pull request, issue and
/// prerequisites, read at once as the server does), then its `/progress`.
async fn task_page(store: &Store, id: SpecTaskId, budget: &Budget) -> Result<(), StoreError> {
    let task = store.spec_task(id).await?;
    let tasks = std::slice::from_ref(&task);
    let attention_and_plan = async {
        let (_, sessions) = attention::attention_and_sessions(store, tasks).await?;
        progress::plan_standings(store, tasks, sessions).await
    };
    tokio::try_join!(
        store.repository(task.repository_id),
        store.budget_standing(task.id, budget),
        attention_and_plan,
        store.queue_reason(task.id),
        store.pull_request_of(task.id),
        store.issue_of(task.id),
        store.prerequisites(task.id),
    )?;
    let sessions = store.work_session_standings_of(task.id).await?;
    progress::task_progress(store, &task, &sessions).await?;
    Ok(())
}
