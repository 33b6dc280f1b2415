//! An in-process fake chat server on loopback: real HTTP, real streamed chunks, a script per test.
//!
//! Each request takes the next canned response from the queue (an empty queue answers 599, so a
//! test that sends more requests than it scripted fails loudly) and is recorded for assertions.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};

/// One step of a streamed body.
#[derive(Clone, Debug)]
pub enum Step {
    /// Bytes sent as one HTTP chunk.
    Chunk(String),
    /// A pause before the next step.
    Sleep(Duration),
    /// The server breaks the connection (the body stream fails).
    Abort,
}

/// One scripted response.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// A pause before the response head is sent.
    pub head_delay: Duration,
    pub steps: Vec<Step>,
}

impl Canned {
    /// A 200 `text/event-stream` response streaming `steps`.
    pub fn stream(steps: Vec<Step>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            head_delay: Duration::ZERO,
            steps,
        }
    }

    /// A plain response with `status` and `body`.
    pub fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            head_delay: Duration::ZERO,
            steps: vec![Step::Chunk(body.to_owned())],
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request as the fake server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every message content of the request (system prompt included), joined.
    pub fn all_text(&self) -> String {
        let mut text = self.body["system"].as_str().unwrap_or("").to_owned();
        for message in self.body["messages"].as_array().into_iter().flatten() {
            text.push('\n');
            text.push_str(message["content"].as_str().unwrap_or(""));
        }
        text
    }

    /// The roles of the conversation, in order.
    pub fn roles(&self) -> Vec<String> {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| m["role"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    /// The content of the last message (the newest user turn).
    pub fn last_message(&self) -> String {
        let messages = self.body["messages"].as_array().cloned().unwrap_or_default();
        messages.last().and_then(|m| m["content"].as_str()).unwrap_or("").to_owned()
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Canned>>,
    seen: Mutex<Vec<Recorded>>,
}

pub struct FakeServer {
    /// `http://127.0.0.1:PORT`, the root every path is served under.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    pub async fn start(script: Vec<Canned>) -> Self {
        let shared = Arc::new(Shared { script: Mutex::new(script.into()), ..Shared::default() });
        let app = Router::new().fallback(respond).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server runs");
        });
        Self { url, shared, task }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.seen.lock().expect("requests lock").clone()
    }

    /// Canned responses not asked for.
    pub fn unused(&self) -> usize {
        self.shared.script.lock().expect("script lock").len()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn respond(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    shared.seen.lock().expect("requests lock").push(Recorded {
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        body,
    });
    let next = shared.script.lock().expect("script lock").pop_front();
    let canned = next.unwrap_or_else(|| Canned::status(599, "the fake server's script is exhausted"));
    tokio::time::sleep(canned.head_delay).await;
    let mut response = Response::builder().status(StatusCode::from_u16(canned.status).expect("status"));
    for (name, value) in &canned.headers {
        response = response.header(name, value);
    }
    let stream = futures::stream::iter(canned.steps).then(|step| async move {
        match step {
            Step::Chunk(text) => Some(Ok(Bytes::from(text))),
            Step::Sleep(pause) => {
                tokio::time::sleep(pause).await;
                None
            }
            Step::Abort => Some(Err(io::Error::new(io::ErrorKind::ConnectionReset, "scripted abort"))),
        }
    });
    let stream = stream.filter_map(futures::future::ready);
    response.body(Body::from_stream(stream)).expect("response")
}

/// An OpenAI-compatible stream of `text` in a few content chunks, a usage chunk and `[DONE]`.
pub fn openai_stream(text: &str, usage: (u64, u64)) -> Vec<Step> {
    openai_stream_finishing(text, usage, "stop")
}

/// Like [`openai_stream`], with the given `finish_reason` (`length`: cut off by `max_tokens`).
pub fn openai_stream_finishing(text: &str, usage: (u64, u64), finish_reason: &str) -> Vec<Step> {
    let mut steps =
        vec![openai_data(&json!({ "choices": [{ "index": 0, "delta": { "role": "assistant" } }] }))];
    steps.extend(
        pieces(text)
            .into_iter()
            .map(|piece| openai_data(&json!({ "choices": [{ "index": 0, "delta": { "content": piece } }] }))),
    );
    steps.push(openai_data(
        &json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": finish_reason }] }),
    ));
    steps.push(openai_data(&json!({
        "choices": [],
        "usage": { "prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1 }
    })));
    steps.push(Step::Chunk("data: [DONE]\n\n".to_owned()));
    steps
}

fn openai_data(value: &Value) -> Step {
    Step::Chunk(format!("data: {value}\n\n"))
}

/// An Anthropic Messages stream of `text`, with `usage` split over message_start / message_delta.
pub fn anthropic_stream(text: &str, usage: (u64, u64)) -> Vec<Step> {
    let mut steps = vec![
        anthropic_event(
            "message_start",
            &json!({
                "type": "message_start",
                "message": { "id": "msg_1", "type": "message", "role": "assistant", "content": [],
                             "usage": { "input_tokens": usage.0, "output_tokens": 1 } }
            }),
        ),
        anthropic_event(
            "content_block_start",
            &json!({
                "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" }
            }),
        ),
        anthropic_event("ping", &json!({ "type": "ping" })),
    ];
    steps.extend(pieces(text).into_iter().map(|piece| {
        anthropic_event(
            "content_block_delta",
            &json!({
                "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": piece }
            }),
        )
    }));
    steps.push(anthropic_event("content_block_stop", &json!({ "type": "content_block_stop", "index": 0 })));
    steps.push(anthropic_event("message_delta", &json!({
        "type": "message_delta", "delta": { "stop_reason": "end_turn" }, "usage": { "output_tokens": usage.1 }
    })));
    steps.push(anthropic_event("message_stop", &json!({ "type": "message_stop" })));
    steps
}

pub fn anthropic_event(name: &str, data: &Value) -> Step {
    Step::Chunk(format!("event: {name}\ndata: {data}\n\n"))
}

/// `text` in about eight pieces, split on character boundaries.
fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(8).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// Keeps only the steps before the first one that contains `needle`: a stream cut short.
pub fn cut_before(steps: Vec<Step>, needle: &str) -> Vec<Step> {
    steps.into_iter().take_while(|step| !matches!(step, Step::Chunk(text) if text.contains(needle))).collect()
}
