//! Agents that coordinate, through the real binary: the scripted coder is given `spectask mcp` as an
//! MCP server for each thread (ACP `mcpServers`), launches it as a real agent would, and calls its
//! tools. One session spawns a child and messages a sibling; the sibling reports itself blocked,
//! receives the message in its thread at its next turn and hands off to a third session; a child
//! and its parent change the same file. Everything shows on the live stream, in the coordination
//! log in git and in the receiving sessions' transcripts.

use std::process::Command;

use serde_json::Value;

use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{sessions, setup_with_script};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, http, http_json, stdout};
use crate::watch::{finished, start_watch};

const READY: &str = "Authentication endpoints ready for integration";

const SCRIPT: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { mcp = { tool = "spawn_session", arguments = { name = "Security audit", description = "Audit the user model." } } },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { mcp = { tool = "send_message", arguments = { to_session = "2", text = "Authentication endpoints ready for integration" } } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { mcp = { tool = "report_blocked", arguments = { on_session = "1", reason = "the login route needs the user model" } } },
  { mcp = { tool = "read_coordination", arguments = {}, until = "Authentication endpoints ready", timeout_ms = 60000 } },
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Authentication endpoints ready for integration*Take this into account*"
steps = [
  { mcp = { tool = "handoff", arguments = { to_session = "3", note = "src/login.js exports login(); require it from src/app.js." } } },
  { message = "Noted: the user model is in; login uses it." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { mcp = { tool = "plan_status" } },
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]

[[rule]]
match = "*Handoff from*src/login.js exports login()*"
steps = [{ message = "Handoff read: app.js already requires ./login." }]

[[rule]]
match = "*Your task: Security audit*"
steps = [
  { write_file = { path = "src/user.js", content = "// audited: no injection\nmodule.exports = { users: [] };\n" } },
  { write_file = { path = "docs/audit.md", content = "# Audit\nNo findings.\n" } },
  { message = "Audit written to docs/audit.md." },
]
"##;

/// The conversation of one work session, as recorded.
fn conversation(server: &Server, session: &str) -> String {
    let history = http_json(&server.url, &format!("/api/v1/work-sessions/{session}/history"));
    history["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries in {history:#}"))
        .iter()
        .filter(|e| e["file"] == "conversation")
        .filter_map(|e| e["content"].as_str())
        .collect()
}

#[test]
fn agents_spawn_message_report_blocked_and_hand_off_through_mcp() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&setup_with_script(dir.path(), &llm, SCRIPT, ""), None);
    let id = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let watch = start_watch(&server, &id, &["--json"]);
    wait_for_status(&server, &id, "spec_review");
    assert!(server.task(&["approve", &id]).status.success());
    let task = wait_for_status(&server, &id, "implementation_review");
    let handle = task["handle"].as_str().unwrap().to_owned();

    let all = sessions(&server, &id);
    let named = |name: &str| {
        all.iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no session {name:?} in {all:#?}"))
            .clone()
    };
    let (one, two, three, audit) = (
        named("1 Add the user model"),
        named("2 Add the login route"),
        named("3 Wire login into the app"),
        named("Security audit"),
    );
    assert!(all.iter().all(|s| s["status"] == "completed"), "{all:#?}");
    assert_eq!((&audit["parent_id"], &audit["spawned_by_id"]), (&one["id"], &one["id"]), "{audit:#}");

    // The coordination log (API): spawned, blocked, the message, the handoff, the overlap.
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let log = log.as_array().unwrap();
    let find = |kind: &str, text: &str| {
        log.iter()
            .find(|e| e["kind"] == kind && e["message"].as_str().unwrap_or("").contains(text))
            .unwrap_or_else(|| panic!("no {kind} with {text:?} in {log:#?}"))
            .clone()
    };
    let spawned = find("session_spawned", "Security audit");
    assert_eq!((&spawned["from_session"], &spawned["to_session"]), (&one["id"], &audit["id"]));
    let blocked = find("session_blocked", "2 Add the login route blocked: waiting for 1 Add the user model");
    assert_eq!((&blocked["from_session"], &blocked["to_session"]), (&two["id"], &one["id"]));
    let message = find("message", &format!("1 Add the user model → 2 Add the login route: \"{READY}\""));
    assert_eq!((&message["from_session"], &message["to_session"]), (&one["id"], &two["id"]));
    let handoff = find("handoff", "2 Add the login route → 3 Wire login into the app handoff");
    assert_eq!((&handoff["from_session"], &handoff["to_session"]), (&two["id"], &three["id"]));
    find("overlapping_edit", "both changed src/user.js");
    assert_eq!(log.iter().filter(|e| e["kind"] == "overlapping_edit").count(), 1, "logged once: {log:#?}");

    // The receiving sessions' transcripts: the message and the handoff arrived as turns, and the
    // agent answered them; the senders' transcripts note what they sent.
    let two_says = conversation(&server, two["id"].as_str().unwrap());
    assert!(
        two_says.contains(&format!("Message from \"1 Add the user model\" (through spectask):\n\n{READY}")),
        "{two_says}"
    );
    assert!(two_says.contains("Noted: the user model is in"), "{two_says}");
    let three_says = conversation(&server, three["id"].as_str().unwrap());
    assert!(three_says.contains("Handoff from \"2 Add the login route\""), "{three_says}");
    assert!(three_says.contains("Handoff read: app.js already requires ./login."), "{three_says}");
    assert!(three_says.contains("\"you\": true"), "plan_status answered: {three_says}");
    let one_says = conversation(&server, one["id"].as_str().unwrap());
    assert!(one_says.contains(&format!("**sent to 2 Add the login route**: {READY}")), "{one_says}");
    assert!(
        one_says.contains("Your MCP server \"spectask\" has tools"),
        "the prompt names the tools: {one_says}"
    );

    // The implementation review lists the overlap.
    let summary = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/implementation-summary"));
    let summary = summary["summary"].as_str().unwrap();
    assert!(summary.contains("## Overlapping edits") && summary.contains("src/user.js"), "{summary}");

    // Without a session credential the coordination API answers 401, and names what it wants.
    let (status, body) = http(&server.url, "POST", "/api/v1/coordination/messages", Some(r#"{"text":"hi"}"#));
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Authorization: Bearer"), "{body}");

    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(&server, &id, "done");
    // The live stream carried the coordination events as they happened.
    let out = finished(watch);
    let events: Vec<Value> = stdout(&out).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let live = |text: &str| {
        events.iter().any(|e| {
            e["kind"] == "coordination.recorded"
                && e["payload"]["message"].as_str().unwrap_or("").contains(text)
        })
    };
    for text in [
        READY,
        "blocked: waiting for 1 Add the user model",
        "handoff",
        "spawned: Security audit",
        "both changed src/user.js",
    ] {
        assert!(live(text), "no live coordination event with {text:?}");
    }
    // And the design-docs branch holds the coordination log and the transcripts.
    let show = |path: String| {
        let out = Command::new("git")
            .args(["show", &format!("helix-design-docs:{path}")])
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    crate::implementation::wait_until("the history is committed", || {
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
    let log_md = show(format!("sessions/{handle}/coordination-log.md"));
    for text in [READY, "blocked: waiting for 1 Add the user model", "handoff", "overlapping edit"] {
        assert!(log_md.contains(text), "{text:?} not in coordination-log.md:\n{log_md}");
    }
    let two_md = show(format!("sessions/{handle}/{}/conversation.md", two["id"].as_str().unwrap()));
    assert!(two_md.contains(READY), "{two_md}");
    server.stop();
}
