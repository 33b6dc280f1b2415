//! Merging a task branch into the default branch: fast-forward, merge commit, and refusals.

use std::path::Path;

use spectask_git::{CommitId, GitError, MergeOutcome, Repo, TaskHandle, parse_trailers};

use crate::support::{assert_fsck_clean, commit_in_checkout, commit_in_task, git, registered_repo, status};

/// A registered repository (`main` checked out) and its task `7f3a-login`, merged as SpecTask `st-1`.
struct Merging {
    _dir: tempfile::TempDir,
    repo: Repo,
    task: TaskHandle,
}

impl Merging {
    /// Nothing committed for the task yet.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = registered_repo(dir.path());
        Self { _dir: dir, repo, task: TaskHandle::new("7f3a-login").unwrap() }
    }

    /// The task's one commit adds `login.rs`.
    fn with_login() -> Self {
        let merging = Self::new();
        merging.task_commit("login.rs", "fn login() {}\n");
        merging
    }

    fn root(&self) -> &Path {
        self.repo.root()
    }

    fn task_commit(&self, file: &str, contents: &str) {
        commit_in_task(&self.repo, &self.task, &[(file, contents)], &[]);
    }

    /// Someone's commit on `main`, outside spectask.
    fn commit_on_main(&self, file: &str, contents: &str, message: &str) {
        commit_in_checkout(self.root(), file, contents, message);
    }

    fn main_tip(&self) -> String {
        git(self.root(), &["rev-parse", "main"])
    }

    fn task_tip(&self) -> CommitId {
        self.repo.branch_tip("spectask/7f3a-login").unwrap().unwrap()
    }

    fn merge(&self) -> Result<MergeOutcome, GitError> {
        self.repo.merge_task(&self.task, "st-1")
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.root().join(file)).unwrap()
    }

    fn write(&self, file: &str, contents: &str) {
        let path = self.root().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// The merge is finished: `main` is at `tip`, the checkout matches it and the repository is
    /// sound.
    fn assert_merged_at(&self, tip: &str) {
        assert_eq!(self.main_tip(), tip);
        assert_eq!(status(self.root()), "", "checkout matches the new tip");
        assert_fsck_clean(self.root());
    }
}

#[test]
fn fast_forward_updates_the_main_checkout() {
    let m = Merging::with_login();
    let task_tip = m.task_tip();

    assert_eq!(m.merge().unwrap(), MergeOutcome::FastForward { tip: task_tip });
    assert_eq!(m.read("login.rs"), "fn login() {}\n");
    m.assert_merged_at(&task_tip.to_string());
    assert_eq!(m.merge().unwrap(), MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_fsck_clean(m.root());
}

#[test]
fn diverged_branches_get_a_merge_commit() {
    let m = Merging::with_login();
    m.commit_on_main("other.rs", "fn other() {}\n", "meanwhile on main");
    let main_before = m.main_tip();
    let task_tip = m.task_tip();

    let MergeOutcome::MergeCommit { tip } = m.merge().unwrap() else {
        panic!("expected a merge commit");
    };
    let info = m.repo.commit_info(tip).unwrap();
    assert_eq!(
        info.parents.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [main_before, task_tip.to_string()]
    );
    assert_eq!(parse_trailers(&info.message), [("Spec-Task".to_owned(), "st-1".to_owned())]);
    assert!(info.message.starts_with("Merge spectask/7f3a-login into main"), "{}", info.message);
    assert_eq!(git(m.root(), &["rev-parse", "HEAD"]), tip.to_string());
    assert!(m.root().join("login.rs").is_file() && m.root().join("other.rs").is_file());
    m.assert_merged_at(&tip.to_string());
}

/// A local edit to a file the merge changes refuses it, naming the file; an edit elsewhere is
/// kept as it is while the merge goes on, as `git merge` treats a person's edits.
#[test]
fn merge_is_refused_only_when_a_local_change_is_in_its_way() {
    let m = Merging::new();
    m.commit_on_main("notes.md", "notes\n", "notes on main");
    m.task_commit("README.md", "task version\n");
    let main_before = m.main_tip();
    m.write("README.md", "local edit\n");
    let err = m.merge().unwrap_err();
    assert!(matches!(&err, GitError::DefaultBranchDirty { files, .. } if files == &["README.md"]), "{err}");
    assert_eq!(m.main_tip(), main_before, "main did not move");
    assert_eq!(m.read("README.md"), "local edit\n");
    git(m.root(), &["checkout", "--", "README.md"]);

    m.write("notes.md", "my notes\n");
    let task_tip = m.task_tip();
    assert_eq!(m.merge().unwrap(), MergeOutcome::FastForward { tip: task_tip });
    assert_eq!(m.read("notes.md"), "my notes\n", "the person's edit is kept");
    assert_eq!(m.read("README.md"), "task version\n");
    assert_eq!(status(m.root()), "M notes.md");
    assert_fsck_clean(m.root());
}

#[test]
fn merge_is_refused_when_an_untracked_file_is_in_the_way() {
    let m = Merging::with_login();
    let main_before = m.main_tip();
    m.write("login.rs", "mine\n");

    let err = m.merge().unwrap_err();
    assert!(matches!(err, GitError::DefaultBranchDirty { .. }), "{err}");
    assert_eq!(m.main_tip(), main_before);
    assert_eq!(m.read("login.rs"), "mine\n");
    assert_eq!(m.merge().unwrap_err().to_string(), err.to_string(), "refused again");
    assert_eq!(m.read("login.rs"), "mine\n");
    assert_fsck_clean(m.root());
}

#[test]
fn conflicting_branches_are_refused_and_nothing_moves() {
    let m = Merging::new();
    m.task_commit("README.md", "task version\n");
    m.commit_on_main("README.md", "main version\n", "main edits readme");
    let main_before = m.main_tip();

    let err = m.merge().unwrap_err();
    assert!(matches!(&err, GitError::MergeConflict { files, .. } if files == &["README.md"]), "{err}");
    assert_eq!(m.main_tip(), main_before);
    assert_eq!(status(m.root()), "");
    assert_fsck_clean(m.root());
}

#[test]
fn merge_into_a_default_branch_not_checked_out_moves_only_the_ref() {
    let m = Merging::with_login();
    git(m.root(), &["checkout", "-q", "-b", "elsewhere"]);
    assert!(matches!(m.merge().unwrap(), MergeOutcome::FastForward { .. }));
    assert!(!m.root().join("login.rs").exists(), "the checkout of another branch is untouched");
    assert_eq!(status(m.root()), "");
    assert_eq!(m.main_tip(), m.task_tip().to_string());
    assert_fsck_clean(m.root());
}

/// Before review, the task branch takes in what moved on main: a clean merge makes the final merge
/// a fast-forward; a conflicting one is undone, names the files and leaves everything as it was.
#[test]
fn the_task_branch_is_brought_up_to_date_with_main_before_review() {
    let m = Merging::with_login();
    assert_eq!(m.repo.integrate_default_branch(&m.task).unwrap(), spectask_git::Integration::UpToDate);
    m.commit_on_main("other.rs", "fn other() {}\n", "meanwhile on main");
    let spectask_git::Integration::Merged { commit } = m.repo.integrate_default_branch(&m.task).unwrap()
    else {
        panic!("expected a merge commit");
    };
    assert_eq!(m.task_tip(), commit);
    assert_eq!(m.repo.commit_info(commit).unwrap().parents.len(), 2);
    let wt = m.repo.ensure_task_worktree(&m.task).unwrap().path;
    assert!(wt.join("other.rs").is_file() && wt.join("login.rs").is_file());
    assert_eq!(status(&wt), "");
    assert_eq!(m.merge().unwrap(), MergeOutcome::FastForward { tip: commit });

    let conflicting = Merging::new();
    conflicting.task_commit("README.md", "task version\n");
    conflicting.commit_on_main("README.md", "main version\n", "main edits the readme");
    let before = conflicting.task_tip();
    let outcome = conflicting.repo.integrate_default_branch(&conflicting.task).unwrap();
    assert_eq!(outcome, spectask_git::Integration::Conflicts { files: vec!["README.md".to_owned()] });
    let wt = conflicting.repo.ensure_task_worktree(&conflicting.task).unwrap().path;
    assert_eq!(conflicting.task_tip(), before, "nothing moved");
    assert_eq!(status(&wt), "", "the merge was undone");
    assert_eq!(std::fs::read_to_string(wt.join("README.md")).unwrap(), "task version\n");
    assert_fsck_clean(conflicting.root());
}

/// A conflicting merge of main is left under way for the agent: the files hold git's markers, the
/// merge is idempotent to begin again, and the session's commit after the agent resolved them
/// concludes it as a merge commit with both sides, which then lands as a fast-forward.
#[test]
fn a_conflicting_integration_is_left_for_the_agent_and_its_commit_concludes_it() {
    let m = Merging::new();
    m.task_commit("README.md", "task version\n");
    m.commit_on_main("README.md", "main version\n", "main edits the readme");
    let main_tip = m.main_tip();
    let conflicts = spectask_git::Integration::Conflicts { files: vec!["README.md".to_owned()] };
    assert_eq!(m.repo.begin_integration(&m.task).unwrap(), conflicts);
    assert_eq!(m.repo.begin_integration(&m.task).unwrap(), conflicts, "begun again, it stays as it is");
    let wt = m.repo.ensure_task_worktree(&m.task).unwrap().path;
    let marked = std::fs::read_to_string(wt.join("README.md")).unwrap();
    assert!(marked.contains("<<<<<<< ") && marked.contains("main version"), "{marked}");
    assert_eq!(m.repo.unresolved_conflicts(&m.task).unwrap(), vec!["README.md".to_owned()]);

    // The agent resolves the file (it cannot stage: its sandbox keeps it out of .git).
    std::fs::write(wt.join("README.md"), "task version\nmain version\n").unwrap();
    assert!(m.repo.unresolved_conflicts(&m.task).unwrap().is_empty());
    assert_eq!(m.repo.pre_commit_refusal(&m.task, None, &[], None).unwrap().refusal, None);
    let commit = spectask_git::WorkSessionCommit {
        message: "7f3a-login: Resolve merge conflicts".to_owned(),
        spec_task: "st-1".to_owned(),
        work_session: "ws-9".to_owned(),
        implements: Vec::new(),
        paths: Some(vec!["README.md".to_owned()]),
        siblings_paths: Vec::new(),
    };
    let committed = m.repo.commit_work_session(&m.task, &commit).unwrap().expect("a merge commit");
    let info = m.repo.commit_info(committed.commit).unwrap();
    assert_eq!(info.parents.len(), 2, "{info:?}");
    assert_eq!(info.parents[1].to_string(), main_tip);
    assert_eq!(status(&wt), "");
    assert!(m.repo.unresolved_conflicts(&m.task).unwrap().is_empty());
    assert_eq!(m.repo.integrate_default_branch(&m.task).unwrap(), spectask_git::Integration::UpToDate);
    assert_eq!(m.merge().unwrap(), MergeOutcome::FastForward { tip: committed.commit });
    assert_eq!(m.read("README.md"), "task version\nmain version\n");
    assert_fsck_clean(m.root());
}
