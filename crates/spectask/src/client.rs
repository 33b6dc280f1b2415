//! The HTTP client the CLI uses to talk to a server; API errors become messages.

use anyhow::{Context, anyhow};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct ApiClient {
    base: String,
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(server: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self { base: server.trim_end_matches('/').to_owned(), http })
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Value> {
        self.call(Method::GET, path, query, None).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        self.call(Method::POST, path, &[], body).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.base);
        let mut request = self.http.request(method, &url).query(query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                anyhow!("cannot reach the spectask server at {} (is `spectask serve` running?)", self.base)
            } else {
                anyhow!("request to {url} failed: {e}")
            }
        })?;
        let status = response.status();
        let text = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        Err(api_error(status, &json, &text))
    }
}

fn api_error(status: StatusCode, json: &Value, text: &str) -> anyhow::Error {
    match json["error"]["message"].as_str() {
        Some(message) => anyhow!("{message} (HTTP {})", status.as_u16()),
        None => anyhow!("server answered HTTP {}: {}", status.as_u16(), text.trim()),
    }
}
