//! The permission policy holds whatever the agent's own mode: an agent that edits without asking
//! (its own auto-edit mode, no approval mode in its profile) writes nothing under `deny`, neither
//! through spectask nor with its own system calls, and a session whose every edit was refused
//! fails with the refusals as its reason instead of completing; under `ask` its unasked write waits
//! for a person, and a person's refusal ends the same way.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::{assert_no_agent_left, wait_for};
use crate::implementation::sessions;
use crate::support::{CoderConfig, Server, coder_data, git_repo, http, http_json, stderr};

/// Writes through spectask without asking, then with its own system calls.
const UNASKED: &str = r#"
[[rule]]
match = "*Your task: Add the notes*"
steps = [
  { write_file = { path = "notes.md", content = "served\n" } },
  { os_write = { path = "own.md", content = "own\n" } },
  { message = "Added the notes." },
]
"#;

/// Writes through spectask without asking.
const SERVED_ONLY: &str = r#"
[[rule]]
match = "*Your task: Add the notes*"
steps = [
  { write_file = { path = "notes.md", content = "served\n" } },
  { message = "Added the notes." },
]
"#;

fn start(dir: &Path, policy: &str, script: &str) -> (Server, std::path::PathBuf, std::path::PathBuf, String) {
    let repo = git_repo(dir, "app");
    let profile = format!("permission_policy = \"{policy}\"\n");
    let config =
        CoderConfig { profile: &profile, orchestrator: "max_attempts = 1\n", ..CoderConfig::default() };
    let (data, script) = coder_data(dir, script, &config);
    let server = Server::start(&data, None);
    let id = server.coding_session(&repo, "Add the notes", "add notes.md");
    (server, repo, script, id)
}

fn reason(task: &Value) -> String {
    task["failure"]["reason"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn under_deny_an_agent_that_edits_unasked_writes_nothing_and_its_session_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (server, repo, script, id) = start(dir.path(), "deny", UNASKED);
    let task = wait_for(&server, &id, "failed", Duration::from_secs(60));
    let reason = reason(&task);
    assert!(reason.contains("the agent was refused") && reason.contains("nothing changed"), "{task:#}");
    assert!(reason.contains("permission policy is `deny`"), "{reason}");
    let handle = task["handle"].as_str().unwrap();
    let worktree = repo.join(".git-worktrees").join(handle);
    assert!(!worktree.join("notes.md").exists() && !worktree.join("own.md").exists(), "{reason}");
    let session = sessions(&server, &id).into_iter().next().expect("the work session");
    assert_eq!(session["status"], "failed", "{session:#}");
    server.stop();
    assert_no_agent_left(&script);
}

#[test]
fn under_ask_an_unasked_write_waits_for_a_person_whose_refusal_fails_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (server, repo, script, id) = start(dir.path(), "ask", SERVED_ONLY);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let approval = loop {
        let pending = http_json(&server.url, "/api/v1/approvals");
        if let Some(first) = pending.as_array().and_then(|a| a.first()).cloned() {
            break first;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no approval: {:#}",
            http_json(&server.url, "/api/v1/spec-tasks")
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(approval["tool_call"]["title"], "Write notes.md", "{approval:#}");
    // What the session waits for is the person's answer, in the words every client shows: the
    // inbox (`GET /attention`), the task, and `task list`.
    let attention = http_json(&server.url, "/api/v1/attention");
    assert_eq!(attention["needs_you"], 1, "{attention:#}");
    let asked = &attention["items"][0];
    assert_eq!(asked["kind"], "permission", "{attention:#}");
    assert_eq!(asked["label"], "Waiting for you", "{attention:#}");
    assert_eq!(asked["approval_id"], approval["id"], "{attention:#}");
    assert!(asked["text"].as_str().unwrap().contains("Write notes.md"), "{attention:#}");
    assert!(asked["path"].as_str().unwrap().starts_with("/sessions/"), "{attention:#}");
    let task = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}"));
    assert_eq!(task["attention"][0]["kind"], "permission", "{task:#}");
    let listed = server.task(&["list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Waiting for you"), "{}", stderr(&listed));
    let worktree = repo.join(".git-worktrees").join(task["handle"].as_str().unwrap());
    assert!(!worktree.join("notes.md").exists(), "written before the answer");
    let path = format!("/api/v1/approvals/{}", approval["id"].as_str().unwrap());
    let (status, body) = http(&server.url, "POST", &path, Some(r#"{"option_id":"reject"}"#));
    assert!((200..300).contains(&status), "{status} {body}");
    let task = wait_for(&server, &id, "failed", Duration::from_secs(60));
    assert!(reason(&task).contains("refused by the person reviewing this session"), "{task:#}");
    assert!(!worktree.join("notes.md").exists());
    // Answered, it waits for the person again: as a failure now.
    let attention = http_json(&server.url, "/api/v1/attention");
    let kinds: Vec<&Value> = attention["items"].as_array().unwrap().iter().map(|a| &a["kind"]).collect();
    assert_eq!(kinds, ["failed"], "{attention:#}");
    // The session's decisions say what was asked, the answer and who gave it.
    let session = sessions(&server, &id).into_iter().next().expect("the work session");
    let history =
        http_json(&server.url, &format!("/api/v1/work-sessions/{}/history", session["id"].as_str().unwrap()));
    let entries = history["entries"].as_array().unwrap().iter();
    let decisions: String =
        entries.filter(|e| e["file"] == "decisions").filter_map(|e| e["content"].as_str()).collect();
    assert!(
        decisions.contains("- Write notes.md: refused (") && decisions.contains(" by a person [tool call "),
        "{decisions}"
    );
    server.stop();
    assert_no_agent_left(&script);
}
