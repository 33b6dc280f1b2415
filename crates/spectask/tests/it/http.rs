//! Calling the API directly (for endpoints the CLI does not wrap) and opening the server's database.

use std::path::Path;

use serde_json::Value;
use spectask_core::SpecTaskId;
use spectask_store::{DatabaseUrl, NewWorkSession, Store};

/// An HTTP client on a runtime of its own, for synchronous tests.
pub struct Api {
    pub base: String,
    pub runtime: tokio::runtime::Runtime,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(server_url: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(spectask_server::CLIENT_HEADER, reqwest::header::HeaderValue::from_static("test"));
        let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
        Self { base: format!("{server_url}/api/v1"), runtime, http }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.runtime.block_on(call(&self.http, &self.base, reqwest::Method::GET, path, None))
    }

    pub fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        self.runtime.block_on(call(&self.http, &self.base, reqwest::Method::POST, path, body))
    }

    /// Status, headers and raw bytes of a GET.
    pub fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        self.runtime.block_on(async {
            let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
            let (status, headers) = (r.status().as_u16(), r.headers().clone());
            (status, headers, r.bytes().await.unwrap().to_vec())
        })
    }
}

pub async fn call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, format!("{base}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The server's SQLite database, opened next to it (WAL: both may write).
pub fn open_store(runtime: &tokio::runtime::Runtime, data_dir: &Path) -> Store {
    runtime.block_on(Store::open(&DatabaseUrl::sqlite_in(data_dir))).unwrap()
}

/// `count` work sessions of `task`, created in the store directly (the implementation engine's job).
pub fn work_sessions(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    task: &str,
    count: usize,
) -> Vec<String> {
    let task: SpecTaskId = task.parse().unwrap();
    runtime.block_on(async {
        let mut ids = Vec::new();
        for i in 0..count {
            let new = NewWorkSession::implementation(task, format!("session {i}"), "");
            // The server writes the same SQLite file: a write may meet SQLITE_BUSY; try again.
            let mut attempts = 0;
            let session = loop {
                match store.create_work_session(new.clone()).await {
                    Ok(session) => break session,
                    Err(err) => {
                        attempts += 1;
                        assert!(attempts < 50, "{err}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            };
            ids.push(session.id.to_string());
        }
        ids
    })
}

/// Runs git in `dir`, asserting success; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git fsck --strict` is clean.
pub fn assert_fsck_clean(dir: &Path) {
    let out = std::process::Command::new("git").args(["fsck", "--strict"]).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "git fsck --strict: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
