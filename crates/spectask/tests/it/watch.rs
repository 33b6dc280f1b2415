//! `spectask task watch` through the real binary: it follows the server's event stream from the
//! task's creation to its end, in lines (stdout is a pipe here) or JSON lines.

use std::io::{BufRead, BufReader};
use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_llm::{FakeLlm, spec_answer, three_task_spec};
use crate::implementation::setup;
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, json, spectask, stderr, stdout};

/// `spectask task watch <id> [extra]` started in the background.
pub(crate) fn start_watch(server: &Server, id: &str, extra: &[&str]) -> Child {
    spectask()
        .args(["task", "--server", &server.url, "watch", id])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spectask task watch")
}

/// Waits for a watcher to exit on its own (killing it when it does not).
pub(crate) fn finished(child: Child) -> Output {
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
    let task = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
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
    // What the task waited for, in the dashboard's words, as it began to.
    position(&lines, review, "Waiting for you: Version 1 of the spec is ready for your review.");
    position(&lines, in_review, "Waiting for you: The implementation is ready for your review.");
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
    // The last phase, then what the task used (the planner's tokens).
    let [.., phase, used] = lines.as_slice() else { panic!("{text}") };
    assert!(phase.ends_with("phase rejected") && used.contains(" usage: "), "{text}");
    server.stop();
}

/// A watch started while the task already waits for a person replays how it got there before it
/// says what the task waits for: the stream reads the events the attention frame tells of first.
#[test]
fn a_watch_of_a_task_already_waiting_tells_its_phase_before_what_it_waits_for() {
    let llm = FakeLlm::start(vec![spec_answer("draft")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&setup(dir.path(), &llm, ""), None);
    let id = create(&server, &repo);
    wait_for_status(&server, &id, "spec_review");
    let mut watch = start_watch(&server, &id, &[]);
    let stdout = watch.stdout.take().expect("the watcher's stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lines.iter().any(|l: &String| l.contains("Waiting for you")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => panic!("the watcher never said what the task waits for:\n{}", lines.join("\n")),
        }
    }
    assert!(server.task(&["reject", &id, "--comment", "not now"]).status.success());
    let out = finished(watch);
    assert_eq!(out.status.code(), Some(1));
    lines.extend(rx.try_iter());
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let review = position(&lines, 0, "phase spec_review");
    position(&lines, review, "Waiting for you: Version 1 of the spec is ready for your review.");
    server.stop();
}

/// `spectask serve` on `addr` (a fixed port survives a restart); its child and base URL.
fn serve_at(data: &std::path::Path, addr: &str) -> (Child, String) {
    let mut child = spectask()
        .args(["serve", "--addr", addr, "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn spectask serve");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read the ready line");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line.trim().strip_prefix("spectask listening on ").expect("the ready line").to_owned();
    (child, url)
}

fn task_at(url: &str, args: &[&str]) -> Output {
    spectask().args(["task", "--server", url]).args(args).output().expect("run spectask task")
}

/// A process's exit status within `limit`.
fn exit_within(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The watcher's stdout lines as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    std::thread::spawn(move || out.lines().map_while(Result::ok).try_for_each(|l| tx.send(l)));
    rx
}

fn wait_for_line(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) {
    while !seen.iter().any(|l| l.contains(needle)) {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with {needle:?} in:\n{}", seen.join("\n")),
        }
    }
}

#[test]
fn watch_resumes_after_a_server_restart_without_repeating_events_and_stops_on_ctrl_c() {
    let llm = FakeLlm::start(vec![spec_answer("draft")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = setup(dir.path(), &llm, "");
    let (mut first, url) = serve_at(&data, "127.0.0.1:0");
    let created = task_at(&url, &["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = json(&created)["id"].as_str().unwrap().to_owned();
    let (mut resumed, mut interrupted) = (start_watch_at(&url, &id), start_watch_at(&url, &id));
    let (resumed_lines, interrupted_lines) = (lines_of(&mut resumed), lines_of(&mut interrupted));
    let (mut seen, mut seen_by_interrupted) = (Vec::new(), Vec::new());
    wait_for_line(&resumed_lines, &mut seen, "phase spec_review");
    wait_for_line(&interrupted_lines, &mut seen_by_interrupted, "phase spec_review");

    let pid = interrupted.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    assert_eq!(
        exit_within(&mut interrupted, Duration::from_secs(10), "an interrupted watch").code(),
        Some(130)
    );

    // SIGTERM: the server shuts down although a watcher is connected; it comes back on the same port.
    let pid = first.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(exit_within(&mut first, Duration::from_secs(20), "the server with a watcher").success());
    let addr = url.trim_start_matches("http://").to_owned();
    let (mut second, url) = serve_at(&data, &addr);
    let rejected = task_at(&url, &["reject", &id, "--comment", "not now"]);
    assert!(rejected.status.success(), "{}", stderr(&rejected));

    assert_eq!(exit_within(&mut resumed, Duration::from_secs(30), "the resumed watch").code(), Some(1));
    seen.extend(resumed_lines.iter());
    let count = |needle: &str| seen.iter().filter(|l| l.ends_with(needle)).count();
    assert_eq!((count("phase spec_review"), count("phase rejected")), (1, 1), "{seen:#?}");
    let _ = second.kill();
    let _ = second.wait();
}

fn start_watch_at(url: &str, id: &str) -> Child {
    spectask()
        .args(["task", "--server", url, "watch", id])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn spectask task watch")
}
