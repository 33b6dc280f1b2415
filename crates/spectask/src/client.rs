//! The HTTP client the CLI uses to talk to a server; API errors become messages.

use anyhow::{Context, anyhow};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct ApiClient {
    base: String,
    http: reqwest::Client,
}

impl ApiClient {
    /// `token`: an API token, sent as `Authorization: Bearer` (a server with users needs one).
    pub fn new(server: &str, token: Option<&str>) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                .context("SPECTASK_TOKEN is not a valid header value")?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        // Marks the CLI's requests as a program's (the server refuses state changes without it or JSON).
        headers.insert(spectask_server::CLIENT_HEADER, reqwest::header::HeaderValue::from_static("cli"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self { base: server.trim_end_matches('/').to_owned(), http })
    }

    /// The same client (and token) for the server at `server`: another node sharing the database.
    pub fn at(&self, server: &str) -> Self {
        Self { base: server.trim_end_matches('/').to_owned(), http: self.http.clone() }
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Value> {
        self.call(Method::GET, path, query, None).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        self.call(Method::POST, path, &[], body).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        self.call(Method::PUT, path, &[], body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::PATCH, path, &[], Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::DELETE, path, &[], None).await
    }

    /// Opens a streaming GET (server-sent events, resuming after `last_event_id`). A server that
    /// cannot be reached is `Unreachable` (worth retrying); an API error is an error.
    pub async fn open_stream(
        &self,
        path: &str,
        query: &[(&str, String)],
        last_event_id: i64,
    ) -> anyhow::Result<StreamOpening> {
        let url = format!("{}/api/v1{path}", self.base);
        let request = self
            .http
            .get(&url)
            .query(query)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header("last-event-id", last_event_id.to_string());
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
                let cause = cause(&e);
                return Ok(StreamOpening::Unreachable(anyhow!(
                    "cannot reach the spectask server at {}: {cause}",
                    self.base
                )));
            }
            Err(e) => return Err(anyhow!("request to {url} failed: {}", cause(&e))),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(StreamOpening::Stream(response));
        }
        let text = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Err(api_error(status, &json, &text))
    }

    /// A POST whose answer streams (an editor's turn): the response, to be read as it comes.
    pub async fn post_streaming(&self, path: &str, body: Value) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}/api/v1{path}", self.base);
        let response =
            self.http.post(&url).json(&body).send().await.map_err(|e| self.send_error(&url, &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Err(api_error(status, &json, &text))
    }

    fn send_error(&self, url: &str, e: &reqwest::Error) -> anyhow::Error {
        let cause = cause(e);
        if e.is_connect() || e.is_timeout() {
            anyhow!(
                "cannot reach the spectask server at {}: {cause} (is `spectask serve` running?)",
                self.base
            )
        } else {
            anyhow!("request to {url} failed: {cause}")
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.base);
        // Each command's change is one request with a key of its own: the server answers it once,
        // should it arrive twice.
        let changes = method != Method::GET;
        let mut request = self.http.request(method, &url).query(query);
        if changes {
            request = request.header(spectask_server::IDEMPOTENCY_KEY, uuid::Uuid::now_v7().to_string());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| self.send_error(&url, &e))?;
        let status = response.status();
        let text = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        Err(api_error(status, &json, &text))
    }
}

/// What went wrong under a request error, as the system said it: reqwest's own message
/// ("error sending request for url …") names no cause; the innermost error does. An I/O error is
/// named by its kind ("connection refused"), without the OS's error number.
fn cause(e: &reqwest::Error) -> String {
    let mut innermost: &dyn std::error::Error = e;
    while let Some(next) = innermost.source() {
        if let Some(io) = next.downcast_ref::<std::io::Error>() {
            return io.kind().to_string();
        }
        innermost = next;
    }
    innermost.to_string()
}

/// What opening a stream gave.
pub enum StreamOpening {
    Stream(reqwest::Response),
    Unreachable(anyhow::Error),
}

/// An error answer of the API (callers that care about the status downcast to it).
#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    /// The error's `message`, or the whole body when the answer has none.
    pub message: String,
    /// The error's `code`, when the answer has one.
    pub code: Option<String>,
    /// With `task_on_other_node`: the API address of the node the request must go to, when known.
    pub node_address: Option<String>,
    has_message: bool,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.has_message {
            true => write!(f, "{} (HTTP {})", self.message, self.status.as_u16()),
            false => write!(f, "server answered HTTP {}: {}", self.status.as_u16(), self.message),
        }
    }
}

impl std::error::Error for ApiFailure {}

fn api_error(status: StatusCode, json: &Value, text: &str) -> anyhow::Error {
    let error = &json["error"];
    let (message, has_message) = match error["message"].as_str() {
        Some(message) => (message.to_owned(), true),
        None => (text.trim().to_owned(), false),
    };
    let failure = ApiFailure {
        status,
        message,
        code: error["code"].as_str().map(str::to_owned),
        node_address: error["node"]["address"].as_str().map(str::to_owned),
        has_message,
    };
    anyhow::Error::new(failure)
}
