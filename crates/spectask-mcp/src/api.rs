//! The coordination API of a running spectask server, as one work session sees it: every request
//! carries the session credential, and every answer is the API's JSON or its error shape.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// How long one request may take: the server answers from its database, so this is generous.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request gave no answer to pass on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error (its `{"error": {"code", "message"}}`).
    #[error("spectask refused ({code}, HTTP {status}): {message}")]
    Refused { status: u16, code: String, message: String },
    /// The server could not be reached, or answered something that is not the API's JSON.
    #[error("cannot reach spectask at {url}: {detail}")]
    Unreachable { url: String, detail: String },
}

/// A client of `/api/v1/coordination/…` holding one session credential.
#[derive(Clone)]
pub struct CoordinationApi {
    http: reqwest::Client,
    base: String,
    credential: String,
}

impl std::fmt::Debug for CoordinationApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential is a secret: never in logs.
        f.debug_struct("CoordinationApi").field("base", &self.base).finish_non_exhaustive()
    }
}

impl CoordinationApi {
    /// `server` is the server's base URL (`http://127.0.0.1:7070`).
    pub fn new(server: &str, credential: String) -> Result<Self, ApiError> {
        let base = format!("{}/api/v1/coordination", server.trim_end_matches('/'));
        // reqwest is built without a rustls crypto provider; an error only means one is installed.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|e| ApiError::Unreachable { url: base.clone(), detail: e.to_string() })?;
        Ok(Self { http, base, credential })
    }

    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, ApiError> {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, ApiError> {
        let url = format!("{}/{path}", self.base);
        let unreachable = |detail: String| ApiError::Unreachable { url: url.clone(), detail };
        let mut request = self.http.request(method, &url).bearer_auth(&self.credential);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| unreachable(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|_| {
            unreachable(format!("HTTP {status} with a body that is not JSON: {}", cut(&text, 200)))
        })?;
        if status.is_success() {
            return Ok(value);
        }
        let field = |name: &str| value["error"][name].as_str().map(str::to_owned);
        Err(ApiError::Refused {
            status: status.as_u16(),
            code: field("code").unwrap_or_else(|| code_for(status).to_owned()),
            message: field("message").unwrap_or_else(|| cut(&text, 200)),
        })
    }
}

fn code_for(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("error")
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
