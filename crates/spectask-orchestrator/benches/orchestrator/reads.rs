//! API-like reads while the engine is busy: the board's list of tasks and the fleet view, read
//! through the engine's own store (the server shares it, and its pool) one after the other, every
//! `EVERY`, timed each. Their p99 is the latency a person's dashboard sees while the sessions run; a
//! read that fails (the pool's acquire timing out) counts with the time it took, and is told apart.

use std::time::{Duration, Instant};

use spectask_core::Budget;
use spectask_store::{SpecTaskFilter, Store};
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
    /// Reads that failed, with their errors.
    pub(crate) failed: Vec<String>,
}

impl Samples {
    /// Both views' latencies together.
    pub(crate) fn all(&self) -> Vec<f64> {
        self.board.iter().chain(&self.fleet).copied().collect()
    }
}

impl Reads {
    /// Starts reading the board and the fleet from `store` every [`EVERY`].
    pub(crate) fn start(store: Store) -> Reads {
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
        samples.failed.extend(fleet.err().map(|e| format!("fleet: {e}")));
        tokio::select! {
            () = stop.cancelled() => {}
            () = tokio::time::sleep(EVERY) => {}
        }
    }
    samples
}
