//! A plan task's session that ends having changed nothing is told so once in its own thread, and
//! when it still changes nothing it is flagged for the reviewer instead of counting as done.
//! (The judgement itself: `spectask-orchestrator`'s `drive/send_back.rs`.)

use std::time::Duration;

use crate::crash_restart::{create_and_approve, setup, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{git, sessions};
use crate::support::{Server, http_json};

/// Session 1 does its work only when told it changed nothing; session 2 never does; session 3 does
/// at once.
const LAZY_CODER: &str = r#"
[[rule]]
match = "*You made no changes*1 Add the user model*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js after all." },
]

[[rule]]
match = "*You made no changes*"
steps = [{ message = "There is nothing to change." }]

[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [{ message = "Done." }]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [{ message = "Nothing needed." }]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { write_file = { path = "src/app.js", content = "require('./user');\n" } },
  { message = "Wired src/app.js." },
]
"#;

#[test]
fn a_session_that_changed_nothing_is_asked_once_then_flagged_for_review() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = crate::support::git_repo(dir.path(), "app");
    // One session at a time: the worktree holds no other session's change while one is judged.
    let (data, _script) = setup(dir.path(), &llm, LAZY_CODER, "max_parallel_sessions = 1\n");
    let server = Server::start(&data, None);
    let (id, handle) = create_and_approve(&server, &repo);
    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));

    let all = sessions(&server, &id);
    let summary = |name: &str| {
        let session = all.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("{name}: {all:#?}"));
        assert_eq!(session["status"], "completed", "{session:#}");
        session["summary"].as_str().unwrap_or_default().to_owned()
    };
    let asked_again = summary("1 Add the user model");
    assert!(asked_again.ends_with("Added src/user.js after all."), "{asked_again}");
    let flagged = summary("2 Add the login route");
    assert!(
        flagged.starts_with("No changes: plan task 2 Add the login route calls for changes"),
        "{flagged}"
    );
    assert!(flagged.ends_with("The agent said: There is nothing to change."), "{flagged}");
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &format!("spectask/{handle}")]);
    assert!(files.lines().any(|l| l == "src/user.js"), "{files}");
    assert!(!files.lines().any(|l| l == "src/login.js"), "{files}");

    // The reviewer sees it in the implementation summary, and the coordination log says it.
    let review = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/implementation-summary"));
    let text = review["summary"].as_str().unwrap_or_default();
    assert!(text.contains("No changes: plan task 2 Add the login route"), "{text}");
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let done: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "plan_task_done")
        .filter_map(|e| e["message"].as_str())
        .collect();
    // Plan task 2 is not said done: its session changed nothing.
    assert_eq!(done, ["1 done", "2 ended with no change", "3 done"], "{log:#}");
    server.stop();
}
