//! The per-repository merge policy: `keep_branch` leaves the task branch for a pull request.

use crate::implementation::{git, sessions};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, json, scripted_coder_data, stderr};

#[test]
fn keep_branch_leaves_the_default_branch_alone_and_keeps_the_task_branch() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let script = "[[rule]]\nmatch = \"*Your task: Add a changelog*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\" } },\n  { message = \"Added CHANGELOG.md.\" },\n]\n";
    let data = scripted_coder_data(dir.path(), script);
    let server = Server::start(&data, None);
    let added =
        server.task_like(&["repo", "add", repo.to_str().unwrap(), "--merge-policy", "keep_branch", "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(json(&added)["merge_policy"], "keep_branch");

    let main_before = git(&repo, &["rev-parse", "main"]);
    let created = json(&server.task(&[
        "create",
        "--repo",
        repo.to_str().unwrap(),
        "--kind",
        "coding_session",
        "Add a changelog",
        "--json",
    ]));
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for_status(&server, &id, "implementation_review");
    assert_eq!(sessions(&server, &id).len(), 1, "a coding session has exactly one work session");
    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(&server, &id, "done");
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert_eq!(git(&repo, &["rev-parse", "main"]), main_before, "main is untouched");
    assert!(git(&repo, &["ls-tree", "-r", "--name-only", &branch]).contains("CHANGELOG.md"));
    server.stop();
}
