//! The planning loop through the real binary: an `llm` planner on a fake OpenAI-compatible server,
//! review, revision, approval and the hand-off commit on the design-docs branch.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_llm::{FakeLlm, spec_answer};
use crate::support::{Server, git_repo, planner_data, stderr, stdout};

/// Polls `task show` until the status is `want` (the orchestrator works in the background).
pub fn wait_for_status(server: &Server, id: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let task = server.task_json(&["show", id, "--json"]);
        if task["status"] == want {
            return task;
        }
        assert!(Instant::now() < deadline, "task {id} stayed {} (want {want}): {task}", task["status"]);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn create_review_revise_approve_and_hand_off() {
    let llm = FakeLlm::start(vec![spec_answer("first draft"), spec_answer("second draft")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = planner_data(dir.path(), &llm.base_url, "");
    let server = Server::start(&data, None);

    let created =
        server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add JWT authentication", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for_status(&server, &id, "spec_review");
    assert_eq!(task["spec_version"], 1);
    assert!(llm.request_text(0).contains("Add JWT authentication"), "the prompt carries the request");

    let spec = server.task(&["spec", &id, "--doc", "requirements"]);
    assert!(stdout(&spec).contains("first draft"), "{}", stdout(&spec));
    assert!(stdout(&spec).contains("THE Auth_Service SHALL return a signed token"));

    let changes = server.task(&[
        "request-changes",
        &id,
        "--comment",
        "tokens must expire after one hour",
        "--line",
        "requirements:12:name the token format",
    ]);
    assert!(changes.status.success(), "{}", stderr(&changes));
    let task = wait_for_status(&server, &id, "spec_review");
    assert_eq!(task["spec_version"], 2);
    let revision = llm.request_text(1);
    assert!(revision.contains("tokens must expire after one hour"), "the revision quotes the review");
    assert!(revision.contains("first draft"), "the revision carries the previous version");
    let v1 = server.task_json(&["spec", &id, "--doc", "tasks", "--version", "1", "--json"]);
    assert!(v1["content"].as_str().unwrap().contains("first draft"), "every version is kept");
    let v2 = stdout(&server.task(&["spec", &id, "--doc", "design"]));
    assert!(v2.contains("second draft"), "{v2}");

    let approved = server.task(&["approve", &id, "--comment", "ship it"]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    let task = wait_for_status(&server, &id, "implementation_queued");
    let handle = task["handle"].as_str().unwrap().to_owned();

    // One commit on the design-docs branch holds the whole spec folder.
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).current_dir(&repo).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let files = git(&["ls-tree", "-r", "--name-only", "helix-design-docs"]);
    for name in ["requirements.md", "design.md", "tasks.md", "progress.md", "spec-metadata.json"] {
        assert!(files.contains(&format!("specs/{handle}/{name}")), "{name} missing in\n{files}");
    }
    assert!(files.contains(&format!("specs/{handle}/reviews/1-request-changes.md")), "{files}");
    assert!(files.contains(&format!("specs/{handle}/reviews/2-approve.md")), "{files}");
    let message = git(&["log", "-1", "--format=%B", "helix-design-docs"]);
    assert!(message.contains(&format!("Spec-Task: {id}")), "{message}");
    let metadata: Value = serde_json::from_str(&git(&[
        "show",
        &format!("helix-design-docs:specs/{handle}/spec-metadata.json"),
    ]))
    .unwrap();
    assert_eq!(metadata["implementation_tasks"].as_array().unwrap().len(), 2);
    assert_eq!(metadata["approvals"].as_array().unwrap().len(), 2);
    let fsck = Command::new("git").args(["fsck", "--strict"]).current_dir(&repo).output().unwrap();
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stderr));
    assert_eq!(llm.request_count(), 2, "one call per version: both drafts linted clean");
}

#[test]
fn a_planner_that_keeps_failing_fails_the_task_with_the_reason_and_retry_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // Nothing listens on port 9: every call is refused.
    std::fs::write(
        data.join("config.toml"),
        "[agents.down]\nkind = \"llm\"\nprovider = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n\n\
         [orchestrator]\ndefault_planning_agent = \"down\"\nmax_attempts = 2\nbackoff_initial_seconds = 0.05\n",
    )
    .unwrap();
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "x", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for_status(&server, &id, "failed");
    assert_eq!(task["failure"]["from"], "spec_generation");
    let reason = task["failure"]["reason"].as_str().unwrap();
    assert!(reason.starts_with("run_planner failed:") && reason.contains("127.0.0.1:9"), "{reason}");
    let retried = server.task_json(&["retry", &id, "--json"]);
    assert_eq!(retried["status"], "spec_generation");
}

#[test]
fn a_planner_that_never_writes_the_spec_has_its_calls_counted() {
    // Every answer lacks the documents: the planner gives up after its repair rounds, and the task
    // fails. Each call answered (1,200 tokens in, 340 out), so each is in the ledger.
    let llm = FakeLlm::start(vec!["I cannot help with that.".to_owned()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = planner_data(dir.path(), &llm.base_url, "max_attempts = 1\n");
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for_status(&server, &id, "failed");
    let reason = task["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("did not produce"), "{task:#}");
    let calls = llm.request_count() as u64;
    assert!(calls >= 2, "the first answer and its repairs: {calls}");
    let usage = &task["usage"];
    assert_eq!(
        (usage["input_tokens"].as_u64(), usage["output_tokens"].as_u64()),
        (Some(1200 * calls), Some(340 * calls)),
        "{task:#}"
    );
    assert_eq!(task["budget"]["spent_tokens"].as_u64(), Some(1540 * calls), "{task:#}");
    server.stop();
}

#[test]
fn a_planner_stops_before_its_next_call_once_a_budget_is_reached() {
    // The first answer lacks the documents and spends 1,540 tokens against a 1,000-token budget:
    // the planner makes no repair call, and the planning waits for the budget, its call counted.
    let llm = FakeLlm::start(vec!["I cannot help with that.".to_owned()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = planner_data(dir.path(), &llm.base_url, "max_attempts = 1\n");
    let server = Server::start(&data, None);
    let create =
        ["create", "--repo", repo.to_str().unwrap(), "Add login", "--budget-tokens", "1000", "--json"];
    let created = server.task_json(&create);
    let id = created["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let held = loop {
        let task = server.task_json(&["show", &id, "--json"]);
        if task["budget"]["held_by"]["budget"] == "task" {
            break task;
        }
        assert!(Instant::now() < deadline, "the planning was never held by the budget: {task:#}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(held["status"], "spec_generation", "{held:#}");
    assert_eq!(held["budget"]["paused"], true, "{held:#}");
    let usage = &held["usage"];
    assert_eq!(
        (usage["input_tokens"].as_u64(), usage["output_tokens"].as_u64()),
        (Some(1200), Some(340)),
        "{held:#}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(llm.request_count(), 1, "no repair call past the budget");
    let still = server.task_json(&["show", &id, "--json"]);
    assert_eq!(still["status"], "spec_generation", "{still:#}");
    server.stop();
}
