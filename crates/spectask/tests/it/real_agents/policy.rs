//! A permission policy that holds against a real agent that would otherwise act on its own: under
//! `ask` Claude Code's write waits for a person's answer through the API; under `deny` the file is
//! never written. (spectask puts Claude Code in its `default` mode, where it asks before edits.)

use std::time::{Duration, Instant};

use serde_json::Value;

use super::anthropic;
use super::server::FakeModel;
use super::sessions::{CLAUDE, Started, start};
use super::turn::GREETING;
use crate::crash_restart::wait_for;
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
            panic!("timed out waiting for {what}; task: {task:#}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn under_ask_claude_codes_write_waits_for_the_answer_given_through_the_api() {
    let model = FakeModel::start(anthropic::router);
    let started = start("claude", &model, "ask", CLAUDE, |_| {});
    let approval: Value = eventually("a pending approval", &started, || {
        let pending = http_json(&started.server.url, "/api/v1/approvals");
        pending.as_array().and_then(|a| a.first().cloned())
    });
    assert!(approval["tool_call"]["title"].as_str().unwrap_or_default().contains("Write"), "{approval:#}");
    // Nothing is written while the question is open.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(started.written(), None, "written before the answer");
    let allow = approval["options"].as_array().unwrap().iter().find(|o| o["kind"] == "allow_once").unwrap();
    let body = format!("{{\"option_id\":\"{}\"}}", allow["option_id"].as_str().unwrap());
    let id = approval["id"].as_str().unwrap();
    let (status, answer) = http(&started.server.url, "POST", &format!("/api/v1/approvals/{id}"), Some(&body));
    assert!((200..300).contains(&status), "{status} {answer}");

    let task = wait_for(&started.server, &started.id, "implementation_review", Duration::from_secs(300));
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert_eq!(git(&started.repo, &["show", &format!("{branch}:hello.txt")]), GREETING);
    let session = sessions(&started.server, &started.id).into_iter().next().unwrap();
    let decisions = started.history(&session, "decisions");
    assert!(
        decisions.contains("- permission for toolu_1: Allowed") && decisions.contains("(by User)"),
        "{decisions}"
    );
    started.server.stop();
}

#[test]
fn under_deny_claude_code_leaves_the_file_untouched() {
    let model = FakeModel::start(anthropic::router);
    let started = start("claude", &model, "deny", CLAUDE, |_| {});
    // The turn goes on after the refusal: the model gets to its answer.
    let session = eventually("the refused write and the turn's end", &started, || {
        let session = sessions(&started.server, &started.id).into_iter().next()?;
        let decisions = started.history(&session, "decisions");
        let activity = started.history(&session, "activity_log");
        (decisions.contains("- permission for toolu_1: Rejected") && activity.contains("turn ended"))
            .then_some(session)
    });
    assert_eq!(started.written(), None, "{:#}", session);
    let results = anthropic::tool_results(&model);
    assert!(results.len() >= 2, "{results:#?}");
    assert!(!results[1].contains("File created"), "the model was told the write was refused: {results:#?}");
    started.server.stop();
}
