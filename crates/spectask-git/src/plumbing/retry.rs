//! How long git operations wait for someone else, each a named use of the workspace's one retry
//! policy (`backon::ExponentialBuilder`: exponential, with jitter adding up to the step again, capped,
//! bounded in attempts or in total time). Blocking sleeps: this crate is synchronous.

use std::time::Duration;

use backon::ExponentialBuilder;

/// A lock file git needs is held by another git process (`index.lock` while an agent runs
/// `git status`, a ref's `.lock` …): 8 more tries from 5 ms, about 1.3 to 2.5 s in all.
pub(crate) const LOCK_FILE_RETRY: ExponentialBuilder = ExponentialBuilder::new()
    .with_jitter()
    .with_min_delay(Duration::from_millis(5))
    .with_max_delay(Duration::from_millis(640))
    .with_max_times(8);

/// A push of a task branch the remote refused (another push landed first, the remote was briefly
/// out of reach): 6 more tries from 100 ms, about 6 to 12 s in all.
pub(crate) const PUSH_RETRY: ExponentialBuilder = ExponentialBuilder::new()
    .with_jitter()
    .with_min_delay(Duration::from_millis(100))
    .with_max_delay(Duration::from_secs(4))
    .with_max_times(6);

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
            assert_eq!(PUSH_RETRY.build().count(), 6);
            let push = total(PUSH_RETRY);
            assert!(push >= Duration::from_millis(6300) && push < Duration::from_millis(12600), "{push:?}");
        }
    }
}
