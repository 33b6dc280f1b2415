//! What can go wrong with a forge, in words a person can act on. A token never appears in one.

use chrono::{DateTime, Utc};

/// A forge's refusal or failure.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// The configuration names something that cannot work (a missing token, an unknown kind).
    #[error("[forges.{forge}]: {message}")]
    Config { forge: String, message: String },
    #[error("{forge} refused the token (HTTP 401): {message}")]
    Unauthorized { forge: String, message: String },
    #[error("{forge}: {what} is not visible to the token's user, or does not exist (HTTP 404)")]
    NotFound { forge: String, what: String },
    /// The forge understood and said no (a missing permission, a branch protection, a validation).
    #[error("{forge} refused to {what}{}: {message}", http_status(.status))]
    Refused { forge: String, what: String, status: Option<u16>, message: String },
    /// Over the rate limit: nothing is asked of the connection before `until`. `status` is the
    /// forge's refusal; `None` when the request was held back without asking.
    #[error("{forge} is rate limiting the token: rate-limited until {} UTC{}", until.format("%H:%M"), http_status(.status))]
    RateLimited { forge: String, status: Option<u16>, until: DateTime<Utc> },
    /// A list longer than spectask reads: acting on part of it could miss what matters.
    #[error("{forge}: {what} runs past {pages} pages; spectask reads no more, and acts on no part of it")]
    TooLong { forge: String, what: String, pages: usize },
    /// Unreachable, failing (HTTP 5xx), or answering what cannot be read: worth another try.
    #[error("{forge} is unreachable or failing: {message}")]
    Unavailable { forge: String, message: String },
}

impl ForgeError {
    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. })
    }

    /// Until when the forge asked to be left alone, for a refusal of its rate limit.
    pub fn rate_limited_until(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::RateLimited { until, .. } => Some(*until),
            _ => None,
        }
    }
}

/// ` (HTTP 405)`, or nothing when the client did not say which status the forge gave.
fn http_status(status: &Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}
