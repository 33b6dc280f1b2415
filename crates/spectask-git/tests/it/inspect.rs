//! `inspect_repository` on real repositories: root, default branch, head, and every named refusal.

use crate::support::{assert_fsck_clean, git, init_repo};
use spectask_git::{GitError, inspect_repository};

#[test]
fn inspect_reports_root_default_branch_and_head() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "trunk");
    let info = inspect_repository(&root).unwrap();
    assert_eq!(info.root, root.canonicalize().unwrap());
    assert_eq!(info.default_branch, "trunk");
    assert_eq!(info.head_commit, git(&root, &["rev-parse", "HEAD"]));
    assert_fsck_clean(&root);
}

#[test]
fn inspect_of_a_linked_worktree_reports_the_main_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let linked = dir.path().join("linked");
    git(&root, &["worktree", "add", "-b", "side", linked.to_str().unwrap()]);
    let info = inspect_repository(&linked).unwrap();
    assert_eq!(info.root, root.canonicalize().unwrap());
    assert_eq!(info.default_branch, "main");
    assert_fsck_clean(&root);
}

#[test]
fn detached_head_falls_back_to_main() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    git(&root, &["checkout", "--detach", "HEAD"]);
    assert_eq!(inspect_repository(&root).unwrap().default_branch, "main");
    assert_fsck_clean(&root);
}

#[test]
fn detached_head_prefers_origin_head() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    git(&root, &["branch", "develop"]);
    git(&root, &["update-ref", "refs/remotes/origin/develop", "HEAD"]);
    git(&root, &["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/develop"]);
    git(&root, &["checkout", "--detach", "HEAD"]);
    assert_eq!(inspect_repository(&root).unwrap().default_branch, "develop");
    assert_fsck_clean(&root);
}

#[test]
fn missing_path_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = inspect_repository(&missing).unwrap_err();
    assert!(matches!(err, GitError::PathNotFound { .. }), "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn plain_directory_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let err = inspect_repository(dir.path()).unwrap_err();
    assert!(matches!(err, GitError::NotARepository { .. }), "{err}");
}

#[test]
fn bare_repository_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--bare", "-q", "bare.git"]);
    let err = inspect_repository(&dir.path().join("bare.git")).unwrap_err();
    assert!(matches!(err, GitError::BareRepository { .. }), "{err}");
}

#[test]
fn repository_without_commits_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "empty"]);
    let err = inspect_repository(&dir.path().join("empty")).unwrap_err();
    assert!(matches!(err, GitError::NoCommits { .. }), "{err}");
    assert_eq!(err.category(), spectask_git::ErrorCategory::InvalidInput);
    assert!(err.to_string().ends_with("has no commits"), "{err}");
}
