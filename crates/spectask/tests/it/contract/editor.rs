//! The contract's editor part: a thread opened from an editor, a prompt streamed as its turn with
//! the agent's permission request answered by the editor, a cancel with nothing to cancel, an
//! editor integration's events and its older session route, and the editor leaving.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use super::document::Contract;

pub fn an_editor_thread(c: &mut Contract, repo: &str) {
    let thread = json!({"cwd": repo, "client": "contract"});
    let thread = c.expect(201, "post", "/editor/threads", &[], Some(thread));
    let session = thread["work_session"]["id"].as_str().unwrap().to_owned();
    let task = thread["spec_task"]["id"].as_str().unwrap().to_owned();

    let frames = turn(c, &session, "please work");
    let kinds: Vec<&str> = frames.iter().filter_map(|f| f["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"queued"), "{frames:#?}");
    assert_eq!(kinds.last(), Some(&"end"), "{frames:#?}");
    assert!(kinds.contains(&"request"), "the permission reached the editor: {frames:#?}");
    let cancelled = c.expect(200, "post", "/work-sessions/{id}/editor/cancel", &[&session], None);
    assert_eq!(cancelled["cancelled"], false, "no turn runs any more");

    let created = json!({"event_type": "thread_created", "cwd": repo, "spec_task": task});
    c.expect(200, "post", "/editor/events", &[], Some(created.clone()));
    c.expect(200, "post", "/zed/events", &[], Some(created));
    let child = json!({"cwd": repo, "spec_task": task, "parent_session": session, "client": "contract"});
    c.expect(201, "post", "/zed-threads/create-session", &[], Some(child));
    // The editor goes away: its thread's session waits to be opened again.
    let left = json!({"reason": "the editor closed"});
    c.expect(200, "post", "/work-sessions/{id}/interrupt", &[&session], Some(left));
}

/// One editor turn: the stream is read on a thread of its own while this one answers the requests
/// it relays (`…/editor/replies`); the whole stream is then checked against the document.
fn turn(c: &mut Contract, session: &str, text: &str) -> Vec<Value> {
    let url = format!("{}/work-sessions/{session}/editor/turn", c.api.base);
    let body = json!({"prompt": [{"type": "text", "text": text}]}).to_string();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let request = reqwest::Client::new()
                .post(url)
                .header(spectask_server::CLIENT_HEADER, "contract")
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
            let mut response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let mut all = Vec::new();
            let mut sent = 0;
            while let Ok(Some(chunk)) = response.chunk().await {
                all.extend_from_slice(&chunk);
                while let Some(end) = all[sent..].iter().position(|b| *b == b'\n') {
                    let line = String::from_utf8_lossy(&all[sent..sent + end]).into_owned();
                    sent += end + 1;
                    let _ = lines_tx.send(line);
                }
            }
            (status, content_type, all)
        })
    });
    // Bounded: a stream that stalls ends the loop, and the checks below fail with what came.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        let frame: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if frame["kind"] == "request" {
            let reply = json!({
                "request_id": frame["request_id"],
                "result": {"outcome": {"outcome": "selected", "optionId": "allow"}},
            });
            c.expect(204, "post", "/work-sessions/{id}/editor/replies", &[session], Some(reply));
        }
    }
    let (status, content_type, bytes) = reader.join().unwrap();
    let what = format!("POST /work-sessions/{session}/editor/turn");
    let answer = c.check(&what, "post", "/work-sessions/{id}/editor/turn", status, &content_type, &bytes);
    assert_eq!(answer.status, 200, "{what}: {}", answer.text);
    answer.body.as_array().cloned().unwrap_or_default()
}
