//! Session history through the real server: concurrent recording, forced commits, the history API,
//! and a server killed mid-batch.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::{Api, assert_fsck_clean, call, git, open_store, work_sessions};
use crate::support::{Server, git_repo};

const FILES: [(&str, &str); 4] = [
    ("conversation", "conversation.md"),
    ("code_changes", "code-changes.md"),
    ("decisions", "decisions.md"),
    ("activity_log", "activity-log.md"),
];

/// A data dir whose config commits history after `window` seconds.
fn data_dir(parent: &Path, window: f64) -> std::path::PathBuf {
    let data = parent.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("config.toml"), format!("[orchestrator]\nhistory_window_seconds = {window}\n"))
        .unwrap();
    data
}

fn create_task(server: &Server, repo: &Path) -> (String, String) {
    let task = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Record history", "--json"]);
    (task["id"].as_str().unwrap().to_owned(), task["handle"].as_str().unwrap().to_owned())
}

/// The file on the design-docs branch, empty when absent.
fn branch_file(repo: &Path, path: &str) -> String {
    let out = std::process::Command::new("git")
        .args(["show", &format!("helix-design-docs:{path}")])
        .current_dir(repo)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every `contents` occurs exactly once in `text`, in the given order.
fn assert_once_in_order(text: &str, contents: &[String]) {
    let mut last = 0;
    for content in contents {
        assert_eq!(text.matches(content.as_str()).count(), 1, "{content} must appear exactly once");
        let at = text.find(content.as_str()).unwrap();
        assert!(at >= last, "{content} is out of order");
        last = at;
    }
}

#[test]
fn fifty_work_sessions_recording_at_once_land_exactly_once_and_in_order() {
    const PER_SESSION: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = data_dir(dir.path(), 0.3);
    let server = Server::start(&data, None);
    let (id, handle) = create_task(&server, &repo);
    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let sessions = work_sessions(&api.runtime, &store, &id, 50);

    api.runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (s, session) in sessions.iter().enumerate() {
            let (http, base, session) = (api.http.clone(), api.base.clone(), session.clone());
            set.spawn(async move {
                for e in 0..PER_SESSION {
                    let body =
                        json!({ "file": FILES[e % 4].0, "content": format!("<s{s}:e{e}>\nsecond line") });
                    let path = format!("/work-sessions/{session}/record-history");
                    let (status, answer) = call(&http, &base, reqwest::Method::POST, &path, Some(body)).await;
                    assert_eq!(status, 201, "{answer}");
                }
            });
        }
        while let Some(done) = set.join_next().await {
            done.unwrap();
        }
    });
    let (status, forced) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
    assert_eq!(status, 200, "{forced}");
    assert_eq!(forced["pending"], 0, "{forced}");

    for (s, session) in sessions.iter().enumerate() {
        for (f, (_, file_name)) in FILES.iter().enumerate() {
            let text = branch_file(&repo, &format!("sessions/{handle}/{session}/{file_name}"));
            let want: Vec<String> =
                (0..PER_SESSION).filter(|e| e % 4 == f).map(|e| format!("<s{s}:e{e}>")).collect();
            assert_once_in_order(&text, &want);
        }
        let (status, history) = api.get(&format!("/work-sessions/{session}/history"));
        assert_eq!(status, 200, "{history}");
        let entries = history["entries"].as_array().unwrap();
        assert_eq!(entries.len(), PER_SESSION);
        assert!(entries.iter().all(|e| e["committed"] == true), "{history}");
        let (_, decisions) = api.get(&format!("/work-sessions/{session}/history?file=decisions"));
        assert_eq!(decisions["entries"].as_array().unwrap().len(), 2, "{decisions}");
    }
    let log = git(&repo, &["log", "--format=%B", "helix-design-docs"]);
    assert!(log.contains(&format!("Spec-Task: {id}")) && log.contains("History-Seq: "), "{log}");
    // Checked once nothing writes to it: fsck reads refs and objects while a commit may add them.
    server.stop();
    assert_fsck_clean(&repo);
}

#[test]
fn record_history_refuses_unknown_files_and_empty_content() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = data_dir(dir.path(), 10.0);
    let server = Server::start(&data, None);
    let (id, _) = create_task(&server, &repo);
    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let session = work_sessions(&api.runtime, &store, &id, 1).remove(0);
    let path = format!("/work-sessions/{session}/record-history");
    let (status, answer) = api.post(&path, Some(json!({ "file": "diary", "content": "x" })));
    assert_eq!((status, answer["error"]["code"].clone()), (400, json!("invalid_file")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("diary"));
    let (status, answer) = api.post(&path, Some(json!({ "file": "decisions", "content": "  \n" })));
    assert_eq!((status, answer["error"]["code"].clone()), (400, json!("invalid_content")), "{answer}");
    let (status, _) = api.post(
        "/work-sessions/not-a-uuid/record-history",
        Some(json!({ "file": "decisions", "content": "x" })),
    );
    assert_eq!(status, 400);
    let (status, answer) = api.post(&path, Some(json!({ "file": "decisions", "content": "chose sqlite" })));
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["committed"], false, "committed later, in a batch");
    // Shutdown commits what is pending.
    server.stop();
    let text = git(
        &repo,
        &[
            "show",
            &format!("helix-design-docs:sessions/{}/{session}/decisions.md", handle_of(&store, &api, &id)),
        ],
    );
    assert!(text.contains("chose sqlite"), "{text}");
}

fn handle_of(store: &spectask_store::Store, api: &Api, id: &str) -> String {
    api.runtime.block_on(store.spec_task(id.parse().unwrap())).unwrap().handle()
}

#[test]
fn a_server_killed_mid_batch_loses_and_duplicates_nothing_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = data_dir(dir.path(), 0.05);
    let server = Server::start(&data, None);
    let (id, handle) = create_task(&server, &repo);
    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let sessions = work_sessions(&api.runtime, &store, &id, 4);

    // Four sessions record as fast as they can while batches commit every 50 ms; the server is
    // killed (SIGKILL) in the middle, once each has had a few entries answered (counted, not
    // timed: under load the first answers can take seconds). Only answered entries count as
    // acknowledged.
    let answered: Arc<Vec<AtomicUsize>> = Arc::new(sessions.iter().map(|_| AtomicUsize::new(0)).collect());
    let acknowledged: Vec<Vec<String>> = api.runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (s, session) in sessions.iter().enumerate() {
            let (http, base, session) = (api.http.clone(), api.base.clone(), session.clone());
            let answered = answered.clone();
            set.spawn(async move {
                let mut acked = Vec::new();
                for e in 0.. {
                    let content = format!("<s{s}:e{e}>");
                    let request = http
                        .post(format!("{base}/work-sessions/{session}/record-history"))
                        .json(&json!({ "file": "activity_log", "content": content }))
                        .send()
                        .await;
                    match request {
                        Ok(r) if r.status().as_u16() == 201 => {
                            acked.push(content);
                            answered[s].fetch_add(1, Ordering::Relaxed);
                        }
                        _ => break,
                    }
                }
                (s, acked)
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while answered.iter().any(|n| n.load(Ordering::Relaxed) <= 3) {
            assert!(Instant::now() < deadline, "the sessions' entries were not answered: {answered:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill();
        let mut acked = vec![Vec::new(); sessions.len()];
        while let Some(done) = set.join_next().await {
            let (s, list) = done.unwrap();
            acked[s] = list;
        }
        acked
    });
    assert!(acknowledged.iter().all(|a| a.len() > 3), "every session recorded before the kill");

    let server = Server::start(&data, None);
    let api = Api::new(&server.url);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (status, forced): (u16, Value) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
        if status == 200 && forced["pending"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "history stayed pending: {status} {forced}");
        std::thread::sleep(Duration::from_millis(200));
    }
    for (s, session) in sessions.iter().enumerate() {
        let text = branch_file(&repo, &format!("sessions/{handle}/{session}/activity-log.md"));
        assert_once_in_order(&text, &acknowledged[s]);
        let recorded: HashSet<&str> = text.lines().filter(|l| l.starts_with("<s")).collect();
        let (_, history) = api.get(&format!("/work-sessions/{session}/history"));
        assert_eq!(
            recorded.len(),
            history["entries"].as_array().unwrap().len(),
            "git holds what the database holds"
        );
    }
    // Checked once nothing writes to it: fsck reads refs and objects while a commit may add them.
    server.stop();
    assert_fsck_clean(&repo);
}

/// A person double-clicks "commit progress" (or two people click at once): every request is
/// answered, none with an error a retry would not clear, and each entry lands in git once.
#[test]
fn commit_progress_asked_several_times_at_once_commits_each_entry_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    // A window no test reaches: only the requests commit.
    let data = data_dir(dir.path(), 600.0);
    let server = Server::start(&data, None);
    let (id, handle) = create_task(&server, &repo);
    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let sessions = work_sessions(&api.runtime, &store, &id, 3);
    let mut recorded = vec![Vec::new(); sessions.len()];
    for (s, session) in sessions.iter().enumerate() {
        for e in 0..5 {
            let content = format!("<s{s}:e{e}>");
            let body = json!({ "file": "activity_log", "content": content });
            let (status, answer) = api.post(&format!("/work-sessions/{session}/record-history"), Some(body));
            assert_eq!(status, 201, "{answer}");
            recorded[s].push(content);
        }
    }

    let answers: Vec<(u16, Value)> = api.runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (http, base) = (api.http.clone(), api.base.clone());
            let path = format!("/spec-tasks/{id}/commit-progress");
            set.spawn(async move { call(&http, &base, reqwest::Method::POST, &path, None).await });
        }
        let mut answers = Vec::new();
        while let Some(answer) = set.join_next().await {
            answers.push(answer.unwrap());
        }
        answers
    });
    for (status, answer) in &answers {
        let busy = *status == 503 && answer["code"] == "busy";
        assert!(*status == 200 || busy, "every click is answered, at worst 'try again': {answers:?}");
    }
    assert!(answers.iter().any(|(status, _)| *status == 200), "{answers:?}");
    let (status, last) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
    assert_eq!((status, &last["pending"]), (200, &json!(0)), "{last}");
    for (s, session) in sessions.iter().enumerate() {
        let text = branch_file(&repo, &format!("sessions/{handle}/{session}/activity-log.md"));
        assert_once_in_order(&text, &recorded[s]);
    }
    let log = git(&repo, &["log", "--format=%s", "--grep=History-Seq:", "helix-design-docs"]);
    assert_eq!(log.lines().count(), 1, "the entries are one commit, not one per click: {log}\n{answers:?}");
    server.stop();
    assert_fsck_clean(&repo);
}

#[test]
fn the_time_window_commits_history_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = data_dir(dir.path(), 0.2);
    let server = Server::start(&data, None);
    let (id, handle) = create_task(&server, &repo);
    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let session = work_sessions(&api.runtime, &store, &id, 1).remove(0);
    for content in ["first", "second", "third"] {
        let body = json!({ "file": "conversation", "content": content });
        let (status, answer) = api.post(&format!("/work-sessions/{session}/record-history"), Some(body));
        assert_eq!(status, 201, "{answer}");
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, history) = api.get(&format!("/work-sessions/{session}/history"));
        if history["entries"].as_array().unwrap().iter().all(|e| e["committed"] == true) {
            break;
        }
        assert!(Instant::now() < deadline, "the window never closed: {history}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = branch_file(&repo, &format!("sessions/{handle}/{session}/conversation.md"));
    assert_once_in_order(&text, &["first".to_owned(), "second".to_owned(), "third".to_owned()]);
    assert!(
        git(&repo, &["log", "--format=%s", "helix-design-docs"]).contains(&format!("history({handle}): "))
    );
    // Checked once nothing writes to it: fsck reads refs and objects while a commit may add them.
    server.stop();
    assert_fsck_clean(&repo);
}
