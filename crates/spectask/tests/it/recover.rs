//! `spectask recover`: run a scenario, snapshot the API's answers, delete the database, recover it
//! from the design-docs branch, and compare.

use std::path::Path;

use serde_json::{Value, json};
use spectask_core::CoordinationKind;
use spectask_store::NewCoordination;

use crate::fake_llm::{FakeLlm, spec_answer};
use crate::http::{Api, assert_fsck_clean, open_store, work_sessions};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, planner_data, spectask, stderr};

/// Everything the API answers about `tasks` and `sessions`.
fn snapshot(api: &Api, tasks: &[String], sessions: &[String]) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("list".into(), api.get("/spec-tasks").1);
    let repos = api.get("/repos").1;
    let policies: Vec<Value> =
        repos.as_array().unwrap().iter().map(|r| json!([r["path"], r["merge_policy"]])).collect();
    out.insert("repos".into(), Value::from(policies));
    for id in tasks {
        out.insert(format!("{id}/show"), api.get(&format!("/spec-tasks/{id}")).1);
        out.insert(format!("{id}/reviews"), api.get(&format!("/spec-tasks/{id}/reviews")).1);
        out.insert(format!("{id}/coordination"), api.get(&format!("/spec-tasks/{id}/coordination-log")).1);
        let versions = api.get(&format!("/spec-tasks/{id}/spec-versions")).1;
        for v in versions.as_array().unwrap() {
            for doc in ["requirements", "design", "tasks"] {
                let path = format!("/spec-tasks/{id}/documents/{doc}?version={}", v["version"]);
                out.insert(path.clone(), api.get(&path).1);
            }
        }
        out.insert(format!("{id}/versions"), versions);
    }
    for session in sessions {
        out.insert(format!("{session}/history"), api.get(&format!("/work-sessions/{session}/history")).1);
    }
    Value::Object(out)
}

/// `spectask recover` into the data dir's SQLite database, or into `database_url`.
fn recover(repo: &Path, data: &Path, database_url: Option<&str>) -> std::process::Output {
    let mut cmd = spectask();
    cmd.args(["recover", "--json", "--repo"]).arg(repo);
    match database_url {
        Some(url) => cmd.args(["--database-url", url]),
        None => cmd.arg("--data-dir").arg(data),
    };
    cmd.output().unwrap()
}

#[test]
fn recovering_from_the_design_docs_branch_gives_back_the_same_answers() {
    round_trip(None);
}

#[test]
fn recovering_into_postgres_gives_back_the_same_answers() {
    let url = crate::support::postgres_url();
    round_trip(Some(url));
}

/// The scenario runs on SQLite; its database is deleted and the branch recovered into `target`
/// (a fresh PostgreSQL schema) or, without one, into the same data dir.
fn round_trip(target: Option<String>) {
    let llm = FakeLlm::start(vec![spec_answer("a one"), spec_answer("b one"), spec_answer("a two")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = planner_data(dir.path(), &llm.base_url, "history_window_seconds = 0.2\n");
    let server = Server::start(&data, None);
    let added = spectask()
        .args(["repo", "--server", &server.url, "add", "--merge-policy", "keep_branch"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let create = |title: &str| {
        let task = server.task_json(&["create", "--repo", repo.to_str().unwrap(), title, "--json"]);
        task["id"].as_str().unwrap().to_owned()
    };
    let a = create("Add login");
    wait_for_status(&server, &a, "spec_review");
    let b = create("Add logout");
    wait_for_status(&server, &b, "spec_review");
    let changes =
        server.task(&["request-changes", &a, "--comment", "expire tokens", "--line", "design:3:say how"]);
    assert!(changes.status.success(), "{}", stderr(&changes));
    let task = wait_for_status(&server, &a, "spec_review");
    assert_eq!(task["spec_version"], 2);
    let rejected = server.task(&["reject", &b, "--comment", "not now"]);
    assert!(rejected.status.success(), "{}", stderr(&rejected));

    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let sessions = work_sessions(&api.runtime, &store, &a, 2);
    for (i, session) in sessions.iter().enumerate() {
        for (file, content) in
            [("conversation", "asked"), ("decisions", "chose jwt"), ("conversation", "answered\n")]
        {
            let body = json!({ "file": file, "content": format!("{content} {i}") });
            let (status, answer) = api.post(&format!("/work-sessions/{session}/record-history"), Some(body));
            assert_eq!(status, 201, "{answer}");
        }
    }
    let coordination = NewCoordination {
        spec_task_id: a.parse().unwrap(),
        kind: CoordinationKind::Handoff,
        from_session: Some(sessions[0].parse().unwrap()),
        to_session: Some(sessions[1].parse().unwrap()),
        message: "session 0 hands the model to session 1".into(),
        data: json!({ "files": ["src/user.js"] }),
    };
    // Two processes write this SQLite file: an upgrade to a write lock may meet SQLITE_BUSY.
    let mut attempts = 0;
    while let Err(err) = api.runtime.block_on(store.record_coordination(coordination.clone())) {
        attempts += 1;
        assert!(attempts < 50, "{err}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    api.runtime.block_on(store.close());
    for id in [&a, &b] {
        let (status, answer) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
        assert_eq!(status, 200, "{answer}");
    }
    let tasks = vec![a.clone(), b.clone()];
    let before = snapshot(&api, &tasks, &sessions);
    assert_eq!(before["list"]["total"], 2);
    assert_eq!(before[format!("{a}/coordination")].as_array().unwrap().len(), 1, "{before}");
    assert_eq!(before["repos"][0][1], "keep_branch");
    assert_eq!(before[format!("{a}/show")]["status"], "spec_review");
    assert_eq!(before[format!("{b}/show")]["status"], "rejected");
    assert_eq!(before[format!("{a}/reviews")].as_array().unwrap().len(), 1);
    let history = &before[format!("{}/history", sessions[0])];
    assert_eq!(history["entries"].as_array().unwrap().len(), 3, "{history}");
    assert!(history["entries"].as_array().unwrap().iter().all(|e| e["committed"] == true), "{history}");
    server.stop();

    for name in ["spectask.db", "spectask.db-wal", "spectask.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    let recovered = recover(&repo, &data, target.as_deref());
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    let report: Value = serde_json::from_slice(&recovered.stdout).unwrap();
    assert_eq!(report["tasks"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(
        (report["spec_versions"].clone(), report["reviews"].clone()),
        (json!(3), json!(2)),
        "{report}"
    );
    assert_eq!((report["work_sessions"].clone(), report["history_entries"].clone()), (json!(2), json!(7)));
    assert_eq!(report["coordination_events"], 1, "{report}");

    let server = Server::start(&data, target.as_deref());
    let api = Api::new(&server.url);
    let after = snapshot(&api, &tasks, &sessions);
    assert_eq!(after, before);
    server.stop();

    let again = recover(&repo, &data, target.as_deref());
    assert!(!again.status.success());
    assert!(stderr(&again).contains("is not empty"), "{}", stderr(&again));
    assert_fsck_clean(&repo);
}

/// A bugfix task's first document is `bugfix.md` in its mirrored versions too, and is recovered
/// from there.
#[test]
fn a_bugfix_spec_is_mirrored_and_recovered_as_bugfix_md() {
    use crate::workflows::{TEST_FIRST, answer};
    let llm = FakeLlm::start(vec![answer(TEST_FIRST)]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = planner_data(dir.path(), &llm.base_url, "");
    let server = Server::start(&data, None);
    let path = repo.to_str().unwrap();
    let created =
        server.task_json(&["create", "--repo", path, "--workflow", "bugfix", "Fix tokens", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for_status(&server, &id, "spec_review");
    let api = Api::new(&server.url);
    let (status, answer) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
    assert_eq!(status, 200, "{answer}");
    let versions = format!("specs/{}/versions/1", task["handle"].as_str().unwrap());
    let files = crate::implementation::git(
        &repo,
        &["ls-tree", "--name-only", "helix-design-docs", &format!("{versions}/")],
    );
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [format!("{versions}/bugfix.md"), format!("{versions}/design.md"), format!("{versions}/tasks.md")],
        "{files}"
    );
    let tasks = vec![id];
    let before = snapshot(&api, &tasks, &[]);
    server.stop();

    for name in ["spectask.db", "spectask.db-wal", "spectask.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    let recovered = recover(&repo, &data, None);
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    let server = Server::start(&data, None);
    let after = snapshot(&Api::new(&server.url), &tasks, &[]);
    assert!(after.to_string().contains("Expired tokens are accepted."), "{after:#}");
    assert_eq!(after, before);
    server.stop();
}

/// A task whose state was mirrored while two of its sessions ran is recovered after `kill -9` and
/// the loss of its database: once a server runs it goes on by itself to review, with every plan
/// task's file on its branch, and nobody has to retry it.
#[test]
fn a_task_recovered_mid_implementation_goes_on_by_itself() {
    use crate::crash_restart::{SLOW_CODER, create_and_approve, setup, wait_for, wait_mid_session};
    let llm = FakeLlm::start(vec![crate::fake_llm::three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, _script) = setup(dir.path(), &llm, SLOW_CODER, "");
    let server = Server::start_node(&data, None, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    wait_mid_session(&server, &id);
    let api = Api::new(&server.url);
    let (status, answer) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
    assert_eq!(status, 200, "{answer}");
    server.kill9();
    for name in ["spectask.db", "spectask.db-wal", "spectask.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    let recovered = recover(&repo, &data, None);
    assert!(recovered.status.success(), "{}", stderr(&recovered));

    let server = Server::start_node(&data, None, "node-1");
    wait_for(&server, &id, "implementation_review", std::time::Duration::from_secs(90));
    let files =
        crate::implementation::git(&repo, &["ls-tree", "-r", "--name-only", &format!("spectask/{handle}")]);
    for file in ["src/user.js", "src/login.js", "src/app.js"] {
        assert!(files.lines().any(|l| l == file), "{file} is on the task branch:\n{files}");
    }
    server.stop();
    assert_fsck_clean(&repo);
}
