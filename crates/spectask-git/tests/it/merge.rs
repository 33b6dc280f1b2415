//! Merging a task branch into the default branch: fast-forward, merge commit, and refusals.

use spectask_git::{GitError, MergeOutcome, Repo, TaskHandle, WorkSessionCommit, parse_trailers};

use crate::support::{assert_fsck_clean, git, registered_repo, status};

fn task_commit(repo: &Repo, task: &TaskHandle, file: &str, contents: &str) {
    let wt = repo.ensure_task_worktree(task).unwrap().path;
    std::fs::write(wt.join(file), contents).unwrap();
    let commit = WorkSessionCommit {
        message: format!("write {file}"),
        spec_task: "st-1".to_owned(),
        work_session: "ws-1".to_owned(),
        implements: vec![],
        paths: None,
    };
    repo.commit_work_session(task, &commit).unwrap().unwrap();
}

#[test]
fn fast_forward_updates_the_main_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();

    let outcome = repo.merge_task(&task, "st-1").unwrap();
    assert_eq!(outcome, MergeOutcome::FastForward { tip: task_tip });
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), task_tip.to_string());
    assert_eq!(std::fs::read_to_string(repo.root().join("login.rs")).unwrap(), "fn login() {}\n");
    assert_eq!(status(repo.root()), "", "checkout matches the new tip");
    assert_eq!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_fsck_clean(repo.root());
}

#[test]
fn diverged_branches_get_a_merge_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    std::fs::write(repo.root().join("other.rs"), "fn other() {}\n").unwrap();
    git(repo.root(), &["add", "other.rs"]);
    git(repo.root(), &["commit", "-qm", "meanwhile on main"]);
    let main_before = git(repo.root(), &["rev-parse", "main"]);
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();

    let MergeOutcome::MergeCommit { tip } = repo.merge_task(&task, "st-1").unwrap() else {
        panic!("expected a merge commit");
    };
    let info = repo.commit_info(tip).unwrap();
    assert_eq!(
        info.parents.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [main_before, task_tip.to_string()]
    );
    assert_eq!(parse_trailers(&info.message), [("Spec-Task".to_owned(), "st-1".to_owned())]);
    assert!(info.message.starts_with("Merge spectask/7f3a-login into main"), "{}", info.message);
    assert_eq!(git(repo.root(), &["rev-parse", "HEAD"]), tip.to_string());
    assert!(repo.root().join("login.rs").is_file() && repo.root().join("other.rs").is_file());
    assert_eq!(status(repo.root()), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn merge_is_refused_when_the_default_checkout_has_local_changes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    let main_before = git(repo.root(), &["rev-parse", "main"]);
    std::fs::write(repo.root().join("README.md"), "local edit\n").unwrap();

    let err = repo.merge_task(&task, "st-1").unwrap_err();
    assert!(matches!(&err, GitError::DefaultBranchDirty { files, .. } if files == &["README.md"]), "{err}");
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), main_before, "main did not move");
    assert_eq!(std::fs::read_to_string(repo.root().join("README.md")).unwrap(), "local edit\n");
    assert!(!repo.root().join("login.rs").exists());
    assert_fsck_clean(repo.root());
}

/// `kill -9` between updating the main checkout and moving `main` leaves the checkout at the task's
/// content with `main` where it was: the next attempt finishes the merge instead of taking its own
/// writes for local changes (found by the chaos run: the task stayed done, unmerged, for good).
#[test]
fn a_merge_cut_off_between_checkout_and_ref_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "README.md", "# readme, as the task left it\n");
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();
    std::fs::write(repo.root().join("README.md"), "# readme, as the task left it\n").unwrap();

    let outcome = repo.merge_task(&task, "st-1").unwrap();
    assert_eq!(outcome, MergeOutcome::FastForward { tip: task_tip });
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), task_tip.to_string());
    assert_eq!(status(repo.root()), "", "checkout matches the new tip");
    assert_fsck_clean(repo.root());
}

#[test]
fn merge_is_refused_when_an_untracked_file_is_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    let main_before = git(repo.root(), &["rev-parse", "main"]);
    std::fs::write(repo.root().join("login.rs"), "mine\n").unwrap();

    let err = repo.merge_task(&task, "st-1").unwrap_err();
    assert!(matches!(err, GitError::DefaultBranchDirty { .. }), "{err}");
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), main_before);
    assert_eq!(std::fs::read_to_string(repo.root().join("login.rs")).unwrap(), "mine\n");
    assert_fsck_clean(repo.root());
}

#[test]
fn conflicting_branches_are_refused_and_nothing_moves() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "README.md", "task version\n");
    std::fs::write(repo.root().join("README.md"), "main version\n").unwrap();
    git(repo.root(), &["commit", "-qam", "main edits readme"]);
    let main_before = git(repo.root(), &["rev-parse", "main"]);

    let err = repo.merge_task(&task, "st-1").unwrap_err();
    assert!(matches!(&err, GitError::MergeConflict { files, .. } if files == &["README.md"]), "{err}");
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), main_before);
    assert_eq!(status(repo.root()), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn merge_into_a_default_branch_not_checked_out_moves_only_the_ref() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    git(repo.root(), &["checkout", "-q", "-b", "elsewhere"]);
    let outcome = repo.merge_task(&task, "st-1").unwrap();
    assert!(matches!(outcome, MergeOutcome::FastForward { .. }));
    assert!(!repo.root().join("login.rs").exists(), "the checkout of another branch is untouched");
    assert_eq!(status(repo.root()), "");
    assert_eq!(
        git(repo.root(), &["rev-parse", "main"]),
        repo.branch_tip("spectask/7f3a-login").unwrap().unwrap().to_string()
    );
    assert_fsck_clean(repo.root());
}
