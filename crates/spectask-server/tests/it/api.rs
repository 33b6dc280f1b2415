//! The API contract through the real router: status codes and the one error shape.

use crate::support;

use std::path::Path;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use spectask_server::{AppState, app};
use tower::ServiceExt;

struct Api {
    state: AppState,
    dir: tempfile::TempDir,
}

impl Api {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = support::store(dir.path(), false).await;
        let state = support::state(store);
        Self { state, dir }
    }

    /// A git repository with one commit, under the fixture's temp dir.
    fn repo(&self, name: &str) -> String {
        support::git_repo(self.dir.path(), name)
    }

    async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    async fn send(&self, mut req: Request<Body>) -> (StatusCode, Value) {
        // As the CLI does: the browser guard refuses body-less state changes without it.
        req.headers_mut()
            .entry(spectask_server::CLIENT_HEADER)
            .or_insert(header::HeaderValue::from_static("test"));
        let resp = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn create(&self, body: Value) -> (StatusCode, Value) {
        self.call("POST", "/api/v1/spec-tasks/from-prompt", Some(body)).await
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn error(body: &Value) -> (&str, &str) {
    (body["error"]["code"].as_str().unwrap(), body["error"]["message"].as_str().unwrap())
}

#[tokio::test]
async fn health_reports_the_backend() {
    let api = Api::new().await;
    let (status, body) = api.call("GET", "/api/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
    assert_eq!(body["last_event_seq"], 0, "a new database has no events: {body}");
    let repo = api.repo("app");
    let (status, _) = api.create(json!({ "prompt": "Add a health page", "repo": repo })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = api.call("GET", "/api/v1/health", None).await;
    assert!(body["last_event_seq"].as_i64().unwrap() >= 1, "creating a task appends events: {body}");
}

#[tokio::test]
async fn create_from_prompt_puts_the_task_in_backlog_with_a_derived_title() {
    let api = Api::new().await;
    let repo = api.repo("app");
    let (status, task) = api
        .create(json!({ "prompt": "Add JWT authentication\n\nwith refresh tokens", "repo": repo, "priority": "high" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(task["status"], "backlog");
    assert_eq!(task["title"], "Add JWT authentication");
    assert_eq!(task["kind"], "spec");
    assert_eq!(task["priority"], "high");
    let short = task["short_id"].as_str().unwrap();
    assert_eq!(task["handle"], format!("{short}-add-jwt-authentication"));
    let canonical = Path::new(&repo).canonicalize().unwrap();
    assert_eq!(task["repository"]["path"], canonical.display().to_string());

    let (status, shown) = api.call("GET", &format!("/api/v1/spec-tasks/{}", &short[..5]), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["id"], task["id"]);
}

#[tokio::test]
async fn bad_inputs_get_4xx_with_messages_naming_the_problem() {
    let api = Api::new().await;
    let repo = api.repo("app");
    let plain_dir = api.dir.path().join("plain");
    std::fs::create_dir_all(&plain_dir).unwrap();
    let empty_repo = api.dir.path().join("empty");
    std::fs::create_dir_all(&empty_repo).unwrap();
    git(&empty_repo, &["init", "-q"]);

    // What a body names and is not there answers 404, as an unknown id does.
    for (path, message) in [
        ("/no/such/dir".to_owned(), "path /no/such/dir does not exist".to_owned()),
        (
            plain_dir.display().to_string(),
            format!("{} is not a git repository", plain_dir.canonicalize().unwrap().display()),
        ),
    ] {
        let (status, resp) = api.create(json!({ "prompt": "x", "repo": path })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} -> {resp}");
        let (got_code, got_message) = error(&resp);
        assert_eq!(got_code, "repository_not_found", "{path}");
        assert!(got_message.contains(&message), "{path}: {got_message:?} lacks {message:?}");
    }
    let cases = [
        (json!({ "prompt": "  ", "repo": repo }), "invalid_prompt", "prompt is empty".to_owned()),
        (json!({ "prompt": "x", "repo": empty_repo }), "invalid_repository", "has no commits".to_owned()),
        (
            json!({ "prompt": "x", "repo": "relative/dir" }),
            "invalid_repository",
            "is not a repository id, a repository URL or an absolute path".to_owned(),
        ),
        (
            json!({ "prompt": "x", "repo": repo, "kind": "batch" }),
            "invalid_body",
            "unknown variant `batch`".to_owned(),
        ),
        (
            json!({ "prompt": "x", "repo": repo, "colour": "red" }),
            "invalid_body",
            "unknown field `colour`".to_owned(),
        ),
        (json!({ "repo": repo }), "invalid_body", "missing field `prompt`".to_owned()),
        // PostgreSQL cannot store NUL, so no store is asked to: every body refuses it by name.
        (
            json!({ "prompt": "a\u{0}b", "repo": repo }),
            "invalid_body",
            "the text at /prompt holds a NUL character".to_owned(),
        ),
        (
            json!({ "prompt": "x", "repo": repo, "depends_on": ["ok", "\u{0}"] }),
            "invalid_body",
            "the text at /depends_on/1 holds a NUL character".to_owned(),
        ),
        (
            json!({ "prompt": "x", "repo": repo, "a/b\u{0}": 1 }),
            "invalid_body",
            "the text at /a~1b\u{0} holds a NUL character".to_owned(),
        ),
        (json!({ "prompt": 7, "repo": repo }), "invalid_body", "prompt: invalid type: integer".to_owned()),
    ];
    for (body, code, message) in cases {
        let (status, resp) = api.create(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} -> {resp}");
        let (got_code, got_message) = error(&resp);
        assert_eq!(got_code, code, "{body}");
        assert!(got_message.contains(&message), "{body}: {got_message:?} lacks {message:?}");
    }

    let malformed = Request::post("/api/v1/spec-tasks/from-prompt")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"prompt\": "))
        .unwrap();
    let (status, resp) = api.send(malformed).await;
    assert_eq!((status, error(&resp).0), (StatusCode::BAD_REQUEST, "invalid_body"));

    let no_type = Request::post("/api/v1/spec-tasks/from-prompt").body(Body::from("{}")).unwrap();
    let (status, resp) = api.send(no_type).await;
    assert_eq!((status, error(&resp).0), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));

    let huge = json!({ "prompt": "x".repeat(2 * 1024 * 1024), "repo": repo });
    let (status, resp) = api.create(huge).await;
    assert_eq!((status, error(&resp).0), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));

    let long_prompt = json!({ "prompt": "x".repeat(100 * 1024), "repo": repo });
    let (status, resp) = api.create(long_prompt).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error(&resp).1, "prompt is 102400 bytes; the limit is 65536");
}

#[tokio::test]
async fn unknown_and_ambiguous_ids_are_reported() {
    let api = Api::new().await;
    let repo = api.repo("app");
    let (status, resp) = api.call("GET", "/api/v1/spec-tasks/deadbeef", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&resp), ("not_found", "no spec task matches \"deadbeef\""));
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(api.create(json!({ "prompt": format!("task {i}"), "repo": repo })).await.1["id"].clone());
    }
    // What all three share: their first 8 characters, unless they straddle a 65 s step of the
    // UUIDv7 time (then fewer, but the 4 the API needs for hours).
    let first = ids[0].as_str().unwrap();
    let shared = (0..8)
        .take_while(|&i| ids.iter().all(|id| id.as_str().unwrap().as_bytes()[i] == first.as_bytes()[i]))
        .count();
    let prefix = &first[..shared];
    let (status, resp) = api.call("GET", &format!("/api/v1/spec-tasks/{prefix}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&resp).0, "ambiguous_id");
    assert!(error(&resp).1.contains("(task 0)"), "{resp}");
    let (status, resp) = api.call("GET", "/api/v1/nothing-here", None).await;
    assert_eq!((status, error(&resp).1), (StatusCode::NOT_FOUND, "no route for GET /api/v1/nothing-here"));
}

#[tokio::test]
async fn cancelling_twice_answers_409_with_the_reason() {
    let api = Api::new().await;
    let repo = api.repo("app");
    let (_, task) = api.create(json!({ "prompt": "x", "repo": repo })).await;
    let uri = format!("/api/v1/spec-tasks/{}/cancel", task["id"].as_str().unwrap());
    let (status, cancelled) = api.call("POST", &uri, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    let (status, resp) = api.call("POST", &uri, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error(&resp),
        ("illegal_transition", "cannot cancel spec task: it is cancelled (it is finished)")
    );
}

#[tokio::test]
async fn listing_filters_validates_and_paginates() {
    let api = Api::new().await;
    let repo = api.repo("app");
    let other = api.repo("other");
    for i in 0..4 {
        api.create(json!({ "prompt": format!("task {i}"), "repo": repo })).await;
    }
    let (_, in_other) = api.create(json!({ "prompt": "elsewhere", "repo": other })).await;
    api.call("POST", &format!("/api/v1/spec-tasks/{}/cancel", in_other["id"].as_str().unwrap()), None).await;

    let (_, page) = api.call("GET", "/api/v1/spec-tasks?limit=2", None).await;
    assert_eq!((page["total"].as_i64(), page["items"].as_array().unwrap().len()), (Some(5), 2));
    let (_, page) = api.call("GET", "/api/v1/spec-tasks?status=cancelled", None).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["title"], "elsewhere");
    let (_, page) = api.call("GET", &format!("/api/v1/spec-tasks?repo={repo}&status=backlog"), None).await;
    assert_eq!(page["total"], 4);

    let (status, resp) = api.call("GET", "/api/v1/spec-tasks?status=finished", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(&resp).1.starts_with("unknown spec task status \"finished\"; expected one of: backlog"));
    let (status, resp) = api.call("GET", "/api/v1/spec-tasks?limit=0", None).await;
    assert_eq!((status, error(&resp).1), (StatusCode::BAD_REQUEST, "limit 0 is not between 1 and 500"));
    let (status, resp) = api.call("GET", "/api/v1/spec-tasks?repo=/nowhere", None).await;
    assert_eq!(
        (status, error(&resp).1),
        (StatusCode::NOT_FOUND, "no repository of yours is registered at /nowhere")
    );
}

#[tokio::test]
async fn agents_show_their_sandbox_and_warn_when_it_is_off() {
    let mut api = Api::new().await;
    let profiles = spectask_agent::Profiles::from_toml(
        "[agents.yolo]\nkind = \"acp\"\ncommand = \"yolo-agent\"\nsandbox = \"off\"\n",
    )
    .unwrap();
    api.state.profiles = std::sync::Arc::new(profiles);
    let (status, agents) = api.call("GET", "/api/v1/agents", None).await;
    assert_eq!(status, StatusCode::OK);
    let find = |name: &str| agents.as_array().unwrap().iter().find(|a| a["name"] == name).unwrap().clone();
    let claude = find("claude");
    assert_eq!(claude["sandbox"], "workspace-write", "{claude:#}");
    assert_eq!(claude["warnings"], json!([]));
    let yolo = find("yolo");
    assert_eq!(yolo["sandbox"], "off", "{yolo:#}");
    assert!(yolo["warnings"][0].as_str().unwrap().starts_with("sandbox is off"), "{yolo:#}");
}

#[tokio::test]
async fn demo_repositories_are_offered_only_by_the_demo() {
    let mut api = Api::new().await;
    let (status, list) = api.call("GET", "/api/v1/demo-repos", None).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let (status, body) =
        api.call("POST", "/api/v1/spec-tasks/from-demo", Some(json!({ "demo_repo": "python-api" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let repos = api.dir.path().join("repos");
    api.state.demo_repos = Some(repos.clone());
    let (_, list) = api.call("GET", "/api/v1/demo-repos", None).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "nodejs-todo",
            "python-api",
            "react-dashboard",
            "linkedin-outreach",
            "helix-blog-posts",
            "python-invoices",
            "python-refunds",
        ]
    );
    assert_eq!(list[1]["tests"], "python3 -m unittest");
    assert_eq!(
        (list[1]["workflow"].as_str(), list[5]["workflow"].as_str(), list[6]["workflow"].as_str()),
        (Some("feature"), Some("bugfix"), Some("review"))
    );

    let body = json!({ "demo_repo": "python-api", "prompt": "Page the items\n\nplease", "priority": "high" });
    let (status, task) = api.call("POST", "/api/v1/spec-tasks/from-demo", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!((task["title"].as_str(), task["status"].as_str()), (Some("Page the items"), Some("backlog")));
    assert_eq!(task["planning_agent"], "python-api-planner");
    assert_eq!(task["implementation_agent"], "python-api-coder");
    let root = repos.join("python-api").canonicalize().unwrap();
    assert_eq!(task["repository"]["path"], root.display().to_string());
    assert!(root.join("app/store.py").is_file());

    // A second task on the same sample reuses its repository; the default prompt is the sample's.
    let (status, again) =
        api.call("POST", "/api/v1/spec-tasks/from-demo", Some(json!({ "demo_repo": "python-api" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["repository"]["id"], task["repository"]["id"]);
    assert_eq!(again["title"], "Add pagination to the items list");

    let (status, body) =
        api.call("POST", "/api/v1/spec-tasks/from-demo", Some(json!({ "demo_repo": "cobol-bank" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error(&body).1.contains("nodejs-todo, python-api"), "{body}");
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/spec-tasks/from-demo",
            Some(json!({ "demo_repo": "python-api", "prompt": " " })),
        )
        .await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "invalid_prompt"));
}

/// Issue 48's second fault: a task on a demo sample's repository is its scripted agents' and follows
/// a workflow they can, however it is made (its demo entry, or its path); a workflow they cannot
/// is refused naming the samples whose agents do.
#[tokio::test]
async fn a_demo_samples_tasks_get_its_agents_and_only_workflows_they_follow() {
    let mut api = Api::new().await;
    let repos = api.dir.path().join("repos");
    api.state.demo_repos = Some(repos.clone());
    let (_, list) = api.call("GET", "/api/v1/demo-repos", None).await;
    let sample = |name: &str| list.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(sample("nodejs-todo")["workflows"], json!(["feature", "design-first"]));
    assert_eq!(sample("react-dashboard")["workflows"], json!(["design-first", "feature"]));
    assert_eq!(sample("python-invoices")["workflows"], json!(["bugfix"]));
    let refunds = sample("python-refunds");
    assert_eq!(refunds["workflows"], json!(["review"]));
    assert_eq!(refunds["review_target"], "feature/partial-refunds");
    assert_eq!(refunds["planning_agent"], "python-refunds-planner");
    assert_eq!(refunds["implementation_agent"], "python-refunds-coder");

    let from_demo = |body: Value| api.call("POST", "/api/v1/spec-tasks/from-demo", Some(body));
    let (status, task) = from_demo(json!({ "demo_repo": "nodejs-todo", "workflow": "design-first" })).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(
        (task["workflow"].as_str(), task["planning_agent"].as_str()),
        (Some("design-first"), Some("nodejs-todo-planner"))
    );
    assert_eq!(
        sample("nodejs-todo")["path"],
        task["repository"]["path"],
        "the demo entry names its repository's path"
    );
    let (status, body) = from_demo(json!({ "demo_repo": "nodejs-todo", "workflow": "bugfix" })).await;
    let (code, message) = error(&body);
    assert_eq!((status, code), (StatusCode::BAD_REQUEST, "demo_workflow"), "{body}");
    assert!(message.contains("feature or design-first") && message.contains("python-invoices"), "{message}");
    let (status, review) = from_demo(json!({ "demo_repo": "python-refunds" })).await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    assert_eq!(
        (review["workflow"].as_str(), review["review_target"].as_str()),
        (Some("review"), Some("feature/partial-refunds"))
    );
    let (status, chosen) =
        from_demo(json!({ "demo_repo": "python-api", "planning_agent": "nodejs-todo-planner" })).await;
    assert_eq!(status, StatusCode::CREATED, "{chosen}");
    assert_eq!(
        (chosen["planning_agent"].as_str(), chosen["implementation_agent"].as_str()),
        (Some("nodejs-todo-planner"), Some("python-api-coder"))
    );

    // By its path, with no agent named: the sample's agents, its workflow by default.
    let (status, _) = from_demo(json!({ "demo_repo": "python-invoices" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let invoices = repos.join("python-invoices").canonicalize().unwrap().display().to_string();
    let (status, bugfix) = api.create(json!({ "prompt": "Fix the rounding", "repo": invoices })).await;
    assert_eq!(status, StatusCode::CREATED, "{bugfix}");
    assert_eq!(
        (
            bugfix["workflow"].as_str(),
            bugfix["planning_agent"].as_str(),
            bugfix["implementation_agent"].as_str()
        ),
        (Some("bugfix"), Some("python-invoices-planner"), Some("python-invoices-coder"))
    );
    let api_path = repos.join("python-api").canonicalize().unwrap().display().to_string();
    let (status, body) =
        api.create(json!({ "prompt": "Fix it", "repo": api_path, "workflow": "bugfix" })).await;
    assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, "demo_workflow"), "{body}");
    let (status, other) =
        api.create(json!({ "prompt": "Page it", "repo": api_path, "workflow": "design-first" })).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_eq!(other["planning_agent"], "python-api-planner");
}

#[tokio::test]
async fn budget_amounts_are_checked_and_currencies_upper_cased() {
    let api = Api::new().await;
    let repo = api.repo("app");
    // A refusal names the field and loses nothing: the task is not made.
    for (budget, field) in [
        (json!({ "cost": -1 }), "cost is -1"),
        (json!({ "cost": 1e13 }), "cost is 10000000000000"),
        (json!({ "cost": 1, "currency": "dollars" }), "currency is \"dollars\""),
        (json!({ "cost": 1, "currency": "credits" }), "currency is \"credits\""),
    ] {
        let (status, resp) = api.create(json!({ "prompt": "x", "repo": repo, "budget": budget })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{budget} -> {resp}");
        let (code, message) = error(&resp);
        assert_eq!(code, "invalid_budget", "{budget}");
        assert!(message.contains(field), "{budget}: {message:?} lacks {field:?}");
    }
    let (status, list) = api.call("GET", "/api/v1/spec-tasks", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");

    let body = json!({ "prompt": "x", "repo": repo, "budget": { "cost": 2.5, "currency": "usd" } });
    let (status, task) = api.create(body).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!(task["budget"]["cost"], json!({ "amount": 2.5, "currency": "USD" }), "{task}");
    let id = task["id"].as_str().unwrap();
    let (status, resp) =
        api.call("PUT", &format!("/api/v1/spec-tasks/{id}/budget"), Some(json!({ "cost": -0.5 }))).await;
    assert_eq!((status, error(&resp).0), (StatusCode::BAD_REQUEST, "invalid_budget"), "{resp}");
    let (_, task) = api.call("GET", &format!("/api/v1/spec-tasks/{id}"), None).await;
    assert_eq!(task["budget"]["cost"]["amount"], 2.5, "the refused change left the budget: {task}");
}

/// A plan that cannot be scheduled (two tasks with one id, a dependency on a task it does not have)
/// is a lint error, and lint errors gate approval on every route: an adoption approved at once is
/// refused and takes nothing up; the spec waits in review, where approving is refused until a
/// person gives a reason, which the review records.
#[tokio::test]
async fn lint_errors_block_approval_until_a_reason_overrides_them() {
    let api = Api::new().await;
    let repo = api.repo("app");
    let folder = Path::new(&repo).join(".kiro/specs/bad");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("requirements.md"),
        "# Requirements\n\n### Requirement 1: Login\n\n#### Acceptance Criteria\n\n\
         1. WHEN a user logs in THEN the service SHALL answer 200\n",
    )
    .unwrap();
    std::fs::write(folder.join("design.md"), "# Design\n\n## Overview\n\nA login route.\n").unwrap();
    std::fs::write(
        folder.join("tasks.md"),
        "# Implementation Plan\n\n- [ ] 1. Add the route\n- [ ] 1. Add the test\n- [ ] 2. Wire it\n  - _Depends: 7_\n",
    )
    .unwrap();
    git(Path::new(&repo), &["add", "-A"]);
    git(Path::new(&repo), &["commit", "-q", "-m", "spec"]);

    let adopt = |extra: Value| {
        let mut body = json!({ "repo": repo, "folder": ".kiro/specs/bad" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        api.call("POST", "/api/v1/spec-tasks/adopt", Some(body))
    };
    let (status, resp) = adopt(json!({ "approve": true })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{resp}");
    let (code, message) = error(&resp);
    assert_eq!(code, "lint_errors");
    assert!(message.contains("error[T001]") && message.contains("error[T002]"), "{message}");
    assert!(message.contains("--despite-lint"), "the override is named: {message}");
    let (_, list) = api.call("GET", "/api/v1/spec-tasks", None).await;
    assert_eq!(list["total"], 0, "a refused adoption takes nothing up: {list}");

    let (status, task) = adopt(json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    let id = task["id"].as_str().unwrap();
    let approve = format!("/api/v1/spec-tasks/{id}/approve-specs");
    let (status, resp) = api.call("POST", &approve, None).await;
    assert_eq!((status, error(&resp).0), (StatusCode::CONFLICT, "lint_errors"), "{resp}");
    let (status, resp) = api.call("POST", &approve, Some(json!({ "despite_lint": "  " }))).await;
    assert_eq!(status, StatusCode::CONFLICT, "a blank reason is none: {resp}");
    let (_, still) = api.call("GET", &format!("/api/v1/spec-tasks/{id}"), None).await;
    assert_eq!(still["status"], "spec_review", "{still}");

    let body = json!({ "comments": "ship it", "despite_lint": "the ids are fixed in the next round" });
    let (status, reviewed) = api.call("POST", &approve, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    let comments = reviewed["review"]["comments"].as_str().unwrap();
    assert!(comments.starts_with("ship it"), "{comments}");
    assert!(
        comments.contains("lint error(s): the ids are fixed in the next round")
            && comments.contains("error[T001]"),
        "{comments}"
    );
}
