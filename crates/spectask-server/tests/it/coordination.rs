//! The coordination API through the real router: only a session credential opens it, it acts as
//! that one session, and each refusal has its status and code.

use crate::support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use spectask_core::{NewSpecTask, SpecTaskCommand, TaskKind, WorkSession, WorkSessionCommand};
use spectask_orchestrator::CoordinationLimits;
use spectask_server::{AppState, app};
use spectask_store::{NewWorkSession, Store};
use tower::ServiceExt;

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    credential: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(credential) = credential {
        req = req.header(header::AUTHORIZATION, format!("Bearer {credential}"));
    }
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = app(state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A task "Add login" of a repository at `dir`, in implementation.
async fn task_in_implementation(store: &Store, dir: &std::path::Path) -> spectask_core::SpecTask {
    let repo = store.register_repository(dir, "main", "helix-design-docs", Some("local")).await.unwrap();
    let new = NewSpecTask::new(TaskKind::CodingSession, repo.id, "Add login", "Add login", "alice");
    let task = store.create_spec_task(new).await.unwrap();
    let task = store.transition_spec_task(&task, &SpecTaskCommand::QueueImplementation).await.unwrap().value;
    store.transition_spec_task(&task, &SpecTaskCommand::StartImplementation).await.unwrap().value
}

async fn session(store: &Store, task: spectask_core::SpecTaskId, name: &str) -> WorkSession {
    store.create_work_session(NewWorkSession::implementation(task, name, "")).await.unwrap()
}

#[tokio::test]
async fn the_coordination_api_acts_only_as_the_credentials_unfinished_session() {
    let dir = tempfile::tempdir().unwrap();
    let store = support::store(dir.path(), false).await;
    let state = AppState {
        coordination: CoordinationLimits {
            max_spawned_sessions: 1,
            max_messages_per_session: 3,
            max_text_bytes: 64,
        },
        ..support::state(store.clone())
    };
    let task = task_in_implementation(&store, dir.path()).await;
    let a = session(&store, task.id, "Backend API").await;
    let a = store.transition_work_session(&a, &WorkSessionCommand::Start).await.unwrap().value;
    let b = session(&store, task.id, "Frontend").await;
    let credential = store.issue_session_credential(a.id).await.unwrap();
    let cred = Some(credential.as_str());

    // No credential, or one that names nobody: 401 with a reason.
    let (status, body) = call(&state, "GET", "/api/v1/coordination/session", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{body}"
    );
    let (status, body) = call(&state, "GET", "/api/v1/coordination/session", Some("stc_nope"), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credential"))
    );
    // It names the one session it was issued for.
    let (status, body) = call(&state, "GET", "/api/v1/coordination/session", cred, None).await;
    assert_eq!((status, body["session"]["name"].as_str()), (StatusCode::OK, Some("Backend API")), "{body}");

    // Messages: by name; to nobody, to oneself, too long: refused with what is wrong.
    let msg = |to: &str, text: &str| json!({ "to_session": to, "text": text });
    let (status, body) =
        call(&state, "POST", "/api/v1/coordination/messages", cred, Some(msg("frontend", "ready"))).await;
    assert_eq!((status, body["delivery"].as_str()), (StatusCode::CREATED, Some("queued")), "{body}");
    assert_eq!(body["event"]["message"], "Backend API → Frontend: \"ready\"");
    assert_eq!(store.pending_session_messages(b.id).await.unwrap().len(), 1);
    let (status, body) =
        call(&state, "POST", "/api/v1/coordination/messages", cred, Some(msg("nobody", "x"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("\"Frontend\""), "{body}");
    let (status, _) =
        call(&state, "POST", "/api/v1/coordination/messages", cred, Some(msg("Backend API", "x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) =
        call(&state, "POST", "/api/v1/coordination/messages", cred, Some(msg("Frontend", &"x".repeat(65))))
            .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "{body}"
    );

    // Blocked needs a session or a reason.
    let (status, _) = call(&state, "POST", "/api/v1/coordination/blocked", cred, Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) =
        call(&state, "POST", "/api/v1/coordination/blocked", cred, Some(json!({ "on_session": "Frontend" })))
            .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::CREATED, Some("Backend API blocked: waiting for Frontend"))
    );

    // Spawning is bounded per task; so are messages per session.
    let spawn = json!({ "name": "Security audit", "description": "audit" });
    let (status, body) = call(&state, "POST", "/api/v1/coordination/spawn", cred, Some(spawn.clone())).await;
    assert_eq!(
        (status, body["spawned_by_id"].as_str()),
        (StatusCode::CREATED, Some(a.id.to_string().as_str())),
        "{body}"
    );
    let (status, body) = call(&state, "POST", "/api/v1/coordination/spawn", cred, Some(spawn)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("limit_reached"))
    );
    let (status, _) =
        call(&state, "POST", "/api/v1/coordination/messages", cred, Some(json!({ "text": "all: fyi" })))
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        call(&state, "POST", "/api/v1/coordination/messages", cred, Some(json!({ "text": "one more" })))
            .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // The log and the plan status, as the caller sees them.
    let (status, body) = call(&state, "GET", "/api/v1/coordination/log?since=1", cred, None).await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> =
        body["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.iter().all(|s| *s > 1) && body["next_since"] == *seqs.last().unwrap(), "{body}");
    let (status, body) = call(&state, "GET", "/api/v1/coordination/plan-status", cred, None).await;
    assert_eq!(status, StatusCode::OK);
    let me = body["sessions"].as_array().unwrap().iter().find(|s| s["you"] == true).unwrap();
    assert_eq!(
        (&me["name"], &me["blocked"]),
        (&json!("Backend API"), &json!("Backend API blocked: waiting for Frontend"))
    );

    // A finished recipient refuses messages; a finished caller's credential stops working.
    store.transition_work_session(&b, &WorkSessionCommand::Cancel).await.unwrap();
    let c = session(&store, task.id, "Docs").await;
    let of_c = store.issue_session_credential(c.id).await.unwrap();
    let (status, body) =
        call(&state, "POST", "/api/v1/coordination/messages", Some(&of_c), Some(msg("Frontend", "late")))
            .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("recipient_finished")),
        "{body}"
    );
    let fresh = store.issue_session_credential(a.id).await.unwrap();
    let (status, _) = call(&state, "GET", "/api/v1/coordination/session", cred, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the replaced credential no longer works");
    let a = store.work_session(a.id).await.unwrap();
    store.transition_work_session(&a, &WorkSessionCommand::Complete).await.unwrap();
    let (status, body) = call(&state, "GET", "/api/v1/coordination/session", Some(&fresh), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_finished")),
        "{body}"
    );
}

/// A task cancelled while its session's turn runs stops the session's credential at once: the
/// session is still running (or interrupted, once its agent is stopped), and neither acts.
#[tokio::test]
async fn a_cancelled_tasks_sessions_credentials_stop_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = support::store(dir.path(), false).await;
    let state = support::state(store.clone());
    let task = task_in_implementation(&store, dir.path()).await;
    let running = session(&store, task.id, "Backend API").await;
    let running = store.transition_work_session(&running, &WorkSessionCommand::Start).await.unwrap().value;
    let interrupted = session(&store, task.id, "Frontend").await;
    let interrupted =
        store.transition_work_session(&interrupted, &WorkSessionCommand::Start).await.unwrap().value;
    let of_running = store.issue_session_credential(running.id).await.unwrap();
    let of_interrupted = store.issue_session_credential(interrupted.id).await.unwrap();
    let note = || Some(json!({ "to_session": "Frontend", "text": "ready" }));
    let (status, body) =
        call(&state, "POST", "/api/v1/coordination/messages", Some(&of_running), note()).await;
    assert_eq!(status, StatusCode::CREATED, "before the cancel: {body}");

    store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await.unwrap();
    let interrupt = WorkSessionCommand::Interrupt { reason: "the agent was stopped".into() };
    store.transition_work_session(&interrupted, &interrupt).await.unwrap();
    for (credential, left) in [(&of_running, "running"), (&of_interrupted, "interrupted")] {
        let session = store.session_of_credential(credential).await.unwrap().unwrap();
        assert_eq!(session.status().as_str(), left, "the session is left as the stop leaves it");
        for (method, uri, body) in [
            ("GET", "/api/v1/coordination/session", None),
            ("POST", "/api/v1/coordination/messages", note()),
            ("POST", "/api/v1/coordination/blocked", Some(json!({ "on_session": "Frontend" }))),
        ] {
            let (status, answer) = call(&state, method, uri, Some(credential), body).await;
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("task_ended")),
                "{method} {uri} of a {left} session of a cancelled task: {answer}"
            );
        }
    }
}
