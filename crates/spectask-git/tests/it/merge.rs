//! Merging a task branch into the default branch: fast-forward, merge commit, and refusals.

use std::path::Path;

use spectask_git::{CommitId, GitError, MergeOutcome, Repo, TaskHandle, parse_trailers};

use crate::support::{assert_fsck_clean, commit_in_checkout, commit_in_task, git, registered_repo, status};

/// A registered repository (`main` checked out) and its task `7f3a-login`, merged as SpecTask `st-1`.
struct Merging {
    dir: tempfile::TempDir,
    repo: Repo,
    task: TaskHandle,
}

impl Merging {
    /// Nothing committed for the task yet.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = registered_repo(dir.path());
        Self { dir, repo, task: TaskHandle::new("7f3a-login").unwrap() }
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

    /// Writes the merge intent spectask leaves in `<git dir>/spectask/merge-intent` while it updates
    /// a checkout, as a merge cut off by `kill -9` leaves it.
    fn leave_merge_intent(&self, old: &str, new: &str) {
        let dir = self.root().join(".git/spectask");
        std::fs::create_dir_all(&dir).unwrap();
        let text = format!("spectask merge intent\nbranch main\nold {old}\nnew {new}\n");
        std::fs::write(dir.join("merge-intent"), text).unwrap();
    }

    fn merge_intent_exists(&self) -> bool {
        self.root().join(".git/spectask/merge-intent").exists()
    }

    /// A task changing `README.md`, adding `src/login.rs` and deleting `old.rs` (which main gets
    /// first, with `notes.md`); returns main's tip before the merge.
    fn task_touching_three_files(&self) -> String {
        self.write("old.rs", "fn old() {}\n");
        self.write("notes.md", "notes\n");
        git(self.root(), &["add", "old.rs", "notes.md"]);
        git(self.root(), &["commit", "-qm", "old.rs and notes"]);
        let wt = self.repo.ensure_task_worktree(&self.task).unwrap().path;
        std::fs::remove_file(wt.join("old.rs")).unwrap();
        let files = [("src/login.rs", "fn login() {}\n"), ("README.md", "# readme, as the task left it\n")];
        commit_in_task(&self.repo, &self.task, &files, &[]);
        self.main_tip()
    }

    /// The merge is finished: `main` is at `tip`, the checkout matches it, no intent is left behind
    /// and the repository is sound.
    fn assert_merged_at(&self, tip: &str) {
        assert_eq!(self.main_tip(), tip);
        assert_eq!(status(self.root()), "", "checkout matches the new tip");
        assert!(!self.merge_intent_exists(), "a finished merge leaves no intent behind");
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

#[test]
fn merge_is_refused_when_the_default_checkout_has_local_changes() {
    let m = Merging::with_login();
    let main_before = m.main_tip();
    m.write("README.md", "local edit\n");

    let err = m.merge().unwrap_err();
    assert!(matches!(&err, GitError::DefaultBranchDirty { files, .. } if files == &["README.md"]), "{err}");
    assert_eq!(m.main_tip(), main_before, "main did not move");
    assert_eq!(m.read("README.md"), "local edit\n");
    assert!(!m.root().join("login.rs").exists());
    assert_fsck_clean(m.root());
}

/// `kill -9` between updating the main checkout and moving `main` leaves the checkout at the task's
/// content with `main` where it was: the next attempt finishes the merge instead of taking its own
/// writes for local changes (found by the chaos run: the task stayed done, unmerged, for good).
#[test]
fn a_merge_cut_off_between_checkout_and_ref_is_finished() {
    let m = Merging::new();
    let main_before = m.task_touching_three_files();
    let task_tip = m.task_tip();
    m.write("README.md", "# readme, as the task left it\n");
    m.write("src/login.rs", "fn login() {}\n");
    std::fs::remove_file(m.root().join("old.rs")).unwrap();
    m.leave_merge_intent(&main_before, &task_tip.to_string());

    assert_eq!(m.merge().unwrap(), MergeOutcome::AlreadyMerged { tip: task_tip });
    m.assert_merged_at(&task_tip.to_string());
}

/// `kill -9` in the middle of writing the checkout's files leaves them truncated or half-written,
/// matching neither tip (the full chaos run on SQLite: a 0-byte `src/App.jsx`): the merge intent
/// says which merge was under way, and the next attempt rewrites exactly the paths it changes.
#[test]
fn a_merge_cut_off_while_writing_files_is_finished_from_its_intent() {
    let m = Merging::new();
    let main_before = m.task_touching_three_files();
    let task_tip = m.task_tip();
    m.write("README.md", "");
    m.write("src/login.rs", "fn lo");
    m.leave_merge_intent(&main_before, &task_tip.to_string());

    assert_eq!(m.merge().unwrap(), MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_eq!(m.read("README.md"), "# readme, as the task left it\n");
    assert_eq!(m.read("src/login.rs"), "fn login() {}\n");
    assert!(!m.root().join("old.rs").exists());
    assert_eq!(m.read("notes.md"), "notes\n");
    m.assert_merged_at(&task_tip.to_string());
}

/// The intent names the merge commit the cut-off attempt made: the next attempt moves `main` to that
/// very commit rather than making a second one.
#[test]
fn a_cut_off_merge_commit_is_finished_with_the_same_commit() {
    let m = Merging::with_login();
    m.commit_on_main("other.rs", "fn other() {}\n", "meanwhile on main");
    let main_before = m.main_tip();
    let task_tip = m.task_tip().to_string();
    let tree = {
        let index = m.dir.path().join("merge-index");
        let env_git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(args)
                .current_dir(m.root())
                .env("GIT_INDEX_FILE", &index)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        env_git(&["read-tree", "-m", &main_before, &task_tip]);
        env_git(&["write-tree"])
    };
    let message = "Merge spectask/7f3a-login into main";
    let merge = git(m.root(), &["commit-tree", &tree, "-p", &main_before, "-p", &task_tip, "-m", message]);
    m.write("login.rs", "");
    m.leave_merge_intent(&main_before, &merge);

    assert_eq!(m.merge().unwrap(), MergeOutcome::AlreadyMerged { tip: merge.parse().unwrap() });
    assert_eq!(m.read("login.rs"), "fn login() {}\n");
    m.assert_merged_at(&merge);
}

/// With a cut-off merge's intent present, a person's edit to a file the merge does not change is
/// still refused and left as it is; once they commit or undo it, the merge is finished.
#[test]
fn a_local_edit_outside_a_cut_off_merge_is_still_refused() {
    let m = Merging::new();
    let main_before = m.task_touching_three_files();
    let task_tip = m.task_tip();
    m.write("README.md", "");
    m.write("notes.md", "a person's notes\n");
    m.leave_merge_intent(&main_before, &task_tip.to_string());

    let err = m.merge().unwrap_err();
    assert!(matches!(&err, GitError::DefaultBranchDirty { files, .. } if files == &["notes.md"]), "{err}");
    assert_eq!(m.main_tip(), main_before, "main did not move");
    assert_eq!(m.read("notes.md"), "a person's notes\n");
    assert!(m.merge_intent_exists(), "the intent waits for the person");

    git(m.root(), &["checkout", "--", "notes.md"]);
    assert_eq!(m.merge().unwrap(), MergeOutcome::AlreadyMerged { tip: task_tip });
    assert_eq!(m.read("README.md"), "# readme, as the task left it\n");
    m.assert_merged_at(&task_tip.to_string());
}

/// An intent whose branch someone moved since (neither its old nor its new commit) is stale: it is
/// dropped and the merge goes on as usual, its checks intact.
#[test]
fn a_stale_merge_intent_is_dropped() {
    let m = Merging::with_login();
    let initial = m.main_tip();
    m.commit_on_main("other.rs", "fn other() {}\n", "a person committed after the crash");
    m.leave_merge_intent(&initial, &m.task_tip().to_string());

    let MergeOutcome::MergeCommit { tip } = m.merge().unwrap() else {
        panic!("expected a merge commit");
    };
    assert!(m.root().join("login.rs").is_file() && m.root().join("other.rs").is_file());
    m.assert_merged_at(&tip.to_string());
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
    assert!(!m.merge_intent_exists(), "nothing was written, nothing is left to finish");
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
