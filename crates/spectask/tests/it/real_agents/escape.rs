//! The sandbox against a real agent that is allowed everything by its own settings: Claude Code in
//! its `bypassPermissions` mode (it asks nothing) tries to read `~/.ssh/id_rsa` (a fixture in its
//! test home) and to write into the repository's main checkout. The kernel refuses both; the key
//! never reaches the model, nothing is written, and the session does not complete.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::anthropic;
use super::server::FakeModel;
use super::sessions::{CLAUDE, start};
use super::turn::{Script, Step};
use crate::support::json;

const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY----- test fixture";

#[test]
fn claude_code_allowed_everything_cannot_read_the_ssh_key_nor_write_outside_the_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let (home, outside) = (dir.path().join("agent-home"), dir.path().join("outside.txt"));
    let (key, escape) = (home.join(".ssh/id_rsa"), outside.clone());
    let script: Script = Arc::new(move |seen| match seen.results {
        0 => Step::Read { path: key.display().to_string() },
        1 => Step::Write { path: escape.display().to_string(), content: "escaped\n".to_owned() },
        _ => Step::Answer("Done.".to_owned()),
    });
    let model = FakeModel::start(anthropic::scripted(script));
    let table =
        CLAUDE.replace("HOME_DIR", &home.display().to_string()) + "\napproval_mode = \"bypassPermissions\"";
    let started = start("claude", &model, "auto", &table, |_| {
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(home.join(".ssh/id_rsa"), KEY).unwrap();
    });

    let deadline = Instant::now() + Duration::from_secs(300);
    let task = loop {
        let task = json(&started.server.task(&["show", &started.id, "--json"]));
        if task["status"] == "failed" || task["status"] == "implementation_review" {
            break task;
        }
        assert!(Instant::now() < deadline, "{task:#}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let reason = task["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("the agent was refused"), "{task:#}");
    let results = anthropic::tool_results(&model);
    assert_eq!(results.len(), 2, "{results:#?}");
    for result in &results {
        assert!(result.contains("EACCES") || result.contains("ermission denied"), "{results:#?}");
    }
    let sent: String = model.bodies().iter().map(ToString::to_string).collect();
    assert!(!sent.contains("PRIVATE KEY"), "the key reached the model");
    assert!(!outside.exists(), "written outside the worktree");
    started.server.stop();
}
