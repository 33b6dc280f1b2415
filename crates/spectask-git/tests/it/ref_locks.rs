//! `<ref>.lock` files: one a killed spectask left is cleared by the next move, one another git
//! holds is waited for, then reported, and never removed.

use std::path::Path;

use spectask_git::{FileWrite, GitError};

use crate::support::{assert_fsck_clean, git, registered_repo, write_design_docs as write};

const BRANCH: &str = "refs/heads/helix-design-docs";

/// What `kill -9` leaves between creating the lock and renaming it over the ref: the lock and the
/// twin spectask wrote it as, one file under two names.
fn leave_a_killed_spectasks_lock(common: &Path, name: &str, content: &str) {
    let twin = common.join("spectask/ref-lock").join(name);
    std::fs::create_dir_all(twin.parent().unwrap()).unwrap();
    std::fs::write(&twin, content).unwrap();
    std::fs::hard_link(&twin, common.join(format!("{name}.lock"))).unwrap();
}

#[test]
fn a_ref_lock_left_by_a_killed_spectask_is_cleared_by_the_next_move() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let common = repo.root().join(".git");
    let first = write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    leave_a_killed_spectasks_lock(&common, BRANCH, "0123456789012345678901234567890123456789\n");
    let record = "refs/spectask/last-written/helix-design-docs";
    leave_a_killed_spectasks_lock(&common, record, "junk");

    let second = write(&repo, "after a crash", vec![FileWrite::put("a.md", "b\n")]).unwrap();

    assert_ne!(first, second);
    assert_eq!(git(repo.root(), &["rev-parse", "helix-design-docs"]).trim(), second.to_string());
    assert_eq!(git(repo.root(), &["rev-parse", record]).trim(), second.to_string());
    for name in [BRANCH, record] {
        assert!(!common.join(format!("{name}.lock")).exists(), "the leftover lock of {name} is gone");
    }
    assert!(!common.join("spectask/ref-lock").join(BRANCH).exists(), "no twin outlives a move");
    let log = git(repo.root(), &["reflog", "--format=%H %gs", "helix-design-docs"]);
    assert!(log.lines().next().unwrap().starts_with(&second.to_string()), "{log}");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_ref_lock_held_by_another_git_is_reported_and_kept_and_the_ref_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let common = repo.root().join(".git");
    let first = write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let lock = common.join(format!("{BRANCH}.lock"));
    std::fs::write(&lock, "held by git\n").unwrap();
    // A crash after the rename leaves the twin as a second name of the ref itself: a later move
    // must never write through it.
    let twin = common.join("spectask/ref-lock").join(BRANCH);
    std::fs::create_dir_all(twin.parent().unwrap()).unwrap();
    std::fs::hard_link(common.join(BRANCH), &twin).unwrap();

    let err = write(&repo, "blocked", vec![FileWrite::put("a.md", "b\n")]).unwrap_err();

    assert!(matches!(err, GitError::Lock { .. }), "{err}");
    assert!(err.to_string().contains("helix-design-docs.lock"), "{err}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "held by git\n", "another git's lock is kept");
    assert_eq!(std::fs::read_to_string(common.join(BRANCH)).unwrap().trim(), first.to_string());
    std::fs::remove_file(&lock).unwrap();
    let second = write(&repo, "unblocked", vec![FileWrite::put("a.md", "b\n")]).unwrap();
    assert_eq!(git(repo.root(), &["rev-parse", "helix-design-docs"]).trim(), second.to_string());
    assert_fsck_clean(repo.root());
}
