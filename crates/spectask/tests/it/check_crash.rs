//! A crash while the repository's check runs after a finished turn: the turn is judged on restart,
//! and its agent is not prompted again for work it did (real money twice). Session 1's turn ends
//! and its check (`sleep 4`, about) starts; the server is killed (`kill -9`) and started again. The
//! restarted drive runs the check on the turn that ended: the conversation holds one prompt, the
//! ledger one turn's tokens, and the task finishes.

use std::time::Duration;

use serde_json::Value;

use crate::budget::SPENDING_CODER;
use crate::crash_restart::{PLAN, create_and_approve, kill_9_and_restart_node, setup_agent, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::sessions;
use crate::support::{CoderConfig, Server, git_repo, http_json, postgres_url, processes_with, stderr};

/// The check: long enough to be caught running, and told apart from the other backend's run.
fn check(database: Option<&str>) -> &'static str {
    if database.is_some() { "sleep 4.02" } else { "sleep 4.01" }
}

#[test]
fn a_crash_during_the_check_judges_the_finished_turn_without_prompting_again_on_sqlite() {
    crash_during_check(None);
}

#[test]
fn a_crash_during_the_check_judges_the_finished_turn_without_prompting_again_on_postgres() {
    crash_during_check(Some(&postgres_url()));
}

fn crash_during_check(database: Option<&str>) {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    // The agent keeps its threads on disk: the restarted one loads the thread of session 1.
    let state = dir.path().join("agent-state").display().to_string();
    let profile = format!("sandbox_write = [\"{state}\"]\n");
    let config = CoderConfig {
        agent_args: &["--state-dir", &state],
        profile: &profile,
        orchestrator: "max_parallel_sessions = 1\n",
        ..CoderConfig::default()
    };
    let (data, _script) = setup_agent(dir.path(), &llm, SPENDING_CODER, &config);
    let server = Server::start_node(&data, database, "node-1");
    let added =
        server.task_like(&["repo", "add", repo.to_str().unwrap(), "--check", check(database), "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let (id, _handle) = create_and_approve(&server, &repo);

    // Session 1's turn ended and its check runs: the server dies now.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while processes_with(check(database)).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no check ran: {:#?}", sessions(&server, &id));
        std::thread::sleep(Duration::from_millis(20));
    }
    let one = sessions(&server, &id).into_iter().find(|s| s["name"] == PLAN[0]).expect("session 1");
    assert_eq!(one["status"], "running", "{one:#}");
    let server = kill_9_and_restart_node(server, &data, database);

    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(120));
    let one = sessions(&server, &id).into_iter().find(|s| s["name"] == PLAN[0]).expect("session 1");
    let prompts = conversation_prompts(&server, &one);
    assert_eq!(prompts, 1, "session 1's agent was prompted again after the restart: {one:#}");
    assert_eq!(one["usage"]["input_tokens"], 9000, "one turn's tokens, once: {one:#}\n{task:#}");
    server.stop();
}

/// How many times spectask prompted the session's thread (its conversation's `### spectask` entries).
fn conversation_prompts(server: &Server, session: &Value) -> usize {
    let id = session["id"].as_str().unwrap();
    let history = http_json(&server.url, &format!("/api/v1/work-sessions/{id}/history"));
    history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"] == "conversation")
        .filter(|e| e["content"].as_str().is_some_and(|c| c.starts_with("### spectask")))
        .count()
}
