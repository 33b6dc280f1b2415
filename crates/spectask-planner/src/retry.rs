//! When and how long to wait before trying an HTTP call again.

use std::time::Duration;

use reqwest::header::HeaderMap;

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

/// The wait after the `failed_attempts`-th failure: exponential backoff with "equal jitter" (a random
/// point in the upper half of the step), or the server's `Retry-After` when that is longer.
pub(crate) fn delay(backoff: &Backoff, failed_attempts: u32, retry_after: Option<Duration>) -> Duration {
    let exponent = failed_attempts.saturating_sub(1).min(20);
    let step = backoff.initial.saturating_mul(1 << exponent).min(backoff.max);
    let half = step / 2;
    let jittered = half + half.mul_f64(fastrand::f64());
    match retry_after {
        Some(asked) => jittered.max(asked.min(backoff.max_retry_after)),
        None => jittered,
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

    #[test]
    fn delays_grow_exponentially_within_jitter_and_stop_at_the_cap() {
        for (failed, low, high) in [(1, 50, 100), (2, 100, 200), (3, 200, 400), (10, 500, 1000)] {
            for _ in 0..50 {
                let wait = delay(&backoff(), failed, None);
                assert!(
                    wait >= Duration::from_millis(low) && wait <= Duration::from_millis(high),
                    "attempt {failed}: {wait:?}"
                );
            }
        }
    }

    #[test]
    fn retry_after_wins_when_longer_but_is_capped() {
        let asked = Some(Duration::from_secs(3));
        assert_eq!(delay(&backoff(), 1, asked), Duration::from_secs(3));
        let too_long = Some(Duration::from_secs(600));
        assert_eq!(delay(&backoff(), 1, too_long), Duration::from_secs(5));
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
