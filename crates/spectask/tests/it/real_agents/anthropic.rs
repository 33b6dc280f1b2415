//! A fake Anthropic Messages API on loopback (`POST /v1/messages`, streamed as Server-Sent Events
//! when asked): the main agent loop (a request offering the `Read`, `Write` and `Bash` tools) gets
//! the scripted turn as `tool_use` blocks; any other request (titles, checks) gets a short text.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::server::{FakeModel, Requests, sse};
use super::turn::{self, Script, Seen, Step};

/// The Messages API's routes; unknown paths (Claude Code's connectivity check) answer 200.
pub fn router(requests: Requests) -> Router {
    scripted(turn::usual())(requests)
}

/// [`router`] playing another turn than the usual one.
pub fn scripted(script: Script) -> impl FnOnce(Requests) -> Router {
    move |requests| {
        let route = post(messages).with_state((requests, script));
        Router::new().route("/v1/messages", route).fallback(|| async { "" })
    }
}

/// The text of every tool result Claude Code sent back, in order (from its last loop request).
pub fn tool_results(model: &FakeModel) -> Vec<String> {
    let bodies = model.bodies();
    let Some(last) = bodies.iter().rev().find(|b| offers(b, "Write")) else { return Vec::new() };
    user_blocks(last)
        .filter(|b| b["type"] == "tool_result")
        .map(|b| match &b["content"] {
            Value::String(text) => text.clone(),
            blocks => blocks.as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect(),
        })
        .collect()
}

fn offers(body: &Value, tool: &str) -> bool {
    body["tools"].as_array().is_some_and(|tools| tools.iter().any(|t| t["name"] == tool))
}

/// Every text the user side said: prompts given as a string or as text blocks.
pub fn user_texts(body: &Value) -> Vec<String> {
    let messages = body["messages"].as_array().into_iter().flatten().filter(|m| m["role"] == "user");
    let text = |m: &Value| match &m["content"] {
        Value::String(text) => vec![text.clone()],
        blocks => blocks
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["text"].as_str())
            .map(str::to_owned)
            .collect(),
    };
    messages.flat_map(text).collect()
}

fn user_blocks(body: &Value) -> impl Iterator<Item = &Value> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_array())
        .flatten()
}

/// The session's working directory, as Claude Code states it in its system prompt
/// ("- Primary working directory: /…").
fn working_directory(body: &Value) -> Option<String> {
    let system = match &body["system"] {
        Value::String(text) => text.clone(),
        blocks => blocks.as_array().into_iter().flatten().filter_map(|b| b["text"].as_str()).collect(),
    };
    let line = system.lines().find_map(|l| l.trim().strip_prefix("- Primary working directory:"))?;
    Some(line.trim().to_owned())
}

async fn messages(State((requests, script)): State<(Requests, Script)>, Json(body): Json<Value>) -> Response {
    let index = FakeModel::record(&requests, &body);
    let results = user_blocks(&body).filter(|b| b["type"] == "tool_result").count();
    let step = match working_directory(&body) {
        Some(cwd) if offers(&body, "Write") => {
            script(&Seen { results, cwd: Some(&cwd), said: &user_texts(&body) })
        }
        _ => Step::Answer("ok".to_owned()),
    };
    let id = format!("msg_{index}");
    let (block, stop) = match step {
        Step::Read { path } => (tool_use(results, "Read", json!({ "file_path": path })), "tool_use"),
        Step::Write { path, content } => {
            (tool_use(results, "Write", json!({ "file_path": path, "content": content })), "tool_use")
        }
        Step::Run { command } => (
            tool_use(results, "Bash", json!({ "command": command, "description": "Show the file" })),
            "tool_use",
        ),
        Step::Answer(text) => (json!({ "type": "text", "text": text }), "end_turn"),
    };
    let model = body["model"].clone();
    if body["stream"] != true {
        let message = json!({
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [block],
            "stop_reason": stop, "stop_sequence": null, "usage": { "input_tokens": 10, "output_tokens": 5 }
        });
        return Json(message).into_response();
    }
    let start = match block["type"].as_str() {
        Some("tool_use") => {
            json!({ "type": "tool_use", "id": block["id"], "name": block["name"], "input": {} })
        }
        _ => json!({ "type": "text", "text": "" }),
    };
    let delta = match block["type"].as_str() {
        Some("tool_use") => json!({ "type": "input_json_delta", "partial_json": block["input"].to_string() }),
        _ => json!({ "type": "text_delta", "text": block["text"] }),
    };
    sse(&[
        (
            Some("message_start"),
            json!({ "type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": { "input_tokens": 10, "output_tokens": 1 } } }),
        ),
        (
            Some("content_block_start"),
            json!({ "type": "content_block_start", "index": 0, "content_block": start }),
        ),
        (Some("content_block_delta"), json!({ "type": "content_block_delta", "index": 0, "delta": delta })),
        (Some("content_block_stop"), json!({ "type": "content_block_stop", "index": 0 })),
        (
            Some("message_delta"),
            json!({ "type": "message_delta",
            "delta": { "stop_reason": stop, "stop_sequence": null }, "usage": { "output_tokens": 5 } }),
        ),
        (Some("message_stop"), json!({ "type": "message_stop" })),
    ])
}

fn tool_use(n: usize, name: &str, input: Value) -> Value {
    json!({ "type": "tool_use", "id": format!("toolu_{n}"), "name": name, "input": input })
}
