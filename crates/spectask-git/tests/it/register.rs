//! Registration: orphan branch, worktree, exclude entry, idempotence and stale-worktree repair.

use spectask_git::{DesignDocsHealth, GitError, RegisterOptions, Repo, TaskHandle};

use crate::support::{assert_fsck_clean, commit_in_task, git, init_repo, status};

#[test]
fn register_twice_creates_branch_and_worktree_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let first = Repo::register(&root, &RegisterOptions::default()).unwrap();
    assert!(first.branch_created && first.worktree_created);
    let second = Repo::register(&root, &RegisterOptions::default()).unwrap();
    assert!(!second.branch_created && !second.worktree_created);
    assert_eq!(first.repo, second.repo);

    let worktrees = git(&root, &["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("branch refs/heads/helix-design-docs").count(), 1, "{worktrees}");
    let wt = first.repo.design_docs_worktree();
    assert!(wt.ends_with(".git-worktrees/helix-design-docs"));
    assert!(worktrees.contains(wt.to_str().unwrap()), "{worktrees}");
    let branches = git(&root, &["branch", "--list", "helix-design-docs"]);
    assert!(branches.contains("helix-design-docs"), "{branches}");

    let exclude = std::fs::read_to_string(root.join(".git/info/exclude")).unwrap();
    assert_eq!(exclude.matches(".git-worktrees/").count(), 1, "{exclude}");
    assert_eq!(status(&root), "", "the main checkout stays clean");
    assert_eq!(status(&wt), "");
    assert_eq!(first.repo.default_branch(), "main");
    assert!(!first.repo.design_docs_health().unwrap().needs_attention());
    assert_fsck_clean(&root);
}

#[test]
fn absent_design_docs_branch_is_created_as_an_orphan() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    Repo::register(&root, &RegisterOptions::default()).unwrap();
    let parents = git(&root, &["rev-list", "--parents", "helix-design-docs"]);
    assert_eq!(parents.lines().count(), 1, "one commit: {parents}");
    assert_eq!(parents.split_whitespace().count(), 1, "with no parent: {parents}");
    let base = crate::support::git_output(&root, &["merge-base", "main", "helix-design-docs"]);
    assert!(!base.status.success(), "no history shared with main");
    assert_fsck_clean(&root);
}

#[test]
fn present_design_docs_branch_is_reused() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    git(&root, &["branch", "docs"]);
    let tip = git(&root, &["rev-parse", "docs"]);
    let options = RegisterOptions {
        design_docs_branch: "docs".to_owned(),
        default_branch: None,
        ..RegisterOptions::default()
    };
    let registration = Repo::register(&root, &options).unwrap();
    assert!(!registration.branch_created);
    assert!(registration.worktree_created);
    assert_eq!(git(&root, &["rev-parse", "docs"]), tip);
    assert_eq!(
        registration.repo.design_docs_worktree(),
        root.canonicalize().unwrap().join(".git-worktrees/docs")
    );
    assert_eq!(Repo::open(&root).unwrap().design_docs_branch(), "docs");
    assert_fsck_clean(&root);
}

#[test]
fn registering_again_repairs_a_deleted_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let repo = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
    std::fs::remove_dir_all(repo.design_docs_worktree()).unwrap();
    assert!(matches!(repo.design_docs_health().unwrap(), DesignDocsHealth::WorktreeBroken { .. }));
    let again = Repo::register(&root, &RegisterOptions::default()).unwrap();
    assert!(again.worktree_created);
    assert!(repo.design_docs_worktree().join("README.md").is_file());
    assert!(!repo.design_docs_health().unwrap().needs_attention());
    let worktrees = git(&root, &["worktree", "list", "--porcelain"]);
    assert!(!worktrees.contains("prunable"), "{worktrees}");
    assert_fsck_clean(&root);
}

#[test]
fn registering_again_moves_a_leftover_directory_aside() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let repo = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
    // The admin dir vanishes (someone deleted .git/worktrees) but the directory stays, with a note.
    std::fs::remove_dir_all(root.join(".git/worktrees")).unwrap();
    std::fs::write(repo.design_docs_worktree().join("note.md"), "keep me\n").unwrap();
    let again = Repo::register(&root, &RegisterOptions::default()).unwrap();
    assert!(again.worktree_created);
    let aside: Vec<_> = std::fs::read_dir(root.join(".git-worktrees"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".stale-helix-design-docs-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = root.join(".git-worktrees").join(&aside[0]).join("note.md");
    assert_eq!(std::fs::read_to_string(kept).unwrap(), "keep me\n");
    assert_eq!(status(&repo.design_docs_worktree()), "");
    assert_fsck_clean(&root);
}

#[test]
fn open_of_an_unregistered_repository_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    assert!(matches!(Repo::open(&root).unwrap_err(), GitError::NotRegistered { .. }));
    assert_fsck_clean(&root);
}

#[test]
fn invalid_design_docs_branch_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let options = RegisterOptions {
        design_docs_branch: "bad..name".to_owned(),
        default_branch: None,
        ..RegisterOptions::default()
    };
    let err = Repo::register(&root, &options).unwrap_err();
    assert!(matches!(err, GitError::InvalidBranchName { .. }), "{err}");
    assert_fsck_clean(&root);
}

#[test]
fn design_docs_branch_checked_out_in_the_main_worktree_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    git(&root, &["checkout", "-q", "-b", "helix-design-docs"]);
    let err = Repo::register(&root, &RegisterOptions::default()).unwrap_err();
    assert!(matches!(err, GitError::BranchCheckedOutElsewhere { .. }), "{err}");
    assert!(!root.join(".git-worktrees").exists());
    assert_fsck_clean(&root);
}

#[test]
fn stale_worktree_metadata_is_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let repo = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
    let gone = dir.path().join("gone");
    git(&root, &["worktree", "add", "-q", "-b", "side", gone.to_str().unwrap()]);
    std::fs::remove_dir_all(&gone).unwrap();
    assert!(git(&root, &["worktree", "list", "--porcelain"]).contains("prunable"));
    repo.prune_worktrees().unwrap();
    let list = git(&root, &["worktree", "list", "--porcelain"]);
    assert!(!list.contains("prunable") && !list.contains("gone"), "{list}");
    assert!(list.contains("helix-design-docs"), "{list}");
    assert_fsck_clean(&root);
}

/// The default branch is chosen at registration, kept by later registrations that name none, and
/// changed by one that names another; a branch that does not exist is refused, naming it.
#[test]
fn the_default_branch_is_chosen_and_changed_at_registration() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    git(&root, &["branch", "develop"]);
    let chosen = RegisterOptions { default_branch: Some("develop".to_owned()), ..RegisterOptions::default() };
    assert_eq!(Repo::register(&root, &chosen).unwrap().repo.default_branch(), "develop");
    assert_eq!(Repo::register(&root, &RegisterOptions::default()).unwrap().repo.default_branch(), "develop");
    assert_eq!(Repo::open(&root).unwrap().default_branch(), "develop");

    let task = TaskHandle::new("7f3a-on-develop").unwrap();
    let repo = Repo::open(&root).unwrap();
    commit_in_task(&repo, &task, &[("feature.txt", "f\n")], &[]);
    repo.merge_task(&task, "st-1").unwrap();
    assert!(git(&root, &["ls-tree", "--name-only", "develop"]).contains("feature.txt"));
    assert!(!git(&root, &["ls-tree", "--name-only", "main"]).contains("feature.txt"), "main untouched");

    let back = RegisterOptions { default_branch: Some("main".to_owned()), ..RegisterOptions::default() };
    assert_eq!(Repo::register(&root, &back).unwrap().repo.default_branch(), "main");
    let missing = RegisterOptions { default_branch: Some("nope".to_owned()), ..RegisterOptions::default() };
    let err = Repo::register(&root, &missing).unwrap_err();
    assert!(matches!(&err, GitError::BranchNotFound { branch, .. } if branch == "nope"), "{err}");
    assert_eq!(Repo::open(&root).unwrap().default_branch(), "main", "a refused change changes nothing");
    assert_fsck_clean(&root);
}

#[test]
fn the_hook_policy_is_recorded_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "main");
    let skip = RegisterOptions { hooks: Some(spectask_git::HookPolicy::Skip), ..RegisterOptions::default() };
    assert_eq!(Repo::register(&root, &skip).unwrap().repo.hooks(), spectask_git::HookPolicy::Skip);
    assert_eq!(
        Repo::register(&root, &RegisterOptions::default()).unwrap().repo.hooks(),
        spectask_git::HookPolicy::Skip
    );
    assert_eq!(Repo::open(&root).unwrap().hooks(), spectask_git::HookPolicy::Skip);
    let run = RegisterOptions { hooks: Some(spectask_git::HookPolicy::Run), ..RegisterOptions::default() };
    assert_eq!(Repo::register(&root, &run).unwrap().repo.hooks(), spectask_git::HookPolicy::Run);
    assert_eq!(Repo::open(&root).unwrap().hooks(), spectask_git::HookPolicy::Run);
}

/// A person on a detached HEAD whose repository has only `develop` registers it with
/// `--default-branch develop`; tasks then branch from `develop`, and registering again (each node,
/// each start) keeps it. Without a choice, registration says how to make one.
#[test]
fn a_detached_head_with_only_develop_registers_with_develop_as_default() {
    let dir = tempfile::tempdir().unwrap();
    let root = init_repo(dir.path(), "develop");
    git(&root, &["checkout", "-q", "--detach", "develop"]);
    let err = Repo::register(&root, &RegisterOptions::default()).unwrap_err();
    assert!(matches!(err, GitError::NoDefaultBranch { .. }), "{err}");
    assert!(err.to_string().contains("--default-branch"), "{err}");

    let options =
        RegisterOptions { default_branch: Some("develop".to_owned()), ..RegisterOptions::default() };
    let repo = Repo::register(&root, &options).unwrap().repo;
    assert_eq!(repo.default_branch(), "develop");
    let again = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
    assert_eq!(again.default_branch(), "develop", "the recorded choice is kept");
    assert_eq!(Repo::open(&root).unwrap().default_branch(), "develop");

    let task = TaskHandle::new("7f3a-develop").unwrap();
    commit_in_task(&again, &task, &[("feature.rs", "fn feature() {}\n")], &[]);
    let base = git(&root, &["merge-base", "develop", &task.branch()]);
    assert_eq!(base, git(&root, &["rev-parse", "develop"]), "the task starts from develop");
    assert_eq!(git(&root, &["rev-parse", "HEAD"]), git(&root, &["rev-parse", "develop"]), "HEAD stays put");
    assert_fsck_clean(&root);
}
