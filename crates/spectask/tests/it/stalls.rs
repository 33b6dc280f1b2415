//! Stalls through the binary: a scripted coder goes silent in plan task 1 for seconds while the
//! stall time is half a second. Under `notify` the session is marked stalled (with its last
//! activity) and the mark goes when the agent speaks again; under `fail` the session fails with
//! the reason; under `interrupt` the turn is cut and the thread prompted again, in the same drive
//! (no attempt spent: the steps have one), and the resumed turn finishes the work.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::crash_restart::{PLAN, setup_agent, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::sessions;
use crate::support::{CoderConfig, Server, git_repo, stderr, stdout};

/// Plan task 1's agent is silent for 4 s before it writes; a resumed turn writes at once.
const SILENT_CODER: &str = r##"
[[rule]]
match = "*You are resuming this task*"
steps = [
  { write_file = { path = "src/user.js", content = "// resumed\n" } },
  { message = "Picked up where I stopped." },
]

[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { message = "Thinking." },
  { sleep = 4000 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
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
"##;

/// A server whose coder follows [`SILENT_CODER`] with `on_stall = policy`, and the approved task.
fn start(dir: &std::path::Path, llm: &FakeLlm, policy: &str) -> (Server, String, std::path::PathBuf) {
    let repo = git_repo(dir, "app");
    let profile = format!("on_stall = \"{policy}\"\n");
    let config = CoderConfig {
        profile: &profile,
        // One attempt per step: a stall prompted again in the drive spends none.
        orchestrator: "stall_after_seconds = 0.5\nmax_attempts = 1\n",
        ..CoderConfig::default()
    };
    let (data, _script) = setup_agent(dir, llm, SILENT_CODER, &config);
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(30));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    (server, id, repo)
}

/// Session 1 of the task, once `done` says it is as wanted; says every session if it never is.
fn session_one(server: &Server, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let all = sessions(server, id);
        if let Some(one) = all.iter().find(|s| s["name"] == PLAN[0]).filter(|s| done(s)) {
            return one.clone();
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}: {all:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_silent_agent_is_marked_stalled_and_the_mark_goes_when_it_speaks() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let (server, id, _repo) = start(dir.path(), &llm, "notify");
    let watch = crate::watch::start_watch(&server, &id, &[]);
    let stalled = session_one(&server, &id, "session 1 is marked stalled", |s| !s["stall"].is_null());
    assert_eq!(stalled["status"], "running", "notify lets the turn go on: {stalled:#}");
    let stall = &stalled["stall"];
    assert_eq!(stall["policy"], "notify", "{stall:#}");
    let since = stall["since"].as_str().unwrap();
    let last = stall["last_activity_at"].as_str().unwrap();
    assert!(last < since, "the last activity comes before the mark: {stall:#}");
    // The command line shows it: the session tree marks the session, `task show` says it.
    let tree = stdout(&server.task(&["sessions", &id]));
    let line = tree.lines().find(|l| l.contains(PLAN[0])).unwrap_or_default();
    assert!(line.contains("running") && line.contains("(stalled: its agent silent since "), "{tree}");
    assert!(line.contains("on_stall = \"notify\""), "{tree}");
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains(&format!("Stalled: The agent of “{}” went silent.", PLAN[0])), "{shown}");

    let done = session_one(&server, &id, "session 1 completes", |s| s["status"] == "completed");
    assert!(done["stall"].is_null(), "the mark went when the agent spoke again: {done:#}");
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let tree = stdout(&server.task(&["sessions", &id]));
    assert!(!tree.contains("stalled"), "{tree}");
    // `task watch` told it as it began.
    let mut watch = watch;
    let _ = watch.kill();
    let watched = watch.wait_with_output().unwrap();
    let watched = String::from_utf8_lossy(&watched.stdout);
    assert!(watched.contains(&format!("Stalled: The agent of “{}” went silent.", PLAN[0])), "{watched}");
    server.stop();
}

#[test]
fn under_fail_a_stalled_session_fails_with_the_reason() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let (server, id, _repo) = start(dir.path(), &llm, "fail");
    let failed = session_one(&server, &id, "session 1 fails", |s| s["status"] == "failed");
    let reason = failed["state"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("the agent was silent for") && reason.contains("on_stall"), "{failed:#}");
    assert!(failed["stall"].is_null(), "a session that stopped running is not stalled: {failed:#}");
    server.stop();
}

#[test]
fn under_interrupt_a_stalled_turn_is_cut_and_the_thread_prompted_again() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let (server, id, repo) = start(dir.path(), &llm, "interrupt");
    let started = Instant::now();
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let all = sessions(&server, &id);
    assert!(all.iter().all(|s| s["status"] == "completed"), "{all:#?}");
    // The resumed turn wrote the file, not the silent one (which would have taken 4 s more).
    let handle = task["handle"].as_str().unwrap();
    let user = crate::implementation::git(&repo, &["show", &format!("spectask/{handle}:src/user.js")]);
    assert_eq!(user, "// resumed\n", "after {:?}: {all:#?}", started.elapsed());
    server.stop();
}
