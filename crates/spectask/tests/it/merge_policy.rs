//! The merge at the end of a task: the per-repository merge policy (`keep_branch` leaves the task
//! branch for a pull request), and a merge refused for good, shown on the task until it is retried.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::implementation::{git, sessions, wait_for_state, wait_until};
use crate::planning::wait_for_status;
use crate::support::{
    CoderConfig, Server, coder_data, git_repo, http_json, json, postgres_url, scripted_coder_data, stderr,
};

const CHANGELOG_SCRIPT: &str = "[[rule]]\nmatch = \"*Your task: Add a changelog*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\" } },\n  { message = \"Added CHANGELOG.md.\" },\n]\n";

/// Creates the coding-session task whose agent adds `CHANGELOG.md` to `repo`; returns its id.
fn add_a_changelog(server: &Server, repo: &Path) -> String {
    let created = server.task(&[
        "create",
        "--repo",
        repo.to_str().unwrap(),
        "--kind",
        "coding_session",
        "Add a changelog",
        "--json",
    ]);
    json(&created)["id"].as_str().unwrap().to_owned()
}

#[test]
fn keep_branch_leaves_the_default_branch_alone_and_keeps_the_task_branch() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), CHANGELOG_SCRIPT);
    let server = Server::start(&data, None);
    let added =
        server.task_like(&["repo", "add", repo.to_str().unwrap(), "--merge-policy", "keep_branch", "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(json(&added)["merge_policy"], "keep_branch");

    let main_before = git(&repo, &["rev-parse", "main"]);
    let id = add_a_changelog(&server, &repo);
    let task = wait_for_status(&server, &id, "implementation_review");
    assert_eq!(sessions(&server, &id).len(), 1, "a coding session has exactly one work session");
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for_status(&server, &id, "done");
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert_eq!(git(&repo, &["rev-parse", "main"]), main_before, "main is untouched");
    assert!(git(&repo, &["ls-tree", "-r", "--name-only", &branch]).contains("CHANGELOG.md"));
    // The task ended: its worktree is removed, its branch kept.
    let worktree = Path::new(task["worktree_path"].as_str().unwrap()).to_path_buf();
    // Its folder goes first, then git's record of it: wait for both.
    let handle = task["handle"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while worktree.exists() || git(&repo, &["worktree", "list"]).contains(handle) {
        assert!(
            Instant::now() < deadline,
            "the worktree of a done task stays: {}",
            git(&repo, &["worktree", "list"])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!git(&repo, &["rev-parse", &branch]).is_empty(), "the branch is kept");
    server.stop();
}

#[test]
fn a_merge_refused_for_good_fails_the_done_task_until_its_retry_merges() {
    merge_refused_then_retried(None);
}

#[test]
fn a_merge_refused_for_good_fails_the_done_task_until_its_retry_merges_on_postgres() {
    merge_refused_then_retried(Some(&postgres_url()));
}

/// A person's file in the main checkout where the merge writes one makes the merge refuse, attempt
/// after attempt: the done task becomes failed with the reason naming the file (and main is left
/// alone); once the person moves the file away, `task retry` merges it and the task is done again.
fn merge_refused_then_retried(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    std::fs::write(repo.join("README.md"), "# app\n").unwrap();
    git(&repo, &["add", "README.md"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "readme"]);
    let config = CoderConfig {
        orchestrator: "max_attempts = 2\nbackoff_initial_seconds = 0.05\n",
        ..CoderConfig::default()
    };
    let (data, _) = coder_data(dir.path(), CHANGELOG_SCRIPT, &config);
    let server = Server::start(&data, database_url);
    let id = add_a_changelog(&server, &repo);
    wait_for_status(&server, &id, "implementation_review");
    let main_before = git(&repo, &["rev-parse", "main"]);
    std::fs::write(repo.join("CHANGELOG.md"), "a person's own changelog\n").unwrap();

    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    let failed = wait_for_status(&server, &id, "failed");
    assert_eq!(failed["failure"]["from"], "done", "{failed}");
    let reason = failed["failure"]["reason"].as_str().unwrap();
    assert!(reason.contains("local changes") && reason.contains("CHANGELOG.md"), "{failed}");
    assert_eq!(git(&repo, &["rev-parse", "main"]), main_before, "main did not move");
    assert_eq!(std::fs::read_to_string(repo.join("CHANGELOG.md")).unwrap(), "a person's own changelog\n");
    std::fs::remove_file(repo.join("CHANGELOG.md")).unwrap();
    let retried = server.task(&["retry", &id]);
    assert!(retried.status.success(), "{}", stderr(&retried));
    wait_for_status(&server, &id, "done");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !git(&repo, &["ls-tree", "--name-only", "main"]).contains("CHANGELOG.md") {
        let task = server.task_json(&["show", &id, "--json"]);
        assert!(Instant::now() < deadline, "the retried merge did not reach main: {task}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(repo.join("CHANGELOG.md")).unwrap(), "# Changes\n");
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    server.stop();
}

/// Told what the reviewer asked, it adds the notes.
const CHANGELOG_THEN_NOTES: &str = "[[rule]]\nmatch = \"*reviewer asked for changes*\"\nsteps = [\n  { write_file = { path = \"NOTES.md\", content = \"notes\\n\" } },\n  { message = \"Added NOTES.md.\" },\n]\n\n[[rule]]\nmatch = \"*Your task: Add a changelog*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\" } },\n  { message = \"Added CHANGELOG.md.\" },\n]\n";

/// When main moved while a task was at work, the task branch takes it in before the (next)
/// review: the reviewer sees the work as it will land, and the merge at approval is a
/// fast-forward.
#[test]
fn main_moved_during_the_task_is_merged_into_its_branch_before_review() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, server, id, task) = changelog_in_review(dir.path(), CHANGELOG_THEN_NOTES);
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    // Someone commits on main while the task waits for review; the reviewer asks for more.
    let theirs = main_moves_and_notes_are_asked(&server, &repo, &id, "theirs.txt", "theirs\n");
    let reviewed = wait_for_status(&server, &id, "implementation_review");
    assert!(reviewed["version"].as_u64() > task["version"].as_u64());
    let contains = |commit: &str| {
        std::process::Command::new("git")
            .args(["merge-base", "--is-ancestor", commit, &branch])
            .current_dir(&repo)
            .status()
            .unwrap()
            .success()
    };
    // The review's summary is made, and main taken in, by the step the review starts with.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !contains(&theirs) {
        let state = server.task_json(&["show", &id, "--json"]);
        assert!(Instant::now() < deadline, "the task branch did not take main in: {state}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &branch]);
    assert!(
        files.contains("theirs.txt") && files.contains("NOTES.md") && files.contains("CHANGELOG.md"),
        "{files}"
    );

    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for_status(&server, &id, "done");
    let deadline = Instant::now() + Duration::from_secs(60);
    while git(&repo, &["rev-parse", "main"]) != git(&repo, &["rev-parse", &branch]) {
        let state = server.task_json(&["show", &id, "--json"]);
        assert!(Instant::now() < deadline, "main was not fast-forwarded to the task branch: {state}");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.stop();
}

/// The agent first leaves markers in (the check refuses that), then resolves the conflict.
const CHANGELOG_NOTES_AND_CONFLICTS: &str = "[[rule]]\nmatch = \"*check `no conflict markers left` failed*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n# Their changes\\n\" } },\n  { message = \"Kept both.\" },\n]\n\n[[rule]]\nmatch = \"*Resolve merge conflicts*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"<<<<<<< HEAD\\n# Changes\\n=======\\n# Their changes\\n>>>>>>> main\\n\" } },\n  { message = \"Looked at it.\" },\n]\n\n[[rule]]\nmatch = \"*reviewer asked for changes*\"\nsteps = [\n  { write_file = { path = \"NOTES.md\", content = \"notes\\n\" } },\n  { message = \"Added NOTES.md.\" },\n]\n\n[[rule]]\nmatch = \"*Your task: Add a changelog*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\" } },\n  { message = \"Added CHANGELOG.md.\" },\n]\n";

/// When main moved and merging it conflicts, the person is not handed the conflict: the task goes
/// back to its agent with a session naming the files, the merge under way in its worktree; markers
/// left behind fail that session's check; the resolution is the merge commit the review shows, and
/// approval fast-forwards main to it.
#[test]
fn a_conflict_with_a_moved_main_goes_back_to_the_agent_which_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, server, id, task) = changelog_in_review(dir.path(), CHANGELOG_NOTES_AND_CONFLICTS);
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    // Someone adds their own changelog on main; the reviewer asks for more.
    let theirs = main_moves_and_notes_are_asked(&server, &repo, &id, "CHANGELOG.md", "# Their changes\n");

    let (_, session) = back_in_review_resolved(&server, &id);
    assert!(session["description"].as_str().unwrap_or_default().contains("`CHANGELOG.md`"), "{session}");
    // The branch holds main and the agent's resolution, as a merge commit.
    let contains_theirs = std::process::Command::new("git")
        .args(["merge-base", "--is-ancestor", &theirs, &branch])
        .current_dir(&repo)
        .status()
        .unwrap()
        .success();
    assert!(contains_theirs, "{}", git(&repo, &["log", "--oneline", "--graph", &branch]));
    let show = |rev: &str| git(&repo, &["show", &format!("{rev}:CHANGELOG.md")]);
    assert_eq!(show(&branch), "# Changes\n# Their changes\n");
    assert!(git(&repo, &["ls-tree", "--name-only", &branch]).contains("NOTES.md"));
    let parents = git(&repo, &["rev-list", "--parents", "-n1", &branch]);
    assert_eq!(parents.split_whitespace().count(), 3, "a merge commit: {parents}");

    approved_lands_resolved(&server, &repo, &id, &branch);
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    // Read once the task is done (the watch ends there).
    let checks: Vec<serde_json::Value> = crate::checks::check_events(&server, &id)
        .into_iter()
        .filter(|e| e["payload"]["command"] == "no conflict markers left")
        .collect();
    let outcomes: Vec<&str> = checks.iter().filter_map(|e| e["payload"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["sent_back"], "markers left behind went back once: {checks:#?}");
    assert!(checks[0]["payload"]["output"].as_str().unwrap().contains("CHANGELOG.md"), "{checks:#?}");

    server.stop();
}

/// When main moves after the review and the approved branch no longer merges cleanly, the task is
/// not failed: it goes back to its agent, which resolves the conflict, and the person reviews the
/// result again before main takes it.
#[test]
fn a_conflict_after_approval_goes_back_to_the_agent_and_to_review_again() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, server, id, task) = changelog_in_review(dir.path(), CHANGELOG_NOTES_AND_CONFLICTS);
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    // Someone adds their own changelog on main while the task waits; the person then approves.
    std::fs::write(repo.join("CHANGELOG.md"), "# Their changes\n").unwrap();
    git(&repo, &["add", "CHANGELOG.md"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "someone's commit"]);
    let theirs = git(&repo, &["rev-parse", "main"]).trim().to_owned();
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));

    let (state, _) = back_in_review_resolved(&server, &id);
    assert!(state["completed_at"].is_null(), "back at work, not completed: {state}");
    // Main was left as its owner made it; the log says why the approval did not land.
    assert_eq!(git(&repo, &["rev-parse", "main"]).trim(), theirs);
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let entry = log.as_array().unwrap().iter().find(|e| e["data"]["step"] == "merge").cloned();
    let entry = entry.unwrap_or_else(|| panic!("no entry for the conflicting merge: {log:#}"));
    let message = entry["message"].as_str().unwrap();
    assert!(message.contains("after the review") && message.contains("CHANGELOG.md"), "{entry}");

    approved_lands_resolved(&server, &repo, &id, &branch);
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    server.stop();
}

/// Approves the task and waits until main is fast-forwarded to its branch, which holds both
/// changelogs as the agent resolved them.
fn approved_lands_resolved(server: &Server, repo: &Path, id: &str, branch: &str) {
    let approved = server.task(&["approve", id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for_status(server, id, "done");
    wait_until("main is fast-forwarded to the task branch", || {
        git(repo, &["rev-parse", "main"]) == git(repo, &["rev-parse", branch])
    });
    assert_eq!(std::fs::read_to_string(repo.join("CHANGELOG.md")).unwrap(), "# Changes\n# Their changes\n");
}

/// Waits until the task is in implementation review again with a completed "Resolve merge
/// conflicts" session: the task and that session.
fn back_in_review_resolved(server: &Server, id: &str) -> (serde_json::Value, serde_json::Value) {
    let resolved =
        |s: &serde_json::Value| s["name"] == "Resolve merge conflicts" && s["status"] == "completed";
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let state = server.task_json(&["show", id, "--json"]);
        let all = sessions(server, id);
        if state["status"] == "implementation_review"
            && let Some(session) = all.iter().find(|s| resolved(s))
        {
            return (state, session.clone());
        }
        assert!(
            state["status"] != "failed" && Instant::now() < deadline,
            "the conflict did not go back to the agent and come back resolved: {state}\n{all:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A repository in `dir` whose coding-session task (agent run by `script`) added a changelog and
/// waits for review, its summary written: the repository, the server, the task's id and the task.
/// Main moves only after that: before it, the review's own integration would meet the move.
fn changelog_in_review(dir: &Path, script: &str) -> (std::path::PathBuf, Server, String, serde_json::Value) {
    let repo = git_repo(dir, "app");
    let data = scripted_coder_data(dir, script);
    let server = Server::start(&data, None);
    let id = add_a_changelog(&server, &repo);
    let task = wait_for_status(&server, &id, "implementation_review");
    wait_for_state("the implementation is summarized for its review", || {
        let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
        let summarized = log.as_array().is_some_and(|l| l.iter().any(|e| e["data"]["step"] == "summarize"));
        if summarized { Ok(()) } else { Err(format!("{log:#}")) }
    });
    (repo, server, id, task)
}

/// Someone commits `file` on main while the task waits for review, then the reviewer asks for
/// notes: main's new tip.
fn main_moves_and_notes_are_asked(
    server: &Server,
    repo: &Path,
    id: &str,
    file: &str,
    contents: &str,
) -> String {
    std::fs::write(repo.join(file), contents).unwrap();
    git(repo, &["add", file]);
    git(repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "someone's commit"]);
    let asked = server.task(&["request-changes", id, "-c", "add notes"]);
    assert!(asked.status.success(), "{}", stderr(&asked));
    git(repo, &["rev-parse", "main"]).trim().to_owned()
}
