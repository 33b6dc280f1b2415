//! Task branches and worktrees: creation, work-session commits, and removal that never loses work.

use spectask_git::{
    FileChange, GitError, RemoveOptions, Repo, TaskHandle, WorkSessionCommit, parse_trailers,
};

use crate::support::{assert_fsck_clean, git, git_output, registered_repo, status};

fn session_commit(message: &str) -> WorkSessionCommit {
    WorkSessionCommit {
        message: message.to_owned(),
        spec_task: "st-1".to_owned(),
        work_session: "ws-1".to_owned(),
        implements: vec!["R1.1".to_owned(), "R2".to_owned()],
        paths: None,
        siblings_paths: Vec::new(),
    }
}

fn task_with_worktree(repo: &Repo, name: &str) -> (TaskHandle, std::path::PathBuf) {
    let task = TaskHandle::new(name).unwrap();
    let worktree = repo.ensure_task_worktree(&task).unwrap();
    (task, worktree.path)
}

#[test]
fn task_worktree_is_created_once_from_the_default_branch() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    let first = repo.ensure_task_worktree(&task).unwrap();
    assert!(first.branch_created && first.worktree_created);
    assert_eq!(first.branch, "spectask/7f3a-login");
    assert_eq!(first.path, repo.root().join(".git-worktrees/7f3a-login"));
    let second = repo.ensure_task_worktree(&task).unwrap();
    assert!(!second.branch_created && !second.worktree_created);
    assert_eq!(
        git(repo.root(), &["rev-parse", "spectask/7f3a-login"]),
        git(repo.root(), &["rev-parse", "main"])
    );
    let list = git(repo.root(), &["worktree", "list", "--porcelain"]);
    assert_eq!(list.matches("branch refs/heads/spectask/7f3a-login").count(), 1, "{list}");
    assert!(first.path.join("README.md").is_file());
    assert_eq!(status(repo.root()), "", "the main checkout ignores .git-worktrees/");
    assert_fsck_clean(repo.root());
}

/// A worktree found in place is taken as it is; one whose directory was removed, or which has
/// another branch checked out, is not: the first is made again, the second refused.
#[test]
fn a_task_worktree_not_in_place_is_made_again_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("4e5f-gone").unwrap();
    let first = repo.ensure_task_worktree(&task).unwrap();
    std::fs::remove_dir_all(&first.path).unwrap();
    let again = repo.ensure_task_worktree(&task).unwrap();
    assert!(again.worktree_created && !again.branch_created);
    assert_eq!(status(&again.path), "");
    git(&again.path, &["checkout", "-q", "-b", "elsewhere"]);
    let refused = repo.ensure_task_worktree(&task).unwrap_err();
    assert!(matches!(refused, GitError::WrongBranchCheckedOut { .. }), "{refused:?}");
    assert_fsck_clean(repo.root());
}

/// `kill -9` in the middle of adding a worktree leaves its admin dir (`.git/worktrees/<name>`) made
/// but not filled in, and maybe the worktree directory: git does not know it as a worktree, and the
/// next attempt must still create one.
#[test]
fn a_worktree_add_cut_off_by_a_kill_is_done_again() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("9c1d-cut").unwrap();
    git(repo.root(), &["branch", "spectask/9c1d-cut"]);
    std::fs::create_dir_all(repo.root().join(".git/worktrees/9c1d-cut")).unwrap();
    std::fs::create_dir_all(repo.root().join(".git-worktrees/9c1d-cut")).unwrap();
    let worktree = repo.ensure_task_worktree(&task).unwrap();
    assert!(worktree.worktree_created);
    assert_eq!(status(&worktree.path), "");
    let list = git(repo.root(), &["worktree", "list", "--porcelain"]);
    assert!(list.contains("branch refs/heads/spectask/9c1d-cut") && !list.contains("prunable"), "{list}");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_task_named_like_the_design_docs_worktree_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let err = repo.ensure_task_worktree(&TaskHandle::new("helix-design-docs").unwrap()).unwrap_err();
    assert!(matches!(err, GitError::InvalidTaskHandle { .. }), "{err}");
    assert_eq!(repo.branch_tip("spectask/helix-design-docs").unwrap(), None);
    assert_fsck_clean(repo.root());
}

#[test]
fn invalid_task_names_are_refused() {
    for name in ["", "../x", "a/b", "-x", "x.lock", "a..b", "with space"] {
        let err = TaskHandle::new(name).unwrap_err();
        assert!(matches!(err, GitError::InvalidTaskHandle { .. }), "{name}: {err}");
    }
}

#[test]
fn work_session_commit_takes_every_change_with_trailers() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-login");
    std::fs::write(wt.join(".gitignore"), "target/\n").unwrap();
    git(&wt, &["add", ".gitignore"]);
    git(&wt, &["commit", "-qm", "ignore target"]);
    std::fs::write(wt.join("README.md"), "changed\n").unwrap();
    std::fs::create_dir_all(wt.join("src")).unwrap();
    std::fs::write(wt.join("src/new.rs"), "fn main() {}\n").unwrap();
    std::fs::create_dir_all(wt.join("target")).unwrap();
    std::fs::write(wt.join("target/junk"), "ignored\n").unwrap();
    std::fs::write(wt.join(".env.example"), "PORT=1\n").unwrap();

    let committed = repo.commit_work_session(&task, &session_commit("feat: login")).unwrap().unwrap();
    let mut changed: Vec<_> = committed.changed_files.iter().map(|c| (c.path.as_str(), c.change)).collect();
    changed.sort_by_key(|(path, _)| *path);
    assert_eq!(
        changed,
        [
            (".env.example", FileChange::Added),
            ("README.md", FileChange::Modified),
            ("src/new.rs", FileChange::Added)
        ]
    );
    let message = git(&wt, &["log", "-1", "--format=%B"]);
    assert_eq!(
        parse_trailers(&message),
        [("Spec-Task", "st-1"), ("Work-Session", "ws-1"), ("Implements", "R1.1, R2")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), committed.commit.to_string());
    assert_eq!(status(&wt), "", "only ignored files remain");
    assert!(wt.join("target/junk").is_file());

    std::fs::remove_file(wt.join("src/new.rs")).unwrap();
    let deleted = repo.commit_work_session(&task, &session_commit("chore: drop")).unwrap().unwrap();
    assert_eq!(deleted.changed_files.len(), 1);
    assert_eq!(deleted.changed_files[0].change, FileChange::Deleted);
    assert_eq!(repo.commit_work_session(&task, &session_commit("nothing")).unwrap(), None);
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn removal_refuses_unmerged_commits_and_dirty_worktrees_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-login");
    std::fs::write(wt.join("work.txt"), "work\n").unwrap();

    let err = repo.remove_task(&task, false, RemoveOptions::default()).unwrap_err();
    assert!(matches!(&err, GitError::UncommittedChanges { files, .. } if files == &["work.txt"]), "{err}");
    assert!(wt.join("work.txt").is_file(), "nothing removed");

    repo.commit_work_session(&task, &session_commit("work")).unwrap().unwrap();
    let err = repo.remove_task(&task, true, RemoveOptions::default()).unwrap_err();
    assert!(matches!(err, GitError::UnmergedCommits { count: 1, .. }), "{err}");
    assert!(err.to_string().contains("spectask/7f3a-login"), "{err}");
    assert!(wt.is_dir(), "nothing removed");

    // Removing the worktree but keeping the branch loses nothing and is allowed.
    let removal = repo.remove_task(&task, false, RemoveOptions::default()).unwrap();
    assert!(removal.worktree_removed && !removal.branch_deleted);
    assert!(!wt.exists());
    assert!(repo.branch_tip("spectask/7f3a-login").unwrap().is_some());
    assert!(!git(repo.root(), &["worktree", "list"]).contains("7f3a-login"));

    let err = repo.remove_task(&task, true, RemoveOptions::default()).unwrap_err();
    assert!(matches!(err, GitError::UnmergedCommits { .. }), "{err}");
    let forced = repo.remove_task(&task, true, RemoveOptions { force: true }).unwrap();
    assert!(forced.branch_deleted);
    assert!(repo.branch_tip("spectask/7f3a-login").unwrap().is_none());
    assert_fsck_clean(repo.root());
}

#[test]
fn forced_removal_discards_a_dirty_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-login");
    std::fs::write(wt.join("scratch.txt"), "x\n").unwrap();
    let removal = repo.remove_task(&task, true, RemoveOptions { force: true }).unwrap();
    assert_eq!(removal, spectask_git::TaskRemoval { worktree_removed: true, branch_deleted: true });
    assert!(!wt.exists());
    let list = git(repo.root(), &["worktree", "list", "--porcelain"]);
    assert!(!list.contains("7f3a-login"), "{list}");
    assert_fsck_clean(repo.root());
}

#[test]
fn merged_task_is_removed_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-login");
    std::fs::write(wt.join("work.txt"), "work\n").unwrap();
    repo.commit_work_session(&task, &session_commit("work")).unwrap().unwrap();
    repo.merge_task(&task, "st-1").unwrap();
    let removal = repo.remove_task(&task, true, RemoveOptions::default()).unwrap();
    assert!(removal.worktree_removed && removal.branch_deleted);
    assert_fsck_clean(repo.root());
}

#[test]
fn worktrees_spectask_did_not_create_are_never_removed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let path = repo.root().join(".git-worktrees/handmade");
    git(repo.root(), &["worktree", "add", "-q", "-b", "spectask/handmade", path.to_str().unwrap()]);
    let task = TaskHandle::new("handmade").unwrap();
    let err = repo.remove_task(&task, true, RemoveOptions { force: true }).unwrap_err();
    assert!(matches!(err, GitError::NotSpectaskWorktree { .. }), "{err}");
    assert!(path.join("README.md").is_file());
    // The design-docs worktree is not a task worktree either.
    let docs = TaskHandle::new("helix-design-docs").unwrap();
    let err = repo.remove_task(&docs, false, RemoveOptions { force: true }).unwrap_err();
    assert!(matches!(err, GitError::NotSpectaskWorktree { .. }), "{err}");
    assert!(repo.design_docs_worktree().join("README.md").is_file());
    let out = git_output(repo.root(), &["worktree", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("handmade"));
    assert_fsck_clean(repo.root());
}

#[test]
fn a_worktree_name_taken_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let elsewhere = dir.path().join("7f3a-login");
    git(repo.root(), &["worktree", "add", "-q", "-b", "mine", elsewhere.to_str().unwrap()]);
    let err = repo.ensure_task_worktree(&TaskHandle::new("7f3a-login").unwrap()).unwrap_err();
    assert!(matches!(err, GitError::WorktreeNameTaken { .. }), "{err}");
    assert!(err.to_string().contains("7f3a-login"), "{err}");
    assert_fsck_clean(repo.root());
}

#[test]
fn task_worktrees_lists_only_spectask_task_worktrees() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    task_with_worktree(&repo, "b-task");
    task_with_worktree(&repo, "a-task");
    let handmade = repo.root().join(".git-worktrees/handmade");
    git(repo.root(), &["worktree", "add", "-q", "-b", "handmade", handmade.to_str().unwrap()]);
    let listed = repo.task_worktrees().unwrap();
    let names: Vec<_> = listed.iter().map(|e| e.task.as_str()).collect();
    assert_eq!(names, ["a-task", "b-task"]);
    assert!(listed.iter().all(|e| e.valid));
    std::fs::remove_dir_all(&listed[0].path).unwrap();
    assert!(!repo.task_worktrees().unwrap()[0].valid);
    repo.prune_worktrees().unwrap();
    let names: Vec<_> = repo.task_worktrees().unwrap().into_iter().map(|e| e.task.to_string()).collect();
    assert_eq!(names, ["b-task"]);
    assert_fsck_clean(repo.root());
}

#[test]
fn a_session_commit_limited_to_its_paths_leaves_a_siblings_changes_uncommitted() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "0badcafe-paths");
    std::fs::create_dir_all(wt.join("src")).unwrap();
    std::fs::write(wt.join("src/mine.rs"), "fn mine() {}\n").unwrap();
    std::fs::write(wt.join("src/sibling.rs"), "fn sibling() {}\n").unwrap();
    let mut commit = session_commit("mine");
    commit.paths = Some(vec!["src/mine.rs".to_owned()]);
    let committed = repo.commit_work_session(&task, &commit).unwrap().unwrap();
    let files: Vec<_> = committed.changed_files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(files, ["src/mine.rs"]);
    assert_eq!(repo.task_uncommitted(&task).unwrap(), ["src/sibling.rs"]);
    let bad = WorkSessionCommit { paths: Some(vec!["../escape.rs".to_owned()]), ..session_commit("bad") };
    assert!(repo.commit_work_session(&task, &bad).is_err(), "paths outside the worktree are refused");
    assert_fsck_clean(repo.root());
}

/// Limited to paths, a commit takes them as `git add --all -- <paths>` would: a deleted tracked
/// file is removed, a directory stands for the files under it, an ignored new file stays out.
#[test]
fn a_session_commit_limited_to_its_paths_takes_deletions_and_directories_and_skips_ignored_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "0badcafe-paths");
    std::fs::create_dir_all(wt.join("src/part")).unwrap();
    std::fs::write(wt.join(".gitignore"), "*.log\n").unwrap();
    std::fs::write(wt.join("gone.txt"), "soon gone\n").unwrap();
    repo.commit_work_session(&task, &session_commit("base")).unwrap().unwrap();
    std::fs::remove_file(wt.join("gone.txt")).unwrap();
    std::fs::write(wt.join("src/part/a.rs"), "a\n").unwrap();
    std::fs::write(wt.join("src/part/b.rs"), "b\n").unwrap();
    std::fs::write(wt.join("src/part/trace.log"), "noise\n").unwrap();
    std::fs::write(wt.join("other.txt"), "not mine\n").unwrap();
    let mut commit = session_commit("mine");
    commit.paths = Some(vec!["gone.txt".to_owned(), "src/part".to_owned(), "src/part/trace.log".to_owned()]);
    let committed = repo.commit_work_session(&task, &commit).unwrap().unwrap();
    let files: Vec<_> = committed.changed_files.iter().map(|f| (f.path.as_str(), f.change)).collect();
    assert_eq!(
        files,
        [
            ("gone.txt", FileChange::Deleted),
            ("src/part/a.rs", FileChange::Added),
            ("src/part/b.rs", FileChange::Added)
        ]
    );
    assert_eq!(repo.task_uncommitted(&task).unwrap(), ["other.txt"]);
    assert_fsck_clean(repo.root());
}

#[test]
fn a_rewritten_gitfile_in_the_worktree_cannot_redirect_spectasks_commit() {
    // The worktree is writable to its agent, `.git` (the gitfile) included: an agent that points it
    // at another repository must not make spectask commit there.
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let other = crate::support::init_repo(&dir.path().join("other"), "main");
    let other_tip = git(&other, &["rev-parse", "HEAD"]);
    let (task, worktree) = task_with_worktree(&repo, "9c1d-redirect");
    std::fs::write(worktree.join("feature.txt"), "feature\n").unwrap();
    std::fs::write(worktree.join(".git"), format!("gitdir: {}\n", other.join(".git").display())).unwrap();

    repo.ensure_task_worktree(&task).expect("the worktree is still the task's, as git records it");
    let committed = repo.commit_work_session(&task, &session_commit("9c1d: feature")).unwrap();
    assert!(committed.is_some());
    assert_eq!(git(&other, &["rev-parse", "HEAD"]), other_tip, "the other repository is untouched");
    assert_eq!(git(&other, &["branch", "--list"]), "* main");
    let files = git(repo.root(), &["ls-tree", "-r", "--name-only", "spectask/9c1d-redirect"]);
    assert!(files.lines().any(|f| f == "feature.txt"), "{files}");
    assert!(repo.task_uncommitted(&task).unwrap().iter().all(|f| f != "feature.txt"));
}

/// spectask keeps a task's worktree open between its commits: the index an agent wrote meanwhile
/// is the one the next commit builds on, and a worktree removed and made again under the same name
/// is committed to as the new one.
#[test]
fn a_task_worktree_kept_open_between_commits_follows_removal_and_staging() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "5e2b-kept");
    std::fs::write(wt.join("one.txt"), "1\n").unwrap();
    repo.commit_work_session(&task, &session_commit("one")).unwrap().unwrap();
    std::fs::write(wt.join("staged.txt"), "s\n").unwrap();
    git(&wt, &["add", "staged.txt"]);
    std::fs::write(wt.join("two.txt"), "2\n").unwrap();
    let only_two = WorkSessionCommit { paths: Some(vec!["two.txt".to_owned()]), ..session_commit("two") };
    repo.commit_work_session(&task, &only_two).unwrap().unwrap();
    // The commit is of the index as the agent left it (a stale handle would have dropped the entry
    // and left the file untracked).
    let files = git(repo.root(), &["ls-tree", "-r", "--name-only", "spectask/5e2b-kept"]);
    assert!(files.lines().any(|f| f == "staged.txt"), "{files}");
    assert_eq!(status(&wt), "");

    repo.remove_task(&task, true, RemoveOptions { force: true }).unwrap();
    let (task, wt) = task_with_worktree(&repo, "5e2b-kept");
    std::fs::write(wt.join("three.txt"), "3\n").unwrap();
    repo.commit_work_session(&task, &session_commit("three")).unwrap().unwrap();
    let files = git(repo.root(), &["ls-tree", "-r", "--name-only", "spectask/5e2b-kept"]);
    assert!(files.lines().any(|f| f == "three.txt"), "{files}");
    assert!(!files.lines().any(|f| f == "one.txt"), "the new branch starts afresh: {files}");
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

/// A session that reported no files commits every change but those its siblings reported and
/// have yet to commit: their work in progress stays in the worktree for their own commits.
#[test]
fn a_commit_of_every_change_leaves_the_siblings_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "6c1d-siblings");
    std::fs::write(wt.join("shared.txt"), "0\n").unwrap();
    repo.commit_work_session(&task, &session_commit("base")).unwrap().unwrap();
    std::fs::write(wt.join("mine.txt"), "mine\n").unwrap();
    std::fs::write(wt.join("theirs.txt"), "half done\n").unwrap();
    std::fs::write(wt.join("shared.txt"), "1\n").unwrap();
    let siblings_paths = vec!["theirs.txt".to_owned(), "shared.txt".to_owned()];
    let everything_but = WorkSessionCommit { siblings_paths, ..session_commit("mine") };

    let committed = repo.commit_work_session(&task, &everything_but).unwrap().unwrap();

    let files: Vec<&str> = committed.changed_files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["mine.txt"]);
    assert_eq!(status(&wt), "M shared.txt\n?? theirs.txt", "the siblings' files stay as they were");
    let theirs = WorkSessionCommit { work_session: "ws-2".into(), ..session_commit("theirs") };
    let committed = repo.commit_work_session(&task, &theirs).unwrap().unwrap();
    let files: Vec<&str> = committed.changed_files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["shared.txt", "theirs.txt"]);
    assert_fsck_clean(repo.root());
}

/// The pre-commit check of a session that reported no files sees what its commit would take:
/// not its siblings' work in progress, which the hook would refuse.
#[test]
fn a_pre_commit_check_of_every_change_leaves_the_siblings_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "6c1e-siblings");
    let hooks = dir.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let refuse = "#!/bin/sh\nif git diff --cached --name-only | grep -q theirs; then echo 'half done' >&2; exit 1; fi\n";
    std::fs::write(hooks.join("pre-commit"), refuse).unwrap();
    std::fs::set_permissions(hooks.join("pre-commit"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(repo.root(), &["config", "core.hooksPath", hooks.to_str().unwrap()]);
    std::fs::write(wt.join("mine.txt"), "mine\n").unwrap();
    std::fs::write(wt.join("theirs.txt"), "half done\n").unwrap();

    let everything = repo.pre_commit_refusal(&task, None, &[], None).unwrap();
    let siblings_paths = ["theirs.txt".to_owned()];
    let but_theirs = repo.pre_commit_refusal(&task, None, &siblings_paths, None).unwrap();

    assert!(everything.refusal.is_some_and(|r| r.contains("half done")), "the hook sees theirs.txt");
    assert_eq!(but_theirs.refusal, None);
    let commit = WorkSessionCommit { siblings_paths: siblings_paths.to_vec(), ..session_commit("mine") };
    let hooks = but_theirs.hooks;
    let committed = repo.commit_checked_work_session(&task, &commit, hooks.as_ref()).unwrap().unwrap();
    let files: Vec<&str> = committed.changed_files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["mine.txt"], "the hook passed the commit");
    assert_eq!(status(&wt), "?? theirs.txt");
}

/// A merge (or rebase …) someone left under way in a worktree stops spectask's commits there, in a
/// task's worktree and the design-docs one alike, until it is finished. (A merge of the default
/// branch in a task's worktree is spectask's own integration, which the next commit concludes.)
#[test]
fn a_merge_under_way_in_a_worktree_stops_commits_there() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "6a7b-merging");
    // A commit that is not on the default branch: someone's side work being merged.
    let tip = git(repo.root(), &["commit-tree", "main^{tree}", "-p", "main", "-m", "side"]);
    let marks = [
        repo.root().join(".git/worktrees/6a7b-merging/MERGE_HEAD"),
        repo.root().join(".git/worktrees/helix-design-docs/MERGE_HEAD"),
    ];
    for mark in &marks {
        std::fs::write(mark, format!("{tip}\n")).unwrap();
    }
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    let refused = repo.commit_work_session(&task, &session_commit("a")).unwrap_err();
    assert!(
        matches!(&refused, GitError::OperationInProgress { state, .. } if state == "merge"),
        "{refused:?}"
    );
    let docs = spectask_git::DesignDocsCommit {
        message: "docs".to_owned(),
        trailers: Vec::new(),
        writes: vec![spectask_git::FileWrite::put("a.md", "a\n")],
    };
    let refused = repo.commit_design_docs(&docs).unwrap_err();
    assert!(matches!(refused, GitError::OperationInProgress { .. }), "{refused:?}");
    for mark in &marks {
        std::fs::remove_file(mark).unwrap();
    }
    repo.commit_work_session(&task, &session_commit("a")).unwrap().unwrap();
    repo.commit_design_docs(&docs).unwrap();
    assert_fsck_clean(repo.root());
}

/// A task's worktree is looked at again at each use: another branch checked out in it is
/// refused, and a worktree whose directory is gone is made again.
#[test]
fn a_task_worktree_is_looked_at_again_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("5a6b-known").unwrap();
    let made = repo.ensure_task_worktree(&task).unwrap();
    assert!(made.worktree_created && made.branch_created);
    let again = repo.ensure_task_worktree(&task).unwrap();
    assert_eq!((again.path.as_path(), again.branch.as_str()), (made.path.as_path(), "spectask/5a6b-known"));
    assert!(!again.worktree_created && !again.branch_created);

    git(&made.path, &["checkout", "-q", "-b", "elsewhere"]);
    let refused = repo.ensure_task_worktree(&task).unwrap_err();
    assert!(matches!(refused, GitError::WrongBranchCheckedOut { .. }), "{refused:?}");
    git(&made.path, &["checkout", "-q", "spectask/5a6b-known"]);
    assert!(!repo.ensure_task_worktree(&task).unwrap().worktree_created);

    std::fs::remove_dir_all(&made.path).unwrap();
    let again = repo.ensure_task_worktree(&task).unwrap();
    assert!(again.worktree_created && !again.branch_created);

    repo.remove_task(&task, false, RemoveOptions::default()).unwrap();
    assert!(!made.path.exists(), "spectask removed it");
    assert_fsck_clean(repo.root());
}

/// A task's worktree has its submodules checked out; changes an agent makes inside one cannot be
/// committed on the task's branch and are reported, while its other work is committed.
#[test]
fn changes_inside_a_submodule_are_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let library = crate::support::init_repo(&dir.path().join("lib"), "main");
    let repo = registered_repo(dir.path());
    let url = library.to_str().unwrap();
    git(repo.root(), &["-c", "protocol.file.allow=always", "submodule", "add", "-q", url, "vendor/lib"]);
    git(repo.root(), &["commit", "-qm", "add the library"]);
    let task = TaskHandle::new("5d6e-sub").unwrap();
    let wt = repo.ensure_task_worktree(&task).unwrap().path;
    // spectask's own checkout of the submodule is refused for a local path (git allows the file
    // transport for submodules only when the user's configuration says so): done here as a
    // user would.
    git(&wt, &["-c", "protocol.file.allow=always", "submodule", "update", "--init", "-q"]);
    assert!(wt.join("vendor/lib/README.md").is_file(), "the submodule is checked out");
    assert!(repo.submodules_with_changes(&task).unwrap().is_empty());

    std::fs::write(wt.join("vendor/lib/README.md"), "patched\n").unwrap();
    std::fs::write(wt.join("app.txt"), "app\n").unwrap();
    assert_eq!(committed_files(&repo, &task, "app and a patched library"), ["app.txt"]);
    assert_eq!(repo.submodules_with_changes(&task).unwrap(), ["vendor/lib"]);
}

/// A submodule whose repository cannot be fetched is not checked out in the task's worktree: a
/// file an agent writes under its path is invisible to git, and would be left out of the commit
/// without a word. It is listed, to be reported; the rest of the work is committed.
#[test]
fn files_under_a_submodule_not_checked_out_are_listed_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let head = git(repo.root(), &["rev-parse", "HEAD"]);
    std::fs::write(
        repo.root().join(".gitmodules"),
        "[submodule \"vendor/gone\"]\n\tpath = vendor/gone\n\turl = /nonexistent/gone.git\n",
    )
    .unwrap();
    git(repo.root(), &["update-index", "--add", "--cacheinfo", &format!("160000,{head},vendor/gone")]);
    git(repo.root(), &["add", ".gitmodules"]);
    git(repo.root(), &["commit", "-qm", "a submodule nobody can fetch"]);
    let task = TaskHandle::new("5d6e-gone").unwrap();
    let wt = repo.ensure_task_worktree(&task).unwrap().path;
    assert!(repo.files_in_absent_submodules(&task).unwrap().is_empty());

    std::fs::create_dir_all(wt.join("vendor/gone/src")).unwrap();
    std::fs::write(wt.join("vendor/gone/src/fix.rs"), "fn fix() {}\n").unwrap();
    std::fs::write(wt.join("app.txt"), "app\n").unwrap();
    assert_eq!(committed_files(&repo, &task, "app and a fix"), ["app.txt"]);
    assert_eq!(repo.files_in_absent_submodules(&task).unwrap(), ["vendor/gone/src/fix.rs"]);
}

/// The files of a session's commit of everything in the task's worktree.
fn committed_files(repo: &Repo, task: &TaskHandle, message: &str) -> Vec<String> {
    let committed = repo.commit_work_session(task, &session_commit(message)).unwrap();
    committed.expect("a commit").changed_files.into_iter().map(|f| f.path).collect()
}

/// What the repository's check creates (`__pycache__/*.pyc`) is not the work: a commit of every
/// change leaves it out, files the check found there or changed are committed as before, a
/// session that reports writing one of those paths commits it, and the by-products do not keep
/// the worktree from being removed.
#[test]
fn the_checks_by_products_are_left_out_of_every_commit_and_of_removal() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-login");
    std::fs::write(wt.join("app.py"), "print(1)\n").unwrap();
    std::fs::write(wt.join("README.md"), "changed\n").unwrap();
    let before = repo.task_untracked(&task).unwrap();
    assert_eq!(before.iter().map(String::as_str).collect::<Vec<_>>(), ["app.py"]);
    // The check: byte code next to the sources, a report, and a change to a tracked file.
    std::fs::create_dir_all(wt.join("__pycache__")).unwrap();
    std::fs::write(wt.join("__pycache__/app.cpython-311.pyc"), [0u8, 1, 2]).unwrap();
    std::fs::write(wt.join("coverage.xml"), "<coverage/>\n").unwrap();
    std::fs::write(wt.join("README.md"), "changed by the check\n").unwrap();
    let created = repo.note_check_products(&task, &before).unwrap();
    assert_eq!(created, ["__pycache__/app.cpython-311.pyc", "coverage.xml"]);
    // A second check notes nothing new; the first's stay noted.
    assert_eq!(
        repo.note_check_products(&task, &repo.task_untracked(&task).unwrap()).unwrap(),
        [] as [String; 0]
    );

    let mut files = committed_files(&repo, &task, "work");
    files.sort();
    assert_eq!(files, ["README.md", "app.py"]);
    assert_eq!(status(&wt), "?? __pycache__/app.cpython-311.pyc\n?? coverage.xml", "they stay, uncommitted");
    assert_eq!(repo.commit_work_session(&task, &session_commit("sweep")).unwrap(), None);

    // A session that says it wrote one of them commits it.
    let mut reported = session_commit("report");
    reported.paths = Some(vec!["coverage.xml".to_owned()]);
    let committed = repo.commit_work_session(&task, &reported).unwrap().unwrap();
    assert_eq!(committed.changed_files.len(), 1);

    repo.merge_task(&task, "st-1").unwrap();
    let removal = repo.remove_task(&task, false, RemoveOptions::default()).unwrap();
    assert!(removal.worktree_removed, "the by-products alone keep no worktree");
    assert!(!wt.exists());
    let tree = git(repo.root(), &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!tree.contains("__pycache__"), "{tree}");
    assert_fsck_clean(repo.root());
}

/// The commit after a pre-commit check looks for the hooks only where the check found them: one
/// look at the configuration per completion. A hook set up elsewhere in between is found by the
/// next completion's check.
#[test]
fn a_checked_commit_looks_for_hooks_where_its_check_did() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-hooks");
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    let check = repo.pre_commit_refusal(&task, None, &[], None).unwrap();
    assert_eq!(check.refusal, None, "no pre-commit hook");
    assert!(check.hooks.is_some());

    let hooks = dir.path().join("later-hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("commit-msg"), "#!/bin/sh\necho 'no ticket' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(hooks.join("commit-msg"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(repo.root(), &["config", "core.hooksPath", hooks.to_str().unwrap()]);
    let checked = repo.commit_checked_work_session(&task, &session_commit("one"), check.hooks.as_ref());
    assert!(checked.unwrap().is_some(), "committed, with the hooks the check found (none)");

    std::fs::write(wt.join("b.txt"), "b\n").unwrap();
    let refused = repo.commit_work_session(&task, &session_commit("two"));
    assert!(
        matches!(&refused, Err(GitError::HookRejected { message, .. }) if message == "no ticket"),
        "looked up again, the hook is found: {refused:?}"
    );
}

/// A pre-commit check given where the hooks were found (as the session's turn ended) looks no
/// further; without it, it looks at the configuration as it is now.
#[test]
fn a_pre_commit_check_uses_the_hooks_found_ahead_of_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-ahead");
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    let found = repo.task_hooks(&task).unwrap();
    assert!(found.is_some(), "the repository's hooks run, so where they are is found");

    let hooks = dir.path().join("later-hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho 'not yet' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(hooks.join("pre-commit"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(repo.root(), &["config", "core.hooksPath", hooks.to_str().unwrap()]);
    let ahead = repo.pre_commit_refusal(&task, None, &[], found.clone()).unwrap();
    assert_eq!(ahead.refusal, None, "where it was found, no pre-commit hook is");
    assert_eq!(ahead.hooks, found);

    let now = repo.pre_commit_refusal(&task, None, &[], None).unwrap();
    assert_eq!(now.refusal.as_deref(), Some("not yet"), "looked up now, the hook is found");
    assert_eq!(repo.task_hooks(&task).unwrap(), now.hooks);
}

/// A session's commit tells when only `git commit` is left: its changes staged and its hooks
/// passed, HEAD not moved yet. It does not tell when a hook refuses or nothing is to commit.
#[test]
fn a_session_commit_tells_once_its_changes_are_staged_and_its_hooks_passed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-told");
    let hooks = dir.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let ran = dir.path().join("commit-msg-ran");
    let hook = format!("#!/bin/sh\ngrep -q refuse \"$1\" && exit 1\ntouch '{}'\n", ran.display());
    std::fs::write(hooks.join("commit-msg"), hook).unwrap();
    std::fs::set_permissions(hooks.join("commit-msg"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(repo.root(), &["config", "core.hooksPath", hooks.to_str().unwrap()]);
    let base = git(&wt, &["rev-parse", "HEAD"]);
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();

    let (mut seen, mut staged_told) = (None, false);
    let told = |paths: &[String]| {
        assert_eq!(paths, ["a.txt"]);
        let staged = git(&wt, &["diff", "--cached", "--name-only"]);
        seen = Some((ran.exists(), staged, git(&wt, &["rev-parse", "HEAD"])));
    };
    let committed =
        repo.commit_checked_work_session_telling(&task, &session_commit("one"), None, told, || {
            staged_told = true
        });
    let committed = committed.unwrap().expect("a.txt is committed");
    let (hook_ran, staged, head) = seen.expect("told before the commit");
    assert!(staged_told, "told it staged");
    assert!(hook_ran, "the hooks ran before");
    assert_eq!(staged.trim(), "a.txt");
    assert_eq!(head, base, "HEAD had not moved");
    assert_ne!(git(&wt, &["rev-parse", "HEAD"]), base);
    assert_eq!(committed.changed_files.len(), 1);

    let mut told = false;
    let nothing =
        repo.commit_checked_work_session_telling(&task, &session_commit("two"), None, |_| told = true, || {});
    assert!(nothing.unwrap().is_none());
    assert!(!told, "nothing to commit: not told");

    std::fs::write(wt.join("b.txt"), "b\n").unwrap();
    let refused = repo.commit_checked_work_session_telling(
        &task,
        &session_commit("refuse"),
        None,
        |_| told = true,
        || {},
    );
    assert!(matches!(refused, Err(GitError::HookRejected { .. })), "{refused:?}");
    assert!(!told, "a refusing hook: not told");
    // Unstaged again: no other commit of the worktree takes what the refused one staged.
    assert_eq!(git(&wt, &["diff", "--cached", "--name-only"]).trim(), "");
    assert_eq!(status(&wt).trim(), "?? b.txt");
}

/// A session commit whose `git commit` fails once it was told (a ref lock someone holds): its
/// changes stay staged, noted as the commit told of.
fn told_and_failed(repo: &Repo, task: &TaskHandle, wt: &std::path::Path, commit: &WorkSessionCommit) {
    told_and_failed_at(repo, task, wt, commit, "a.txt");
}

/// [`told_and_failed`], its changes being `staged` (the one path).
fn told_and_failed_at(
    repo: &Repo,
    task: &TaskHandle,
    wt: &std::path::Path,
    commit: &WorkSessionCommit,
    staged: &str,
) {
    let lock = repo.root().join(".git/refs/heads").join(format!("{}.lock", task.branch()));
    let mut told = false;
    let failed = repo.commit_checked_work_session_telling(
        task,
        commit,
        None,
        |_| told = true,
        || std::fs::write(&lock, "").unwrap(),
    );
    std::fs::remove_file(&lock).unwrap();
    assert!(told && failed.is_err(), "told {told}, {failed:?}");
    assert_eq!(git(wt, &["diff", "--cached", "--name-only"]).trim(), staged);
}

/// `(session, files)` pairs as [`sessions_and_files`] gives them.
fn named(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs.iter().map(|(s, f)| (s.to_string(), f.iter().map(|f| f.to_string()).collect())).collect()
}

/// Each commit on the task branch, newest first: its `Work-Session` trailer and its files.
fn sessions_and_files(wt: &std::path::Path, n: usize) -> Vec<(String, Vec<String>)> {
    let ids = git(wt, &["log", "--format=%H", &format!("-{n}")]);
    ids.lines()
        .map(|id| {
            let trailer = git(wt, &["log", "-1", "--format=%(trailers:key=Work-Session,valueonly)", id]);
            let files = git(wt, &["show", "--name-only", "--format=", id]);
            (trailer.trim().to_owned(), files.lines().map(str::to_owned).collect())
        })
        .collect()
}

/// A commit told of and not made (its `git commit` failed) is made first by the next commit of
/// the worktree, under its own session's name and with its files only; then the next session's
/// commit takes its own work. The first session's recovery then finds nothing left to commit.
#[test]
fn a_commit_told_of_and_not_made_goes_first_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-failed");
    let first = WorkSessionCommit { work_session: "ws-a".into(), ..session_commit("a") };
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    told_and_failed(&repo, &task, &wt, &first);

    std::fs::write(wt.join("b.txt"), "b\n").unwrap();
    let second = WorkSessionCommit { work_session: "ws-b".into(), ..session_commit("b") };
    let committed = repo.commit_checked_work_session(&task, &second, None).unwrap().expect("b is committed");
    let files: Vec<String> = committed.changed_files.into_iter().map(|f| f.path).collect();
    assert_eq!(files, ["b.txt"]);
    let expected = named(&[("ws-b", &["b.txt"]), ("ws-a", &["a.txt"])]);
    assert_eq!(sessions_and_files(&wt, 2), expected);
    assert!(repo.commit_staged_work_session(&task, &first).unwrap().is_none());
    assert_eq!(sessions_and_files(&wt, 2), expected, "nothing committed again");
    assert_fsck_clean(repo.root());
}

/// A commit no hook can refuse is told once git's status listed it, before anything is staged.
/// When staging then fails (someone holds the index's lock), the next commit of the worktree
/// makes it first, from the worktree, under its own name and with its files only.
#[test]
fn a_commit_told_once_listed_and_never_staged_goes_first_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-listed");
    let first = WorkSessionCommit { work_session: "ws-a".into(), ..session_commit("a") };
    let (paths, cached, staged) = listed_and_failed(&repo, &task, &wt, &first);
    assert_eq!(paths, ["a.txt"]);
    assert!(cached.trim().is_empty() && !staged, "told before anything was staged: {cached}");

    std::fs::write(wt.join("b.txt"), "b\n").unwrap();
    let second = WorkSessionCommit { work_session: "ws-b".into(), ..session_commit("b") };
    let committed = repo.commit_checked_work_session(&task, &second, None).unwrap().expect("b is committed");
    let files: Vec<String> = committed.changed_files.into_iter().map(|f| f.path).collect();
    assert_eq!(files, ["b.txt"]);
    let expected = named(&[("ws-b", &["b.txt"]), ("ws-a", &["a.txt"])]);
    assert_eq!(sessions_and_files(&wt, 2), expected);
    assert!(repo.commit_staged_work_session(&task, &first).unwrap().is_none());
    assert!(status(&wt).trim().is_empty(), "{}", status(&wt));
    assert_fsck_clean(repo.root());
}

/// A session commit of a new `a.txt`, told once listed, whose staging then fails: someone takes
/// the index's lock as it is told. Returns the paths it was told, what was staged then, and
/// whether it was told staged.
fn listed_and_failed(
    repo: &Repo,
    task: &TaskHandle,
    wt: &std::path::Path,
    commit: &WorkSessionCommit,
) -> (Vec<String>, String, bool) {
    let admin = git(wt, &["rev-parse", "--absolute-git-dir"]);
    let index_lock = std::path::Path::new(admin.trim()).join("index.lock");
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    let (mut seen, mut staged) = (None, false);
    let told = |paths: &[String]| {
        seen = Some((paths.to_vec(), git(wt, &["diff", "--cached", "--name-only"])));
        std::fs::write(&index_lock, "").unwrap();
    };
    let failed = repo.commit_checked_work_session_telling(task, commit, None, told, || staged = true);
    std::fs::remove_file(&index_lock).unwrap();
    assert!(failed.is_err(), "{failed:?}");
    let (paths, cached) = seen.expect("told once listed");
    (paths, cached, staged)
}

/// A listed commit whose new file is gone before it is made (someone deleted it) commits nothing
/// and stops no later commit.
#[test]
fn a_listed_commit_whose_file_is_gone_stops_no_later_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-gone");
    let first = WorkSessionCommit { work_session: "ws-a".into(), ..session_commit("a") };
    listed_and_failed(&repo, &task, &wt, &first);
    std::fs::remove_file(wt.join("a.txt")).unwrap();

    std::fs::write(wt.join("b.txt"), "b\n").unwrap();
    let second = WorkSessionCommit { work_session: "ws-b".into(), ..session_commit("b") };
    repo.commit_checked_work_session(&task, &second, None).unwrap().expect("b is committed");
    assert_eq!(sessions_and_files(&wt, 1), named(&[("ws-b", &["b.txt"])]));
    assert!(status(&wt).trim().is_empty(), "{}", status(&wt));
}

/// The session's own recovery (its drive retried) makes the commit it was told of, with its
/// trailers and files, and answers it as the session's commit.
#[test]
fn a_commit_told_of_and_not_made_is_made_by_its_sessions_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-retried");
    let first = WorkSessionCommit { work_session: "ws-a".into(), ..session_commit("a") };
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    told_and_failed(&repo, &task, &wt, &first);
    // Another session writes meanwhile: its work is not staged by the recovery.
    std::fs::write(wt.join("b.txt"), "b\n").unwrap();

    let recovered = repo.commit_staged_work_session(&task, &first).unwrap().expect("the told commit");
    assert_eq!(recovered.changed_files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a.txt"]);
    assert_eq!(sessions_and_files(&wt, 1), [("ws-a".to_owned(), vec!["a.txt".to_owned()])]);
    assert_eq!(status(&wt).trim(), "?? b.txt");
}

/// A session committing again after its told commit failed (a repository with a remote completes
/// only after its commit, so its drive is retried and commits anew) gets that commit as its own,
/// with what it changed since: the newer commit, and the files of both.
#[test]
fn a_session_committing_again_gets_its_told_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-again");
    let first = WorkSessionCommit { work_session: "ws-a".into(), ..session_commit("a") };
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    told_and_failed(&repo, &task, &wt, &first);

    let again = repo.commit_checked_work_session(&task, &first, None).unwrap().expect("the told commit");
    assert_eq!(again.changed_files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a.txt"]);
    assert_eq!(sessions_and_files(&wt, 1), [("ws-a".to_owned(), vec!["a.txt".to_owned()])]);
    assert!(status(&wt).trim().is_empty(), "{}", status(&wt));

    std::fs::write(wt.join("c.txt"), "c\n").unwrap();
    told_and_failed_at(&repo, &task, &wt, &first, "c.txt");
    std::fs::write(wt.join("d.txt"), "d\n").unwrap();
    let both = repo.commit_checked_work_session(&task, &first, None).unwrap().expect("two commits");
    let mut files: Vec<&str> = both.changed_files.iter().map(|f| f.path.as_str()).collect();
    files.sort_unstable();
    assert_eq!(files, ["c.txt", "d.txt"]);
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]).trim(), both.commit.to_string());
    let expected = named(&[("ws-a", &["d.txt"]), ("ws-a", &["c.txt"])]);
    assert_eq!(sessions_and_files(&wt, 2), expected);
}

/// A note that outlived its commit (a kill between `git commit` and the note's removal) makes
/// nothing: HEAD moved from where it was told. What is staged afterwards is the next commit's.
#[test]
fn a_note_that_outlived_its_commit_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (task, wt) = task_with_worktree(&repo, "7f3a-outlived");
    let base = git(&wt, &["rev-parse", "HEAD"]);
    std::fs::write(wt.join("a.txt"), "a\n").unwrap();
    let first = WorkSessionCommit { work_session: "ws-a".into(), ..session_commit("a") };
    repo.commit_checked_work_session(&task, &first, None).unwrap().expect("a is committed");
    // The note as the commit left it, had the node died before removing it.
    let admin = git(&wt, &["rev-parse", "--absolute-git-dir"]);
    let message = git(&wt, &["log", "-1", "--format=%B"]);
    std::fs::write(
        std::path::Path::new(admin.trim()).join("SPECTASK_TOLD_COMMIT"),
        format!("{}\n{message}", base.trim()),
    )
    .unwrap();
    std::fs::write(wt.join("x.txt"), "x\n").unwrap();
    git(&wt, &["add", "x.txt"]);

    std::fs::write(wt.join("b.txt"), "b\n").unwrap();
    let second = WorkSessionCommit { work_session: "ws-b".into(), ..session_commit("b") };
    repo.commit_checked_work_session(&task, &second, None).unwrap().expect("b is committed");
    let expected = named(&[("ws-b", &["b.txt", "x.txt"]), ("ws-a", &["a.txt"])]);
    assert_eq!(sessions_and_files(&wt, 2), expected);
    assert!(!std::path::Path::new(admin.trim()).join("SPECTASK_TOLD_COMMIT").exists(), "the note is gone");
}
