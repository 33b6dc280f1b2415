//! A server state on a fresh database, a git repository to work on, and calls through the router.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use spectask_core::{SpecDocuments, SpecTask, SpecTaskCommand};
use spectask_server::{AppState, app};
use spectask_store::{NewSpecVersion, Store};
use tower::ServiceExt;

pub struct Fixture {
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn new(postgres: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::support::state(crate::support::store(dir.path(), postgres).await);
        Self { state, dir }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// A git repository with one commit, under the fixture's temp dir.
    pub fn repo(&self, name: &str) -> String {
        crate::support::git_repo(self.dir.path(), name)
    }

    /// One request as the local user of an open server; the body as JSON (`Null` when it is not).
    pub async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, text) = self.call_text(method, uri, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn call_text(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, String) {
        let mut req =
            Request::builder().method(method).uri(uri).header(spectask_server::CLIENT_HEADER, "test");
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty);
        let resp = app(self.state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The stored task `id` names.
    pub async fn task(&self, id: &Value) -> SpecTask {
        self.store().spec_task(id.as_str().unwrap().parse().unwrap()).await.unwrap()
    }

    /// Applies lifecycle commands to a task as the orchestrator would.
    pub async fn drive(&self, id: &Value, commands: &[SpecTaskCommand]) -> SpecTask {
        let mut task = self.task(id).await;
        for command in commands {
            task = self.store().transition_spec_task(&task, command).await.unwrap().value;
        }
        task
    }

    /// A spec task on `repo` whose spec (`tasks`) is approved and whose implementation started;
    /// returns its id.
    pub async fn in_implementation(&self, repo: &str, tasks: &str) -> String {
        let body = serde_json::json!({ "prompt": "Add a login", "repo": repo });
        let (_, task) = self.call("POST", "/api/v1/spec-tasks/from-prompt", Some(body)).await;
        self.submit_spec(&task["id"], "# Requirements", tasks).await;
        let commands = [
            SpecTaskCommand::Approve,
            SpecTaskCommand::QueueImplementation,
            SpecTaskCommand::StartImplementation,
        ];
        self.drive(&task["id"], &commands).await;
        task["id"].as_str().unwrap().to_owned()
    }

    /// `POST /spec-tasks/from-prompt` "Add a login" on a new repository `app`; returns the
    /// repository's path and the task.
    pub async fn login_task(&self) -> (String, Value) {
        let repo = self.repo("app");
        let body = serde_json::json!({ "prompt": "Add a login", "repo": repo });
        let (status, task) = self.call("POST", "/api/v1/spec-tasks/from-prompt", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        (repo, task)
    }

    /// Plans the task as a planner would: [`LOGIN_REQUIREMENTS`] and [`LOGIN_TASKS`] become its
    /// spec version 1, in review.
    pub async fn submit_login_spec(&self, id: &Value) -> SpecTask {
        self.submit_spec(id, LOGIN_REQUIREMENTS, LOGIN_TASKS).await
    }

    /// Plans the task as a planner would: `requirements` and `tasks` become its next spec version,
    /// in review.
    pub async fn submit_spec(&self, id: &Value, requirements: &str, tasks: &str) -> SpecTask {
        let generating = self.drive(id, &[SpecTaskCommand::StartSpecGeneration]).await;
        let documents = SpecDocuments {
            requirements: requirements.into(),
            design: "# Design".into(),
            tasks: tasks.into(),
        };
        let draft = NewSpecVersion {
            documents,
            planner: "test".into(),
            usage: serde_json::json!({}),
            lint: Vec::new(),
            questions: Vec::new(),
            consistency: Vec::new(),
        };
        self.store().submit_spec_version(&generating, draft).await.unwrap();
        generating
    }
}

/// A login feature's requirements: two criteria, 1.1 and 1.2.
pub const LOGIN_REQUIREMENTS: &str = "# Requirements\n\n### Requirement 1: Login\n\n**User Story:** As a user, I \
    want to log in, so that I see my data.\n\n#### Acceptance Criteria\n\n1. WHEN a user submits valid credentials \
    THEN the system SHALL sign them in\n2. WHEN a password is wrong THEN the system SHALL refuse it\n";
/// Its plan: one task, implementing 1.1 only.
pub const LOGIN_TASKS: &str = "# Tasks\n\n- [ ] 1. Build the login form\n  - _Requirements: 1.1_\n";

/// `(code, message)` of an error body, which must have the one error shape.
pub fn error(body: &Value) -> (&str, &str) {
    let code = body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"));
    (code, body["error"]["message"].as_str().unwrap())
}
