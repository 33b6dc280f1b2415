//! Verified completion with real agents: the repository's check command (`repo add --check`) fails
//! after the agent's usual turn (read, write `hello.txt`, run, answer) because the change is not
//! noted in `CHANGELOG.md`; spectask sends the failure with its output back to the same thread, the
//! agent adds the file in its next turn, the check passes and the session completes. The history and
//! the event stream carry both checks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::server::FakeModel;
use super::sessions::{CLAUDE, CODEX, GEMINI, Started, codex_home, start_checked};
use super::turn::{self, ANSWER, Script, Step};
use super::{anthropic, gemini, openai};
use crate::checks::check_events;
use crate::crash_restart::wait_for;
use crate::implementation::{git, sessions};
use crate::support::stderr;

const MISSING: &str = "CHANGELOG.md is missing: note your change there";
const CHECK: &str =
    "test -f CHANGELOG.md || { echo 'CHANGELOG.md is missing: note your change there'; exit 1; }";
const NOTE: &str = "- hello.txt greets the reader\n";
const FIXED: &str = "Added CHANGELOG.md; the check should pass now.";

/// The usual turn; once told that the check failed for want of a changelog, the model writes one
/// and answers again.
fn fixing() -> Script {
    Arc::new(|seen| {
        let told = seen.said.iter().any(|said| said.contains(MISSING));
        match seen.results {
            n if !told => turn::next(n, seen.cwd),
            ..=3 => Step::Write { path: turn::path(seen.cwd, "CHANGELOG.md"), content: NOTE.to_owned() },
            _ => Step::Answer(FIXED.to_owned()),
        }
    })
}

/// The task reaches review with its one session completed after one check sent back and one passed,
/// recorded in the history; both files are committed; approved, its events show both checks.
/// `told` is every text the model was given in the request that answered the check's failure.
fn assert_fixed_after_one_round(started: Started, told: impl Fn() -> Vec<String>) {
    let task = wait_for(&started.server, &started.id, "implementation_review", Duration::from_secs(300));
    let session = sessions(&started.server, &started.id).into_iter().next().expect("the work session");
    let (decisions, activity) =
        (started.history(&session, "decisions"), started.history(&session, "activity_log"));
    assert_eq!(session["status"], "completed", "{session:#}\n{decisions}\n{activity}");
    let failed = format!("- check `{CHECK}`: failed (exit 1), sent back to the agent");
    assert!(decisions.contains(&failed), "{decisions}");
    assert!(decisions.contains(MISSING), "the output is in the history: {decisions}");
    assert!(decisions.contains(&format!("- check `{CHECK}`: passed")), "{decisions}");

    // The failure reached the model in the same thread: the request after it still holds the first
    // turn's prompt.
    let told = told();
    let prompt = told.iter().position(|t| t.contains("Write hello.txt and show it"));
    let sent_back = told.iter().position(|t| t.contains(MISSING) && t.contains("round 2 of"));
    assert!(matches!((prompt, sent_back), (Some(p), Some(s)) if p < s), "{told:#?}");
    let conversation = started.history(&session, "conversation");
    assert!(conversation.contains(ANSWER) && conversation.contains(FIXED), "{conversation}");

    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert_eq!(git(&started.repo, &["show", &format!("{branch}:CHANGELOG.md")]), NOTE);
    assert_eq!(git(&started.repo, &["show", &format!("{branch}:hello.txt")]), turn::GREETING);

    let approved = started.server.task(&["approve", &started.id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&started.server, &started.id, "done", Duration::from_secs(120));
    let events = check_events(&started.server, &started.id);
    let outcomes: Vec<&str> = events.iter().filter_map(|e| e["payload"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["sent_back", "passed"], "{events:#?}");
    assert!(events[0]["payload"]["output"].as_str().unwrap_or_default().contains(MISSING), "{events:#?}");
    assert!(events.iter().all(|e| e["work_session_id"] == session["id"]), "{events:#?}");
    started.server.stop();
}

/// The texts of the model's last request that holds `needle`, by `said` (each vendor's extraction).
fn last_told(model: &FakeModel, said: fn(&Value) -> Vec<String>, needle: &str) -> Vec<String> {
    let bodies = model.bodies();
    bodies.iter().rev().map(said).find(|texts| texts.iter().any(|t| t.contains(needle))).unwrap_or_default()
}

#[test]
fn claude_code_fixes_what_the_repositorys_check_reports_in_the_same_thread() {
    let model = FakeModel::start(anthropic::scripted(fixing()));
    let started = start_checked("claude", &model, "auto", CLAUDE, |_| {}, Some(CHECK));
    assert_fixed_after_one_round(started, || last_told(&model, anthropic::user_texts, MISSING));
}

#[test]
fn codex_fixes_what_the_repositorys_check_reports_in_the_same_thread() {
    let model = FakeModel::start(openai::scripted(fixing()));
    let started = start_checked("codex", &model, "auto", CODEX, codex_home(&model.url), Some(CHECK));
    assert_fixed_after_one_round(started, || last_told(&model, openai::user_texts, MISSING));
}

#[test]
fn gemini_cli_fixes_what_the_repositorys_check_reports_in_the_same_thread() {
    let model = FakeModel::start(gemini::scripted(fixing()));
    let started = start_checked("gemini", &model, "auto", GEMINI, |_: &Path| {}, Some(CHECK));
    assert_fixed_after_one_round(started, || last_told(&model, gemini::user_texts, MISSING));
}
