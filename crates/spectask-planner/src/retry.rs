//! When and how long to wait before trying an HTTP call again.

use std::time::Duration;

use reqwest::header::HeaderMap;

use backon::ExponentialBuilder;

use crate::config::Backoff;

/// Statuses worth another attempt: timeouts, rate limits and server-side failures (Anthropic's
/// `529 overloaded` included).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 425 | 429) || (500..=599).contains(&status)
}

/// The delay a server asked for: `retry-after-ms` (OpenAI) or `Retry-After` in seconds.
/// The HTTP-date form of `Retry-After` is not understood and falls back to the backoff.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(millis) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(millis / 1000.0).ok();
    }
    header("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
}

/// The retry policy of one chat call: exponential backoff from `initial` with jitter (a random part
/// up to the step again), `max_attempts` in all. [`wait`] caps each wait at `max`.
pub(crate) fn chat_call_retry(backoff: &Backoff, max_attempts: u32) -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_jitter()
        .with_min_delay(backoff.initial)
        .with_max_delay(backoff.max)
        .with_max_times(max_attempts.saturating_sub(1) as usize)
}

/// The wait before the next attempt: the policy's (capped at `max`), or the server's `Retry-After`
/// when that is longer (capped at `max_retry_after`).
pub(crate) fn wait(backoff: &Backoff, policy: Duration, retry_after: Option<Duration>) -> Duration {
    let policy = policy.min(backoff.max);
    match retry_after {
        Some(asked) => policy.max(asked.min(backoff.max_retry_after)),
        None => policy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn backoff() -> Backoff {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        }
    }

    fn waits(max_attempts: u32) -> Vec<Duration> {
        use backon::BackoffBuilder;
        chat_call_retry(&backoff(), max_attempts).build().map(|w| wait(&backoff(), w, None)).collect()
    }

    #[test]
    fn waits_grow_exponentially_with_jitter_up_to_the_cap_and_stop_after_max_attempts() {
        for _ in 0..50 {
            let waits = waits(6);
            assert_eq!(waits.len(), 5, "six attempts wait five times");
            for (wait, (low, high)) in
                waits.iter().zip([(100, 200), (200, 400), (400, 800), (800, 1000), (1000, 1000)])
            {
                assert!(
                    *wait >= Duration::from_millis(low) && *wait <= Duration::from_millis(high),
                    "{waits:?}"
                );
            }
        }
        assert!(waits(1).is_empty(), "one attempt never waits");
    }

    #[test]
    fn retry_after_wins_when_longer_but_is_capped() {
        let policy = Duration::from_millis(150);
        assert_eq!(wait(&backoff(), policy, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(wait(&backoff(), policy, Some(Duration::from_secs(600))), Duration::from_secs(5));
        assert_eq!(wait(&backoff(), policy, Some(Duration::from_millis(10))), policy);
    }

    #[test]
    fn retry_after_headers_are_read_in_seconds_or_milliseconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.clear();
        headers.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for status in [408, 429, 500, 502, 503, 529] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }
}
