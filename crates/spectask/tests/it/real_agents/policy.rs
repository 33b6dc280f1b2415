//! A permission policy that holds against real agents that would otherwise act on their own: under
//! `ask` the agent's write waits for a person's answer through the API; under `deny` the file is
//! never written. spectask puts each agent in the mode where it asks before edits and commands
//! (Claude Code `default`, Codex `read-only`, Gemini CLI `default`), and checks that it took.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::server::FakeModel;
use super::sessions::{CLAUDE, CODEX, GEMINI, Started, codex_home, opencode, qwen, qwen_home, start};
use super::turn::GREETING;
use super::{anthropic, chat, gemini, openai};
use crate::implementation::{git, sessions};
use crate::support::{http, http_json, json};

/// Polls `probe` every 100 ms for up to 300 s (the first start of an npm agent is slow).
fn eventually<T>(what: &str, started: &Started, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        if Instant::now() > deadline {
            let task = json(&started.server.task(&["show", &started.id, "--json"]));
            let sessions = sessions(&started.server, &started.id);
            let activity = sessions.first().map(|s| started.history(s, "activity_log")).unwrap_or_default();
            panic!("timed out waiting for {what}; task: {task:#}\nactivity:\n{activity}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pending(started: &Started) -> Vec<Value> {
    http_json(&started.server.url, "/api/v1/approvals").as_array().cloned().unwrap_or_default()
}

/// Answers `approval` with its `allow_once` option.
fn allow(started: &Started, approval: &Value) {
    let options = approval["options"].as_array().unwrap();
    let allow = options.iter().find(|o| o["kind"] == "allow_once").unwrap_or_else(|| panic!("{approval:#}"));
    let body = format!("{{\"option_id\":\"{}\"}}", allow["option_id"].as_str().unwrap());
    let id = approval["id"].as_str().unwrap();
    let (status, answer) = http(&started.server.url, "POST", &format!("/api/v1/approvals/{id}"), Some(&body));
    assert!((200..300).contains(&status), "{status} {answer}");
}

/// Under `ask`: the agent's first question waits, nothing is written meanwhile; a person allows it
/// (and whatever it asks next) through the API, and the session completes with the file.
fn ask_holds(started: Started) {
    let first: Value = eventually("a pending approval", &started, || pending(&started).first().cloned());
    // Nothing is written while the question is open.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(started.written(), None, "written before the answer to {first:#}");
    allow(&started, &first);
    let task = eventually("the task up for review, every question allowed", &started, || {
        pending(&started).iter().for_each(|approval| allow(&started, approval));
        let task = json(&started.server.task(&["show", &started.id, "--json"]));
        (task["status"] == "implementation_review").then_some(task)
    });
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert_eq!(git(&started.repo, &["show", &format!("{branch}:hello.txt")]), GREETING);
    let session = sessions(&started.server, &started.id).into_iter().next().unwrap();
    let decisions = started.history(&session, "decisions");
    assert!(decisions.contains(": allowed (") && decisions.contains("[tool call "), "{decisions}");
    assert!(decisions.contains(" by a person ["), "{decisions}");
    started.server.stop();
}

/// Under `deny`: the agent's write is refused, the turn goes on to its answer, the file is never
/// written. Returns the session.
fn deny_holds(started: &Started) -> Value {
    let session = eventually("the refused write and the turn's end", started, || {
        let session = sessions(&started.server, &started.id).into_iter().next()?;
        let decisions = started.history(&session, "decisions");
        let activity = started.history(&session, "activity_log");
        (decisions.contains(": refused (") && activity.contains("turn ended")).then_some(session)
    });
    assert_eq!(started.written(), None, "{session:#}");
    session
}

fn start_claude(policy: &str) -> (FakeModel, Started) {
    let model = FakeModel::start(anthropic::router);
    let started = start("claude", &model, policy, CLAUDE, |_| {});
    (model, started)
}

fn start_codex(policy: &str) -> (FakeModel, Started) {
    let model = FakeModel::start(openai::router);
    let started = start("codex", &model, policy, CODEX, codex_home(&model.url));
    (model, started)
}

fn start_opencode(policy: &str) -> (FakeModel, Started) {
    let model = FakeModel::start(anthropic::router);
    let started = start("opencode", &model, policy, &opencode(&model.url), |_| {});
    (model, started)
}

fn start_qwen(policy: &str) -> (FakeModel, Started) {
    let model = FakeModel::start(chat::router);
    let started = start("qwen", &model, policy, &qwen(), qwen_home);
    (model, started)
}

fn start_gemini(policy: &str) -> (FakeModel, Started) {
    let model = FakeModel::start(gemini::router);
    let started = start("gemini", &model, policy, GEMINI, |_: &Path| {});
    (model, started)
}

#[test]
fn under_ask_claude_codes_write_waits_for_the_answer_given_through_the_api() {
    let (_model, started) = start_claude("ask");
    ask_holds(started);
}

#[test]
fn under_deny_claude_code_leaves_the_file_untouched() {
    let (model, started) = start_claude("deny");
    deny_holds(&started);
    let results = anthropic::tool_results(&model);
    assert!(results.len() >= 2, "{results:#?}");
    assert!(!results[1].contains("File created"), "the model was told the write was refused: {results:#?}");
    started.server.stop();
}

#[test]
fn under_ask_codexs_write_waits_for_the_answer_given_through_the_api() {
    let (_model, started) = start_codex("ask");
    ask_holds(started);
}

#[test]
fn under_deny_codex_leaves_the_file_untouched() {
    // Codex ends its turn when a patch is rejected: the model is not asked again.
    let (_model, started) = start_codex("deny");
    deny_holds(&started);
    started.server.stop();
}

#[test]
fn under_ask_gemini_clis_write_waits_for_the_answer_given_through_the_api() {
    let (_model, started) = start_gemini("ask");
    ask_holds(started);
}

#[test]
fn under_deny_gemini_cli_leaves_the_file_untouched() {
    let (model, started) = start_gemini("deny");
    deny_holds(&started);
    let results = gemini::tool_results(&model);
    assert!(results.len() >= 2, "{results:#?}");
    started.server.stop();
}

#[test]
fn under_ask_opencodes_write_waits_for_the_answer_given_through_the_api() {
    let (_model, started) = start_opencode("ask");
    ask_holds(started);
}

#[test]
fn under_deny_opencode_leaves_the_file_untouched() {
    // OpenCode ends its turn when a permission is rejected: the model is not asked again.
    let (model, started) = start_opencode("deny");
    deny_holds(&started);
    let results = anthropic::tool_results(&model);
    assert!(!results.iter().any(|r| r.contains("Wrote file successfully")), "{results:#?}");
    started.server.stop();
}

#[test]
fn under_ask_qwen_codes_write_waits_for_the_answer_given_through_the_api() {
    let (_model, started) = start_qwen("ask");
    ask_holds(started);
}

#[test]
fn under_deny_qwen_code_leaves_the_file_untouched() {
    // Qwen Code ends its turn when a write is rejected: the model is not asked again.
    let (model, started) = start_qwen("deny");
    deny_holds(&started);
    let results = chat::tool_results(&model);
    assert!(!results.iter().any(|r| r.contains("Successfully created")), "{results:#?}");
    started.server.stop();
}

/// Under `deny`, OpenCode set by its profile to ask nothing (`OPENCODE_PERMISSION` allowing
/// everything, in place of the preset's) writes with its own system calls: the kernel refuses the
/// write (the worktree is read-only for the agent), the refusal reaches the model, nothing is
/// written, and the session does not complete as if it had worked.
#[test]
fn under_deny_opencode_asking_nothing_is_refused_by_the_kernel() {
    let model = FakeModel::start(anthropic::router);
    let table = opencode(&model.url).replace(
        "OPENCODE_DISABLE_MODELS_FETCH = \"1\"",
        "OPENCODE_DISABLE_MODELS_FETCH = \"1\", OPENCODE_PERMISSION = '{\"edit\":\"allow\",\"bash\":\"allow\"}'",
    );
    let started = start("opencode", &model, "deny", &table, |_| {});
    let task = eventually("the task to fail", &started, || {
        let task = json(&started.server.task(&["show", &started.id, "--json"]));
        matches!(task["status"].as_str(), Some("failed" | "implementation_review")).then_some(task)
    });
    let session = sessions(&started.server, &started.id).into_iter().next().unwrap();
    let activity = started.history(&session, "activity_log");
    assert_eq!(task["status"], "failed", "{task:#}\n{session:#}\n{activity}");
    let reason = task["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("the agent was refused") && reason.contains("hello.txt"), "{task:#}");
    let results = anthropic::tool_results(&model);
    assert!(
        results.len() >= 2 && results[1].contains("PermissionDenied"),
        "the model was told: {results:#?}"
    );
    assert_eq!(started.written(), None, "{task:#}");
    started.server.stop();
}
