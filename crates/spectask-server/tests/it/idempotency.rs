//! `Idempotency-Key` through the real router, on SQLite and PostgreSQL: a repeated request gets the
//! first answer and changes nothing (a create makes one task, a cancel answers as the first did),
//! another request with the same key is refused, two at once make one task, an answer the server
//! could not give is not kept, a bad key is refused naming the rule.

use crate::support;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use spectask_server::{AppState, CLIENT_HEADER, IDEMPOTENCY_KEY, REPLAYED, app};
use tower::ServiceExt;

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite { $( #[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(false).await } )+ }
        mod on_postgres { $( #[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(true).await } )+ }
    };
}

both_backends!(
    a_repeated_create_makes_one_task_and_answers_as_the_first,
    a_key_names_one_request_and_a_repeated_cancel_answers_as_the_first,
    two_requests_with_one_key_at_once_make_one_task,
);

struct Api {
    state: AppState,
    repo: String,
    _dir: tempfile::TempDir,
}

impl Api {
    async fn new(postgres: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = support::store(dir.path(), postgres).await;
        let repo = support::git_repo(dir.path(), "app");
        Self { state: support::state(store), repo, _dir: dir }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(uri).header(CLIENT_HEADER, "test");
        if let Some(key) = key {
            req = req.header(IDEMPOTENCY_KEY, key);
        }
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let resp = app(self.state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn create(&self, key: Option<&str>, prompt: &str) -> (StatusCode, HeaderMap, Value) {
        let body = json!({ "prompt": prompt, "repo": self.repo });
        self.call("POST", "/api/v1/spec-tasks/from-prompt", key, Some(body)).await
    }

    async fn total(&self) -> u64 {
        self.call("GET", "/api/v1/spec-tasks", None, None).await.2["total"].as_u64().unwrap()
    }
}

async fn a_repeated_create_makes_one_task_and_answers_as_the_first(postgres: bool) {
    let api = Api::new(postgres).await;
    let (status, headers, first) = api.create(Some("create-1"), "Add login").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!headers.contains_key(REPLAYED));
    let (status, headers, again) = api.create(Some("create-1"), "Add login").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(headers[REPLAYED], "true");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(again, first, "the first answer, as it was");
    assert_eq!(api.total().await, 1, "one task");

    // Without a key each request is its own; a new key is a new request.
    api.create(None, "Add login").await;
    api.create(Some("create-2"), "Add login").await;
    assert_eq!(api.total().await, 3);

    // A refusal is an answer too: given again, however the request is repeated.
    let (status, _, refused) = api.create(Some("create-3"), "   ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (status, headers, again) = api.create(Some("create-3"), "   ").await;
    assert_eq!((status, &again), (StatusCode::BAD_REQUEST, &refused));
    assert_eq!(headers[REPLAYED], "true");

    // A key that is not 1 to 255 visible characters is refused, naming the rule.
    let (status, _, body) = api.create(Some("two words"), "Add login").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_idempotency_key");
    assert!(body["error"]["message"].as_str().unwrap().contains("visible ASCII"), "{body}");
    assert_eq!(api.total().await, 3);
}

async fn a_key_names_one_request_and_a_repeated_cancel_answers_as_the_first(postgres: bool) {
    let api = Api::new(postgres).await;
    let (_, _, task) = api.create(None, "Add login").await;
    let cancel = format!("/api/v1/spec-tasks/{}/cancel", task["id"].as_str().unwrap());
    let (status, _, first) = api.call("POST", &cancel, Some("cancel-1"), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "cancelled");
    // The double click: the same answer, not "it is finished".
    let (status, headers, again) = api.call("POST", &cancel, Some("cancel-1"), None).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    assert_eq!(headers[REPLAYED], "true");
    // Without the key, the second cancel is what it is: refused.
    let (status, _, _) = api.call("POST", &cancel, None, None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The same key for another request (another path, another body) is refused, and nothing runs.
    let (status, _, body) = api.create(Some("cancel-1"), "Add logout").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
    assert_eq!(api.total().await, 1);
}

async fn two_requests_with_one_key_at_once_make_one_task(postgres: bool) {
    let api = Api::new(postgres).await;
    let (a, b) = tokio::join!(api.create(Some("both"), "Add login"), api.create(Some("both"), "Add login"));
    let statuses = [a.0, b.0];
    // One made it; the other got its answer, or was told it is still being answered.
    assert!(statuses.contains(&StatusCode::CREATED), "{a:?} {b:?}");
    assert!(statuses.iter().all(|s| [StatusCode::CREATED, StatusCode::CONFLICT].contains(s)), "{a:?} {b:?}");
    for (status, _, body) in [&a, &b] {
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["error"]["code"], "idempotency_key_in_flight", "{body}");
        }
    }
    assert_eq!(api.total().await, 1);
    let (status, _, again) = api.create(Some("both"), "Add login").await;
    assert_eq!(status, StatusCode::CREATED);
    let made = if a.0 == StatusCode::CREATED { &a.2 } else { &b.2 };
    assert_eq!(again["id"], made["id"]);
}
