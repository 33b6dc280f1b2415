//! A task's agent instance and its sessions' threads as an editor integration sees them, opened
//! and closed through the lifecycle, and an editor integration's events; the older `zed-…` paths
//! answer as their `/editor` paths do.

use axum::http::StatusCode;
use serde_json::{Value, json};
use spectask_core::{SpecTaskCommand, ThreadStatus, WorkSessionCommand, WorkSessionId};

use crate::endpoints::fixture::{Fixture, error};
use crate::endpoints::on_both_backends;

on_both_backends!(instance_and_threads, editor_instance_on_sqlite, editor_instance_on_postgres);

async fn start(fx: &Fixture, session: &Value) -> WorkSessionId {
    let id: WorkSessionId = session["id"].as_str().unwrap().parse().unwrap();
    let stored = fx.store().work_session(id).await.unwrap();
    fx.store().transition_work_session(&stored, &WorkSessionCommand::Start).await.unwrap();
    id
}

async fn instance_and_threads(fx: Fixture) {
    let repo = fx.repo("app");
    let (_, task) = fx
        .call(
            "POST",
            "/api/v1/tasks",
            Some(json!({ "name": "Pair", "repo": repo, "task_type": "coding_session" })),
        )
        .await;
    fx.drive(&task["id"], &[SpecTaskCommand::QueueImplementation, SpecTaskCommand::StartImplementation])
        .await;
    let id = task["id"].as_str().unwrap().to_owned();
    let (_, one) =
        fx.call("POST", &format!("/api/v1/tasks/{id}/work-sessions"), Some(json!({ "name": "One" }))).await;
    let (_, two) =
        fx.call("POST", &format!("/api/v1/tasks/{id}/work-sessions"), Some(json!({ "name": "Two" }))).await;
    let one_id = start(&fx, &one).await;
    fx.store().record_thread(one_id, "acp-1", ThreadStatus::Active).await.unwrap();

    let (status, instance) = fx.call("GET", &format!("/api/v1/spec-tasks/{id}/editor/instance"), None).await;
    assert_eq!(status, StatusCode::OK, "{instance}");
    assert_eq!(
        (&instance["agent_instance"]["live"], &instance["on_this_node"]),
        (&json!(true), &json!(false)),
        "{instance}"
    );
    assert_eq!(instance["threads"].as_array().map(|t| t.len()), Some(1), "only opened threads: {instance}");
    let (_, threads) = fx.call("GET", &format!("/api/v1/spec-tasks/{id}/editor/threads"), None).await;
    assert_eq!(
        (&threads[0]["acp_session_id"], &threads[0]["thread_status"]),
        (&json!("acp-1"), &json!("active")),
        "{threads}"
    );
    let thread_uri = format!("/api/v1/work-sessions/{one_id}/editor/thread");
    let (status, thread) = fx.call("GET", &thread_uri, None).await;
    assert_eq!((status, &thread["work_session_name"]), (StatusCode::OK, &json!("One")), "{thread}");
    // The older paths are aliases of the same handlers.
    for (alias, path) in [
        (format!("/api/v1/spec-tasks/{id}/zed-instance"), format!("/api/v1/spec-tasks/{id}/editor/instance")),
        (format!("/api/v1/spec-tasks/{id}/zed-threads"), format!("/api/v1/spec-tasks/{id}/editor/threads")),
        (format!("/api/v1/work-sessions/{one_id}/zed-thread"), thread_uri.clone()),
    ] {
        let (alias_status, by_alias) = fx.call("GET", &alias, None).await;
        let (status, by_path) = fx.call("GET", &path, None).await;
        assert_eq!((alias_status, &by_alias), (status, &by_path), "{alias} answers as {path}");
    }

    // Closing the thread pauses the session; opening it resumes it.
    let (status, closed) = fx.call("DELETE", &thread_uri, None).await;
    assert_eq!((status, &closed["work_session_status"]), (StatusCode::OK, &json!("interrupted")), "{closed}");
    assert!(fx.store().work_session(one_id).await.unwrap().state.is_paused());
    let (status, opened) = fx.call("POST", &thread_uri, None).await;
    assert_eq!(
        (status, &opened["work_session_status"]),
        (StatusCode::ACCEPTED, &json!("running")),
        "{opened}"
    );
    let jobs = fx.store().jobs_of(id.parse().unwrap()).await.unwrap();
    assert!(jobs.iter().any(|j| j.kind.as_str() == "resume_thread"), "{jobs:?}");
    // A pending session's thread is scheduled, not started past the scheduler.
    let (status, pending) = fx
        .call("POST", &format!("/api/v1/work-sessions/{}/zed-thread", two["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(
        (status, &pending["work_session_status"]),
        (StatusCode::ACCEPTED, &json!("pending")),
        "{pending}"
    );

    // Stopping the instance pauses what runs.
    let (status, stopped) =
        fx.call("DELETE", &format!("/api/v1/spec-tasks/{id}/editor/instance"), None).await;
    assert_eq!((status, &stopped["agent_instance"]["live"]), (StatusCode::OK, &json!(false)), "{stopped}");
    let one_now = fx.store().work_session(one_id).await.unwrap();
    assert!(one_now.state.is_paused(), "{one_now:?}");

    // An editor thread becomes a session of the task, spawned from One.
    let (status, made) = fx
        .call(
            "POST",
            "/api/v1/zed-threads/create-session",
            Some(json!({ "cwd": repo, "spec_task": id, "parent_session": one_id })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let session = &made["work_session"];
    assert_eq!(
        (&session["parent_id"], &session["spawned_by_id"]),
        (&json!(one_id), &json!(one_id)),
        "{made}"
    );
    assert_eq!(session["opened_from_editor"], "zed");

    // Editor events: a thread created outside any task makes an interactive task.
    let (status, created) = fx
        .call("POST", "/api/v1/editor/events", Some(json!({ "event_type": "thread_created", "cwd": repo })))
        .await;
    assert_eq!((status, &created["event_type"]), (StatusCode::OK, &json!("thread_created")), "{created}");
    let editor_session = created["work_session"]["id"].as_str().unwrap().to_owned();
    let (_, other_task) = fx
        .call(
            "GET",
            &format!("/api/v1/spec-tasks/{}", created["work_session"]["spec_task_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(other_task["kind"], "interactive", "{other_task}");
    let (status, added) = fx
        .call(
            "POST",
            "/api/v1/zed/events",
            Some(
                json!({ "event_type": "message_added", "work_session_id": editor_session, "text": "hello" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert!(added["message_id"].as_i64().is_some(), "{added}");
    let (status, body) = fx
        .call(
            "POST",
            "/api/v1/editor/events",
            Some(json!({ "event_type": "message_added", "work_session_id": editor_session, "text": " " })),
        )
        .await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "invalid_message"));
    start(&fx, &created["work_session"]).await;
    let (status, closed) = fx
        .call(
            "POST",
            "/api/v1/editor/events",
            Some(json!({ "event_type": "thread_closed", "work_session_id": editor_session })),
        )
        .await;
    assert_eq!(
        (status, &closed["work_session"]["status"]),
        (StatusCode::OK, &json!("interrupted")),
        "{closed}"
    );
    let (status, body) =
        fx.call("POST", "/api/v1/editor/events", Some(json!({ "event_type": "thread_renamed" }))).await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "invalid_body"), "{body}");

    // A parent from another task is refused.
    let (status, body) = fx
        .call(
            "POST",
            "/api/v1/zed-threads/create-session",
            Some(json!({ "cwd": repo, "spec_task": id, "parent_session": editor_session })),
        )
        .await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "invalid_parent"), "{body}");
}
