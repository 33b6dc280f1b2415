//! Repository registration through the CLI and API: idempotent, visible to git, full registration on
//! a task's first use, rewrite detection; a task's design docs and their download.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, spec_answer};
use crate::http::{Api, assert_fsck_clean, git, open_store, work_sessions};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, json, planner_data, spectask, stderr, stdout};

fn repo_cmd(server: &Server, args: &[&str]) -> Output {
    spectask().arg("repo").arg("--server").arg(&server.url).args(args).output().unwrap()
}

#[test]
fn registering_twice_is_harmless_and_git_shows_the_design_docs_branch_and_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&dir.path().join("data"), None);
    let first = json(&repo_cmd(&server, &["add", repo.to_str().unwrap(), "--json"]));
    assert_eq!(
        (first["branch_created"].clone(), first["worktree_created"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(first["design_docs"]["state"], "healthy", "{first}");
    assert_eq!(first["default_branch"], "main");
    assert!(first["attention"].is_null());
    let second = json(&repo_cmd(&server, &["add", repo.to_str().unwrap(), "--json"]));
    assert_eq!(
        (second["branch_created"].clone(), second["worktree_created"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(second["id"], first["id"], "one record per repository");

    let worktree = repo.canonicalize().unwrap().join(".git-worktrees/helix-design-docs");
    assert_eq!(first["design_docs_worktree"], worktree.display().to_string());
    let worktrees = git(&repo, &["worktree", "list"]);
    assert!(
        worktrees.contains(&worktree.display().to_string()) && worktrees.contains("[helix-design-docs]"),
        "{worktrees}"
    );
    assert!(git(&repo, &["branch", "--list"]).contains("helix-design-docs"));
    assert!(git(&repo, &["status", "--porcelain"]).is_empty(), "the worktrees directory is excluded");
    let list = json(&repo_cmd(&server, &["list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let table = repo_cmd(&server, &["list"]);
    assert!(table.status.success() && stdout(&table).contains("helix-design-docs"), "{}", stdout(&table));
    assert_fsck_clean(&repo);
}

#[test]
fn a_task_registers_its_repository_fully_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&dir.path().join("data"), None);
    let task = server.task(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    assert!(task.status.success(), "{}", stderr(&task));
    assert!(git(&repo, &["branch", "--list"]).contains("helix-design-docs"));
    assert!(git(&repo, &["worktree", "list"]).contains(".git-worktrees/helix-design-docs"));
    let list = json(&repo_cmd(&server, &["list", "--json"]));
    assert_eq!(list[0]["design_docs"]["state"], "healthy", "{list}");
}

#[test]
fn a_rewritten_design_docs_branch_needs_attention_in_the_api_and_cli() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = dir.path().join("data");
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap();
    // Someone rewrites the design-docs branch: its tip no longer descends from spectask's last write.
    let worktree = repo.join(".git-worktrees/helix-design-docs");
    git(
        &worktree,
        &[
            "-c",
            "user.name=x",
            "-c",
            "user.email=x@example.com",
            "commit",
            "-q",
            "--amend",
            "-m",
            "rewritten",
        ],
    );

    let listed = repo_cmd(&server, &["list", "--json"]);
    assert_eq!(listed.status.code(), Some(2), "needing attention exits 2");
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(list[0]["design_docs"]["state"], "rewritten", "{list}");
    let attention = list[0]["attention"].as_str().unwrap();
    assert!(attention.contains("helix-design-docs was rewritten"), "{attention}");
    let table = repo_cmd(&server, &["list"]);
    assert!(stdout(&table).contains("NEEDS ATTENTION (rewritten)"), "{}", stdout(&table));
    assert!(stderr(&table).contains("was rewritten"), "{}", stderr(&table));

    // History waits instead of being written over the rewritten branch.
    let api = Api::new(&server.url);
    let store = open_store(&api.runtime, &data);
    let session = work_sessions(&api.runtime, &store, id, 1).remove(0);
    let (status, _) = api.post(
        &format!("/work-sessions/{session}/record-history"),
        Some(json!({ "file": "decisions", "content": "kept safe" })),
    );
    assert_eq!(status, 201);
    let (status, answer) = api.post(&format!("/spec-tasks/{id}/commit-progress"), None);
    assert_eq!((status, answer["error"]["code"].clone()), (409, json!("needs_attention")), "{answer}");
    assert!(!git(&repo, &["log", "--format=%s", "helix-design-docs"]).contains("history("));
    assert_fsck_clean(&repo);
}

#[test]
fn design_docs_and_the_documents_download_come_from_the_design_docs_branch() {
    let llm = FakeLlm::start(vec![spec_answer("the only draft")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = planner_data(dir.path(), &llm.base_url, "");
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let api = Api::new(&server.url);
    let (status, answer) = api.get("/spec-tasks/00000000-0000-7000-8000-000000000000/download-documents");
    assert_eq!(status, 404, "{answer}");
    wait_for_status(&server, &id, "spec_review");
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    let handle = created["handle"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !git(&repo, &["ls-tree", "-r", "--name-only", "helix-design-docs"]).contains("progress.md") {
        assert!(std::time::Instant::now() < deadline, "the spec was never handed off");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let (status, docs) = api.get(&format!("/spec-tasks/{id}/design-docs"));
    assert_eq!(status, 200, "{docs}");
    assert!(docs["design_md"].as_str().unwrap().contains("the only draft"), "{docs}");
    let progress = docs["progress_md"].as_str().unwrap();
    assert!(progress.contains("Add the user model"), "{progress}");
    assert!(docs["current_task_index"].is_u64() || progress.matches("[x]").count() == 2, "{docs}");

    let (status, headers, bytes) = api.get_bytes(&format!("/spec-tasks/{id}/download-documents"));
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/gzip");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.contains(&format!("{handle}-specs.tar.gz")), "{disposition}");
    let archive = dir.path().join("specs.tar.gz");
    std::fs::write(&archive, bytes).unwrap();
    let listing = Command::new("tar").arg("-tzf").arg(&archive).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    for name in ["requirements.md", "design.md", "tasks.md", "progress.md", "spec-metadata.json"] {
        assert!(listing.contains(&format!("specs/{handle}/{name}")), "{name} missing in\n{listing}");
    }
    assert_fsck_clean(Path::new(&repo));
}
