//! A fake OpenAI Responses API on loopback (`POST /v1/responses`, streamed), as Codex calls it: the
//! scripted turn as Codex's own tools, `exec_command` (a function) to read and run, and
//! `apply_patch` (a free-form custom tool) to write.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::server::{FakeModel, Requests, sse};
use super::turn::{self, Script, Seen, Step};

pub fn router(requests: Requests) -> Router {
    scripted(turn::usual())(requests)
}

/// [`router`] playing another turn than the usual one.
pub fn scripted(script: Script) -> impl FnOnce(Requests) -> Router {
    move |requests| {
        Router::new()
            .route("/v1/responses", post(responses))
            .fallback(|| async { Json(json!({ "object": "list", "data": [] })) })
            .with_state((requests, script))
    }
}

/// Every text of the user's messages in the request's input.
pub fn user_texts(body: &Value) -> Vec<String> {
    let items = body["input"].as_array().into_iter().flatten().filter(|i| i["role"] == "user");
    let content = items.filter_map(|i| i["content"].as_array()).flatten();
    content.filter_map(|c| c["text"].as_str()).map(str::to_owned).collect()
}

fn is_output(item: &Value) -> bool {
    matches!(item["type"].as_str(), Some("function_call_output" | "custom_tool_call_output"))
}

/// The output of every tool call Codex sent back, in order (from its last request).
pub fn tool_results(model: &FakeModel) -> Vec<String> {
    let bodies = model.bodies();
    let Some(last) = bodies.last() else { return Vec::new() };
    let items = last["input"].as_array().into_iter().flatten();
    items.filter(|i| is_output(i)).map(|i| i["output"].as_str().unwrap_or_default().to_owned()).collect()
}

async fn responses(
    State((requests, script)): State<(Requests, Script)>,
    Json(body): Json<Value>,
) -> Response {
    let index = FakeModel::record(&requests, &body);
    let results = body["input"].as_array().into_iter().flatten().filter(|i| is_output(i)).count();
    let call = |n: usize, name: &str, kind: &str| json!({ "id": format!("fc_{index}"), "call_id": format!("call_{n}"), "name": name, "type": kind });
    let item = match script(&Seen { results, cwd: None, said: &user_texts(&body) }) {
        Step::Read { path } => {
            let mut item = call(results, "exec_command", "function_call");
            item["arguments"] = json!({ "cmd": format!("cat {path}") }).to_string().into();
            item
        }
        Step::Run { command } => {
            let mut item = call(results, "exec_command", "function_call");
            item["arguments"] = json!({ "cmd": command }).to_string().into();
            item
        }
        Step::Write { path, content } => {
            let mut item = call(results, "apply_patch", "custom_tool_call");
            let added: String = content.lines().map(|l| format!("+{l}\n")).collect();
            item["input"] = format!("*** Begin Patch\n*** Add File: {path}\n{added}*** End Patch\n").into();
            item
        }
        Step::Answer(text) => json!({
            "type": "message", "role": "assistant", "id": format!("msg_{index}"),
            "content": [{ "type": "output_text", "text": text, "annotations": [] }]
        }),
    };
    let id = format!("resp_{index}");
    sse(&[
        (Some("response.created"), json!({ "type": "response.created", "response": { "id": id } })),
        (
            Some("response.output_item.done"),
            json!({ "type": "response.output_item.done", "output_index": 0, "item": item }),
        ),
        (
            Some("response.completed"),
            json!({ "type": "response.completed", "response": { "id": id,
            "usage": { "input_tokens": 10, "output_tokens": 5, "total_tokens": 15 } } }),
        ),
    ])
}
