//! `spectask task watch` through the real binary: it follows the server's event stream from the
//! task's creation to its end, in lines (stdout is a pipe here) or JSON lines.

use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::fake_llm::{FakeLlm, spec_answer, three_task_spec};
use crate::implementation::setup;
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, json, spectask, stderr, stdout};

/// `spectask task watch <id> [extra]` started in the background.
fn start_watch(server: &Server, id: &str, extra: &[&str]) -> Child {
    spectask()
        .args(["task", "--server", &server.url, "watch", id])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spectask task watch")
}

/// Waits for a watcher to exit on its own (killing it when it does not).
fn finished(child: Child) -> Output {
    let pid = child.id().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(90)) {
        Ok(output) => output.expect("wait for the watcher"),
        Err(_) => {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid]).status();
            panic!("task watch did not exit after the task ended");
        }
    }
}

fn create(server: &Server, repo: &std::path::Path) -> String {
    let task = json(&server.task(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]));
    task["id"].as_str().unwrap().to_owned()
}

/// The index of the first line containing `needle`, after line `from`.
fn position(lines: &[&str], from: usize, needle: &str) -> usize {
    lines[from..]
        .iter()
        .position(|l| l.contains(needle))
        .map(|i| from + i)
        .unwrap_or_else(|| panic!("no line with {needle:?} after line {from} in:\n{}", lines.join("\n")))
}

#[test]
fn watch_follows_a_task_through_implementation_to_done_and_exits_0() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&setup(dir.path(), &llm, ""), None);
    let id = create(&server, &repo);
    let lines_watch = start_watch(&server, &id[..8], &[]);
    let json_watch = start_watch(&server, &id, &["--json"]);

    wait_for_status(&server, &id, "spec_review");
    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(&server, &id, "implementation_review");
    assert!(server.task(&["approve", &id]).status.success());

    let out = finished(lines_watch);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines[..lines.len() - 1] {
        let (time, _) = line.split_at(9);
        assert!(
            time.len() == 9
                && time.chars().enumerate().all(|(i, c)| match i {
                    2 | 5 => c == ':',
                    8 => c == ' ',
                    _ => c.is_ascii_digit(),
                }),
            "not an HH:MM:SS line: {line:?}"
        );
    }
    // The phases in order, with the coordination events of the implementation between them.
    let review = position(&lines, 0, "phase spec_review");
    let implementation = position(&lines, review, "phase implementation");
    let wired = position(&lines, implementation, "Wire login into the app");
    let in_review = position(&lines, wired, "phase implementation_review");
    position(&lines, in_review, "phase done");
    assert!(lines.iter().any(|l| l.contains("session 1 Add the user model: 1/1 done")), "{text}");
    assert!(
        lines.last().unwrap().starts_with("task ") && lines.last().unwrap().ends_with(" is done"),
        "{text}"
    );

    let out = finished(json_watch);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events: Vec<Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).expect("each line is one JSON event")).collect();
    assert_eq!(events[0]["kind"], "spec_task.created");
    assert!(events.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()), "in seq order");
    assert!(events.iter().all(|e| e["spec_task_id"] == id.as_str()));
    let last = events.last().unwrap();
    assert_eq!(
        (&last["kind"], &last["payload"]["to"]),
        (&Value::from("spec_task.transitioned"), &Value::from("done"))
    );
    assert!(events.iter().any(|e| e["kind"] == "work_session.plan"));
    server.stop();
}

#[test]
fn watching_a_rejected_task_replays_it_and_exits_1_naming_the_end() {
    let llm = FakeLlm::start(vec![spec_answer("draft")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&setup(dir.path(), &llm, ""), None);
    let id = create(&server, &repo);
    wait_for_status(&server, &id, "spec_review");
    assert!(server.task(&["reject", &id, "--comment", "not now"]).status.success());

    let out = finished(start_watch(&server, &id, &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("ended rejected"), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    position(&lines, position(&lines, 0, "phase backlog"), "phase spec_review");
    assert!(lines.last().is_some_and(|l| l.ends_with("phase rejected")), "{text}");
    server.stop();
}
