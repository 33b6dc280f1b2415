//! The one error type of this crate.

use crate::config::Provider;
use crate::usage::CallUsage;

#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    #[error("invalid planner config: {0}")]
    InvalidConfig(String),

    #[error("cannot build the http client for {url}: {reason}")]
    Client { url: String, reason: String },

    /// An HTTP call that failed for good: either a status that retrying cannot fix (e.g. 401) or the
    /// last of `attempts` retryable failures (429, 5xx, connection errors, timeouts, truncated
    /// streams).
    #[error(
        "{provider} request to {url} failed after {attempts} attempt(s): {reason}{}",
        excerpt_suffix(.body_excerpt)
    )]
    Request {
        provider: Provider,
        url: String,
        attempts: u32,
        /// The HTTP status of the last attempt, if it got that far.
        status: Option<u16>,
        /// What went wrong in the last attempt, e.g. `status 500` or `stream closed before [DONE]`.
        reason: String,
        /// The end of the last response body seen (an error body, or the streamed text).
        body_excerpt: String,
    },

    /// The model never produced all three documents, even after the repair rounds.
    #[error("the {provider} model {model:?} did not produce {missing} after {rounds} repair round(s)")]
    IncompleteAnswer {
        provider: Provider,
        model: String,
        missing: String,
        rounds: u32,
        /// The calls that answered, with their tokens: spent although no draft came of them.
        calls: Vec<CallUsage>,
    },

    /// A call failed for good after earlier calls of the same conversation answered (and spent
    /// their tokens), before any draft was complete.
    #[error("{failure}")]
    AfterCalls { failure: Box<PlannerError>, calls: Vec<CallUsage> },

    /// The planner's guard stopped it before a repair call, with no draft yet: a budget the calls
    /// so far reached (`reason`).
    #[error("the planning stopped before its next call: {reason}")]
    Stopped { reason: String, calls: Vec<CallUsage> },
}

impl PlannerError {
    /// The calls that answered before it failed, with their tokens: what the failure cost.
    pub fn calls(&self) -> &[CallUsage] {
        match self {
            PlannerError::IncompleteAnswer { calls, .. }
            | PlannerError::AfterCalls { calls, .. }
            | PlannerError::Stopped { calls, .. } => calls,
            _ => &[],
        }
    }
}

fn excerpt_suffix(body_excerpt: &str) -> String {
    if body_excerpt.is_empty() { String::new() } else { format!("; body: {body_excerpt:?}") }
}
