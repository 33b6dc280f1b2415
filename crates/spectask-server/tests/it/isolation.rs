//! Two users on one server, on both backends: neither sees anything of the other's through any
//! route of the OpenAPI document (every GET, the event stream included, and the state changes), by
//! id, abbreviated id or handle; each route answers 404 as for an id that does not exist.

use crate::support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures::StreamExt;
use serde_json::{Value, json};

use spectask_core::WorkSessionCommand;
use spectask_server::{AppState, Auth, Security, app_with, openapi};
use spectask_store::{ApprovalOption, NewApproval, NewWorkSession, TokenKey};
use tower::ServiceExt;

struct Fixture {
    state: AppState,
    security: Security,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(postgres: bool) -> (Self, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = support::store(dir.path(), postgres).await;
        let key = TokenKey::generate().unwrap();
        let mut tokens = Vec::new();
        for name in ["alice", "bob"] {
            store.add_user(name, spectask_store::UserRole::Member).await.unwrap();
            tokens.push(store.create_api_token(&key, name).await.unwrap());
        }
        let mut state = support::state(store);
        // Members register repositories under the test's directory.
        state.repositories.roots = vec![dir.path().canonicalize().unwrap()];
        let fx = Self { state, security: Security::default().with_auth(Auth::Tokens(key)), dir };
        let bob = tokens.pop().unwrap();
        let alice = tokens.pop().unwrap();
        (fx, alice, bob)
    }

    fn repo(&self, name: &str) -> String {
        crate::support::git_repo(self.dir.path(), name)
    }

    async fn call(&self, token: &str, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
            .unwrap();
        let resp = app_with(self.state.clone(), self.security.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let is_stream = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == "text/event-stream");
        if is_stream {
            return (status, String::new());
        }
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// What the event stream sends `token` after event `after` until `until` appears (or 10 s pass).
    async fn stream(&self, token: &str, after: i64, until: &str) -> String {
        let req = Request::get("/api/v1/events")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("last-event-id", after.to_string())
            .body(Body::empty())
            .unwrap();
        let resp = app_with(self.state.clone(), self.security.clone()).oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let mut body = resp.into_body().into_data_stream();
        let mut text = String::new();
        let read = async {
            while !text.contains(until) {
                match body.next().await {
                    Some(Ok(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
        text
    }
}

async fn neither_user_sees_the_others_anything(postgres: bool) {
    let (fx, alice, bob) = Fixture::new(postgres).await;
    let repo = fx.repo("alice-app");
    let (status, created) = fx
        .call(
            &alice,
            "POST",
            "/api/v1/spec-tasks/from-prompt",
            Some(json!({ "prompt": "Secret plan", "repo": repo })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let task: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(task["created_by"], "alice");
    let task_id = task["id"].as_str().unwrap().to_owned();
    let repo_id = task["repository"]["id"].as_str().unwrap().to_owned();
    let session = fx
        .state
        .store
        .create_work_session(NewWorkSession::implementation(task_id.parse().unwrap(), "secret session", ""))
        .await
        .unwrap();
    let session_id = session.id.to_string();
    // Her agent asks her a question (an approval held on some node).
    let session =
        fx.state.store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value;
    let approval = NewApproval {
        id: "01a20000-0000-7000-8000-0000000000aa".into(),
        spec_task_id: session.spec_task_id,
        work_session_id: session.id,
        acp_session_id: "acp-secret".into(),
        node: "elsewhere".into(),
        tool_call_id: "call-1".into(),
        title: Some("Secret approval".into()),
        kind: None,
        locations: Vec::new(),
        options: vec![ApprovalOption {
            option_id: "allow".into(),
            name: "Allow".into(),
            kind: "allow_once".into(),
        }],
    };
    fx.state.store.hold_approval(&approval).await.unwrap();
    // Her approval is a notification for her (an orchestrator's follower would record it).
    fx.state.store.record_notifications(|_| vec!["hook".to_owned()]).await.unwrap();
    // Bob has a task of his own, in his own repository.
    let (status, _) = fx
        .call(
            &bob,
            "POST",
            "/api/v1/spec-tasks/from-prompt",
            Some(json!({ "prompt": "Bob's", "repo": fx.repo("bob-app") })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // A body naming someone else as the owner is refused.
    let (status, body) = fx
        .call(
            &bob,
            "POST",
            "/api/v1/spec-tasks/from-prompt",
            Some(json!({ "prompt": "x", "repo": repo, "created_by": "alice" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("invalid_created_by"), "{body}");

    let secrets = [task_id.as_str(), "Secret plan", "secret session", "alice-app", "Secret approval"];
    let leaks = |text: &str| secrets.iter().find(|s| text.contains(**s)).map(|s| s.to_string());

    let doc = serde_json::to_value(openapi::document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let public = [
            "/api/v1/health",
            "/api/v1/openapi.json",
            "/api/v1/events",
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
        ];
        if public.contains(&path.as_str()) || path.starts_with("/api/v1/coordination/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let by_session = path.starts_with("/api/v1/work-sessions/");
            // A repository's routes name it by its own id.
            let by_repo = path.starts_with("/api/v1/repos/");
            let fill = |task: &str, session: &str| {
                let id = if by_session {
                    session.to_owned()
                } else if by_repo {
                    if task == task_id {
                        repo_id.clone()
                    } else {
                        "01a20000-0000-7000-8000-000000000002".to_owned()
                    }
                } else {
                    task.to_owned()
                };
                path.replace("{id}", &id)
                    .replace("{session}", session)
                    .replace("{task_id}", task)
                    .replace("{document}", "requirements")
                    .replace("{user}", "alice")
            };
            let uri = fill(&task_id, &session_id);
            let has_id = uri != *path;
            let (status, body) = fx.call(&bob, &method.to_uppercase(), &uri, Some(json!({}))).await;
            // An error may repeat the id bob sent; nothing else of alice's may show.
            let shown = if status.is_success() {
                body.clone()
            } else {
                body.replace(&task_id, "").replace(&session_id, "").replace(&repo_id, "")
            };
            assert!(leaks(&shown).is_none(), "{method} {uri} shows bob {:?}: {body}", leaks(&shown));
            if has_id && !path.starts_with("/api/v1/approvals/") {
                // Exactly what an id that does not exist gets.
                let (none_task, none_session) =
                    ("01a20000-0000-7000-8000-000000000000", "01a20000-0000-7000-8000-000000000001");
                let (unknown_status, unknown_body) = fx
                    .call(&bob, &method.to_uppercase(), &fill(none_task, none_session), Some(json!({})))
                    .await;
                let unknown_body = unknown_body
                    .replace(none_task, "")
                    .replace(none_session, "")
                    .replace("01a20000-0000-7000-8000-000000000002", "");
                assert_eq!((status, shown), (unknown_status, unknown_body), "{method} {uri} as bob");
                if method == "get" {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri} as bob: {body}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 25, "only {checked} routes with ids were checked");
    // Abbreviated ids and handles too.
    let short = task["short_id"].as_str().unwrap();
    for reference in [&short[..6], task["handle"].as_str().unwrap()] {
        let (status, body) = fx.call(&bob, "GET", &format!("/api/v1/spec-tasks/{reference}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{reference}: {body}");
        let (status, _) = fx.call(&alice, "GET", &format!("/api/v1/spec-tasks/{reference}"), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    // Bob cannot answer her approval: exactly what an unknown approval gets. She sees and answers it.
    let answer = Some(json!({ "option_id": "allow" }));
    let (status, body) =
        fx.call(&bob, "POST", &format!("/api/v1/approvals/{}", approval.id), answer.clone()).await;
    let unknown =
        fx.call(&bob, "POST", "/api/v1/approvals/01a20000-0000-7000-8000-0000000000ab", answer.clone()).await;
    assert_eq!(
        (status, body.replace(&approval.id, "")),
        (unknown.0, unknown.1.replace("01a20000-0000-7000-8000-0000000000ab", ""))
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = fx.call(&alice, "GET", "/api/v1/approvals", None).await;
    assert!(listed.contains("Secret approval"), "{listed}");
    let (_, told) = fx.call(&alice, "GET", "/api/v1/notifications", None).await;
    assert!(told.contains("\"kind\":\"permission_waiting\"") && told.contains("Secret approval"), "{told}");
    let (status, body) = fx.call(&alice, "POST", &format!("/api/v1/approvals/{}", approval.id), answer).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The task is still as alice left it, and she sees it all.
    let (status, body) = fx.call(&alice, "GET", &format!("/api/v1/spec-tasks/{task_id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"status\":\"backlog\""), "{body}");
    let (_, list) = fx.call(&alice, "GET", "/api/v1/spec-tasks", None).await;
    assert!(list.contains(&task_id) && !list.contains("Bob's"), "{list}");
    let (_, repos) = fx.call(&alice, "GET", "/api/v1/repos", None).await;
    assert!(repos.contains("alice-app") && !repos.contains("bob-app"), "{repos}");
    let (status, _) =
        fx.call(&alice, "GET", &format!("/api/v1/work-sessions/{session_id}/history"), None).await;
    assert_eq!(status, StatusCode::OK);

    // The event stream: bob's own events arrive, none of alice's.
    let bobs = fx.stream(&bob, 0, "Bob's").await;
    assert!(bobs.contains("Bob's"), "bob's stream lacks his own task: {bobs}");
    assert!(leaks(&bobs).is_none(), "bob's stream shows {:?}", leaks(&bobs));
    let alices = fx.stream(&alice, 0, "Secret plan").await;
    assert!(alices.contains(&task_id) && !alices.contains("Bob's"), "{alices}");
}

#[tokio::test(flavor = "multi_thread")]
async fn neither_user_sees_the_others_anything_on_sqlite() {
    neither_user_sees_the_others_anything(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn neither_user_sees_the_others_anything_on_postgres() {
    neither_user_sees_the_others_anything(true).await;
}

/// Both users' events pass through the node's one event tail: each stream is given its user's own
/// events from it, never the other's.
async fn the_event_tail_gives_each_user_only_their_own_events(postgres: bool) {
    let (fx, alice, bob) = Fixture::new(postgres).await;
    // Started before the writes: the ring holds every event that follows.
    let start = fx.state.store.last_event_seq().await.unwrap();
    spectask_store::testing::start_event_tail(&fx.state.store, 64).await.unwrap();
    let (alice_repo, bob_repo) = (fx.repo("alice-app"), fx.repo("bob-app"));
    for n in 0..3 {
        for (token, prompt, repo) in [(&alice, "Secret plan", &alice_repo), (&bob, "Bob's", &bob_repo)] {
            let body = Some(json!({ "prompt": format!("{prompt} {n}"), "repo": repo }));
            let (status, created) = fx.call(token, "POST", "/api/v1/spec-tasks/from-prompt", body).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
        }
    }
    let bobs = fx.stream(&bob, start, "Bob's 2").await;
    assert!(bobs.contains("Bob's 0") && bobs.contains("Bob's 2"), "bob's stream lacks his own tasks: {bobs}");
    assert!(!bobs.contains("Secret") && !bobs.contains("alice-app"), "bob's stream shows alice's: {bobs}");
    let alices = fx.stream(&alice, start, "Secret plan 2").await;
    assert!(alices.contains("Secret plan 0"), "alice's stream lacks her own tasks: {alices}");
    assert!(!alices.contains("Bob's") && !alices.contains("bob-app"), "alice's stream shows bob's: {alices}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_tail_gives_each_user_only_their_own_events_on_sqlite() {
    the_event_tail_gives_each_user_only_their_own_events(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_tail_gives_each_user_only_their_own_events_on_postgres() {
    the_event_tail_gives_each_user_only_their_own_events(true).await;
}
