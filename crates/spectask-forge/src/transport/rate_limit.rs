//! The forge's rate limits, read from its answers: the one rule for when a connection may ask
//! again. No request goes out before then ([`super::Wire`] holds them back).
//!
//! - GitHub's primary limit: every answer says the quota (`X-RateLimit-Limit`, `-Remaining`,
//!   `-Reset` in epoch seconds). With none left, nothing is asked before the reset, refused or not.
//! - GitHub's secondary limits: a 403 or 429 with `Retry-After` (seconds); one without it or a
//!   spent quota waits a minute, as GitHub asks.
//! - GitLab: a 429 with `Retry-After`, and `RateLimit-Reset` (epoch seconds); its answers may say
//!   the quota as `RateLimit-Limit` and `-Remaining`.
//! - Forgejo (and a proxy in front of any forge): a 429, with `Retry-After` when it says.
//!
//! A wait the forge names is never cut short, but is taken as at most [`LONGEST_WAIT`]: a forge
//! is not trusted to stop spectask for good.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// The longest wait an answer is taken to ask for.
pub(crate) const LONGEST_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a refusal for the rate limit that names no time waits (GitHub: "at least one minute").
const UNNAMED_WAIT: Duration = Duration::from_secs(60);

/// A connection's quota as the forge last stated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed in the window.
    pub limit: u64,
    /// Requests left in it.
    pub remaining: u64,
    /// When the window starts again.
    pub reset: Option<DateTime<Utc>>,
}

/// The quota an answer states: GitHub's `X-RateLimit-*` or GitLab's `RateLimit-*` headers.
pub(crate) fn quota(headers: &HeaderMap) -> Option<Quota> {
    let read = |name: &str| {
        number(headers, &format!("x-ratelimit-{name}"))
            .or_else(|| number(headers, &format!("ratelimit-{name}")))
    };
    Some(Quota { limit: read("limit")?, remaining: read("remaining")?, reset: read("reset").and_then(epoch) })
}

/// Until when a spent quota holds requests back: none left, and the reset still to come.
pub(crate) fn spent_until(quota: &Quota, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (quota.remaining == 0)
        .then_some(quota.reset)
        .flatten()
        .filter(|reset| *reset > now)
        .map(|reset| capped(reset, now))
}

/// Until when the forge asks to be left alone, when an answer (`status`, `headers`, what its body
/// said) is a refusal for its rate limit; `None` for any other answer.
pub(crate) fn refused_until(
    status: u16,
    headers: &HeaderMap,
    message: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let retry_after = retry_after(headers, now);
    let spent = quota(headers).is_some_and(|q| q.remaining == 0);
    let limited = status == 429
        || (status == 403
            && (retry_after.is_some() || spent || message.to_ascii_lowercase().contains("rate limit")));
    if !limited {
        return None;
    }
    let reset =
        number(headers, "x-ratelimit-reset").or_else(|| number(headers, "ratelimit-reset")).and_then(epoch);
    let until = retry_after
        .or(reset.filter(|r| *r > now && (spent || status == 429)))
        .unwrap_or_else(|| now + UNNAMED_WAIT);
    // At least a second: a reset in the past (a skewed clock) still waits.
    Some(capped(until.max(now + Duration::from_secs(1)), now))
}

/// `Retry-After` as a time: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(now + Duration::from_secs(seconds.min(LONGEST_WAIT.as_secs())));
    }
    DateTime::parse_from_rfc2822(value).ok().map(|at| at.with_timezone(&Utc))
}

fn capped(until: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    until.min(now + LONGEST_WAIT)
}

fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn epoch(seconds: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(seconds).ok()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::test_headers as headers;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn githubs_spent_primary_quota_waits_for_its_reset() {
        let now = at(1_000_000);
        let spent = headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000900"),
        ]);
        let message = "API rate limit exceeded for user ID 1.";
        assert_eq!(refused_until(403, &spent, message, now), Some(at(1_000_900)));
        assert_eq!(spent_until(&quota(&spent).unwrap(), now), Some(at(1_000_900)));
        // A 403 that is no rate limit (a missing permission) waits for nothing.
        let refused = headers(&[("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", "4999")]);
        assert_eq!(refused_until(403, &refused, "Resource not accessible by integration", now), None);
        assert_eq!(spent_until(&quota(&refused).unwrap(), now), None);
    }

    #[test]
    fn secondary_limits_wait_retry_after_or_a_minute() {
        let now = at(1_000_000);
        let named = headers(&[("retry-after", "30"), ("x-ratelimit-remaining", "4000")]);
        assert_eq!(
            refused_until(403, &named, "You have exceeded a secondary rate limit", now),
            Some(at(1_000_030))
        );
        let unnamed = headers(&[("x-ratelimit-remaining", "4000")]);
        let message = "You have exceeded a secondary rate limit. Please wait a few minutes.";
        assert_eq!(refused_until(403, &unnamed, message, now), Some(at(1_000_060)));
        assert_eq!(refused_until(429, &HeaderMap::new(), "", now), Some(at(1_000_060)));
    }

    #[test]
    fn gitlab_and_forgejo_name_the_wait_by_retry_after_or_ratelimit_reset() {
        let now = at(1_000_000);
        let gitlab = headers(&[
            ("ratelimit-reset", "1000045"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-limit", "600"),
        ]);
        assert_eq!(refused_until(429, &gitlab, "Retry later", now), Some(at(1_000_045)));
        let both = headers(&[("retry-after", "45"), ("ratelimit-reset", "1000040")]);
        assert_eq!(refused_until(429, &both, "", now), Some(at(1_000_045)), "Retry-After first");
        let date = headers(&[("retry-after", "Mon, 12 Jan 1970 13:46:50 GMT")]);
        assert_eq!(refused_until(429, &date, "", now), Some(at(1_000_010)));
    }

    #[test]
    fn a_wait_is_at_least_a_second_and_at_most_a_day() {
        let now = at(1_000_000);
        let past = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "999000")]);
        assert_eq!(refused_until(403, &past, "rate limit", now), Some(at(1_000_060)), "a reset gone by");
        let far = headers(&[("retry-after", "99999999")]);
        assert_eq!(refused_until(429, &far, "", now), Some(at(1_000_000 + 86_400)));
        let soon = headers(&[("retry-after", "0")]);
        assert_eq!(refused_until(429, &soon, "", now), Some(at(1_000_001)));
    }
}
