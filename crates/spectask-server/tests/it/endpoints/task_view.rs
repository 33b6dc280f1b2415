//! The generic task view (`/tasks`) over the same SpecTasks, and a person moving one work
//! session through its state machine (`PUT /work-sessions/{id}/status`).

use axum::http::StatusCode;
use serde_json::{Value, json};
use spectask_core::{SpecDocuments, SpecTaskCommand, WorkSessionCommand};
use spectask_store::NewSpecVersion;

use crate::endpoints::fixture::{Fixture, error};
use crate::endpoints::on_both_backends;

on_both_backends!(tasks_are_spec_tasks_seen_generically, tasks_on_sqlite, tasks_on_postgres);
on_both_backends!(a_person_moves_a_session, session_status_on_sqlite, session_status_on_postgres);

async fn tasks_are_spec_tasks_seen_generically(fx: Fixture) {
    let repo = fx.repo("app");
    let (status, task) = fx
        .call(
            "POST",
            "/api/v1/tasks",
            Some(json!({ "name": "Add a profile page", "description": "With an avatar", "repo": repo,
                         "task_type": "spec", "priority": "high" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(
        (&task["name"], &task["description"], &task["task_type"], &task["status"], &task["user_id"]),
        (
            &json!("Add a profile page"),
            &json!("With an avatar"),
            &json!("spec"),
            &json!("backlog"),
            &json!("local")
        )
    );
    let id = task["id"].as_str().unwrap().to_owned();
    // The same record as /spec-tasks shows.
    let (status, spec_task) = fx.call("GET", &format!("/api/v1/spec-tasks/{id}"), None).await;
    assert_eq!(
        (status, &spec_task["title"], &spec_task["priority"]),
        (StatusCode::OK, &json!("Add a profile page"), &json!("high"))
    );
    let (_, page) = fx.call("GET", "/api/v1/tasks?limit=10", None).await;
    assert_eq!(
        (page["total"].as_i64(), page["items"][0]["id"].as_str()),
        (Some(1), Some(id.as_str())),
        "{page}"
    );
    let (status, body) = fx.call("POST", "/api/v1/tasks", Some(json!({ "name": " ", "repo": repo }))).await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "invalid_name"));

    // Only the moves a person may make, through the lifecycle.
    let (status, body) =
        fx.call("PUT", &format!("/api/v1/tasks/{id}/status"), Some(json!({ "status": "done" }))).await;
    assert_eq!((status, error(&body).0), (StatusCode::CONFLICT, "illegal_transition"), "{body}");
    let generating = fx.drive(&task["id"], &[SpecTaskCommand::StartSpecGeneration]).await;
    let documents =
        SpecDocuments { requirements: "# R".into(), design: "# D".into(), tasks: "- [ ] 1. Do it".into() };
    let draft = NewSpecVersion {
        documents,
        planner: "test".into(),
        usage: json!({}),
        lint: Vec::new(),
        questions: Vec::new(),
        consistency: Vec::new(),
    };
    fx.store().submit_spec_version(&generating, draft).await.unwrap();
    let (status, moved) = fx
        .call(
            "PUT",
            &format!("/api/v1/tasks/{id}/status"),
            Some(json!({ "status": "spec_approved", "comments": "fine" })),
        )
        .await;
    assert_eq!((status, &moved["status"]), (StatusCode::OK, &json!("spec_approved")), "{moved}");
    let (_, reviews) = fx.call("GET", &format!("/api/v1/spec-tasks/{id}/reviews"), None).await;
    assert_eq!(
        (&reviews[0]["decision"], &reviews[0]["reviewer"]),
        (&json!("approve"), &json!("local")),
        "{reviews}"
    );

    // A coding session in implementation takes sessions through /tasks/{task_id}/work-sessions.
    let (_, coding) = fx
        .call(
            "POST",
            "/api/v1/tasks",
            Some(json!({ "name": "Fix the build", "repo": repo, "task_type": "coding_session" })),
        )
        .await;
    let coding_id = coding["id"].as_str().unwrap().to_owned();
    let sessions_uri = format!("/api/v1/tasks/{coding_id}/work-sessions");
    let (status, body) = fx.call("POST", &sessions_uri, Some(json!({ "name": "Early" }))).await;
    assert_eq!((status, error(&body).0), (StatusCode::CONFLICT, "illegal_transition"), "{body}");
    fx.drive(&coding["id"], &[SpecTaskCommand::QueueImplementation, SpecTaskCommand::StartImplementation])
        .await;
    let (status, session) = fx.call("POST", &sessions_uri, Some(json!({ "name": "Extra tests" }))).await;
    assert_eq!(
        (status, &session["status"], &session["parent_id"]),
        (StatusCode::CREATED, &json!("pending"), &Value::Null),
        "{session}"
    );
    let (_, listed) = fx.call("GET", &sessions_uri, None).await;
    assert_eq!(listed.as_array().map(|l| l.len()), Some(1), "{listed}");
    assert_eq!(listed[0]["id"], session["id"]);

    // Delete: cancelled and hidden from every listing; the record stays.
    let (status, _) = fx.call("DELETE", &format!("/api/v1/tasks/{coding_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = fx.call("GET", &format!("/api/v1/tasks/{coding_id}"), None).await;
    assert_eq!((status, error(&body).0), (StatusCode::NOT_FOUND, "not_found"));
    let (status, _) = fx.call("DELETE", &format!("/api/v1/tasks/{coding_id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for list in ["/api/v1/tasks", "/api/v1/spec-tasks"] {
        let (_, page) = fx.call("GET", list, None).await;
        assert!(!page.to_string().contains(&coding_id) && page["total"] == 1, "{list}: {page}");
    }
    let (status, kept) = fx.call("GET", &format!("/api/v1/spec-tasks/{coding_id}"), None).await;
    assert_eq!((status, &kept["status"]), (StatusCode::OK, &json!("cancelled")), "{kept}");
    let events = fx.store().events_after(0, 1000).await.unwrap();
    assert!(events.iter().any(|e| e.kind.as_str() == "spec_task.hidden"), "{events:?}");

    let (status, moved) =
        fx.call("PUT", &format!("/api/v1/tasks/{id}/status"), Some(json!({ "status": "cancelled" }))).await;
    assert_eq!((status, &moved["status"]), (StatusCode::OK, &json!("cancelled")), "{moved}");
}

async fn a_person_moves_a_session(fx: Fixture) {
    let repo = fx.repo("app");
    let (_, task) = fx
        .call(
            "POST",
            "/api/v1/tasks",
            Some(json!({ "name": "Refactor", "repo": repo, "task_type": "coding_session" })),
        )
        .await;
    fx.drive(&task["id"], &[SpecTaskCommand::QueueImplementation, SpecTaskCommand::StartImplementation])
        .await;
    let id = task["id"].as_str().unwrap();
    let (_, session) =
        fx.call("POST", &format!("/api/v1/tasks/{id}/work-sessions"), Some(json!({ "name": "One" }))).await;
    let sid = session["id"].as_str().unwrap().to_owned();
    let status_uri = format!("/api/v1/work-sessions/{sid}/status");
    let put = |status: &'static str, reason: &'static str| {
        fx.call("PUT", &status_uri, Some(json!({ "status": status, "reason": reason })))
    };
    // A pending session cannot be paused; a blocked one is not a person's choice.
    let (status, body) = put("interrupted", "").await;
    assert_eq!((status, error(&body).0), (StatusCode::CONFLICT, "illegal_transition"), "{body}");
    let (status, body) = put("blocked", "").await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "invalid_status"), "{body}");
    let stored = fx.store().work_session(sid.parse().unwrap()).await.unwrap();
    fx.store().transition_work_session(&stored, &WorkSessionCommand::Start).await.unwrap();

    let (status, paused) = put("interrupted", "lunch").await;
    assert_eq!((status, &paused["status"]), (StatusCode::OK, &json!("interrupted")), "{paused}");
    assert_eq!(paused["state"]["reason"], "paused by local: lunch");
    let stored = fx.store().work_session(sid.parse().unwrap()).await.unwrap();
    assert!(stored.state.is_paused(), "{stored:?}");
    let (status, resumed) = put("running", "").await;
    assert_eq!((status, &resumed["status"]), (StatusCode::OK, &json!("running")), "{resumed}");
    let (status, cancelled) = put("cancelled", "").await;
    assert_eq!((status, &cancelled["status"]), (StatusCode::OK, &json!("cancelled")), "{cancelled}");
    // Ending it queued the task's scheduling pass.
    let jobs = fx.store().jobs_of(task["id"].as_str().unwrap().parse().unwrap()).await.unwrap();
    assert!(jobs.iter().any(|j| j.kind.as_str() == "advance_implementation"), "{jobs:?}");
    let (status, body) = put("running", "").await;
    assert_eq!((status, error(&body).0), (StatusCode::CONFLICT, "illegal_transition"), "{body}");
}
