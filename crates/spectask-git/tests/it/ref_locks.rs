//! `<ref>.lock` files: one a killed spectask left is cleared by the next move, one another git
//! holds is waited for, then reported, and never removed.

use std::path::Path;

use spectask_git::{FileWrite, GitError, RegisterOptions, Repo};

use crate::support::{assert_fsck_clean, git, registered_repo, write_design_docs as write};

const BRANCH: &str = "refs/heads/helix-design-docs";

/// What `kill -9` leaves between creating the lock and renaming it over the ref: the lock and the
/// twin spectask wrote it as, one file under two names.
fn leave_a_killed_spectasks_lock(common: &Path, name: &str, content: &str) {
    let twin = common.join("spectask/ref-lock").join(name);
    std::fs::create_dir_all(twin.parent().unwrap()).unwrap();
    std::fs::write(&twin, content).unwrap();
    let lock = common.join(format!("{name}.lock"));
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::hard_link(&twin, lock).unwrap();
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

/// A task's branch is made as branches move (`refs.rs`): a killed spectask's lock of it is cleared,
/// where libgit2's lock (`git2::Repository::branch`) stopped the task's worktree for good.
#[test]
fn a_lock_left_by_a_killed_spectask_on_a_new_task_branch_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let common = repo.root().join(".git");
    let branch = "refs/heads/spectask/7f3a-login";
    leave_a_killed_spectasks_lock(&common, branch, "junk");

    let task = spectask_git::TaskHandle::new("7f3a-login").unwrap();
    let made = repo.ensure_task_worktree(&task).unwrap();

    assert!(made.branch_created && made.worktree_created);
    let main = git(repo.root(), &["rev-parse", "main"]);
    assert_eq!(git(repo.root(), &["rev-parse", branch]), main);
    assert!(!common.join(format!("{branch}.lock")).exists());
    let log = git(repo.root(), &["reflog", "--format=%H %gs", branch]);
    assert_eq!(log, format!("{main} branch: Created from main"));
    assert_fsck_clean(repo.root());
}

/// The first registration creates the design-docs branch and spectask's record of it; a kill in
/// the middle leaves their locks, which the next registration (the server's next start) clears.
#[test]
fn locks_left_by_a_killed_first_registration_are_cleared_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::support::init_repo(dir.path(), "main");
    let common = root.join(".git");
    leave_a_killed_spectasks_lock(&common, BRANCH, "junk");
    leave_a_killed_spectasks_lock(&common, "refs/spectask/last-written/helix-design-docs", "junk");
    std::fs::create_dir_all(common.join("spectask")).unwrap();
    std::fs::write(common.join("spectask/config.lock"), "[spectask]\n\tdefaultBr").unwrap();

    let registered = Repo::register(&root, &RegisterOptions::default()).unwrap();

    assert!(registered.branch_created && registered.worktree_created);
    let tip = git(&root, &["rev-parse", "helix-design-docs"]);
    assert_eq!(git(&root, &["rev-parse", "refs/spectask/last-written/helix-design-docs"]), tip);
    let log = git(&root, &["reflog", "--format=%H %gs", "helix-design-docs"]);
    assert_eq!(log, format!("{tip} spectask: create design-docs branch"));
    for leftover in [format!("{BRANCH}.lock"), "spectask/config.lock".to_owned()] {
        assert!(!common.join(&leftover).exists(), "{leftover} is gone");
    }
    let reopened = Repo::open(&root).unwrap();
    assert_eq!((reopened.default_branch(), reopened.design_docs_branch()), ("main", "helix-design-docs"));
    assert_fsck_clean(&root);
}

/// Registration runs at every start: it writes `.git/spectask/config` only when it changes, and a
/// `config.lock` a kill left in the middle of that write is cleared rather than stopping the start.
#[test]
fn a_config_lock_left_by_a_killed_registration_is_cleared_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let config = repo.root().join(".git/spectask/config");
    std::fs::remove_file(&config).unwrap();
    std::fs::write(config.with_file_name("config.lock"), "[spectask]\n\tdefaultBr").unwrap();

    Repo::register(repo.root(), &RegisterOptions::default()).unwrap();

    assert!(!config.with_file_name("config.lock").exists());
    let reopened = Repo::open(repo.root()).unwrap();
    assert_eq!((reopened.default_branch(), reopened.design_docs_branch()), ("main", "helix-design-docs"));
    let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options().write(true).open(&config).unwrap().set_modified(long_ago).unwrap();
    Repo::register(repo.root(), &RegisterOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&config).unwrap().modified().unwrap(), long_ago, "not written again");
}
