//! A task's worktree path on the task, and its files on the design-docs branch
//! (`GET /spec-tasks/{id}/design-docs/files`), each read at one commit.

use axum::http::StatusCode;
use serde_json::json;
use spectask_git::{
    DesignDocsCommit, FileWrite, Repo, SpecFile, TaskHandle, coordination_log_path, spec_path,
};

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(
    the_worktree_and_the_design_docs_files_are_shown,
    design_docs_on_sqlite,
    design_docs_on_postgres
);

async fn the_worktree_and_the_design_docs_files_are_shown(fx: Fixture) {
    let (repo_path, task) = fx.login_task().await;
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["worktree_path"], json!(null), "no worktree before the work starts: {task}");
    let url = format!("/api/v1/spec-tasks/{id}/design-docs/files");
    let (status, empty) = fx.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!((&empty["branch"], &empty["files"]), (&json!("helix-design-docs"), &json!([])), "{empty}");

    let repo = Repo::open(std::path::Path::new(&repo_path)).unwrap();
    let handle = TaskHandle::new(task["handle"].as_str().unwrap()).unwrap();
    let worktree = repo.ensure_task_worktree(&handle).unwrap().path;
    let (_, shown) = fx.call("GET", &format!("/api/v1/spec-tasks/{id}"), None).await;
    assert_eq!(shown["worktree_path"], json!(worktree.display().to_string()));
    let (_, listed) = fx.call("GET", "/api/v1/spec-tasks", None).await;
    assert_eq!(listed["items"][0]["worktree_path"], shown["worktree_path"], "{listed}");

    let big = "x".repeat(300 * 1024);
    let commit = repo
        .commit_design_docs(&DesignDocsCommit {
            message: "spec".into(),
            trailers: Vec::new(),
            writes: vec![
                FileWrite::put(spec_path(&handle, SpecFile::Requirements), "# Requirements\n"),
                FileWrite::put(spec_path(&handle, SpecFile::Tasks), "- [ ] 1. Do it\n"),
                FileWrite::put(coordination_log_path(&handle), "- started\n"),
                FileWrite::put(format!("sessions/{handle}/big.log"), big.clone()),
                FileWrite::put("specs/other-task/requirements.md", "not this task's"),
            ],
        })
        .unwrap();
    let (status, docs) = fx.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{docs}");
    assert_eq!(docs["commit"], json!(commit.to_string()));
    let files: Vec<_> =
        docs["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        files,
        [
            spec_path(&handle, SpecFile::Requirements),
            spec_path(&handle, SpecFile::Tasks),
            format!("sessions/{handle}/big.log"),
            coordination_log_path(&handle),
        ],
        "{docs}"
    );
    assert_eq!(docs["files"][0]["content"], "# Requirements\n");
    assert_eq!((&docs["files"][2]["bytes"], &docs["files"][2]["content"]), (&json!(big.len()), &json!(null)));
}
