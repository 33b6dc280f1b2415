//! The contract's work-session part: what can be asked of a task in implementation while one of its
//! sessions waits for a person (its thread, history, spawns, the dashboard's views, the
//! coordination API under the session's credential, the approval that lets it go on), and a
//! running session paused, resumed, its thread closed and opened, its agent stopped.

use std::path::Path;

use serde_json::{Value, json};
use spectask_store::{DatabaseUrl, Store};

use super::document::Contract;
use super::wait;

/// The session named `name` of `task`, once it is in `status`.
fn session_in(c: &mut Contract, task: &str, name: &str, status: &str) -> String {
    let found = wait(c, &format!("session {name} is {status}"), |c| {
        let sessions = c.get("/spec-tasks/{id}/work-sessions", &[task]);
        sessions.as_array().unwrap().iter().find(|s| s["name"] == name && s["status"] == status).cloned()
    });
    found["id"].as_str().unwrap().to_owned()
}

/// A credential of `session` for the coordination API, issued as the orchestrator issues one for
/// each thread it opens (the test opens the server's database beside it).
fn credential(c: &Contract, database_url: Option<&str>, data: &Path, session: &str) -> String {
    let url = match database_url {
        Some(url) => DatabaseUrl::parse(url).unwrap(),
        None => DatabaseUrl::sqlite_in(data),
    };
    c.api.runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let credential = store.issue_session_credential(session.parse().unwrap()).await.unwrap();
        store.close().await;
        credential
    })
}

pub fn while_a_session_waits(c: &mut Contract, database_url: Option<&str>, data: &Path, task: &str) {
    let first = session_in(c, task, "1 Add the user model", "running");
    let approval = wait(c, "the permission request is pending", |c| {
        let approvals = c.get("/approvals", &[]);
        approvals.as_array().unwrap().iter().find(|a| a["tool_call"]["title"] == "write src/user.js").cloned()
    });

    // What waits for the person: the permission request, in the inbox and on the task.
    let attention = c.get("/attention", &[]);
    let waits = attention["items"].as_array().unwrap().iter().find(|a| a["approval_id"] == approval["id"]);
    assert!(
        waits.is_some_and(|a| a["kind"] == "permission"),
        "the request waits for the person: {attention:#}"
    );
    let of_task = c.call("get", "/attention", &[], &format!("?spec_task={task}"), None);
    assert_eq!(of_task.status, 200, "{}", of_task.text);

    // The task's views while its agent is live.
    c.get("/spec-tasks/{id}/progress", &[task]);
    c.get("/spec-tasks/{id}/multi-session-overview", &[task]);
    let fleet = c.get("/agents/fleet/live-progress", &[]);
    assert!(!fleet["agents"].as_array().unwrap().is_empty(), "the task's agent is live: {fleet:#}");
    c.get("/spec-tasks/{id}/editor/instance", &[task]);
    c.get("/spec-tasks/{id}/zed-instance", &[task]);
    c.get("/spec-tasks/{id}/editor/threads", &[task]);
    c.get("/spec-tasks/{id}/zed-threads", &[task]);
    c.get("/spec-tasks/{id}/coordination-log", &[task]);
    c.get("/tasks/{task_id}/work-sessions", &[task]);
    c.expect(200, "post", "/spec-tasks/{id}/implementation-sessions", &[task], None);
    c.expect(200, "post", "/spec-tasks/{id}/commit-progress", &[task], None);

    // The waiting session.
    c.get("/work-sessions/{id}", &[&first]);
    c.get("/work-sessions/{id}/editor/thread", &[&first]);
    c.get("/work-sessions/{id}/zed-thread", &[&first]);
    let entry = json!({"file": "decisions", "content": "Chose bcrypt for the password hashes."});
    c.expect(201, "post", "/work-sessions/{id}/record-history", &[&first], Some(entry));
    c.get("/work-sessions/{id}/history", &[&first]);
    let child = json!({"name": "Child from the API", "description": "Check the model's fields."});
    c.expect(201, "post", "/work-sessions/{id}/spawn", &[&first], Some(child));
    let child = json!({"name": "Child through its task", "description": "Check the route's errors."});
    c.expect(201, "post", "/spec-tasks/{id}/work-sessions/{session}/spawn", &[task, &first], Some(child));
    let top = json!({"name": "Top-level from the API", "description": "Write the changelog."});
    c.expect(201, "post", "/tasks/{task_id}/work-sessions", &[task], Some(top));

    // The coordination API, as the waiting session's agent.
    c.credential = Some(credential(c, database_url, data, &first));
    c.get("/coordination/session", &[]);
    c.get("/coordination/plan-status", &[]);
    let log = c.call("get", "/coordination/log", &[], "?since=0", None);
    assert_eq!(log.status, 200, "{}", log.text);
    c.expect(201, "post", "/coordination/messages", &[], Some(json!({"text": "The model is nearly there."})));
    let note = json!({"to_session": "3", "note": "src/user.js exports { users }."});
    c.expect(201, "post", "/coordination/handoffs", &[], Some(note));
    c.expect(201, "post", "/coordination/blocked", &[], Some(json!({"reason": "waiting for a person"})));
    let spawn = json!({"name": "Security audit", "description": "Audit the user model."});
    c.expect(201, "post", "/coordination/spawn", &[], Some(spawn));
    c.credential = None;

    // A person lets it write.
    let id = approval["id"].as_str().unwrap();
    let allow = approval["options"].as_array().unwrap().iter().find(|o| o["kind"] == "allow_once").unwrap();
    let body = json!({"option_id": allow["option_id"]});
    c.expect(204, "post", "/approvals/{id}", &[id], Some(body));
}

pub fn pause_and_resume(c: &mut Contract, task: &str, session: &str) {
    let pause = json!({"status": "interrupted", "reason": "paused by the contract test"});
    c.expect(200, "put", "/work-sessions/{id}/status", &[session], Some(pause));
    c.expect(200, "put", "/work-sessions/{id}/status", &[session], Some(json!({"status": "running"})));
    wait_running(c, session);
    c.expect(202, "post", "/work-sessions/{id}/editor/thread", &[session], None);
    wait_running(c, session);
    c.expect(200, "delete", "/work-sessions/{id}/editor/thread", &[session], None);
    c.expect(202, "post", "/work-sessions/{id}/zed-thread", &[session], None);
    wait_running(c, session);
    c.expect(200, "delete", "/work-sessions/{id}/zed-thread", &[session], None);
    c.expect(202, "post", "/work-sessions/{id}/editor/thread", &[session], None);
    wait_running(c, session);
    c.expect(200, "delete", "/spec-tasks/{id}/editor/instance", &[task], None);
    c.expect(200, "delete", "/spec-tasks/{id}/zed-instance", &[task], None);
}

fn wait_running(c: &mut Contract, session: &str) -> Value {
    wait(c, &format!("session {session} runs"), |c| {
        let s = c.get("/work-sessions/{id}", &[session]);
        (s["status"] == "running").then_some(s)
    })
}
