//! Resuming work sessions through the real binary: a session picked up again is told its task again
//! (the agent's conversation may not hold it), whether its thread is still live in the agent process
//! or loaded into a new one after `kill -9`.

use std::time::Duration;

use crate::crash_restart::{
    create_and_approve, kill_9_and_restart_node, setup, setup_stateful, wait_for, wire_login_rule,
};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{git, said_to, sessions, wait_for_state};
use crate::support::{Server, git_repo};

/// The first turn ends as cancelled by the agent (spectask retries the step); only a prompt that
/// restates the task gets the work done.
const CANCELLING_CODER: &str = r#"
[[rule]]
match = "*You are resuming this task*Your task: Fix it*"
steps = [
  { write_file = { path = "fix.txt", content = "fixed\n" } },
  { message = "Finished after the retry." },
]

[[rule]]
match = "*Your task: Fix it*"
steps = [{ stop = "cancelled" }]
"#;

/// A retried drive finds the session's thread still live in the agent process: the thread is
/// prompted again with its task instead of being left `running` with nothing behind it.
#[test]
fn a_retried_session_whose_thread_is_live_is_prompted_with_its_task_again() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, _script) = setup(dir.path(), &llm, CANCELLING_CODER, "");
    let server = Server::start(&data, None);
    let id = server.coding_session(&repo, "Fix it", "fix it");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let all = sessions(&server, &id);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(all[0]["summary"].as_str().unwrap_or_default().contains("Finished after the retry"), "{all:#?}");
    let handle = task["handle"].as_str().unwrap();
    let files = git(&repo, &["show", "--name-only", "--format=", &format!("spectask/{handle}")]);
    assert_eq!(files.trim(), "fix.txt");
    server.stop();
}

/// Session 1 writes its file only at the end of a long turn; a prompt that restates its task (a
/// resumed thread) does it at once. A bare "continue" is echoed, changing nothing.
const FORGETFUL_CODER: &str = concat!(
    r##"
[[rule]]
match = "*You are resuming this task*Your task: 1 Add the user model*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Resumed: added src/user.js." },
]

[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { sleep = 60000 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

"##,
    wire_login_rule!()
);

/// `kill -9` while session 1 is mid-turn; after the restart its thread is loaded into a new agent
/// process and told its task again, so its file reaches the task branch.
#[test]
fn a_session_resumed_after_kill_9_is_told_its_task_and_finishes_it() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, _script) = setup_stateful(dir.path(), &llm, FORGETFUL_CODER);
    let server = Server::start_node(&data, None, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    // Mid-turn: spectask has recorded telling the thread its task (so a restart resumes it), and
    // the agent has saved hearing it (so the thread loads with it).
    let saved = |thread: &str| std::fs::read_to_string(dir.path().join(format!("agent-state/{thread}.json")));
    let thread = wait_for_state("session 1 runs on its thread, told its task", || {
        let all = sessions(&server, &id);
        let one = all.iter().find(|s| s["name"] == "1 Add the user model" && s["status"] == "running");
        let thread = one.and_then(|s| s["acp_session_id"].as_str()).unwrap_or_default().to_owned();
        let recorded = one.is_some_and(|s| said_to(&server, s).contains("Your task: 1 Add the user model"));
        let heard = saved(&thread).is_ok_and(|h| h.contains("Your task: 1 Add the user model"));
        if recorded && heard {
            Ok(thread)
        } else {
            Err(format!("the agent saved: {:?}\nsessions: {all:#?}", saved(&thread)))
        }
    });
    let server = kill_9_and_restart_node(server, &data, None);
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let all = sessions(&server, &id);
    let one = all.iter().find(|s| s["name"] == "1 Add the user model").unwrap();
    assert_eq!(one["acp_session_id"], thread.as_str(), "the same thread, loaded: {one:#}");
    assert!(one["summary"].as_str().unwrap_or_default().contains("Resumed: added"), "{one:#}");
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &format!("spectask/{handle}")]);
    for file in ["src/user.js", "src/login.js", "src/app.js"] {
        assert!(files.lines().any(|l| l == file), "{file} is on the task branch:\n{files}");
    }
    server.stop();
}
