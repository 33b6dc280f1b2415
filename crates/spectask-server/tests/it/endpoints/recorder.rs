//! `POST /spec-tasks/{id}/commit-progress` when the recorder cannot commit: another recorder holds
//! the repository's lease past the wait (503 `busy`, in the error shape, after a bounded wait, never
//! a hang or a 500), or the repository is gone from disk (never a 500).

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::endpoints::fixture::{Fixture, error};
use crate::endpoints::on_both_backends;

on_both_backends!(
    commit_progress_answers_503_while_another_recorder_commits,
    busy_on_sqlite,
    busy_on_postgres
);

/// A task on a fresh repository; its id and its repository's id.
async fn task(fx: &Fixture) -> (String, Value) {
    let repo = fx.repo("app");
    let body = json!({"repo": repo, "prompt": "Add login", "title": "Add login"});
    let (status, task) = fx.call("POST", "/api/v1/spec-tasks/from-prompt", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    (task["id"].as_str().unwrap().to_owned(), task["repository"]["id"].clone())
}

/// The call, bounded: a handler that hangs fails here with what it was asked.
async fn commit_progress(fx: &Fixture, id: &str) -> (StatusCode, Value) {
    let uri = format!("/api/v1/spec-tasks/{id}/commit-progress");
    let call = fx.call("POST", &uri, None);
    tokio::time::timeout(Duration::from_secs(120), call)
        .await
        .unwrap_or_else(|_| panic!("POST /spec-tasks/{id}/commit-progress did not answer in 120 s"))
}

async fn commit_progress_answers_503_while_another_recorder_commits(fx: Fixture) {
    let (id, repository) = task(&fx).await;
    let (status, body) = commit_progress(&fx, &id).await;
    assert_eq!(status, StatusCode::OK, "with the recorder free: {body}");

    // Another node's recorder holds the lease for longer than the call waits for it.
    let repository = repository.as_str().unwrap().parse().unwrap();
    let held =
        fx.store().acquire_recorder_lease(repository, "other-node/1/1", Duration::from_secs(600)).await;
    assert!(held.unwrap(), "the lease was free");
    let (status, body) = commit_progress(&fx, &id).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (code, message) = error(&body);
    assert_eq!(code, "busy", "{body}");
    assert!(message.contains("try again"), "{body}");

    // The other recorder is done: the call commits again.
    fx.store().release_recorder_lease(repository, "other-node/1/1").await.unwrap();
    let (status, body) = commit_progress(&fx, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The repository is gone from disk: refused in the error shape, not a 500.
    std::fs::remove_dir_all(fx.dir.path().join("app")).unwrap();
    let (status, body) = commit_progress(&fx, &id).await;
    assert!(status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE, "{status}: {body}");
    error(&body);
}
