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
    assert!(!merge_intent_exists(repo.root()), "a finished merge leaves no intent behind");
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

/// Writes the merge intent spectask leaves in `<git dir>/spectask/merge-intent` while it updates a
/// checkout, as a merge cut off by `kill -9` leaves it.
fn leave_merge_intent(root: &std::path::Path, old: &str, new: &str) {
    let dir = root.join(".git/spectask");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!("spectask merge intent\nbranch main\nold {old}\nnew {new}\n");
    std::fs::write(dir.join("merge-intent"), text).unwrap();
}

fn merge_intent_exists(root: &std::path::Path) -> bool {
    root.join(".git/spectask/merge-intent").exists()
}

/// A task changing `README.md`, adding `src/login.rs` and deleting `old.rs` (which main gets first).
fn task_touching_three_files(repo: &Repo, task: &TaskHandle) -> String {
    std::fs::write(repo.root().join("old.rs"), "fn old() {}\n").unwrap();
    std::fs::write(repo.root().join("notes.md"), "notes\n").unwrap();
    git(repo.root(), &["add", "old.rs", "notes.md"]);
    git(repo.root(), &["commit", "-qm", "old.rs and notes"]);
    let wt = repo.ensure_task_worktree(task).unwrap().path;
    std::fs::create_dir_all(wt.join("src")).unwrap();
    std::fs::write(wt.join("src/login.rs"), "fn login() {}\n").unwrap();
    std::fs::write(wt.join("README.md"), "# readme, as the task left it\n").unwrap();
    std::fs::remove_file(wt.join("old.rs")).unwrap();
    let commit = WorkSessionCommit {
        message: "login".to_owned(),
        spec_task: "st-1".to_owned(),
        work_session: "ws-1".to_owned(),
        implements: vec![],
        paths: None,
    };
    repo.commit_work_session(task, &commit).unwrap().unwrap();
    git(repo.root(), &["rev-parse", "main"])
}

/// `kill -9` between updating the main checkout and moving `main` leaves the checkout at the task's
/// content with `main` where it was: the next attempt finishes the merge instead of taking its own
/// writes for local changes (found by the chaos run: the task stayed done, unmerged, for good).
#[test]
fn a_merge_cut_off_between_checkout_and_ref_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    let main_before = task_touching_three_files(&repo, &task);
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();
    std::fs::write(repo.root().join("README.md"), "# readme, as the task left it\n").unwrap();
    std::fs::create_dir_all(repo.root().join("src")).unwrap();
    std::fs::write(repo.root().join("src/login.rs"), "fn login() {}\n").unwrap();
    std::fs::remove_file(repo.root().join("old.rs")).unwrap();
    leave_merge_intent(repo.root(), &main_before, &task_tip.to_string());

    let outcome = repo.merge_task(&task, "st-1").unwrap();
    assert_eq!(outcome, MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), task_tip.to_string());
    assert_eq!(status(repo.root()), "", "checkout matches the new tip");
    assert!(!merge_intent_exists(repo.root()));
    assert_fsck_clean(repo.root());
}

/// `kill -9` in the middle of writing the checkout's files leaves them truncated or half-written,
/// matching neither tip (the full chaos run on SQLite: a 0-byte `src/App.jsx`): the merge intent
/// says which merge was under way, and the next attempt rewrites exactly the paths it changes.
#[test]
fn a_merge_cut_off_while_writing_files_is_finished_from_its_intent() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    let main_before = task_touching_three_files(&repo, &task);
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();
    std::fs::write(repo.root().join("README.md"), "").unwrap();
    std::fs::create_dir_all(repo.root().join("src")).unwrap();
    std::fs::write(repo.root().join("src/login.rs"), "fn lo").unwrap();
    leave_merge_intent(repo.root(), &main_before, &task_tip.to_string());

    let outcome = repo.merge_task(&task, "st-1").unwrap();
    assert_eq!(outcome, MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), task_tip.to_string());
    let read = |file: &str| std::fs::read_to_string(repo.root().join(file)).unwrap();
    assert_eq!(read("README.md"), "# readme, as the task left it\n");
    assert_eq!(read("src/login.rs"), "fn login() {}\n");
    assert!(!repo.root().join("old.rs").exists());
    assert_eq!(read("notes.md"), "notes\n");
    assert_eq!(status(repo.root()), "", "checkout matches the new tip");
    assert!(!merge_intent_exists(repo.root()));
    assert_fsck_clean(repo.root());
}

/// The intent names the merge commit the cut-off attempt made: the next attempt moves `main` to that
/// very commit rather than making a second one.
#[test]
fn a_cut_off_merge_commit_is_finished_with_the_same_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    std::fs::write(repo.root().join("other.rs"), "fn other() {}\n").unwrap();
    git(repo.root(), &["add", "other.rs"]);
    git(repo.root(), &["commit", "-qm", "meanwhile on main"]);
    let main_before = git(repo.root(), &["rev-parse", "main"]);
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap().to_string();
    let tree = {
        let index = dir.path().join("merge-index");
        let env_git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(args)
                .current_dir(repo.root())
                .env("GIT_INDEX_FILE", &index)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        env_git(&["read-tree", "-m", &main_before, &task_tip]);
        env_git(&["write-tree"])
    };
    let merge = git(
        repo.root(),
        &[
            "commit-tree",
            &tree,
            "-p",
            &main_before,
            "-p",
            &task_tip,
            "-m",
            "Merge spectask/7f3a-login into main",
        ],
    );
    std::fs::write(repo.root().join("login.rs"), "").unwrap();
    leave_merge_intent(repo.root(), &main_before, &merge);

    let outcome = repo.merge_task(&task, "st-1").unwrap();
    assert_eq!(outcome, MergeOutcome::AlreadyMerged { tip: merge.parse().unwrap() });
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), merge);
    assert_eq!(std::fs::read_to_string(repo.root().join("login.rs")).unwrap(), "fn login() {}\n");
    assert_eq!(status(repo.root()), "");
    assert!(!merge_intent_exists(repo.root()));
    assert_fsck_clean(repo.root());
}

/// With a cut-off merge's intent present, a person's edit to a file the merge does not change is
/// still refused and left as it is; once they commit or undo it, the merge is finished.
#[test]
fn a_local_edit_outside_a_cut_off_merge_is_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    let main_before = task_touching_three_files(&repo, &task);
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();
    std::fs::write(repo.root().join("README.md"), "").unwrap();
    std::fs::write(repo.root().join("notes.md"), "a person's notes\n").unwrap();
    leave_merge_intent(repo.root(), &main_before, &task_tip.to_string());

    let err = repo.merge_task(&task, "st-1").unwrap_err();
    assert!(matches!(&err, GitError::DefaultBranchDirty { files, .. } if files == &["notes.md"]), "{err}");
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), main_before, "main did not move");
    assert_eq!(std::fs::read_to_string(repo.root().join("notes.md")).unwrap(), "a person's notes\n");
    assert!(merge_intent_exists(repo.root()), "the intent waits for the person");

    git(repo.root(), &["checkout", "--", "notes.md"]);
    assert_eq!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_eq!(
        std::fs::read_to_string(repo.root().join("README.md")).unwrap(),
        "# readme, as the task left it\n"
    );
    assert_eq!(status(repo.root()), "");
    assert!(!merge_intent_exists(repo.root()));
    assert_fsck_clean(repo.root());
}

/// An intent whose branch someone moved since (neither its old nor its new commit) is stale: it is
/// dropped and the merge goes on as usual, its checks intact.
#[test]
fn a_stale_merge_intent_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    task_commit(&repo, &task, "login.rs", "fn login() {}\n");
    let initial = git(repo.root(), &["rev-parse", "main"]);
    std::fs::write(repo.root().join("other.rs"), "fn other() {}\n").unwrap();
    git(repo.root(), &["add", "other.rs"]);
    git(repo.root(), &["commit", "-qm", "a person committed after the crash"]);
    let task_tip = repo.branch_tip("spectask/7f3a-login").unwrap().unwrap();
    leave_merge_intent(repo.root(), &initial, &task_tip.to_string());

    assert!(matches!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::MergeCommit { .. }));
    assert!(repo.root().join("login.rs").is_file() && repo.root().join("other.rs").is_file());
    assert_eq!(status(repo.root()), "");
    assert!(!merge_intent_exists(repo.root()));
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
    assert!(!merge_intent_exists(repo.root()), "nothing was written, nothing is left to finish");
    assert_eq!(repo.merge_task(&task, "st-1").unwrap_err().to_string(), err.to_string(), "refused again");
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
