//! `POST /editor/threads` on a node: it takes the thread's task the way an editor turn does (the
//! task's lease, which says where its agent runs), and keeps the editor's MCP servers only for a
//! thread whose task it holds.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use spectask_core::{SpecTaskId, WorkSessionId};
use spectask_store::TaskLeaseHolder;

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(a_thread_takes_its_task_to_this_node, lease_on_sqlite, lease_on_postgres);

fn id<T: std::str::FromStr>(value: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    value.as_str().unwrap().parse().unwrap()
}

async fn a_thread_takes_its_task_to_this_node(fx: Fixture) {
    let repo = fx.repo("app");
    fx.call("POST", "/api/v1/repos", Some(json!({ "path": repo }))).await;
    let servers = json!([{ "name": "zed-tools", "command": "/usr/bin/true" }]);
    let body = json!({ "cwd": repo, "client": "zed", "mcp_servers": servers });
    let (status, opened) = fx.call("POST", "/api/v1/editor/threads", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let task: SpecTaskId = id(&opened["spec_task"]["id"]);
    let first: WorkSessionId = id(&opened["work_session"]["id"]);

    // This node (`test`) holds the task now: another node asking for it is told so.
    let lease = Duration::from_secs(60);
    let holder = fx.store().take_task_lease(task, "other-node", lease).await.unwrap();
    assert_eq!(holder, Some(TaskLeaseHolder { node: "test".into(), address: None }));
    let turns = fx.state.runtime.editor_turns();
    assert_eq!(turns.editor_threads(), [first], "the editor's servers are kept for its thread");

    // Held by another node, a new thread of the task opens all the same, and its servers are left
    // to the turns relayed there.
    fx.store().release_task_lease(task, "test").await.unwrap();
    assert_eq!(fx.store().take_task_lease(task, "other-node", lease).await.unwrap(), None);
    let body = json!({ "cwd": repo, "task": task.to_string(), "client": "zed", "mcp_servers": servers });
    let (status, second) = fx.call("POST", "/api/v1/editor/threads", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(id::<SpecTaskId>(&second["spec_task"]["id"]), task);
    let holder = fx.store().take_task_lease(task, "test", lease).await.unwrap();
    assert_eq!(holder.map(|h| h.node).as_deref(), Some("other-node"), "the other node keeps the task");
    assert_eq!(turns.editor_threads(), [first], "no servers kept for a thread another node runs");
}
