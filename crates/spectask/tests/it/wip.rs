//! WIP limits under load through the real binary: 20 coding sessions over two repositories with
//! room for three at a time (two per repository); waiting tasks say why; all of them finish.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::crash_restart::setup;
use crate::fake_llm::FakeLlm;
use crate::support::{Server, git_repo, http, http_json};
use spectask_store::{DatabaseUrl, Store};

const CODER: &str = r#"
[[rule]]
match = "*Your task: Job *"
steps = [
  { write_file = { path = "job.txt", content = "done\n" } },
  { sleep = 300 },
  { message = "Wrote job.txt." },
]
"#;

const ACTIVE: [&str; 2] = ["spec_generation", "implementation"];

#[test]
fn wip_limits_hold_under_twenty_concurrent_tasks() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let (data, _script) =
        setup(dir.path(), &llm, CODER, "wip_global = 3\nwip_per_repository = 2\nwip_per_user = 3\n");
    let server = Server::start(&data, None);
    twenty_tasks_within_the_limits(dir.path(), &[&server], &DatabaseUrl::sqlite_in(&data));
    server.stop();
}

/// Two nodes admitting from one PostgreSQL database stay within the limits together. Each node has
/// room for two agents: a task's agent must be stopped by the node it lives on when the task goes to
/// review, whichever node ran that step, or the slots fill up and sessions wait for good.
#[test]
fn wip_limits_hold_across_two_nodes_on_postgres() {
    let url = crate::support::postgres_url();
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let (data, _script) = setup(
        dir.path(),
        &llm,
        CODER,
        "wip_global = 3\nwip_per_repository = 2\nwip_per_user = 3\nmax_live_agents = 2\n",
    );
    let a = Server::start_node(&data, Some(&url), "node-a");
    let b = Server::start_node(&data, Some(&url), "node-b");
    twenty_tasks_within_the_limits(dir.path(), &[&a, &b], &DatabaseUrl::parse(&url).unwrap());
    a.stop();
    b.stop();
}

/// Creates 20 coding sessions over two repositories (through the servers in turn, all at once) and
/// samples the task list until all reach implementation_review.
///
/// The requests go out together, so the tasks arrive faster than any three of them can finish (each
/// agent turn sleeps 300 ms): a queue forms whatever the machine's load, and the sampler (HTTP, no
/// process per sample) sees it. Creating them one CLI process after another let a loaded machine
/// finish tasks as fast as they came, and the waiting tasks were never seen.
fn twenty_tasks_within_the_limits(dir: &std::path::Path, servers: &[&Server], database: &DatabaseUrl) {
    let repos = [git_repo(dir, "api"), git_repo(dir, "web")];
    let server = servers[0];
    std::thread::scope(|scope| {
        for n in 0..20 {
            let (url, repo) = (&servers[n % servers.len()].url, &repos[n % 2]);
            scope.spawn(move || create(url, repo, &format!("Job {n}")));
        }
    });

    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut samples, mut most, mut reasons_seen) = (0, 0, 0);
    // What each sample saw, for a failure: tasks at work, queued, queued with their reason.
    let mut seen: Vec<(usize, usize, usize)> = Vec::new();
    loop {
        let tasks = list(server);
        assert_eq!(tasks.len(), 20);
        let active: Vec<&Value> = tasks.iter().filter(|t| ACTIVE.iter().any(|s| t["status"] == *s)).collect();
        assert!(active.len() <= 3, "more than wip_global = 3 at work: {active:#?}");
        let mut per_repo: HashMap<String, usize> = HashMap::new();
        for task in &active {
            *per_repo.entry(task["repository"].to_string()).or_default() += 1;
        }
        assert!(per_repo.values().all(|n| *n <= 2), "more than 2 at work in one repository: {active:#?}");
        assert!(
            active.iter().all(|t| t["queue_reason"].is_null()),
            "admitted tasks wait no more: {active:#?}"
        );
        most = most.max(active.len());
        samples += 1;
        // Tasks waiting for a slot say why (a task queued a moment ago may not have been looked at yet).
        let queued: Vec<&Value> = tasks.iter().filter(|t| t["status"] == "implementation_queued").collect();
        let mut reasons = 0;
        for waiting in &queued {
            if let Some(reason) = waiting["queue_reason"].as_str() {
                assert!(reason.starts_with("waiting"), "{waiting}");
                reasons += 1;
            }
        }
        reasons_seen += reasons;
        seen.push((active.len(), queued.len(), reasons));
        if tasks.iter().all(|t| t["status"] == "implementation_review") {
            break;
        }
        assert!(
            tasks.iter().all(|t| t["status"] != "failed"),
            "{:#?}",
            tasks.iter().filter(|t| t["status"] == "failed").collect::<Vec<_>>()
        );
        assert!(
            Instant::now() < deadline,
            "not all tasks reached implementation_review: {tasks:#?}\n{}",
            unfinished(database)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let timeline = format!("{samples} samples of (at work, queued, queued saying why): {seen:?}");
    assert_eq!(most, 3, "the limit was reached, not just respected; {timeline}");
    assert!(reasons_seen > 0, "no waiting task was seen with its queue_reason; {timeline}");
}

/// Creates a coding session on `repo` through the API of the server at `url`.
fn create(url: &str, repo: &std::path::Path, title: &str) {
    let body = serde_json::json!({
        "prompt": "write job.txt",
        "repo": repo.canonicalize().unwrap(),
        "title": title,
        "kind": "coding_session",
    });
    let (status, answer) = http(url, "POST", "/api/v1/spec-tasks/from-prompt", Some(&body.to_string()));
    assert!((200..300).contains(&status), "creating {title}: {status} {answer}");
}

fn list(server: &Server) -> Vec<Value> {
    http_json(&server.url, "/api/v1/spec-tasks?limit=50")["items"].as_array().cloned().unwrap_or_default()
}

/// The sessions and jobs of every task not yet in implementation_review, read from the database.
fn unfinished(database: &DatabaseUrl) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(database).await.unwrap();
        let mut out = String::new();
        let page = store
            .list_spec_tasks(&spectask_store::SpecTaskFilter {
                status: None,
                repository_id: None,
                created_by: None,
                limit: 100,
                offset: 0,
            })
            .await
            .unwrap();
        for task in page.items.iter().filter(|t| t.status().as_str() != "implementation_review") {
            out.push_str(&format!("task {} {}\n", task.handle(), task.status()));
            for s in store.work_sessions_of(task.id).await.unwrap() {
                out.push_str(&format!("  session {} {:?}\n", s.name, s.state));
            }
            for j in store.jobs_of(task.id).await.unwrap() {
                out.push_str(&format!(
                    "  job {} {} {} attempts {} owner {:?} error {:?}\n",
                    j.id, j.kind, j.status, j.attempts, j.lease_owner, j.last_error
                ));
            }
        }
        out
    })
}
