//! Requests to this node's history recorder to record everything now, and their answers: what a
//! benchmark holds to count all the recording its sessions caused (`history::recorder` answers).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Notify, watch};

/// Asks this node's running recorder to record everything now — every milestone not passed yet
/// and every repository's pending history, whatever its window — and waits until it has (a
/// benchmark's figure then counts all the recording its sessions caused, not what the window happened
/// to leave for later). Waits for as long as no recorder runs.
#[derive(Clone, Debug)]
pub struct RecorderHandle(pub(crate) Arc<FlushRequests>);

/// The requests made of the recorder and those it answered (`recorder::run` answers them).
#[derive(Debug)]
pub(crate) struct FlushRequests {
    /// Requests made so far; the recorder answers every one made before its flush started.
    pub(crate) asked: AtomicU64,
    /// Told of each request.
    pub(crate) wake: Notify,
    /// The requests answered so far.
    pub(crate) done: watch::Sender<u64>,
}

impl Default for RecorderHandle {
    fn default() -> Self {
        RecorderHandle(Arc::new(FlushRequests {
            asked: AtomicU64::new(0),
            wake: Notify::new(),
            done: watch::channel(0).0,
        }))
    }
}

impl RecorderHandle {
    /// Records everything now and returns once that is done.
    pub async fn flush(&self) {
        let ticket = self.0.asked.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.wake.notify_one();
        let mut done = self.0.done.subscribe();
        // The sender lives in `self`: it never closes while we wait.
        let _ = done.wait_for(|answered| *answered >= ticket).await;
    }
}
