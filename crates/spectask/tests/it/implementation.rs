//! The implementation phase through the real binary: a scripted ACP agent works through a plan
//! (two parallel tasks, one depending on both) plus a spawned child; review; merge.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::planning::wait_for_status;
use crate::support::{CoderConfig, Server, coder_data, git_repo, stderr};

pub const CODER_SCRIPT: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { plan = [{ content = "write the model", status = "in_progress" }] },
  { sleep = 300 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { plan = [{ content = "write the model", status = "completed" }] },
  { message = "Added src/user.js. Ran node --test: 2 passed." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { sleep = 900 },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { sleep = 1500 },
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]

[[rule]]
match = "*Your task: Security audit*"
steps = [
  { write_file = { path = "docs/audit.md", content = "# Audit\nNo findings.\n" } },
  { message = "Audit written to docs/audit.md." },
]
"##;

/// A data dir whose config plans with `llm` and implements with the scripted agent.
pub fn setup(dir: &Path, llm: &FakeLlm, extra: &str) -> std::path::PathBuf {
    setup_with_script(dir, llm, CODER_SCRIPT, extra)
}

/// [`setup`] with another script for the scripted coder.
pub fn setup_with_script(dir: &Path, llm: &FakeLlm, coder_script: &str, extra: &str) -> std::path::PathBuf {
    let config = CoderConfig { planner: Some(&llm.base_url), orchestrator: extra, ..CoderConfig::default() };
    coder_data(dir, coder_script, &config).0
}

pub fn sessions(server: &Server, id: &str) -> Vec<Value> {
    server.task_json(&["sessions", id, "--json"]).as_array().cloned().unwrap_or_default()
}

pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    wait_for_state(what, || if done() { Ok(()) } else { Err(String::new()) });
}

/// Polls `look` for up to a minute until it is `Ok`; it says the state it saw otherwise, and the
/// last state seen is printed if it never comes.
pub fn wait_for_state<T>(what: &str, mut look: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match look() {
            Ok(found) => return found,
            Err(state) => assert!(Instant::now() < deadline, "timed out waiting until {what}\n{state}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What spectask has said to `session`'s agent, as recorded in its conversation history (spectask
/// records a prompt as the agent hears it, and tells a thread with none its task from the start).
pub fn said_to(server: &Server, session: &Value) -> String {
    let id = session["id"].as_str().unwrap_or_default();
    let history = crate::support::http_json(
        &server.url,
        &format!("/api/v1/work-sessions/{id}/history?file=conversation"),
    );
    let entries = history["entries"].as_array().cloned().unwrap_or_default();
    entries.iter().filter_map(|e| e["content"].as_str()).collect()
}

pub fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(repo).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_plan_is_implemented_in_parallel_sessions_reviewed_and_merged() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = setup(dir.path(), &llm, "");
    let server = Server::start(&data, None);

    let id = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for_status(&server, &id, "spec_review");
    assert!(server.task(&["approve", &id]).status.success());

    // Session 1 finishes first; spawn a child from it while session 3 still works.
    wait_until("session 1 completed", || {
        sessions(&server, &id)
            .iter()
            .any(|s| s["name"] == "1 Add the user model" && s["status"] == "completed")
    });
    let first = sessions(&server, &id).into_iter().find(|s| s["name"] == "1 Add the user model").unwrap();
    let spawned = server.task(&[
        "spawn",
        &id,
        "--from",
        first["id"].as_str().unwrap(),
        "--name",
        "Security audit",
        "--description",
        "check the login route",
    ]);
    assert!(spawned.status.success(), "{}", stderr(&spawned));

    let task = wait_for_status(&server, &id, "implementation_review");
    let handle = task["handle"].as_str().unwrap().to_owned();
    let all = sessions(&server, &id);
    assert_eq!(all.len(), 4, "{all:#?}");
    assert!(all.iter().all(|s| s["status"] == "completed"), "{all:#?}");
    let child = all.iter().find(|s| s["name"] == "Security audit").unwrap();
    assert_eq!(child["parent_id"], first["id"]);
    assert!(child["acp_session_id"].is_string(), "the thread id is recorded");
    let tree = crate::support::stdout(&server.task(&["sessions", &id]));
    assert!(tree.contains("  └ completed   Security audit"), "{tree}");

    // Session 3 ran only after 1 and 2 completed; the log says so, in order.
    let log: Vec<Value> =
        serde_json::from_str(&reqwest_get(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log")))
            .unwrap();
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "gap-free and ordered");
    let at = |kind: &str, text: &str| {
        log.iter()
            .find(|e| e["kind"] == kind && e["message"].as_str().unwrap_or("").contains(text))
            .map(|e| e["seq"].as_i64().unwrap())
            .unwrap_or_else(|| panic!("no {kind} with {text:?} in {log:#?}"))
    };
    let started3 = at("session_started", "Wire login into the app");
    assert!(at("session_blocked", "waiting for 1 Add the user model, 2 Add the login route") < started3);
    assert!(at("plan_task_done", "1 done") < started3 && at("plan_task_done", "2 done") < started3);
    at("session_spawned", "Security audit");

    // Progress markers are ticked on the design-docs branch, each after its session's commit is
    // recorded: the last may land after the task is up for review.
    wait_for_state("every plan task is ticked on the design-docs branch", || {
        let progress = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/progress.md")]);
        if (1..=3).all(|n| progress.contains(&format!("- [x] {n}."))) { Ok(()) } else { Err(progress) }
    });
    // Code commits on the task branch carry the trailers.
    let log = git(&repo, &["log", "--format=%B%n--", &format!("spectask/{handle}")]);
    assert!(log.contains(&format!("Spec-Task: {id}")), "{log}");
    assert!(log.contains("Work-Session: "), "{log}");
    assert!(log.contains("Implements: 1.1, 1.2"), "{log}");
    // Sessions 1 and 2 ran side by side in one worktree; each commit holds only its own files.
    for (name, file) in [("1 Add the user model", "src/user.js"), ("2 Add the login route", "src/login.js")] {
        let session = all.iter().find(|s| s["name"] == name).unwrap();
        let grep = format!("--grep=Work-Session: {}", session["id"].as_str().unwrap());
        let files = git(&repo, &["log", &grep, "--name-only", "--format=", &format!("spectask/{handle}")]);
        assert_eq!(files.trim(), file, "the commit of {name} holds exactly its own file");
    }

    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(&server, &id, "done");
    wait_until("the branch is merged and the summary written", || {
        Command::new("git")
            .args([
                "cat-file",
                "-e",
                &format!("helix-design-docs:sessions/{handle}/IMPLEMENTATION_COMPLETE.md"),
            ])
            .current_dir(&repo)
            .status()
            .unwrap()
            .success()
    });
    // Progress snapshots reached the branch, the last one with every session done.
    let updates = git(
        &repo,
        &["ls-tree", "--name-only", &format!("helix-design-docs:sessions/{handle}/progress-updates")],
    );
    let day = updates.lines().last().expect("a progress-updates file");
    let text = git(&repo, &["show", &format!("helix-design-docs:sessions/{handle}/progress-updates/{day}")]);
    assert!(text.trim_end().lines().rev().any(|l| l.contains("4 of 4 sessions done")), "{text}");
    let main_files = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    for f in ["src/user.js", "src/login.js", "src/app.js", "docs/audit.md"] {
        assert!(main_files.contains(f), "{f} not merged into main:\n{main_files}");
    }
    // The exported report says what the records say: every plan task done, each commit under
    // its own session's heading.
    let (status, report) =
        crate::support::http(&server.url, "GET", &format!("/api/v1/spec-tasks/{id}/export"), None);
    assert_eq!(status, 200, "{report}");
    assert!(!report.contains("(pending)") && report.contains("1 Add the user model (done)"), "{report}");
    let sections: Vec<&str> = report.split("\n### ").skip(1).collect();
    for name in ["1 Add the user model", "2 Add the login route", "3 Wire login into the app"] {
        let section =
            sections.iter().find(|s| s.contains(name)).unwrap_or_else(|| panic!("no {name}: {report}"));
        let section = section.split("\n## ").next().unwrap_or_default();
        assert!(section.contains("\n#### Commit "), "the commit of {name} is under its heading:\n{section}");
    }
    assert!(!report.contains("\n## Commit"), "{report}");
    // Checked once nothing writes to it: fsck reads the worktrees' HEADs while the finished task's
    // worktree is being removed.
    server.stop();
    let fsck = Command::new("git").args(["fsck", "--strict"]).current_dir(&repo).output().unwrap();
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stderr));
}

/// A GET through curl-free std: the tests use the CLI for everything else.
fn reqwest_get(base: &str, path: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("{base}{path}");
        let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        dechunk(&body)
    })
}

/// Decodes a chunked HTTP body (axum answers small JSON with content-length, but be safe).
fn dechunk(body: &str) -> String {
    if body.trim_start().starts_with('[') || body.trim_start().starts_with('{') {
        return body.to_owned();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
    out
}
