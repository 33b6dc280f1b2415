//! The contract test: every operation of the OpenAPI document the server serves, called with valid
//! parameters during a scripted scenario through the real binary (a spec task planned by a fake
//! LLM, revised, approved, implemented by the scripted ACP agent with a permission a person
//! answers, sent back once from implementation review and merged; beside it the tasks the other
//! operations need: rejected, cancelled, deleted, failed and retried, interactive, an editor's
//! thread), each answer validated against its schema in the document. It fails when an operation
//! of the document is never called or never answers a documented success, or when any answer does
//! not match; a route missing from the document fails `spectask-server`'s `tests/it/openapi.rs`.

mod document;
mod editor;
mod sessions;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::support::{CoderConfig, Server, coder_data, git_repo};
pub(crate) use document::Contract;
use document::{empty, error_code};

const SCRIPT: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { plan = [{ content = "write the model", status = "in_progress" }] },
  { permission = { title = "write src/user.js", path = "src/user.js" } },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { plan = [{ content = "write the model", status = "completed" }] },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]

[[rule]]
match = "*Address review comments*"
steps = [
  { write_file = { path = "src/app.js", content = "// reviewed\nrequire('./user'); require('./login');\n" } },
  { message = "Addressed the review." },
]

[[rule]]
match = "*Review the changes of feature/auth*"
steps = [
  { write_file = { path = ".spectask/review/findings.md", content = "I read the diff.\n\n## Unchecked token\n- File: src/auth.rs\n- Line: 1\n- Severity: medium\n\nThe token is never checked.\n" } },
  { message = "Written." },
]

[[rule]]
match = "*Keep working*"
steps = [{ message = "working" }, { sleep = 600000 }]

[[rule]]
match = "*Crash now*"
steps = [{ crash = 3 }]

[[rule]]
match = "please work"
steps = [
  { message = "starting" },
  { permission = { title = "edit notes.md" } },
  { message = "done" },
]
"##;

#[test]
fn every_operation_of_the_openapi_document_answers_as_documented_on_sqlite() {
    every_operation_answers_as_documented(None);
}

#[test]
fn every_operation_of_the_openapi_document_answers_as_documented_on_postgres() {
    let url = crate::support::postgres_url();
    every_operation_answers_as_documented(Some(&url));
}

/// The operations that cannot succeed on this server, with why; each is still called and must
/// answer in the documented error shape.
const EXCUSED: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/spec-tasks/from-demo",
        "only `spectask demo` serves the samples (`it::demo` creates one, checked against the document)",
    ),
    (
        "POST",
        "/repos/{id}/members",
        "a member is a user, and this server runs without users (`it::repo_owners`)",
    ),
    (
        "DELETE",
        "/repos/{id}/members/{user}",
        "a member is a user, and this server runs without users (`it::repo_owners`)",
    ),
    ("DELETE", "/auth/sessions/{id}", "a login session needs users; `spectask-server`'s auth tests end one"),
    (
        "POST",
        "/spec-tasks/import",
        "an issue needs a forge; `it::forge_issues` imports one through the fake GitHub",
    ),
    (
        "POST",
        "/forges/{name}/webhook",
        "a delivery needs a forge with a webhook secret; `it::forge_github` delivers signed ones",
    ),
];

/// A data dir: the fake LLM plans, the scripted agent implements and asks before its first write.
fn setup(dir: &Path, llm: &FakeLlm) -> std::path::PathBuf {
    // The same scripted agent, writing without asking: the review task's (a review's agent asks
    // nobody).
    let profile = format!(
        "permission_policy = \"ask\"\n\n[agents.reviewer]\nkind = \"acp\"\ncommand = \"spectask\"\n\
         args = [\"agent\", \"scripted\", \"--script\", \"{}\"]\n",
        dir.join("coder.toml").display()
    );
    let config = CoderConfig {
        planner: Some(&llm.base_url),
        profile: &profile,
        orchestrator: "backoff_initial_seconds = 0.1\nmax_attempts = 3\n",
        ..CoderConfig::default()
    };
    coder_data(dir, SCRIPT, &config).0
}

/// Polls `GET /spec-tasks/{id}` (each answer checked too) until the task is `want`.
pub(crate) fn wait_status(contract: &mut Contract, id: &str, want: &str) -> Value {
    wait(contract, &format!("task {id} is {want}"), |c| {
        let task = c.get("/spec-tasks/{id}", &[id]);
        (task["status"] == want).then_some(task)
    })
}

/// Calls `probe` until it answers; bounded, and prints the last answers of the task list on failure.
pub(crate) fn wait<T>(
    contract: &mut Contract,
    what: &str,
    mut probe: impl FnMut(&mut Contract) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(found) = probe(contract) {
            return found;
        }
        if Instant::now() > deadline {
            let tasks = contract.get("/spec-tasks", &[]);
            panic!("timed out waiting until {what}; the tasks: {tasks:#}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn every_operation_answers_as_documented(database_url: Option<&str>) {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app").display().to_string();
    let data = setup(dir.path(), &llm);
    let server = Server::start(&data, database_url);
    // Under `ask` the sessions' unasked writes wait for a person too: this one allows them.
    let _writes = crate::support::AllowServedWrites::start(&server.url);
    let mut c = Contract::new(&server.url);

    // The server, the caller, the catalogue.
    c.get("/health", &[]);
    c.get("/auth/me", &[]);
    let mine = c.get("/auth/me/budget", &[]);
    assert_eq!(mine["scope"], "user", "{mine}");
    c.expect(200, "post", "/auth/login", &[], Some(json!({"token": "local"})));
    c.expect(204, "post", "/auth/logout", &[], None);
    c.get("/agents", &[]);
    c.get("/demo-repos", &[]);
    let demo = c.call("post", "/spec-tasks/from-demo", &[], "", Some(json!({"demo_repo": "nodejs-todo"})));
    assert!(!error_code(&demo).is_empty(), "from-demo outside the demo: {}", demo.text);
    let registered = c.expect(200, "post", "/repos", &[], Some(json!({"path": repo})));
    c.get("/repos", &[]);
    // No forge connection is configured: an empty list, in the documented shape, and an issue
    // cannot be imported.
    assert_eq!(c.get("/forges", &[]), json!([]));
    let issue = json!({"url": "https://github.com/acme/app/issues/1"});
    c.expect(409, "post", "/spec-tasks/import", &[], Some(issue));
    c.expect(
        401,
        "post",
        "/forges/{name}/webhook",
        &["github"],
        Some(json!({"zen": "Keep it logically awesome."})),
    );
    let repo_id = registered["id"].as_str().unwrap().to_owned();
    // The repository by id and by path, as every route resolves it; a URL nobody registered: 404.
    for reference in [repo_id.as_str(), registered["path"].as_str().unwrap()] {
        let query: String = reference
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let found = c.call("get", "/repos/lookup", &[], &format!("?repo={query}"), None);
        assert_eq!(
            (found.status, found.body["id"].as_str()),
            (200, Some(repo_id.as_str())),
            "{}",
            found.text
        );
    }
    let unknown = c.call("get", "/repos/lookup", &[], "?repo=https%3A%2F%2Fexample.com%2Fa%2Fb", None);
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    c.expect(200, "patch", "/repos/{id}", &[&repo_id], Some(json!({"merge_policy": "merge"})));
    c.get("/repos/{id}/members", &[&repo_id]);
    // A generous daily budget for the repository (its tasks must go on), then a bad one.
    let daily = json!({"tokens": 1_000_000_000, "cost": 1000, "currency": "USD"});
    let set = c.expect(200, "put", "/repos/{id}/budget", &[&repo_id], Some(daily));
    assert_eq!(
        (set["scope"].as_str(), set["tokens"].as_u64()),
        (Some("repository"), Some(1_000_000_000)),
        "{set}"
    );
    let bad = c.call("put", "/repos/{id}/budget", &[&repo_id], "", Some(json!({"currency": "US D"})));
    assert_eq!(bad.status, 400, "{}", bad.text);
    c.get("/repos/{id}/budget", &[&repo_id]);
    let unadoptable = c.call(
        "post",
        "/spec-tasks/adopt",
        &[],
        "",
        Some(json!({"repo": registered["path"], "folder": "no/such"})),
    );
    assert_eq!(
        (unadoptable.status, error_code(&unadoptable).as_str()),
        (400, "invalid_folder"),
        "{}",
        unadoptable.text
    );
    // A repository with a spec folder, taken up at review.
    let specs = dir.path().join("specs-app");
    let spec_files = [
        (".kiro/specs/login/requirements.md", "# Requirements Document\n"),
        (".kiro/specs/login/tasks.md", "- [x] 1. Done already\n"),
    ];
    spectask_git::init_repository(&specs, &spec_files, "init").unwrap();
    let adopted = c.expect(
        201,
        "post",
        "/spec-tasks/adopt",
        &[],
        Some(json!({"repo": specs, "folder": ".kiro/specs/login"})),
    );
    assert_eq!(adopted["status"], "spec_review", "{adopted}");
    let workflows = c.get("/repos/{id}/workflows", &[&repo_id]);
    assert_eq!(workflows["workflows"][2]["name"], "bugfix", "{workflows}");
    review_task(&mut c, dir.path());
    let unknown = c.call("post", "/repos/{id}/members", &[&repo_id], "", Some(json!({"user": "nobody"})));
    assert_eq!((unknown.status, error_code(&unknown).as_str()), (400, "unknown_user"), "{}", unknown.text);
    let absent = c.call("delete", "/repos/{id}/members/{user}", &[&repo_id, "nobody"], "", None);
    assert_eq!(absent.status, 404, "{}", absent.text);
    c.get("/auth/sessions", &[]);
    let absent = c.call("delete", "/auth/sessions/{id}", &["none"], "", None);
    assert_eq!(absent.status, 404, "{}", absent.text);

    // A spec task: planned, revised twice, approved.
    let body = json!({"repo": repo, "prompt": "Add login", "title": "Add login", "priority": "high"});
    let task = c.expect(201, "post", "/spec-tasks/from-prompt", &[], Some(body));
    let id = task["id"].as_str().unwrap().to_owned();
    c.get("/spec-tasks", &[]);
    let none = json!({"depends_on": [], "hold_before": "implementation"});
    c.expect(200, "put", "/spec-tasks/{id}/prerequisites", &[&id], Some(none));
    // A generous budget (the task must go on), then a bad one: refused, naming what is wrong.
    let budget =
        c.expect(200, "put", "/spec-tasks/{id}/budget", &[&id], Some(json!({"tokens": 100_000_000})));
    assert_eq!(budget["budget"]["tokens"], 100_000_000, "{budget}");
    let bad = c.call("put", "/spec-tasks/{id}/budget", &[&id], "", Some(json!({"cost": -1})));
    assert_eq!(bad.status, 400, "{}", bad.text);
    let page = c.call("get", "/spec-tasks", &[], "?limit=1&offset=0&status=backlog", None);
    assert_eq!(page.status, 200, "{}", page.text);
    c.get("/tasks", &[]);
    c.get("/tasks/{id}", &[&id]);
    wait_status(&mut c, &id, "spec_review");
    c.get("/spec-tasks/{id}/spec-versions", &[&id]);
    c.get("/spec-tasks/{id}/steering", &[&id]);
    c.get("/spec-tasks/{id}/documents/{document}", &[&id, "requirements"]);
    let review = json!({"comments": "Name the token's lifetime", "line_comments": []});
    c.expect(200, "post", "/spec-tasks/{id}/request-changes", &[&id], Some(review));
    wait(&mut c, "version 2 is in review", |c| {
        let task = c.get("/spec-tasks/{id}", &[&id]);
        (task["status"] == "spec_review" && task["spec_version"] == 2).then_some(())
    });
    c.expect(200, "post", "/spec-tasks/{id}/generate-documents", &[&id], None);
    wait(&mut c, "version 3 is in review", |c| {
        let task = c.get("/spec-tasks/{id}", &[&id]);
        (task["status"] == "spec_review" && task["spec_version"] == 3).then_some(())
    });
    c.get("/spec-tasks/{id}/reviews", &[&id]);
    c.expect(200, "post", "/spec-tasks/{id}/approve-specs", &[&id], empty());

    // Implementation: session 1 waits for a person's answer; meanwhile every session operation.
    sessions::while_a_session_waits(&mut c, database_url, &data, &id);
    wait_status(&mut c, &id, "implementation_review");
    c.get("/spec-tasks/{id}/implementation-summary", &[&id]);
    c.get("/spec-tasks/{id}/implementation-review", &[&id]);
    let changes = json!({"comments": "Say it was reviewed in src/app.js"});
    c.expect(200, "post", "/spec-tasks/{id}/request-implementation-changes", &[&id], Some(changes));
    wait(&mut c, "the follow-up session is done", |c| {
        let task = c.get("/spec-tasks/{id}", &[&id]);
        let sessions = c.get("/spec-tasks/{id}/work-sessions", &[&id]);
        let follow_up = sessions.as_array().unwrap().iter().any(|s| {
            s["name"].as_str().unwrap_or("").starts_with("Address review comments")
                && s["status"] == "completed"
        });
        (task["status"] == "implementation_review" && follow_up).then_some(())
    });
    // Every criterion has its commit: the converge pass finds nothing and records it.
    let converged = c.expect(200, "post", "/spec-tasks/{id}/converge", &[&id], None);
    assert_eq!(converged["converged"], true, "{converged}");
    c.expect(200, "post", "/spec-tasks/{id}/approve-implementation", &[&id], empty());
    wait_status(&mut c, &id, "done");
    c.get("/spec-tasks/{id}/export", &[&id]);
    c.get("/spec-tasks/{id}/download-documents", &[&id]);
    c.get("/spec-tasks/{id}/design-docs", &[&id]);
    c.get("/spec-tasks/{id}/design-docs/files", &[&id]);
    c.get("/metrics", &[]);

    other_tasks(&mut c, &repo);
    editor::an_editor_thread(&mut c, &repo);

    // The spec in review told its owner at least (no webhook is configured: no deliveries).
    wait(&mut c, "the spec-ready notification is recorded", |c| {
        let told = c.get("/notifications", &[]);
        told.as_array()?
            .iter()
            .any(|n| n["kind"] == "spec_ready" && n["spec_task_id"] == id.as_str())
            .then_some(())
    });
    let events = c.events(20);
    assert!(events.iter().any(|e| e["kind"] == "spec_task.created"), "{events:#?}");
    c.finish(EXCUSED);
    server.stop();
}

/// A review task on a branch of a repository of its own: a target naming nothing refused, the
/// report read back, and a finding followed up (the follow-up cancelled: it is not the scenario's).
fn review_task(c: &mut Contract, dir: &Path) {
    let repo = dir.join("review-app");
    spectask_git::init_repository(&repo, &[("src/auth.rs", "fn check() {}\n")], "init").unwrap();
    let git = |args: &[&str]| crate::implementation::git(&repo, args);
    git(&["checkout", "-q", "-b", "feature/auth"]);
    std::fs::write(repo.join("src/auth.rs"), "fn check(token: &str) {}\n").unwrap();
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "Take a token"]);
    git(&["checkout", "-q", "main"]);
    let body = |target: &str| {
        json!({"repo": repo, "prompt": "Review the auth branch", "workflow": "review", "review_target": target,
            "implementation_agent": "reviewer"})
    };
    let refused = c.call("post", "/spec-tasks/from-prompt", &[], "", Some(body("nope")));
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (400, "invalid_review_target"),
        "{}",
        refused.text
    );
    let review = c.expect(201, "post", "/spec-tasks/from-prompt", &[], Some(body("feature/auth")));
    let id = review["id"].as_str().unwrap().to_owned();
    wait_status(c, &id, "done");
    let report = c.get("/spec-tasks/{id}/review-report", &[&id]);
    assert_eq!(
        (report["findings"][0]["file"].as_str(), report["findings"][0]["line"].as_u64()),
        (Some("src/auth.rs"), Some(1)),
        "{report}"
    );
    let follow_up = json!({"findings": [1], "workflow": "feature"});
    let task = c.expect(201, "post", "/spec-tasks/{id}/follow-ups", &[&id], Some(follow_up));
    // The finding is written as the report writes it.
    let prompt = task["prompt"].as_str().unwrap();
    assert!(prompt.contains("## Finding 1: Unchecked token\n- File: src/auth.rs\n- Line: 1\n"), "{task}");
    c.expect(200, "post", "/spec-tasks/{id}/cancel", &[task["id"].as_str().unwrap()], None);
}

/// The tasks the lifecycle's other ends need: rejected, approved with handoff and deleted,
/// cancelled through `/tasks`, cancelled, failed and retried, interactive.
fn other_tasks(c: &mut Contract, repo: &str) {
    let create = |c: &mut Contract, name: &str, kind: &str| -> String {
        let body = json!({"repo": repo, "name": name, "description": name, "task_type": kind});
        c.expect(201, "post", "/tasks", &[], Some(body))["id"].as_str().unwrap().to_owned()
    };
    let rejected = create(c, "Reject me", "spec");
    let handed_off = create(c, "Hand me off", "spec");
    let moved = create(c, "Cancel me through tasks", "spec");
    for id in [&rejected, &handed_off, &moved] {
        wait_status(c, id, "spec_review");
    }
    c.expect(200, "post", "/spec-tasks/{id}/reject", &[&rejected], empty());
    c.expect(200, "post", "/spec-tasks/{id}/approve-with-handoff", &[&handed_off], empty());
    // Deleted once the orchestrator has taken it on: a cancel racing its move answers 409 (a
    // person retries it), which is not what this call is here to check.
    wait_status(c, &handed_off, "implementation");
    c.expect(204, "delete", "/tasks/{id}", &[&handed_off], None);
    c.expect(200, "put", "/tasks/{id}/status", &[&moved], Some(json!({"status": "cancelled"})));

    let long = create(c, "Keep working", "coding_session");
    let session = wait(c, "the long session runs", |c| {
        let sessions = c.get("/tasks/{task_id}/work-sessions", &[&long]);
        sessions.as_array().unwrap().iter().find(|s| s["status"] == "running").map(|s| s["id"].clone())
    });
    let session = session.as_str().unwrap().to_owned();
    sessions::pause_and_resume(c, &long, &session);
    c.expect(200, "post", "/spec-tasks/{id}/cancel", &[&long], None);

    let crashing = create(c, "Crash now", "coding_session");
    wait_status(c, &crashing, "failed");
    c.expect(200, "post", "/spec-tasks/{id}/retry", &[&crashing], None);

    let interactive = create(c, "Talk to me", "interactive");
    let main = wait(c, "the interactive session runs", |c| {
        let sessions = c.get("/tasks/{task_id}/work-sessions", &[&interactive]);
        sessions.as_array().unwrap().iter().find(|s| s["status"] == "running").map(|s| s["id"].clone())
    });
    let main = main.as_str().unwrap().to_owned();
    c.expect(202, "post", "/work-sessions/{id}/messages", &[&main], Some(json!({"text": "hello"})));
    c.expect(200, "post", "/work-sessions/{id}/complete", &[&main], None);
}
