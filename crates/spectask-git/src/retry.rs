//! How long git operations wait for someone else, each a named use of the workspace's one retry
//! policy (`backon::ExponentialBuilder`: exponential, with jitter adding up to the step again, capped,
//! bounded in attempts or in total time). Blocking sleeps: this crate is synchronous.

use std::time::Duration;

use backon::ExponentialBuilder;

/// A lock file libgit2 needs is held by another git process (`index.lock` while an agent runs
/// `git status`, a ref's `.lock` …): 8 more tries from 5 ms, about 1.3 to 2.5 s in all.
pub(crate) const LOCK_FILE_RETRY: ExponentialBuilder = ExponentialBuilder::new()
    .with_jitter()
    .with_min_delay(Duration::from_millis(5))
    .with_max_delay(Duration::from_millis(640))
    .with_max_times(8);

/// Waiting for another git process to release a worktree's `index.lock` before spectask takes it:
/// from 5 ms, each wait at most 200 ms (plus jitter), 2 s of waiting in all.
pub(crate) const INDEX_LOCK_WAIT: ExponentialBuilder = ExponentialBuilder::new()
    .with_jitter()
    .with_min_delay(Duration::from_millis(5))
    .with_max_delay(Duration::from_millis(200))
    .without_max_times()
    .with_total_delay(Some(Duration::from_secs(2)));

/// A process outside spectask (an agent's own `git commit`) moved the design-docs branch between
/// spectask's read and its update: build the write again on the new tip, twice more at most.
pub(crate) const BRANCH_MOVED_RETRY: ExponentialBuilder = ExponentialBuilder::new()
    .with_jitter()
    .with_min_delay(Duration::from_millis(20))
    .with_max_delay(Duration::from_millis(80))
    .with_max_times(2);

#[cfg(test)]
mod tests {
    use backon::BackoffBuilder;

    use super::*;

    #[test]
    fn the_policies_are_bounded() {
        let total = |p: ExponentialBuilder| p.build().sum::<Duration>();
        for _ in 0..20 {
            assert_eq!(LOCK_FILE_RETRY.build().count(), 8);
            let lock = total(LOCK_FILE_RETRY);
            assert!(lock >= Duration::from_millis(1275) && lock < Duration::from_millis(2550), "{lock:?}");
            assert!(total(INDEX_LOCK_WAIT) <= Duration::from_secs(2));
            assert!(INDEX_LOCK_WAIT.build().all(|w| w < Duration::from_millis(400)));
            assert_eq!(BRANCH_MOVED_RETRY.build().count(), 2);
        }
    }
}
