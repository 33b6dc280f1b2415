//! A failing agent through the real binary: its session is retried, then the session and the task
//! fail with a reason naming the fault; once the agent is fixed, `task retry` completes the task.

use std::time::Duration;

use crate::crash_restart::{assert_no_agent_left, setup, setup_agent, wait_for};
use crate::fake_llm::FakeLlm;
use crate::implementation::{git, sessions};
use crate::support::{CoderConfig, Server, git_repo, stderr};

/// Counts its attempts in ATTEMPTS (a file outside the worktree, in a directory its profile declares
/// writable: the agent runs sandboxed), then dies.
const CRASHING: &str = r#"
[[rule]]
match = "*Your task: Fix the parser*"
steps = [
  { message = "looking at the parser" },
  { run = { command = "sh", args = ["-c", "echo attempt >> ATTEMPTS"] } },
  { crash = 3 },
]
"#;

const FIXED: &str = r#"
[[rule]]
match = "*Your task: Fix the parser*"
steps = [
  { write_file = { path = "parser.txt", content = "fixed\n" } },
  { message = "Fixed the parser." },
]
"#;

#[test]
fn a_crashing_agent_is_retried_then_fails_the_task_and_retry_completes_it() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let counter = dir.path().join("counter");
    std::fs::create_dir_all(&counter).unwrap();
    let attempts = counter.join("attempts");
    let crashing = CRASHING.replace("ATTEMPTS", attempts.to_str().unwrap());
    let declared = format!("sandbox_write = [\"{}\"]\n", counter.display());
    let config =
        CoderConfig { profile: &declared, orchestrator: "max_attempts = 2\n", ..CoderConfig::default() };
    let (data, script) = setup_agent(dir.path(), &llm, &crashing, &config);
    let server = Server::start(&data, None);

    let id = server.coding_session(&repo, "Fix the parser", "the parser drops the last token");
    let task = wait_for(&server, &id, "failed", Duration::from_secs(30));
    assert_eq!(task["failure"]["from"], "implementation", "{task}");
    let reason = task["failure"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("Fix the parser") && reason.contains("agent exited with code 3"),
        "the reason names the session and the fault: {reason}"
    );
    let all = sessions(&server, &id);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["status"], "failed", "{all:#?}");
    let tries = std::fs::read_to_string(&attempts).unwrap_or_default();
    assert_eq!(tries.lines().count(), 2, "max_attempts = 2 runs of the session: {tries:?}");

    // The agent reads its script when it starts: the next process follows the fixed one.
    std::fs::write(&script, FIXED).unwrap();
    let retried = server.task(&["retry", &id]);
    assert!(retried.status.success(), "{}", stderr(&retried));
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(30));
    let all = sessions(&server, &id);
    assert_eq!(all.len(), 1, "the failed session is retried, not duplicated: {all:#?}");
    assert_eq!(all[0]["status"], "completed", "{all:#?}");
    let handle = task["handle"].as_str().unwrap();
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &format!("spectask/{handle}")]);
    assert!(files.contains("parser.txt"), "{files}");
    server.stop();
    assert_no_agent_left(&script);
}

/// An agent that goes silent mid-prompt, one that writes garbage: each is a typed fault naming what
/// happened, the task fails with it, and no agent process is left behind.
#[test]
fn a_hanging_or_garbling_agent_fails_the_task_with_the_fault_and_is_cleaned_up() {
    let cases = [
        ("hang", r#""hang""#, "agent sent nothing for 500 ms during a prompt"),
        ("garbage", r#"{ garbage = "this is not json" }, { sleep = 2000 }"#, "non-json line"),
    ];
    for (name, step, fault) in cases {
        let llm = FakeLlm::start(vec![String::new()]);
        let dir = tempfile::tempdir().unwrap();
        let repo = git_repo(dir.path(), "app");
        let script = format!("[[rule]]\nmatch = \"*Your task: Misbehave*\"\nsteps = [{step}]\n");
        let (data, script) =
            setup(dir.path(), &llm, &script, "max_attempts = 1\nagent_stall_seconds = 0.5\n");
        let server = Server::start(&data, None);
        let id = server.coding_session(&repo, "Misbehave", name);
        let task = wait_for(&server, &id, "failed", Duration::from_secs(30));
        let reason = task["failure"]["reason"].as_str().unwrap();
        assert!(reason.contains(fault), "{name}: the reason names the fault: {reason}");
        // The agent is gone while the server still runs: its process group was cleaned up.
        assert_no_agent_left(&script);
        server.stop();
    }
}

/// An agent that exits with an error before it answers `initialize` (here: its entry script is
/// missing, as when a package is not installed) would do the same on every start: it is started
/// once, and the task fails at once with the agent's own error.
#[test]
fn an_agent_that_cannot_start_is_not_started_again_and_the_task_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let counter = dir.path().join("counter");
    std::fs::create_dir_all(&counter).unwrap();
    let starts = counter.join("starts");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let script = format!(
        "echo start >> {}; echo \"Error: Cannot find module '/opt/agent/cli.js'\" >&2; exit 1",
        starts.display()
    );
    let config = format!(
        "[agents.coder]\nkind = \"acp\"\ncommand = \"sh\"\nargs = [\"-c\", {script:?}]\nsandbox_write = [{:?}]\n\n\
         [orchestrator]\ndefault_implementation_agent = \"coder\"\n",
        counter.display().to_string()
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    let server = Server::start(&data, None);

    let id = server.coding_session(&repo, "Fix the parser", "the parser drops the last token");
    let task = wait_for(&server, &id, "failed", Duration::from_secs(60));
    let reason = task["failure"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("exited before it answered initialize") && reason.contains("Cannot find module"),
        "the reason is the agent's own error: {task:#}"
    );
    let started = std::fs::read_to_string(&starts).unwrap_or_default();
    assert_eq!(started.lines().count(), 1, "started once, not retried: {started:?}");
    server.stop();
}
