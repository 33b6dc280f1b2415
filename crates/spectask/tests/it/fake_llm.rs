//! A fake OpenAI-compatible chat server on loopback: streams a scripted spec per request and keeps
//! the request bodies for assertions.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

pub struct FakeLlm {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<Value>>>,
    _runtime: tokio::runtime::Runtime,
}

/// A spec that lints clean; `marker` shows up in every document so versions can be told apart.
pub fn spec_answer(marker: &str) -> String {
    format!(
        "=== requirements.md ===\n# Requirements Document\n\n## Introduction\n\n{marker}\n\n## Glossary\n\n\
         - **Auth_Service**: the service that issues tokens\n\n## Requirements\n\n\
         ### Requirement 1: Login\n\n**User Story:** As a user, I want to log in, so that I can see my todos.\n\n\
         #### Acceptance Criteria\n\n\
         1. WHEN a user submits valid credentials, THE Auth_Service SHALL return a signed token\n\
         2. IF the credentials are invalid, THEN THE Auth_Service SHALL answer with status 401\n\
         === end ===\n\
         === design.md ===\n# Design Document\n\n## Overview\n\n{marker}\n\n## Architecture\n\nExpress middleware.\n\n\
         ## Components and Interfaces\n\nPOST /login.\n\n## Data Models\n\nUser.\n\n## Error Handling\n\n401.\n\n\
         ## Testing Strategy\n\nnode --test.\n=== end ===\n\
         === tasks.md ===\n# Implementation Plan\n\n\
         - [ ] 1. Add the user model ({marker})\n  - _Requirements: 1.1_\n\n\
         - [ ] 2. Add the login route\n  - _Requirements: 1.1, 1.2_\n=== end ===\n"
    )
}

/// A spec whose plan has two parallel tasks and a third depending on both.
pub fn three_task_spec() -> String {
    let base = spec_answer("three tasks");
    let start = base.find("=== tasks.md ===").unwrap_or(base.len());
    format!(
        "{}=== tasks.md ===\n# Implementation Plan\n\n\
         - [ ] 1. Add the user model (P)\n  - _Requirements: 1.1_\n\n\
         - [ ] 2. Add the login route (P)\n  - _Requirements: 1.2_\n\n\
         - [ ] 3. Wire login into the app\n  - _Requirements: 1.1, 1.2_\n  - _Depends: 1, 2_\n=== end ===\n",
        &base[..start]
    )
}

impl FakeLlm {
    /// Answers the n-th request with `answers[n]` (the last one repeats).
    pub fn start(answers: Vec<String>) -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = (requests.clone(), Arc::new(answers));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/v1/chat/completions", post(chat)).with_state(state);
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self { base_url: format!("http://{addr}/v1"), requests, _runtime: runtime }
    }

    /// The texts of every message sent in request `n`.
    pub fn request_text(&self, n: usize) -> String {
        let requests = self.requests.lock().unwrap();
        requests[n]["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["content"].as_str()).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

type Shared = (Arc<Mutex<Vec<Value>>>, Arc<Vec<String>>);

async fn chat(State((requests, answers)): State<Shared>, body: axum::Json<Value>) -> impl IntoResponse {
    let n = {
        let mut r = requests.lock().unwrap();
        r.push(body.0);
        r.len() - 1
    };
    let answer = answers.get(n).or(answers.last()).cloned().unwrap_or_default();
    let mut sse = String::new();
    for piece in answer.as_bytes().chunks(200) {
        let delta =
            json!({ "choices": [{ "index": 0, "delta": { "content": String::from_utf8_lossy(piece) } }] });
        sse.push_str(&format!("data: {delta}\n\n"));
    }
    let usage = json!({ "choices": [], "usage": { "prompt_tokens": 1200, "completion_tokens": 340 } });
    sse.push_str(&format!("data: {usage}\n\ndata: [DONE]\n\n"));
    ([("content-type", "text/event-stream")], sse)
}
