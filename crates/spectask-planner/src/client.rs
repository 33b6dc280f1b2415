//! One streaming chat call to the configured provider, with timeouts and retries.
//!
//! Each attempt either yields the whole answer (the stream reached its terminal event) or fails;
//! 429, 5xx, connection errors, read timeouts (a stalled stream) and truncated streams are retried
//! with backoff up to `max_attempts`; other statuses fail at once, except an OpenAI-style 400 that
//! asks for `max_completion_tokens` instead of `max_tokens`, which is retried once with that name.
//! No redirect is followed, so the API key reaches only the configured base url.

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use futures::StreamExt;
use reqwest::Response;
use spectask_core::wire::sse::{SseEvent, SseParser};

use crate::config::{Backoff, LlmPlannerConfig, Provider};
use crate::error::PlannerError;
use crate::{anthropic, openai, retry};

/// How many characters of a body a failure quotes.
const EXCERPT_CHARS: usize = 500;
/// How much of an error response body is read.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One turn of the conversation after the system prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChatMessage {
    pub role: Role,
    pub content: String,
}

/// What one request carries, whatever the provider.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call<'a> {
    pub api_key: Option<&'a str>,
    pub model: &'a str,
    pub max_tokens: u32,
    pub system: &'a str,
    pub messages: &'a [ChatMessage],
}

/// The model's whole answer to one call and what it cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reply {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The model stopped because it reached `max_tokens`: the text is cut off.
    pub limit_reached: bool,
}

/// A successful call: the reply, and the attempt (1-based) that produced it.
#[derive(Debug)]
pub(crate) struct Completion {
    pub reply: Reply,
    pub attempt: u32,
}

/// Turns a provider's stream events into a [`Reply`].
pub(crate) trait StreamDecoder: Default {
    /// The event that ends a complete stream, as named in failures.
    const TERMINAL: &'static str;
    /// Takes one event; an error event or an unreadable one fails the attempt.
    fn on_event(&mut self, event: &SseEvent) -> Result<(), String>;
    fn is_done(&self) -> bool;
    fn into_reply(self) -> Reply;
}

/// Why one attempt failed.
#[derive(Debug)]
struct AttemptFailure {
    status: Option<u16>,
    reason: String,
    body_excerpt: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl AttemptFailure {
    fn transient(status: Option<u16>, reason: String, body_excerpt: String) -> Self {
        Self { status, reason, body_excerpt, retryable: true, retry_after: None }
    }
}

pub(crate) struct ChatClient {
    http: reqwest::Client,
    provider: Provider,
    url: String,
    model: String,
    api_key: Option<String>,
    max_tokens: u32,
    max_attempts: u32,
    backoff: Backoff,
    read_timeout: Duration,
    /// Set once an OpenAI-compatible server refused `max_tokens` and asked for
    /// `max_completion_tokens`; every later request uses that name.
    wants_max_completion_tokens: AtomicBool,
}

impl ChatClient {
    pub fn new(config: &LlmPlannerConfig) -> Result<Self, PlannerError> {
        let url = config.provider.endpoint(&config.base_url);
        let parsed = reqwest::Url::parse(&url).map_err(|err| {
            PlannerError::InvalidConfig(format!("base url {:?} is not a url: {err}", config.base_url))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(PlannerError::InvalidConfig(format!(
                "base url {:?} must be http or https",
                config.base_url
            )));
        }
        if config.max_attempts == 0 {
            return Err(PlannerError::InvalidConfig("max attempts 0 must be at least 1".to_owned()));
        }
        // reqwest is built without a rustls crypto provider; an error only means one is installed.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        // No redirect is followed: reqwest keeps `x-api-key` on a redirect to another host.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeouts.connect)
            .read_timeout(config.timeouts.read)
            .build()
            .map_err(|err| PlannerError::Client { url: url.clone(), reason: error_chain(&err) })?;
        Ok(Self {
            http,
            provider: config.provider,
            url,
            model: config.model.clone(),
            api_key: config.api_key.clone(),
            max_tokens: config.max_tokens,
            max_attempts: config.max_attempts,
            backoff: config.backoff,
            read_timeout: config.timeouts.read,
            wants_max_completion_tokens: AtomicBool::new(false),
        })
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// Sends the conversation and streams the answer, retrying transient failures.
    pub async fn complete(&self, system: &str, messages: &[ChatMessage]) -> Result<Completion, PlannerError> {
        let attempts = AtomicU32::new(0);
        let result = (|| {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(system, messages)
        })
        .retry(retry::chat_call_retry(&self.backoff, self.max_attempts))
        .when(|failure: &AttemptFailure| failure.retryable)
        .adjust(|failure, policy| {
            policy.map(|policy| retry::wait(&self.backoff, policy, failure.retry_after))
        })
        .notify(|failure, wait| {
            tracing::warn!(
                provider = %self.provider, url = %self.url, attempt = attempts.load(Ordering::Relaxed),
                reason = %failure.reason, wait_ms = wait.as_millis() as u64, "chat call failed, retrying"
            );
        })
        .await;
        let attempt = attempts.into_inner();
        match result {
            Ok(reply) => {
                tracing::debug!(
                    provider = %self.provider, url = %self.url, attempt,
                    input_tokens = reply.input_tokens, output_tokens = reply.output_tokens,
                    "chat call completed"
                );
                Ok(Completion { reply, attempt })
            }
            Err(failure) => Err(PlannerError::Request {
                provider: self.provider,
                url: self.url.clone(),
                attempts: attempt,
                status: failure.status,
                reason: failure.reason,
                body_excerpt: failure.body_excerpt,
            }),
        }
    }

    async fn attempt(&self, system: &str, messages: &[ChatMessage]) -> Result<Reply, AttemptFailure> {
        let builder = self.http.post(&self.url);
        let call = Call {
            api_key: self.api_key.as_deref(),
            model: &self.model,
            max_tokens: self.max_tokens,
            system,
            messages,
        };
        let request = match self.provider {
            Provider::OpenAi => openai::request(builder, &call, self.openai_limit_field()),
            Provider::Anthropic => anthropic::request(builder, &call),
        };
        let response = request.send().await.map_err(|err| self.transport(None, &err, String::new()))?;
        let status = response.status();
        if !status.is_success() {
            let mut failure = self.status_failure(response).await;
            if self.provider == Provider::OpenAi
                && openai::wants_max_completion_tokens(status.as_u16(), &failure.body_excerpt)
                && !self.wants_max_completion_tokens.swap(true, Ordering::Relaxed)
            {
                tracing::info!(
                    url = %self.url,
                    "server refused max_tokens, retrying with max_completion_tokens"
                );
                failure.retryable = true;
            }
            return Err(failure);
        }
        match self.provider {
            Provider::OpenAi => self.read_stream::<openai::Decoder>(response).await,
            Provider::Anthropic => self.read_stream::<anthropic::Decoder>(response).await,
        }
    }

    fn openai_limit_field(&self) -> openai::LimitField {
        if self.wants_max_completion_tokens.load(Ordering::Relaxed) {
            openai::LimitField::MaxCompletionTokens
        } else {
            openai::LimitField::MaxTokens
        }
    }

    /// Reads events until the provider's terminal one; failures name the stream's status.
    async fn read_stream<D: StreamDecoder>(&self, response: Response) -> Result<Reply, AttemptFailure> {
        let status = Some(response.status().as_u16());
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        let fault = |reason: String, tail: &str| AttemptFailure::transient(status, reason, tail.to_owned());
        let mut body = response.bytes_stream();
        let mut parser = SseParser::default();
        let mut decoder = D::default();
        let mut tail = String::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|err| self.transport(status, &err, tail.clone()))?;
            push_tail(&mut tail, &String::from_utf8_lossy(&chunk));
            // A server that streams one event past the parser's cap is broken, not slow: no retry.
            let events = parser.feed(&chunk).map_err(|too_large| AttemptFailure {
                retryable: false,
                ..fault(too_large.to_string(), &tail)
            })?;
            for event in events {
                decoder.on_event(&event).map_err(|reason| fault(reason, &tail))?;
                if decoder.is_done() {
                    return Ok(decoder.into_reply());
                }
            }
        }
        if let Some(event) = parser.finish() {
            decoder.on_event(&event).map_err(|reason| fault(reason, &tail))?;
        }
        if decoder.is_done() {
            return Ok(decoder.into_reply());
        }
        let reason = if content_type.starts_with("text/event-stream") {
            format!("stream closed before {}", D::TERMINAL)
        } else {
            format!("stream closed before {} (content type {content_type:?})", D::TERMINAL)
        };
        Err(fault(reason, &tail))
    }

    async fn status_failure(&self, response: Response) -> AttemptFailure {
        let status = response.status().as_u16();
        let retry_after = retry::retry_after(response.headers());
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            body.extend_from_slice(&chunk);
            if body.len() >= ERROR_BODY_LIMIT {
                break;
            }
        }
        let reason = if (300..400).contains(&status) {
            format!(
                "status {status}: the provider redirects, and the planner follows no redirect: set the base url to where it leads"
            )
        } else {
            format!("status {status}")
        };
        AttemptFailure {
            status: Some(status),
            reason,
            body_excerpt: head(&String::from_utf8_lossy(&body)),
            retryable: retry::is_retryable_status(status),
            retry_after,
        }
    }

    fn transport(&self, status: Option<u16>, err: &reqwest::Error, body_excerpt: String) -> AttemptFailure {
        let reason = if err.is_timeout() {
            format!("no data for {:?} (read timeout): {}", self.read_timeout, error_chain(err))
        } else if err.is_connect() {
            format!("cannot connect: {}", error_chain(err))
        } else {
            format!("connection failed: {}", error_chain(err))
        };
        AttemptFailure::transient(status, reason, body_excerpt)
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text`, marked when cut.
pub(crate) fn head(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Keeps the last [`EXCERPT_CHARS`] characters seen of a streamed body.
fn push_tail(tail: &mut String, more: &str) {
    tail.push_str(more);
    let excess = tail.chars().count().saturating_sub(EXCERPT_CHARS);
    if let Some((start, _)) = tail.char_indices().nth(excess) {
        tail.replace_range(..start, "");
    }
}

/// An error and its sources, `: `-separated (reqwest's own message rarely says what happened).
fn error_chain(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_cuts_long_text_at_a_character_boundary() {
        let text = "é".repeat(EXCERPT_CHARS + 3);
        let cut = head(&text);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(head("short"), "short");
    }

    #[test]
    fn tail_keeps_the_latest_characters() {
        let mut tail = String::new();
        push_tail(&mut tail, &"a".repeat(EXCERPT_CHARS));
        push_tail(&mut tail, "🎯end");
        assert_eq!(tail.chars().count(), EXCERPT_CHARS);
        assert!(tail.ends_with("🎯end"));
    }
}
