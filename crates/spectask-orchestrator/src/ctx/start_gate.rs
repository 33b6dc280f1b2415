//! How many sessions of this node open their threads at once: a scheduling write may start a
//! thousand sessions together, and each opening (the worktree, the agent's new thread, the first
//! prompt read and recorded) takes the store, git and the agent. Taken in turns, the first
//! sessions run at once and the openings do not crowd out everything else (a person's reads).

use tokio::sync::{Semaphore, SemaphorePermit};

/// Threads opened at once on a node.
const AT_ONCE: usize = 16;

/// The gate of this node's thread openings.
#[derive(Debug)]
pub(crate) struct StartGate(Semaphore);

impl Default for StartGate {
    fn default() -> Self {
        StartGate(Semaphore::new(AT_ONCE))
    }
}

impl StartGate {
    /// Waits for this opening's turn; the next one may start once the permit is dropped.
    pub(crate) async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed: `None` cannot happen, and would only let the opening through.
        self.0.acquire().await.ok()
    }
}
