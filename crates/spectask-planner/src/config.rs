//! How an `llm` planner reaches its model: provider, endpoint, credentials, timeouts and limits.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The wire protocol a planner speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Provider {
    /// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp server …).
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages.
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// The public endpoint of the provider's own service; self-hosted servers need their own base URL.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAi => "https://api.openai.com/v1",
            Self::Anthropic => "https://api.anthropic.com",
        }
    }

    /// The full URL of the streaming chat endpoint under `base_url`.
    pub fn endpoint(self, base_url: &str) -> String {
        let base = base_url.trim_end_matches('/');
        match self {
            Self::OpenAi => format!("{base}/chat/completions"),
            Self::Anthropic => format!("{base}/v1/messages"),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Network timeouts of one HTTP call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP (and TLS) connection.
    pub connect: Duration,
    /// The longest silence allowed while waiting for the response head or between two body chunks;
    /// a stream that stalls longer fails (and is retried). Reasoning models can stay silent for
    /// minutes before their first token, hence the long default.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), read: Duration::from_secs(300) }
    }
}

/// Delays between attempts: exponential from `initial`, capped at `max`, with jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// A server's `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Everything an [`crate::LlmPlanner`] needs. The caller resolves the API key (e.g. from the env var
/// named by the profile's `api_key_env`); it is never printed by `Debug`.
#[derive(Clone)]
pub struct LlmPlannerConfig {
    pub provider: Provider,
    /// E.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama),
    /// `https://api.anthropic.com`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeouts: Timeouts,
    pub backoff: Backoff,
    /// Attempts per HTTP call, the first one included (at least 1).
    pub max_attempts: u32,
    /// The answer length limit sent with every request.
    pub max_tokens: u32,
    /// Rounds that send a draft back with its lint errors before the best draft is returned as is.
    pub max_repair_rounds: u32,
    /// Upper bound of the repository context (file tree and files) quoted in the prompt, in bytes.
    pub context_budget_bytes: usize,
}

impl LlmPlannerConfig {
    /// A config with the default limits for `model` at `base_url`.
    pub fn new(provider: Provider, base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            provider,
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeouts: Timeouts::default(),
            backoff: Backoff::default(),
            max_attempts: 4,
            max_tokens: 16_000,
            max_repair_rounds: 2,
            context_budget_bytes: 48 * 1024,
        }
    }
}

impl fmt::Debug for LlmPlannerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmPlannerConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeouts", &self.timeouts)
            .field("backoff", &self.backoff)
            .field("max_attempts", &self.max_attempts)
            .field("max_tokens", &self.max_tokens)
            .field("max_repair_rounds", &self.max_repair_rounds)
            .field("context_budget_bytes", &self.context_budget_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_base_url_without_doubling_slashes() {
        assert_eq!(
            Provider::OpenAi.endpoint("http://127.0.0.1:11434/v1/"),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            Provider::Anthropic.endpoint("https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages"
        );
    }

    #[test]
    fn debug_never_shows_the_api_key() {
        let mut config = LlmPlannerConfig::new(Provider::OpenAi, "http://x", "m");
        config.api_key = Some("sk-secret".to_owned());
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
