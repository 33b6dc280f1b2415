//! `spectask demo`: the bundled sample repository and the sample task, idempotent across runs.

use std::process::Command;

use crate::support::{Server, json};

#[test]
fn demo_serves_the_sample_repository_and_task_and_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let server = Server::spawn(&["demo".to_owned()], &data);
    let tasks = json(&server.task(&["list", "--json"]));
    assert_eq!(tasks["total"], 1);
    assert_eq!(tasks["items"][0]["title"], "Add user authentication with JWT");
    let repo = data.join("repos/nodejs-todo");
    assert_eq!(tasks["items"][0]["repository"]["path"], repo.canonicalize().unwrap().display().to_string());
    let log = Command::new("git").args(["log", "--oneline"]).current_dir(&repo).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&log.stdout).lines().count(), 1);
    assert!(repo.join("src/todos.js").is_file());
    server.stop();

    let server = Server::spawn(&["demo".to_owned()], &data);
    assert_eq!(json(&server.task(&["list", "--json"]))["total"], 1, "the sample task is created once");
    server.stop();
}
