//! What a `kill -9` in the middle of a merge leaves in the repository's own files: the default
//! branch's `<ref>.lock` and the default checkout's `index.lock`. spectask's leftovers are cleared
//! by the next merge; a git process's are waited for, then reported, with nothing written.

use std::path::Path;

use spectask_git::{GitError, MergeOutcome, Repo, TaskHandle};

use crate::support::{assert_fsck_clean, commit_in_task, git, registered_repo, status};

const MAIN: &str = "refs/heads/main";

fn task_with_login(parent: &Path) -> (Repo, TaskHandle) {
    let repo = registered_repo(parent);
    let task = TaskHandle::new("7f3a-login").unwrap();
    commit_in_task(&repo, &task, &[("login.rs", "fn login() {}\n")], &[]);
    (repo, task)
}

fn tip(repo: &Repo, branch: &str) -> String {
    git(repo.root(), &["rev-parse", branch])
}

/// What a killed spectask leaves between creating a ref's lock and renaming it over the ref (see
/// `refs.rs`): the lock and its twin, one file under two names.
fn leave_a_killed_spectasks_ref_lock(common: &Path, name: &str) {
    let twin = common.join("spectask/ref-lock").join(name);
    std::fs::create_dir_all(twin.parent().unwrap()).unwrap();
    std::fs::write(&twin, "0123456789012345678901234567890123456789\n").unwrap();
    std::fs::hard_link(&twin, common.join(format!("{name}.lock"))).unwrap();
}

/// The merge moved `main` to the task's tip, logged in `main`'s reflog (and HEAD's when `main` is
/// checked out), and left no lock behind.
fn assert_merged_with_reflog(repo: &Repo, task_tip: &str, head_logged: bool) {
    assert_eq!(tip(repo, "main"), task_tip);
    let common = repo.root().join(".git");
    assert!(!common.join(format!("{MAIN}.lock")).exists(), "no lock of main is left");
    assert!(!common.join("index.lock").exists(), "no index.lock is left");
    let log = git(repo.root(), &["reflog", "--format=%H %gs", "main"]);
    let first = log.lines().next().unwrap_or_default();
    assert_eq!(first, format!("{task_tip} spectask: merge spectask/7f3a-login"), "{log}");
    let head_log = git(repo.root(), &["reflog", "--format=%H %gs", "HEAD"]);
    let head_first = head_log.lines().next().unwrap_or_default().to_owned();
    assert_eq!(head_first == first, head_logged, "HEAD's reflog: {head_log}");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_branch_lock_left_by_a_killed_merge_is_cleared_by_the_next_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, task) = task_with_login(dir.path());
    leave_a_killed_spectasks_ref_lock(&repo.root().join(".git"), MAIN);

    let outcome = repo.merge_task(&task, "st-1").unwrap();

    let task_tip = tip(&repo, "spectask/7f3a-login");
    assert_eq!(outcome, MergeOutcome::FastForward { tip: task_tip.parse().unwrap() });
    assert_eq!(status(repo.root()), "", "the checkout matches the new tip");
    assert_merged_with_reflog(&repo, &task_tip, true);
}

#[test]
fn a_branch_lock_left_by_a_killed_merge_into_a_branch_not_checked_out_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, task) = task_with_login(dir.path());
    git(repo.root(), &["checkout", "-q", "-b", "elsewhere"]);
    leave_a_killed_spectasks_ref_lock(&repo.root().join(".git"), MAIN);

    assert!(matches!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::FastForward { .. }));

    assert_merged_with_reflog(&repo, &tip(&repo, "spectask/7f3a-login"), false);
    assert!(!repo.root().join("login.rs").exists(), "the checkout of another branch is untouched");
}

/// A killed merge's `index.lock` in the default checkout is spectask's marked one (`index_lock.rs`),
/// taken before the checkout's files change: the next merge clears it. Before, libgit2 created it
/// unmarked while checking out, and every later merge failed on it after writing the files.
#[test]
fn an_index_lock_left_by_a_killed_merge_in_the_default_checkout_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, task) = task_with_login(dir.path());
    std::fs::write(repo.root().join(".git/index.lock"), "spectask\n").unwrap();

    assert!(matches!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::FastForward { .. }));

    assert_eq!(status(repo.root()), "", "the checkout and its index match the new tip");
    assert_merged_with_reflog(&repo, &tip(&repo, "spectask/7f3a-login"), true);
    let leftovers: Vec<_> = std::fs::read_dir(repo.root().join(".git"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("spectask-index"))
        .collect();
    assert!(leftovers.is_empty(), "no index copy is left beside the checkout's index: {leftovers:?}");
}

#[test]
fn an_index_lock_held_by_git_in_the_default_checkout_refuses_the_merge_before_any_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, task) = task_with_login(dir.path());
    let main_before = tip(&repo, "main");
    let lock = repo.root().join(".git/index.lock");
    std::fs::write(&lock, "a git process's index\n").unwrap();

    let err = repo.merge_task(&task, "st-1").unwrap_err();

    assert!(matches!(err, GitError::IndexLocked { .. }), "{err}");
    assert_eq!(tip(&repo, "main"), main_before, "main did not move");
    assert!(!repo.root().join("login.rs").exists(), "no file of the merge was written");
    assert!(!repo.root().join(".git/spectask/merge-intent").exists(), "nothing is left to finish");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "a git process's index\n", "git's lock is kept");
    std::fs::remove_file(&lock).unwrap();
    assert!(matches!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::FastForward { .. }));
    assert_eq!(status(repo.root()), "");
    assert_fsck_clean(repo.root());
}
