//! Tasks that wait for other tasks, through the binary: a chain of three runs in order, each
//! starting only once the one before it is done (AND over every prerequisite); a prerequisite
//! that ends without being done holds its dependent, saying so, until a person acts; a cycle and
//! a change after implementation started are refused; two nodes on PostgreSQL never start a
//! dependent early.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::support::{CoderConfig, Server, coder_data, git_repo, postgres_url, stderr};

const SCRIPT: &str = r#"
[[rule]]
match = "*Your task: Step one*"
steps = [{ write_file = { path = "one.txt", content = "1\n" } }, { message = "Step one done." }]

[[rule]]
match = "*Your task: Step two*"
steps = [{ write_file = { path = "two.txt", content = "2\n" } }, { message = "Step two done." }]

[[rule]]
match = "*Your task: Step three*"
steps = [{ write_file = { path = "three.txt", content = "3\n" } }, { message = "Step three done." }]
"#;

fn create(server: &Server, repo: &Path, title: &str, after: &[&str]) -> Value {
    let mut args =
        vec!["create", "--repo", repo.to_str().unwrap(), "--kind", "coding_session", "--title", title];
    for id in after {
        args.extend(["--after", id]);
    }
    args.extend([title, "--json"]);
    server.task_json(&args)
}

fn show(server: &Server, id: &str) -> Value {
    server.task_json(&["show", id, "--json"])
}

/// Waits until task `id` waits with a reason containing `part`.
fn waits_with(server: &Server, id: &str, part: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let task = show(server, id);
        if task["queue_reason"].as_str().is_some_and(|r| r.contains(part)) {
            return task;
        }
        assert!(std::time::Instant::now() < deadline, "task {id} does not wait with {part:?}: {task:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn approve_to_done(server: &Server, id: &str) -> Value {
    wait_for(server, id, "implementation_review", Duration::from_secs(60));
    let approved = server.task(&["approve", id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(server, id, "done", Duration::from_secs(60))
}

fn time(task: &Value, field: &str) -> String {
    task[field].as_str().unwrap_or_else(|| panic!("no {field}: {task:#}")).to_owned()
}

fn chain_runs_in_order(server: &Server, repo: &Path) {
    let one = create(server, repo, "Step one", &[]);
    let one_id = one["id"].as_str().unwrap();
    let two = create(server, repo, "Step two", &[one_id]);
    let two_id = two["id"].as_str().unwrap();
    assert_eq!(two["prerequisites"]["tasks"][0]["id"], one["id"], "{two:#}");
    let three = create(server, repo, "Step three", &[two_id, one_id]);
    let three_id = three["id"].as_str().unwrap();

    // Two and three wait, saying for what.
    let waiting = waits_with(server, two_id, "waiting for prerequisite");
    assert!(waiting["queue_reason"].as_str().unwrap().contains("Step one"), "{waiting:#}");
    waits_with(server, three_id, "Step two");
    let one = approve_to_done(server, one_id);
    let two = approve_to_done(server, two_id);
    assert!(implementation_started(server, &two) >= time(&one, "completed_at"), "two started early: {one:#}");
    let three = approve_to_done(server, three_id);
    assert!(
        implementation_started(server, &three) >= time(&two, "completed_at"),
        "three started early: {two:#}"
    );
    assert_eq!(three["queue_reason"], Value::Null, "{three:#}");
}

/// When the first work session of `task` started.
fn implementation_started(server: &Server, task: &Value) -> String {
    let sessions = crate::implementation::sessions(server, task["id"].as_str().unwrap());
    let first = sessions.first().unwrap_or_else(|| panic!("no session: {task:#}"));
    time(first, "started_at")
}

fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let repo = git_repo(dir, "app");
    let (data, _script) = coder_data(dir, SCRIPT, &CoderConfig::default());
    (repo, data)
}

#[test]
fn a_chain_of_three_tasks_runs_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, data) = setup(dir.path());
    let server = Server::start(&data, None);
    chain_runs_in_order(&server, &repo);
    server.stop();
}

#[test]
fn two_nodes_on_postgres_never_start_a_dependent_early() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, data) = setup(dir.path());
    let url = postgres_url();
    let a = Server::start_node(&data, Some(&url), "node-a");
    let b = Server::start_node(&data, Some(&url), "node-b");
    chain_runs_in_order(&a, &repo);
    a.stop();
    b.stop();
}

fn create_held(server: &Server, repo: &Path, title: &str, after: &str) -> Value {
    server.task_json(&[
        "create",
        "--repo",
        repo.to_str().unwrap(),
        "--title",
        title,
        "--after",
        after,
        "--hold-before",
        "planning",
        title,
        "--json",
    ])
}

#[test]
fn an_ended_prerequisite_holds_its_dependent_and_cycles_and_late_changes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, data) = setup(dir.path());
    let server = Server::start(&data, None);
    let one = create(&server, &repo, "Step one", &[]);
    let one_id = one["id"].as_str().unwrap().to_owned();
    // Planning is held too: these stay in the backlog.
    let two = create_held(&server, &repo, "Step two", &one_id);
    let two_id = two["id"].as_str().unwrap().to_owned();
    assert_eq!(two["prerequisites"]["hold_before"], "planning", "{two:#}");
    let three = create_held(&server, &repo, "Step three", &two_id);
    let three_id = three["id"].as_str().unwrap().to_owned();

    // A cycle is refused, naming it; so is a task that is not there.
    let cycle = server.task(&["after", &two_id, &three_id]);
    assert!(!cycle.status.success());
    let said = stderr(&cycle);
    assert!(said.contains("cycle") && said.contains(three["short_id"].as_str().unwrap()), "{said}");
    let missing = server.task(&["after", &two_id, "deadbeef"]);
    assert!(!missing.status.success(), "{}", stderr(&missing));
    // Once implementation started, a task's prerequisites are fixed.
    wait_for(&server, &one_id, "implementation_review", Duration::from_secs(60));
    let late = server.task(&["after", &one_id, &three_id]);
    assert!(!late.status.success());
    assert!(stderr(&late).contains("only before its implementation starts"), "{}", stderr(&late));

    // The prerequisite is cancelled: the dependent is held, with the reason, until a person acts.
    let cancelled = server.task(&["cancel", &one_id]);
    assert!(cancelled.status.success(), "{}", stderr(&cancelled));
    let held = waits_with(&server, &two_id, "held: prerequisite");
    assert!(held["queue_reason"].as_str().unwrap().contains("is cancelled"), "{held:#}");
    assert_eq!(held["status"], "backlog", "{held:#}");
    assert!(held["queue_reason"].as_str().unwrap().contains("cannot be retried"), "{held:#}");
    // The task after it is held too, naming the root: it can wait for nothing else.
    let further = waits_with(&server, &three_id, "held: prerequisite");
    let reason = further["queue_reason"].as_str().unwrap();
    let root = format!("is held by {}", &one_id[one_id.len() - 8..]);
    assert!(reason.contains(&root) && reason.contains("which is cancelled"), "{further:#}");
    // Both are held by the cancelled task: three through two. Each says so in one sentence, with
    // what a person can do (a cancelled task cannot be retried).
    let one_short = one["short_id"].as_str().unwrap();
    let two_held = &show(&server, &two_id)["attention"][0];
    assert_eq!(
        (&two_held["kind"], &two_held["label"], &two_held["needs_you"]),
        (&"held".into(), &"Held".into(), &true.into()),
        "{two_held:#}"
    );
    assert_eq!(two_held["held_by"][0]["id"], one["id"], "{two_held:#}");
    assert!(two_held["text"].as_str().unwrap().contains("was cancelled"), "{two_held:#}");
    assert!(two_held["action"].as_str().unwrap().contains("cannot be retried"), "{two_held:#}");
    let three_held = &show(&server, &three_id)["attention"][0];
    let chain: Vec<&Value> = three_held["held_by"].as_array().unwrap().iter().map(|t| &t["id"]).collect();
    assert_eq!(chain, [&two["id"], &one["id"]], "{three_held:#}");
    let text = three_held["text"].as_str().unwrap();
    assert!(text.contains(one_short) && text.contains("through"), "{three_held:#}");
    let listed = server.task(&["list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Held"), "{}", stderr(&listed));
    // Its owner is told, once for each task held: a `held` notification of two and of three.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let told = loop {
        let told = crate::support::http_json(&server.url, "/api/v1/notifications");
        if told.as_array().unwrap().iter().filter(|n| n["kind"] == "held").count() >= 2
            || std::time::Instant::now() > deadline
        {
            break told;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut held: Vec<&Value> =
        told.as_array().unwrap().iter().filter(|n| n["kind"] == "held").map(|n| &n["spec_task_id"]).collect();
    held.sort_by_key(|id| id.as_str().unwrap_or_default().to_owned());
    let mut expected = vec![&two["id"], &three["id"]];
    expected.sort_by_key(|id| id.as_str().unwrap_or_default().to_owned());
    assert_eq!(held, expected, "{told:#}");

    // The person removes it: the task goes on (to wait for a planner, which this server lacks).
    let freed = server.task_json(&["after", &two_id, "--json"]);
    assert_eq!(freed["prerequisites"]["tasks"], serde_json::json!([]), "{freed:#}");
    waits_with(&server, &two_id, "no planning agent");
    waits_with(&server, &three_id, "waiting for prerequisite");
    server.stop();
}
