//! `POST /spec-tasks/{id}/implementation-sessions` makes the sessions the implementation calls for,
//! once, or says why not: 409 outside implementation, 422 when the plan has nothing open.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::endpoints::fixture::{Fixture, error};
use crate::endpoints::on_both_backends;

on_both_backends!(
    sessions_are_made_once_or_refused_with_the_reason,
    sessions_are_made_once_or_refused_with_the_reason_on_sqlite,
    sessions_are_made_once_or_refused_with_the_reason_on_postgres
);

const PLAN: &str = "# Tasks\n\n- [ ] 1. Build the form\n- [ ] 2. Check the password\n- [x] 3. Set up\n";
const ALL_DONE: &str = "# Tasks\n\n- [x] 1. Build the form\n";

fn names(sessions: &Value) -> Vec<&str> {
    sessions.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect()
}

async fn sessions_are_made_once_or_refused_with_the_reason(fx: Fixture) {
    let repo = fx.repo("app");
    let (_, early) = fx
        .call("POST", "/api/v1/spec-tasks/from-prompt", Some(json!({ "prompt": "Not yet", "repo": repo })))
        .await;
    let url = |id: &str| format!("/api/v1/spec-tasks/{id}/implementation-sessions");
    let (status, body) = fx.call("POST", &url(early["id"].as_str().unwrap()), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (code, message) = error(&body);
    assert_eq!(code, "not_in_implementation");
    assert!(message.contains("the task is backlog"), "{message}");

    // One session per open plan task, made once; the pass that starts them is queued.
    let id = fx.in_implementation(&repo, PLAN).await;
    let (status, body) = fx.call("POST", &url(&id), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body["made"]), ["1 Build the form", "2 Check the password"], "{body}");
    assert_eq!(names(&body["sessions"]), names(&body["made"]));
    assert!(body["made"].as_array().unwrap().iter().all(|s| s["plan_task"]["title"].is_string()), "{body}");
    let jobs = fx.store().jobs_of(id.parse().unwrap()).await.unwrap();
    assert!(jobs.iter().any(|j| j.kind == spectask_core::JobKind::AdvanceImplementation), "{jobs:?}");
    let (status, again) = fx.call("POST", &url(&id), None).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((again["made"].as_array().unwrap().len(), names(&again["sessions"]).len()), (0, 2), "{again}");

    // A plan with nothing open: nothing to make, and it says so.
    let done = fx.in_implementation(&repo, ALL_DONE).await;
    let (status, body) = fx.call("POST", &url(&done), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (code, message) = error(&body);
    assert_eq!(code, "nothing_to_implement");
    assert!(message.contains("no open task"), "{message}");
}
