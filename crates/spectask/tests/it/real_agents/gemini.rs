//! A fake Gemini API on loopback (`models/{model}:generateContent` and `:streamGenerateContent`),
//! as Gemini CLI calls it: the scripted turn as its `read_file`, `write_file` and
//! `run_shell_command` tools; requests without tools (its model router) get a plain answer.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
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
        Router::new().route("/v1beta/models/{call}", post(generate)).with_state((requests, script))
    }
}

/// Every text the user side said.
pub fn user_texts(body: &Value) -> Vec<String> {
    let contents = body["contents"].as_array().into_iter().flatten().filter(|c| c["role"] == "user");
    let parts = contents.filter_map(|c| c["parts"].as_array()).flatten();
    parts.filter_map(|p| p["text"].as_str()).map(str::to_owned).collect()
}

fn responses(body: &Value) -> impl Iterator<Item = &Value> {
    let contents = body["contents"].as_array().into_iter().flatten();
    contents.filter_map(|c| c["parts"].as_array()).flatten().filter_map(|p| p.get("functionResponse"))
}

/// The response of every function call Gemini CLI sent back, in order (from its last request).
pub fn tool_results(model: &FakeModel) -> Vec<String> {
    let bodies = model.bodies();
    let Some(last) = bodies.iter().rev().find(|b| b["tools"].is_array()) else { return Vec::new() };
    responses(last).map(|r| r["response"].to_string()).collect()
}

async fn generate(
    State((requests, script)): State<(Requests, Script)>,
    Path(call): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    FakeModel::record(&requests, &body);
    let part = if body["tools"].is_array() {
        let seen = Seen { results: responses(&body).count(), cwd: None, said: &user_texts(&body) };
        match script(&seen) {
            Step::Read { path } => {
                json!({ "functionCall": { "name": "read_file", "args": { "file_path": path } } })
            }
            Step::Write { path, content } => json!({ "functionCall": { "name": "write_file",
                "args": { "file_path": path, "content": content } } }),
            Step::Run { command } => json!({ "functionCall": { "name": "run_shell_command",
                "args": { "command": command, "description": "Show the file" } } }),
            Step::Answer(text) => json!({ "text": text }),
        }
    } else {
        // The model router asks which model fits the prompt.
        json!({ "text": json!({ "complexity_reasoning": "a small task", "complexity_score": 10 }).to_string() })
    };
    let answer = json!({
        "candidates": [{ "content": { "role": "model", "parts": [part] }, "finishReason": "STOP", "index": 0 }],
        "usageMetadata": { "promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15 },
    });
    if call.ends_with(":streamGenerateContent") {
        sse(&[(None, answer)])
    } else {
        Json(answer).into_response()
    }
}
