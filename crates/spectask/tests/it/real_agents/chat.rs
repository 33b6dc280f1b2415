//! A fake OpenAI Chat Completions API on loopback (`POST /v1/chat/completions`, streamed when
//! asked), as Qwen Code calls it: the main agent loop (a request offering `write_file`) gets the
//! scripted turn as tool calls to `read_file`, `write_file` and `run_shell_command`; any other
//! request (its side queries) gets a short text.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::server::{FakeModel, Requests};
use super::turn::{self, Script, Seen, Step};

pub fn router(requests: Requests) -> Router {
    scripted(turn::usual())(requests)
}

/// [`router`] playing another turn than the usual one.
pub fn scripted(script: Script) -> impl FnOnce(Requests) -> Router {
    move |requests| {
        Router::new()
            .route("/v1/chat/completions", post(completions))
            .fallback(|| async { Json(json!({ "object": "list", "data": [] })) })
            .with_state((requests, script))
    }
}

/// The text of a message's `content`: a string or text parts.
fn text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        parts => parts.as_array().into_iter().flatten().filter_map(|p| p["text"].as_str()).collect(),
    }
}

fn messages<'a>(body: &'a Value, role: &'a str) -> impl Iterator<Item = &'a Value> {
    body["messages"].as_array().into_iter().flatten().filter(move |m| m["role"] == role)
}

/// Every text the user side said.
pub fn user_texts(body: &Value) -> Vec<String> {
    messages(body, "user").map(|m| text(&m["content"])).collect()
}

fn offers(body: &Value, tool: &str) -> bool {
    body["tools"].as_array().is_some_and(|tools| tools.iter().any(|t| t["function"]["name"] == tool))
}

/// The result of every tool call Qwen Code sent back, in order (from its last loop request).
pub fn tool_results(model: &FakeModel) -> Vec<String> {
    let bodies = model.bodies();
    let Some(last) = bodies.iter().rev().find(|b| offers(b, "write_file")) else { return Vec::new() };
    messages(last, "tool").map(|m| text(&m["content"])).collect()
}

/// The session's working directory, as Qwen Code states it ("I'm currently working in the
/// directory: /…") in its system prompt or its first user message.
fn working_directory(body: &Value) -> Option<String> {
    let all = body["messages"].as_array().into_iter().flatten().map(|m| text(&m["content"]));
    all.flat_map(|t| t.lines().map(str::to_owned).collect::<Vec<_>>()).find_map(|line| {
        let (_, dir) = line.split_once("working in the directory:")?;
        Some(dir.trim().trim_end_matches('.').to_owned())
    })
}

async fn completions(
    State((requests, script)): State<(Requests, Script)>,
    Json(body): Json<Value>,
) -> Response {
    let index = FakeModel::record(&requests, &body);
    let results = messages(&body, "tool").count();
    let step = if offers(&body, "write_file") {
        let cwd = working_directory(&body);
        script(&Seen { results, cwd: cwd.as_deref(), said: &user_texts(&body) })
    } else {
        Step::Answer("ok".to_owned())
    };
    let call = |name: &str, arguments: Value| {
        json!([{ "index": 0, "id": format!("call_{results}"), "type": "function",
                 "function": { "name": name, "arguments": arguments.to_string() } }])
    };
    let (content, calls, finish) = match step {
        Step::Read { path } => (Value::Null, call("read_file", json!({ "file_path": path })), "tool_calls"),
        Step::Write { path, content } => {
            (Value::Null, call("write_file", json!({ "file_path": path, "content": content })), "tool_calls")
        }
        Step::Run { command } => (
            Value::Null,
            call("run_shell_command", json!({ "command": command, "description": "Show the file" })),
            "tool_calls",
        ),
        Step::Answer(text) => (Value::String(text), Value::Null, "stop"),
    };
    let (id, model) = (format!("chatcmpl-{index}"), body["model"].clone());
    let usage = json!({ "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15 });
    if body["stream"] != true {
        let mut message = json!({ "role": "assistant", "content": content });
        if calls.is_array() {
            message["tool_calls"] = calls;
        }
        return Json(json!({
            "id": id, "object": "chat.completion", "created": 0, "model": model,
            "choices": [{ "index": 0, "message": message, "finish_reason": finish }], "usage": usage
        }))
        .into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        json!({ "id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] })
    };
    let mut delta = json!({ "role": "assistant", "content": content });
    if calls.is_array() {
        delta["tool_calls"] = calls;
    }
    let mut last = chunk(json!({}), finish.into());
    last["usage"] = usage;
    let text = format!("data: {}\n\ndata: {last}\n\ndata: [DONE]\n\n", chunk(delta, Value::Null));
    ([("content-type", "text/event-stream")], text).into_response()
}
