//! `GET /spec-tasks/{id}/implementation-review`: the branch's diff and commits against its base,
//! each criterion with the plan tasks, sessions and commits implementing it, and the checks.

use axum::http::StatusCode;
use serde_json::{Value, json};
use spectask_core::events::payload::WorkSessionCheck;
use spectask_core::{Complexity, PlanTaskRef};
use spectask_git::{Repo, TaskHandle, WorkSessionCommit};
use spectask_store::NewWorkSession;

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(the_review_has_diff_commits_criteria_and_checks, review_on_sqlite, review_on_postgres);
on_both_backends!(
    a_simple_tasks_one_session_implements_every_planned_criterion,
    simple_review_on_sqlite,
    simple_review_on_postgres
);

/// A simple task's one session implements the whole plan: every criterion a plan task names lists
/// it (and so its checks), though it has no plan task of its own.
async fn a_simple_tasks_one_session_implements_every_planned_criterion(fx: Fixture) {
    let body = json!({ "prompt": "Add a login", "repo": fx.repo("app"), "complexity": "simple" });
    let (status, task) = fx.call("POST", "/api/v1/spec-tasks/from-prompt", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    let task_id = fx.submit_login_spec(&task["id"]).await.id;
    let whole = NewWorkSession::implementation(task_id, Complexity::WHOLE_PLAN_SESSION, "");
    let whole = fx.store().create_work_session(whole).await.unwrap();
    let payload = json!({ "command": "npm test", "passed": true, "exit_code": 0, "signal": null,
        "timed_out": false, "output": "", "truncated": false, "round": 1, "rounds": 4, "outcome": "passed" });
    fx.store()
        .publish_event(
            Some(task_id),
            Some(whole.id),
            &serde_json::from_value::<WorkSessionCheck>(payload).unwrap(),
        )
        .await
        .unwrap();

    let url = format!("/api/v1/spec-tasks/{task_id}/implementation-review");
    let (status, review) = fx.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let criteria = review["criteria"].as_array().unwrap();
    let sessions_of = |i: usize| (&criteria[i]["id"], &criteria[i]["work_session_ids"]);
    assert_eq!(sessions_of(0), (&json!("1.1"), &json!([whole.id])), "{review}");
    assert_eq!(sessions_of(1), (&json!("1.2"), &json!([])), "no plan task names 1.2: {review}");
}

async fn the_review_has_diff_commits_criteria_and_checks(fx: Fixture) {
    let (repo_path, task) = fx.login_task().await;
    let id = task["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/spec-tasks/{id}/implementation-review");
    let (status, review) = fx.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(
        (&review["head_commit"], &review["files"], &review["criteria"]),
        (&Value::Null, &json!([]), &json!([]))
    );
    assert_eq!(review["base_branch"], "main", "{review}");

    let task_id = fx.submit_login_spec(&task["id"]).await.id;
    let mut form = NewWorkSession::implementation(task_id, "Build the login form", "");
    form.plan_task = Some(PlanTaskRef {
        index: 0,
        id: Some("1".into()),
        title: "Build the login form".into(),
        description: String::new(),
    });
    let form = fx.store().create_work_session(form).await.unwrap();
    let other =
        fx.store().create_work_session(NewWorkSession::implementation(task_id, "Tidy up", "")).await.unwrap();

    // The sessions' commits on the task branch, as the orchestrator makes them.
    let repo = Repo::open(std::path::Path::new(&repo_path)).unwrap();
    let handle = TaskHandle::new(fx.task(&task["id"]).await.handle()).unwrap();
    let worktree = repo.ensure_task_worktree(&handle).unwrap().path;
    let commit = |session: String, implements: Vec<String>, file: &str, text: &str| {
        std::fs::write(worktree.join(file), text).unwrap();
        let commit = WorkSessionCommit {
            message: format!("{handle}: {file}"),
            spec_task: id.clone(),
            work_session: session,
            implements,
            paths: None,
            siblings_paths: Vec::new(),
        };
        repo.commit_work_session(&handle, &commit).unwrap().unwrap().commit.to_string()
    };
    let login = commit(form.id.to_string(), vec!["1.1".into()], "login.js", "export function login() {}\n");
    let tidy = commit(other.id.to_string(), Vec::new(), "README.md", "# app\n\nWith a login.\n");
    for (outcome, passed, exit) in [("sent_back", false, 1), ("passed", true, 0)] {
        let payload = json!({ "command": "npm test", "passed": passed, "exit_code": exit, "signal": null,
            "timed_out": false, "output": format!("exit {exit}"), "truncated": false, "round": 1, "rounds": 4,
            "outcome": outcome });
        fx.store()
            .publish_event(
                Some(task_id),
                Some(form.id),
                &serde_json::from_value::<WorkSessionCheck>(payload).unwrap(),
            )
            .await
            .unwrap();
    }

    let (status, review) = fx.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["branch"], format!("spectask/{handle}"));
    assert_eq!(review["merged"], false);
    let commits = review["commits"].as_array().unwrap();
    assert_eq!(
        commits.iter().map(|c| c["id"].as_str().unwrap()).collect::<Vec<_>>(),
        [login.as_str(), tidy.as_str()]
    );
    assert_eq!(
        (&commits[0]["work_session_id"], &commits[0]["implements"]),
        (&json!(form.id), &json!(["1.1"]))
    );
    assert!(
        commits[0]["trailers"].as_array().unwrap().contains(&json!({ "key": "Spec-Task", "value": id })),
        "{review}"
    );
    let files: Vec<_> = review["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].clone(), f["change"].clone()))
        .collect();
    assert_eq!(
        files,
        [(json!("README.md"), json!("added")), (json!("login.js"), json!("added"))],
        "{review}"
    );
    let added = &review["files"][1]["hunks"][0]["lines"][0];
    assert_eq!(
        added,
        &json!({ "kind": "added", "old_line": null, "new_line": 1, "text": "export function login() {}" })
    );

    let criteria = review["criteria"].as_array().unwrap();
    assert_eq!(criteria.len(), 2, "{review}");
    assert_eq!(
        (
            &criteria[0]["id"],
            &criteria[0]["plan_tasks"][0]["title"],
            &criteria[0]["work_session_ids"],
            &criteria[0]["commits"]
        ),
        (&json!("1.1"), &json!("Build the login form"), &json!([form.id]), &json!([login])),
        "{review}"
    );
    assert_eq!(
        (&criteria[1]["id"], &criteria[1]["plan_tasks"], &criteria[1]["commits"]),
        (&json!("1.2"), &json!([]), &json!([]))
    );
    let sessions = review["sessions"].as_array().unwrap();
    let form_view = sessions.iter().find(|s| s["id"] == json!(form.id)).unwrap();
    assert_eq!(form_view["commits"], json!([login]));
    let checks: Vec<_> = form_view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["outcome"].clone(), c["passed"].clone()))
        .collect();
    assert_eq!(checks, [(json!("sent_back"), json!(false)), (json!("passed"), json!(true))]);
    assert_eq!(form_view["checks"][0]["exit_code"], 1);
    assert!(review["summary"].as_str().unwrap().contains("## Work sessions"), "{review}");

    // Merged, the review still shows the task's own work.
    repo.merge_task(&handle, &id).unwrap();
    let (_, merged) = fx.call("GET", &url, None).await;
    assert_eq!((&merged["merged"], &merged["files"]), (&json!(true), &review["files"]), "{merged}");
}
