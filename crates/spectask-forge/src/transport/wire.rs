//! A connection's wire, shared by every client of the connection in the process: its HTTP client,
//! what the forge last said of its rate limit, the answers kept for conditional requests, and the
//! count of requests by how they ended.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::rate_limit::{self, Quota};

/// Answers kept for conditional requests, per connection.
const KEPT_ANSWERS: usize = 4096;
/// The largest answer kept for a conditional request.
const KEPT_ANSWER_BYTES: usize = 1 << 20;
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How a request to the forge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestOutcome {
    /// Answered with a success.
    Answered,
    /// Answered `304 Not Modified`: the answer kept from before stands (free of GitHub's quota).
    NotModified,
    /// Refused for the rate limit.
    RateLimited,
    /// Not sent: the connection waits for a rate limit's reset.
    Held,
    /// Refused otherwise (a 4xx).
    Refused,
    /// Failing (a 5xx), unreachable, or answering what cannot be read.
    Failed,
}

impl RequestOutcome {
    pub const ALL: [RequestOutcome; 6] =
        [Self::Answered, Self::NotModified, Self::RateLimited, Self::Held, Self::Refused, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::NotModified => "not_modified",
            Self::RateLimited => "rate_limited",
            Self::Held => "held",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// What a connection asked of its forge since the process started, and the forge's last word on
/// its rate limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgeUsage {
    /// Requests by how they ended (an outcome never seen is absent).
    pub requests: Vec<(RequestOutcome, u64)>,
    /// The quota as the forge last stated it (GitHub's, or GitLab's where it says).
    pub quota: Option<Quota>,
    /// Until when no request goes out: the forge asked to wait.
    pub limited_until: Option<DateTime<Utc>>,
}

impl ForgeUsage {
    /// How many requests ended as `outcome`.
    pub fn count(&self, outcome: RequestOutcome) -> u64 {
        self.requests.iter().find(|(o, _)| *o == outcome).map_or(0, |(_, n)| *n)
    }
}

/// An answer kept for a conditional request.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub etag: String,
    pub body: Bytes,
}

#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) http: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    limited_until: Option<DateTime<Utc>>,
    quota: Option<Quota>,
    counts: HashMap<RequestOutcome, u64>,
    kept: HashMap<String, (u64, Kept)>,
    /// The order answers were kept in, for dropping the oldest.
    kept_seq: u64,
}

impl Wire {
    pub(crate) fn new(user_agent: &str) -> Result<Self, reqwest::Error> {
        // reqwest leaves the TLS provider to the process; ring is the workspace's.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        // Redirects only within the forge's own origin: the token goes nowhere else.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let same =
                attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
            if same && attempt.previous().len() < 5 { attempt.follow() } else { attempt.stop() }
        });
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(REQUEST_TIMEOUT)
            .redirect(redirects)
            .build()?;
        Ok(Self { http, state: Mutex::default() })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while counting leaves counts, which stay usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Until when requests are held back, when that is still to come.
    pub(crate) fn held_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.state().limited_until.filter(|until| *until > now)
    }

    /// The forge asked to wait until `until`.
    pub(crate) fn hold_until(&self, until: DateTime<Utc>) {
        let mut state = self.state();
        state.limited_until = Some(state.limited_until.map_or(until, |held| held.max(until)));
    }

    /// An answer's statement of the quota; a spent one holds requests back until its reset.
    pub(crate) fn saw_quota(&self, quota: Quota, now: DateTime<Utc>) {
        let spent = rate_limit::spent_until(&quota, now);
        self.state().quota = Some(quota);
        if let Some(until) = spent {
            self.hold_until(until);
        }
    }

    pub(crate) fn count(&self, outcome: RequestOutcome) {
        *self.state().counts.entry(outcome).or_default() += 1;
    }

    pub(crate) fn kept(&self, url: &str) -> Option<Kept> {
        self.state().kept.get(url).map(|(_, kept)| kept.clone())
    }

    /// Keeps an answer for the next conditional request of `url`, dropping the oldest past
    /// [`KEPT_ANSWERS`]; a large one is not kept.
    pub(crate) fn keep(&self, url: &str, kept: Kept) {
        if kept.body.len() > KEPT_ANSWER_BYTES {
            return;
        }
        let mut state = self.state();
        if state.kept.len() >= KEPT_ANSWERS && !state.kept.contains_key(url) {
            let oldest = state.kept.iter().min_by_key(|(_, (seq, _))| *seq).map(|(url, _)| url.clone());
            if let Some(oldest) = oldest {
                state.kept.remove(&oldest);
            }
        }
        state.kept_seq += 1;
        let seq = state.kept_seq;
        state.kept.insert(url.to_owned(), (seq, kept));
    }

    pub(crate) fn usage(&self, now: DateTime<Utc>) -> ForgeUsage {
        let state = self.state();
        let mut requests: Vec<(RequestOutcome, u64)> = state.counts.iter().map(|(o, n)| (*o, *n)).collect();
        requests.sort();
        ForgeUsage { requests, quota: state.quota, limited_until: state.limited_until.filter(|u| *u > now) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_kept_answer_goes_first_and_a_large_one_is_not_kept() {
        let wire = Wire::new("test").unwrap();
        let answer = |n: usize| Kept { etag: format!("\"{n}\""), body: Bytes::from(vec![b'x'; n]) };
        for n in 0..KEPT_ANSWERS {
            wire.keep(&format!("/{n}"), answer(1));
        }
        wire.keep("/0", answer(2));
        wire.keep("/new", answer(1));
        assert!(wire.kept("/1").is_none(), "the oldest went");
        assert_eq!(wire.kept("/0").map(|k| k.etag), Some("\"2\"".to_owned()), "kept again: not the oldest");
        wire.keep("/large", answer(KEPT_ANSWER_BYTES + 1));
        assert!(wire.kept("/large").is_none());
    }

    #[test]
    fn a_spent_quota_holds_requests_until_its_reset() {
        let wire = Wire::new("test").unwrap();
        let now = Utc::now();
        let reset = now + Duration::from_secs(600);
        wire.saw_quota(Quota { limit: 5000, remaining: 1, reset: Some(reset) }, now);
        assert_eq!(wire.held_until(now), None);
        wire.saw_quota(Quota { limit: 5000, remaining: 0, reset: Some(reset) }, now);
        assert_eq!(wire.held_until(now), Some(reset));
        assert_eq!(wire.held_until(reset), None, "not past the reset");
        wire.count(RequestOutcome::Held);
        let usage = wire.usage(now);
        assert_eq!((usage.count(RequestOutcome::Held), usage.limited_until), (1, Some(reset)));
    }
}
