//! A fake Anthropic Messages API on loopback (`POST /v1/messages`, streamed as Server-Sent Events
//! when asked): the main agent loop gets the scripted turn as `tool_use` blocks; any other request
//! (titles, checks) gets a short text. Two agents call it: Claude Code (its loop offers the `Read`,
//! `Write` and `Bash` tools) and OpenCode through its bundled `@ai-sdk/anthropic` (`read`, `write`
//! and `bash`, with `filePath`).

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
    let Some(last) = bodies.iter().rev().find(|b| Tools::of(b).is_some()) else { return Vec::new() };
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

/// Which agent's loop a request is, by the tools it offers.
#[derive(Clone, Copy)]
enum Tools {
    /// Claude Code: `Read`, `Write`, `Bash`, paths as `file_path`.
    Claude,
    /// OpenCode: `read`, `write`, `bash`, paths as `filePath`.
    OpenCode,
}

impl Tools {
    fn of(body: &Value) -> Option<Self> {
        if offers(body, "Write") {
            Some(Self::Claude)
        } else if offers(body, "write") && offers(body, "bash") {
            Some(Self::OpenCode)
        } else {
            None
        }
    }

    /// The tool and its input for `step` (not an answer).
    fn call(self, step: Step) -> (&'static str, Value) {
        let (claude, path) = (matches!(self, Self::Claude), |p: String| match self {
            Self::Claude => json!({ "file_path": p }),
            Self::OpenCode => json!({ "filePath": p }),
        });
        match step {
            Step::Read { path: p } => (if claude { "Read" } else { "read" }, path(p)),
            Step::Write { path: p, content } => {
                let mut input = path(p);
                input["content"] = content.into();
                (if claude { "Write" } else { "write" }, input)
            }
            Step::Run { command } => (
                if claude { "Bash" } else { "bash" },
                json!({ "command": command, "description": "Show the file" }),
            ),
            Step::Answer(_) => unreachable!("an answer is no tool call"),
        }
    }
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
/// ("- Primary working directory: /…"), or OpenCode ("Working directory: /…").
fn working_directory(body: &Value) -> Option<String> {
    let system = match &body["system"] {
        Value::String(text) => text.clone(),
        blocks => blocks.as_array().into_iter().flatten().filter_map(|b| b["text"].as_str()).collect(),
    };
    let line = system.lines().find_map(|l| {
        let l = l.trim();
        l.strip_prefix("- Primary working directory:").or_else(|| l.strip_prefix("Working directory:"))
    })?;
    Some(line.trim().to_owned())
}

async fn messages(State((requests, script)): State<(Requests, Script)>, Json(body): Json<Value>) -> Response {
    let index = FakeModel::record(&requests, &body);
    let results = user_blocks(&body).filter(|b| b["type"] == "tool_result").count();
    let (step, tools) = match (working_directory(&body), Tools::of(&body)) {
        (Some(cwd), Some(tools)) => {
            (script(&Seen { results, cwd: Some(&cwd), said: &user_texts(&body) }), tools)
        }
        _ => (Step::Answer("ok".to_owned()), Tools::Claude),
    };
    let id = format!("msg_{index}");
    let (block, stop) = match step {
        Step::Answer(text) => (json!({ "type": "text", "text": text }), "end_turn"),
        step => {
            let (name, input) = tools.call(step);
            (tool_use(results, name, input), "tool_use")
        }
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
