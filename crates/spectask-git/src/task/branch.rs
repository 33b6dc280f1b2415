//! A SpecTask's code branch `spectask/<task>` and its worktree `.git-worktrees/<task>`: creation,
//! work-session commits, and removal that never loses work.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::GitError;
use crate::names::{CommitId, TaskHandle, Trailer, commit_message};
use crate::plumbing::changed_files::ChangedFile;
use crate::plumbing::cmd::RemoteTrust;
use crate::plumbing::commit::Worktree;
use crate::plumbing::hooks::{Hooks, HooksDir};
use crate::plumbing::lock::LockScope;
use crate::plumbing::status::uncommitted_files;
use crate::plumbing::taken::Changes;
use crate::plumbing::worktree::{
    RemoveOptions, Start, WorktreeKind, admin_dir, ensure_worktree, marked_worktrees, remove_worktree,
    worktree_path,
};
use crate::repository::registration::Repo;

/// A task's code branch and worktree, as [`Repo::ensure_task_worktree`] left them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskWorktree {
    /// `spectask/<task>`.
    pub branch: String,
    /// `<root>/.git-worktrees/<task>`.
    pub path: PathBuf,
    /// The branch did not exist and was created from the default branch's tip.
    pub branch_created: bool,
    /// The worktree did not exist (or was stale) and was created.
    pub worktree_created: bool,
    /// What this clone held of the task that the remote's branch went past, set aside before the
    /// branch took up the remote's (another node worked on the task since).
    pub set_aside: Option<crate::remote::sync::SetAside>,
}

/// A commit of everything a work session changed in its task's worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkSessionCommit {
    /// The subject line, e.g. `feat(7f3a-login): add password hashing`.
    pub message: String,
    /// The SpecTask id, written as the `Spec-Task:` trailer.
    pub spec_task: String,
    /// The WorkSession id, written as the `Work-Session:` trailer.
    pub work_session: String,
    /// Requirement ids, written comma-separated as the `Implements:` trailer (left out when empty).
    pub implements: Vec<String>,
    /// The files the session changed (relative to the worktree), when known: only they are
    /// committed, so a sibling session's work in the shared worktree is not swept in. `None`
    /// commits every change but the check's by-products ([`Repo::note_check_products`]) and
    /// `siblings_paths`.
    pub paths: Option<Vec<String>>,
    /// The files the task's other sessions reported changing and have not committed yet. A
    /// commit of every change (`paths: None`) leaves them in the worktree for their own
    /// sessions' commits.
    pub siblings_paths: Vec<String>,
}

impl WorkSessionCommit {
    /// Which of the worktree's changes the commit takes.
    fn changes(&self) -> Changes<'_> {
        match &self.paths {
            Some(paths) => Changes::At(paths),
            None => Changes::AllBut(&self.siblings_paths),
        }
    }
}

/// What [`Repo::pre_commit_refusal`] found: the repository's `pre-commit` hook's refusal, and
/// where its hooks are, for the commit that follows ([`Repo::commit_checked_work_session`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreCommitCheck {
    /// The hook's output when it refuses.
    pub refusal: Option<String>,
    /// Where the hooks are (`None` when the repository's hooks are not run).
    pub hooks: Option<HooksDir>,
}

/// What [`Repo::commit_work_session`] (or [`Repo::commit_design_docs_worktree`]) committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedChanges {
    pub commit: CommitId,
    pub changed_files: Vec<ChangedFile>,
}

/// One task worktree spectask created, as listed by [`Repo::task_worktrees`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskWorktreeEntry {
    pub task: TaskHandle,
    pub path: PathBuf,
    pub valid: bool,
}

/// What [`Repo::remove_task`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskRemoval {
    pub worktree_removed: bool,
    pub branch_deleted: bool,
}

/// Where the task's worktree is: `<root>/.git-worktrees/<task>` (it may not exist yet).
pub fn task_worktree_path(root: &std::path::Path, task: &TaskHandle) -> PathBuf {
    worktree_path(root, task.as_str())
}

impl Repo {
    /// Makes sure `spectask/<task>` exists (at least at the remote's copy of it when the repository
    /// has a remote that holds one, else created from the default branch's tip) and is checked out at
    /// `.git-worktrees/<task>`. Idempotent; shared by all of the task's work sessions.
    pub fn ensure_task_worktree(&self, task: &TaskHandle) -> Result<TaskWorktree, GitError> {
        self.ensure_task_worktree_from(task, None)
    }

    /// [`Repo::ensure_task_worktree`], a new branch starting at `from` (a review task's reviewed
    /// code) rather than at the default branch's tip.
    pub(crate) fn ensure_task_worktree_from(
        &self,
        task: &TaskHandle,
        from: Option<CommitId>,
    ) -> Result<TaskWorktree, GitError> {
        if task.as_str() == self.design_docs_dir_name() {
            return Err(GitError::InvalidTaskHandle {
                name: task.to_string(),
                reason: "is the name of the design-docs worktree",
            });
        }
        let branch = task.branch();
        let path = worktree_path(self.root(), task.as_str());
        let main = self.main_git();
        // Looked at first without the writer lock: a task's worktree is made once and every later
        // call (each session of the task) finds it in place, on git's record of it where that is
        // plain to read.
        let full = format!("refs/heads/{branch}");
        let in_place = || -> Result<bool, GitError> {
            if crate::plumbing::worktree::on_record(self.git_dir(), task.as_str(), &path, &full) {
                return Ok(true);
            }
            let found = crate::plumbing::worktree::in_place(&main, &path)?;
            Ok(found.is_some_and(|found| found.branch.as_deref() == Some(full.as_str())))
        };
        if in_place()? {
            // Commits a person pushed onto the task's branch (as last fetched) are built on.
            let mut set_aside = None;
            if self.remote().is_some() {
                let _lock = self.lock(LockScope::Task(task))?;
                set_aside = self.catch_up_task_branch(&branch)?;
            }
            return Ok(TaskWorktree {
                branch,
                path,
                branch_created: false,
                worktree_created: false,
                set_aside,
            });
        }
        let _lock = self.lock(LockScope::Task(task))?;
        let branch_created = self.tip_of(&branch)?.is_none();
        // Work another node pushed (a repository registered by URL, as last fetched) carries on
        // here: the branch is created from, or fast-forwarded to, the remote's.
        let set_aside = self.catch_up_task_branch(&branch)?;
        let base = match from {
            Some(from) => from.to_string(),
            None => self.default_tip()?.to_string(),
        };
        let start = match self.tip_of(&branch)? {
            None => Start::NewBranch { from: &base },
            Some(_) => Start::Branch,
        };
        let worktree_created = ensure_worktree(
            &main,
            self.root(),
            self.git_dir(),
            task.as_str(),
            &branch,
            WorktreeKind::Task,
            start,
        )?;
        if worktree_created && path.join(".gitmodules").is_file() {
            self.check_out_submodules(task)?;
        }
        Ok(TaskWorktree { branch, path, branch_created, worktree_created, set_aside })
    }

    /// Checks out the submodules of the task's new worktree: the agent sees their files, as in a
    /// clone made with `--recurse-submodules`. Not for a member's repository
    /// ([`RemoteTrust::Member`]): its `.gitmodules` names URLs that no policy judged, which the
    /// server would fetch.
    fn check_out_submodules(&self, task: &TaskHandle) -> Result<(), GitError> {
        if self.trust() == RemoteTrust::Member {
            tracing::info!(task = %task, "the submodules of a member's repository are not checked out");
            return Ok(());
        }
        let worktree = self.task_checkout(task)?;
        let init = ["submodule", "update", "--init", "--recursive", "--quiet"];
        if let Err(err) = worktree.git.transfer().run(&init) {
            tracing::warn!(task = %task, %err, "could not check out the submodules of a task worktree");
        }
        Ok(())
    }

    /// Commits every change in the task's worktree — added, modified, deleted, and untracked files
    /// that are not ignored — with the trailers `Spec-Task:`, `Work-Session:` and `Implements:`,
    /// through `git commit` after the repository's `pre-commit` and `commit-msg` hooks (a refusal
    /// is [`GitError::HookRejected`], with the hook's output, and commits nothing). With a merge
    /// of the default branch under way, concludes it with every change. Returns `None` when
    /// nothing changed.
    pub fn commit_work_session(
        &self,
        task: &TaskHandle,
        commit: &WorkSessionCommit,
    ) -> Result<Option<CommittedChanges>, GitError> {
        self.commit_checked_work_session(task, commit, None)
    }

    /// [`Repo::commit_work_session`], running the hooks where the pre-commit check of the same
    /// completion found them (`hooks`, from [`Repo::pre_commit_refusal`]) rather than looking again.
    pub fn commit_checked_work_session(
        &self,
        task: &TaskHandle,
        commit: &WorkSessionCommit,
        hooks: Option<&HooksDir>,
    ) -> Result<Option<CommittedChanges>, GitError> {
        self.commit_checked_work_session_telling(task, commit, hooks, |_| {}, || {})
    }

    /// [`Repo::commit_checked_work_session`], calling `told` once what the commit takes is fixed,
    /// and `staged` once only git's own `git commit` stands between the session's changes and
    /// their commit. `told` is given the paths spectask stages (what the agent staged itself
    /// elsewhere is committed too): once git's status listed them when nothing can refuse the
    /// commit (no `pre-commit` or `commit-msg` hook is present: none runs), else once they are
    /// staged and the hooks passed. The commit is noted before `told` is called, and a commit told
    /// of earlier that git did not make is made first (`plumbing/told_commit.rs`). The task's lock,
    /// held from before the listing until the commit is made, keeps every other spectask write of
    /// the worktree out. Neither is called when nothing is to be committed, a merge is concluded,
    /// or the worktree has submodules (a change inside one is listed, but not staged).
    pub fn commit_checked_work_session_telling(
        &self,
        task: &TaskHandle,
        commit: &WorkSessionCommit,
        hooks: Option<&HooksDir>,
        told: impl FnOnce(&[String]),
        staged: impl FnOnce(),
    ) -> Result<Option<CommittedChanges>, GitError> {
        let message = commit_message(&commit.message, &session_trailers(commit)?);
        let _lock = self.lock(LockScope::Task(task))?;
        let worktree = self.task_checkout(task)?;
        let hooks = match self.hooks() {
            crate::repository::registration::HookPolicy::Run => Hooks::Run(hooks),
            crate::repository::registration::HookPolicy::Skip => Hooks::Skip,
        };
        // A commit told of and never made holds what is staged: it goes first, under its own name
        // (this session's own, when a retry of its drive finds it).
        let earlier = worktree.commit_told(&task.branch(), Some(&message))?;
        let committed = if self.integration_under_way(&worktree)? {
            // The default branch's merge the task's agent resolved (`Repo::begin_integration`).
            worktree.conclude_merge(&task.branch(), &message, hooks)?
        } else if worktree.path.join(".gitmodules").is_file() {
            let untold = |_: &[String], _: Option<&str>| Ok(());
            worktree.commit_changes(&task.branch(), &message, commit.changes(), hooks, untold, untold)?
        } else {
            let looked;
            let hooks = match hooks {
                Hooks::Run(None) => {
                    looked = worktree.hooks_dir()?;
                    Hooks::Run(Some(&looked))
                }
                found => found,
            };
            // Decided here, under the lock, and kept: no hook is looked for again.
            let unrefusable = match hooks {
                Hooks::Skip => true,
                Hooks::Run(dir) => {
                    dir.is_none_or(|dir| dir.present(&["pre-commit", "commit-msg"]).is_empty())
                }
            };
            let told = std::cell::Cell::new(Some(told));
            // Noted before it is told: a commit that fails after is made by the next one.
            let listed = |paths: &[String], head: Option<&str>| {
                if unrefusable {
                    worktree.note_listed_commit(head, paths, &message)?;
                    if let Some(told) = told.take() {
                        told(paths);
                    }
                }
                Ok(())
            };
            let noted = |paths: &[String], head: Option<&str>| {
                worktree.note_told_commit(head, &message)?;
                worktree.forget_listed_commit();
                if let Some(told) = told.take() {
                    told(paths);
                }
                staged();
                Ok(())
            };
            let (changes, hooks) = (commit.changes(), if unrefusable { Hooks::Skip } else { hooks });
            let committed =
                worktree.commit_changes(&task.branch(), &message, changes, hooks, listed, noted)?;
            worktree.forget_told_commit();
            committed
        };
        Ok(with_told(committed, earlier))
    }

    /// Commits what is staged in the task's worktree, as it is, with the session's trailers and no
    /// hook: the commit a session's completion told of (`commit_checked_work_session_telling`)
    /// when `git commit` did not run then. Nothing is staged from the worktree, where other
    /// sessions may have written since. `None` when nothing is staged (and no commit told of this
    /// session was left to make: `plumbing/told_commit.rs`).
    pub fn commit_staged_work_session(
        &self,
        task: &TaskHandle,
        commit: &WorkSessionCommit,
    ) -> Result<Option<CommittedChanges>, GitError> {
        let message = commit_message(&commit.message, &session_trailers(commit)?);
        let _lock = self.lock(LockScope::Task(task))?;
        let worktree = self.task_checkout(task)?;
        // The commit told of, when git did not make it then: this session's, or one before it.
        let told = worktree.commit_told(&task.branch(), Some(&message))?;
        let committed = worktree.commit_index(&task.branch(), &message)?;
        Ok(with_told(committed, told))
    }

    /// Where the repository's hooks are for the task's worktree, as its configuration says now:
    /// one `git config`; `None` when the repository's hooks are not run. Looked up ahead of
    /// [`Repo::pre_commit_refusal`] (as the session's turn ends), it keeps that process off the
    /// way from the turn's end to its commit.
    pub fn task_hooks(&self, task: &TaskHandle) -> Result<Option<HooksDir>, GitError> {
        if self.hooks() == crate::repository::registration::HookPolicy::Skip {
            return Ok(None);
        }
        self.task_checkout(task)?.hooks_dir().map(Some)
    }

    /// What the repository's `pre-commit` hook says of the work in the task's worktree (only at
    /// `paths` when given, else all of it but `siblings_paths`: see [`WorkSessionCommit`]),
    /// staged as [`Repo::commit_work_session`] would stage it: the hook's
    /// output when it refuses, none when it passes, is absent, or nothing changed; and where the
    /// hooks are, for the commit: `found` (from [`Repo::task_hooks`]), else as it looks now.
    /// Commits nothing; lets a refusal go back to the agent before its session completes.
    pub fn pre_commit_refusal(
        &self,
        task: &TaskHandle,
        paths: Option<&[String]>,
        siblings_paths: &[String],
        found: Option<HooksDir>,
    ) -> Result<PreCommitCheck, GitError> {
        let _lock = self.lock(LockScope::Task(task))?;
        let worktree = self.task_checkout(task)?;
        if self.hooks() == crate::repository::registration::HookPolicy::Skip {
            return Ok(PreCommitCheck { refusal: None, hooks: None });
        }
        let hooks = match found {
            Some(found) => found,
            None => worktree.hooks_dir()?,
        };
        let changes = match paths {
            Some(paths) => Changes::At(paths),
            None => Changes::AllBut(siblings_paths),
        };
        let refusal = worktree.pre_commit(&task.branch(), changes, &hooks)?;
        Ok(PreCommitCheck { refusal, hooks: Some(hooks) })
    }

    /// Removes the task's worktree and, when `delete_branch`, its branch. Without `force` it refuses
    /// when the worktree has uncommitted or untracked files ([`GitError::UncommittedChanges`]) or the
    /// branch has commits not merged into the default branch ([`GitError::UnmergedCommits`]). A
    /// worktree spectask did not create is never removed, forced or not.
    pub fn remove_task(
        &self,
        task: &TaskHandle,
        delete_branch: bool,
        options: RemoveOptions,
    ) -> Result<TaskRemoval, GitError> {
        let _lock = self.lock(LockScope::Task(task))?;
        let branch = task.branch();
        if delete_branch && !options.force {
            self.refuse_unmerged(&branch)?;
        }
        let main = self.main_git();
        let worktree_removed = remove_worktree(
            &main,
            self.root(),
            self.git_dir(),
            task.as_str(),
            WorktreeKind::Task,
            options.force,
        )?;
        let mut branch_deleted = false;
        if delete_branch && let Some(tip) = self.tip_of(&branch)? {
            let full = format!("refs/heads/{branch}");
            main.run(&["update-ref", "-m", "spectask: remove task", "-d", &full, &tip.to_string()])?;
            branch_deleted = true;
            self.forget_pushed(&branch)?;
            tracing::info!(branch, "deleted task branch");
        }
        Ok(TaskRemoval { worktree_removed, branch_deleted })
    }

    /// The task worktrees spectask created, by task name, e.g. for a sweep removing those of finished
    /// tasks. `valid` is false when the directory is gone (pruned by [`Repo::prune_worktrees`]).
    pub fn task_worktrees(&self) -> Result<Vec<TaskWorktreeEntry>, GitError> {
        let mut entries = Vec::new();
        for (name, path, valid) in
            marked_worktrees(&self.main_git(), self.root(), self.git_dir(), WorktreeKind::Task)?
        {
            if let Ok(task) = TaskHandle::new(name) {
                entries.push(TaskWorktreeEntry { task, path, valid });
            }
        }
        Ok(entries)
    }

    /// Drops the metadata of worktrees whose directory is gone (`git worktree prune`; locked
    /// worktrees are kept).
    pub fn prune_worktrees(&self) -> Result<(), GitError> {
        let _lock = self.lock(LockScope::Repository)?;
        self.main_git().run(&["worktree", "prune"])?;
        Ok(())
    }

    /// The submodules of the task's worktree holding changes of their own (edited or untracked
    /// files inside them), which a commit of the task's branch cannot hold: they are reported,
    /// not dropped. Empty when the repository has no submodules.
    pub fn submodules_with_changes(&self, task: &TaskHandle) -> Result<Vec<String>, GitError> {
        let worktree = self.task_checkout(task)?;
        if !worktree.path.join(".gitmodules").is_file() {
            return Ok(Vec::new());
        }
        let args = ["status", "--porcelain=v2", "-z", "--ignore-submodules=none", "--untracked-files=no"];
        let out = worktree.git.reading().run(&args)?;
        Ok(crate::plumbing::cmd::nul_fields(&out)
            .filter_map(|entry| {
                // `1 <XY> <sub> <mH> <mI> <mW> <hH> <hI> <path>`: `<sub>` is `S<c><m><u>` for a
                // submodule, `m` and `u` marking changes inside it.
                let entry = String::from_utf8_lossy(entry);
                let fields: Vec<&str> = entry.splitn(9, ' ').collect();
                let sub = fields.get(2)?.as_bytes();
                let inside = fields.first() == Some(&"1")
                    && sub.first() == Some(&b'S')
                    && (sub.get(2) == Some(&b'M') || sub.get(3) == Some(&b'U'));
                inside.then(|| fields.get(8).map(|p| (*p).to_owned())).flatten()
            })
            .collect())
    }

    /// Files in the task's worktree under a submodule that is not checked out there (its
    /// repository could not be fetched): git sees neither them nor their directory's contents, so a
    /// commit would leave them out without a word. They are listed, to be reported. Empty when the
    /// repository has no submodules.
    pub fn files_in_absent_submodules(&self, task: &TaskHandle) -> Result<Vec<String>, GitError> {
        let worktree = self.task_checkout(task)?;
        if !worktree.path.join(".gitmodules").is_file() {
            return Ok(Vec::new());
        }
        let out = worktree.git.reading().run(&["ls-files", "--stage", "-z"])?;
        let mut files = Vec::new();
        for entry in crate::plumbing::cmd::nul_fields(&out) {
            // `<mode> <object> <stage>\t<path>`: mode 160000 is a submodule.
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, path)) = entry.split_once('\t') else { continue };
            let dir = worktree.path.join(path);
            if !meta.starts_with("160000 ") || dir.join(".git").exists() || !dir.is_dir() {
                continue;
            }
            let mut pending = vec![dir.clone()];
            while let Some(at) = pending.pop() {
                let Ok(entries) = std::fs::read_dir(&at) else { continue };
                for found in entries.flatten() {
                    let found = found.path();
                    if found.is_dir() && !found.is_symlink() {
                        pending.push(found);
                    } else if let Ok(relative) = found.strip_prefix(&worktree.path) {
                        files.push(relative.to_string_lossy().into_owned());
                    }
                }
            }
        }
        files.sort();
        Ok(files)
    }

    /// The untracked files (those no `.gitignore` ignores) in the task's worktree: what is there
    /// before the repository's check runs, for [`Repo::note_check_products`] after it.
    pub fn task_untracked(&self, task: &TaskHandle) -> Result<BTreeSet<String>, GitError> {
        self.task_checkout(task)?.untracked()
    }

    /// Records the untracked files in the task's worktree that were not among `before` (what
    /// [`Repo::task_untracked`] found before the check ran) as the check's by-products: a commit
    /// of every change ([`WorkSessionCommit::paths`] `None`, a merge concluded) leaves them out,
    /// and they do not keep the worktree from being removed. Returns those new this time.
    pub fn note_check_products(
        &self,
        task: &TaskHandle,
        before: &BTreeSet<String>,
    ) -> Result<Vec<String>, GitError> {
        let _lock = self.lock(LockScope::Task(task))?;
        self.task_checkout(task)?.note_check_products(before)
    }

    /// Uncommitted changes (modified, staged, deleted, untracked) in the task's worktree.
    pub fn task_uncommitted(&self, task: &TaskHandle) -> Result<Vec<String>, GitError> {
        uncommitted_files(&self.task_checkout(task)?.git)
    }

    /// The tip of the default branch.
    pub(crate) fn default_tip(&self) -> Result<CommitId, GitError> {
        self.tip_of(self.default_branch())?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root().to_path_buf(),
            branch: self.default_branch().to_owned(),
        })
    }

    fn refuse_unmerged(&self, branch: &str) -> Result<(), GitError> {
        let Some(tip) = self.tip_of(branch)? else {
            return Ok(());
        };
        let range = format!("{}..{tip}", self.default_tip()?);
        let count = self.main_git().reading().text(&["rev-list", "--count", &range])?;
        let ahead: usize = count.parse().unwrap_or(0);
        if ahead > 0 {
            return Err(GitError::UnmergedCommits {
                branch: branch.to_owned(),
                default_branch: self.default_branch().to_owned(),
                count: ahead,
            });
        }
        Ok(())
    }

    /// The task's worktree, named by the main repository's record of it (its admin directory under
    /// `.git/worktrees/`), never by the `.git` file inside the worktree: that file is writable to
    /// the task's agent, which could point it at another repository. Refused when the record names
    /// another directory.
    pub(crate) fn task_checkout(&self, task: &TaskHandle) -> Result<Worktree, GitError> {
        let path = worktree_path(self.root(), task.as_str());
        let admin = admin_dir(self.git_dir(), task.as_str());
        let recorded = std::fs::read_to_string(admin.join("gitdir")).unwrap_or_default();
        let recorded = std::path::Path::new(recorded.trim()).parent().map(PathBuf::from);
        if !recorded.is_some_and(|dir| crate::plumbing::worktree::same_path(&dir, &path)) {
            return Err(GitError::NotSpectaskWorktree { path });
        }
        Ok(Worktree::linked(&self.main_git(), admin, path))
    }
}

/// The trailers of a session's commit: `Spec-Task:`, `Work-Session:` and `Implements:`.
fn session_trailers(commit: &WorkSessionCommit) -> Result<Vec<Trailer>, GitError> {
    let mut trailers = vec![
        Trailer::new("Spec-Task", &commit.spec_task)?,
        Trailer::new("Work-Session", &commit.work_session)?,
    ];
    if !commit.implements.is_empty() {
        trailers.push(Trailer::new("Implements", commit.implements.join(", "))?);
    }
    Ok(trailers)
}

/// A session's commit, with its told commit made first (`plumbing/told_commit.rs`): both its own,
/// so the newer one, with the files either changed.
fn with_told(
    committed: Option<(CommitId, Vec<ChangedFile>)>,
    told: Option<(CommitId, Vec<ChangedFile>)>,
) -> Option<CommittedChanges> {
    let (commit, changed_files) = match (committed, told) {
        (Some((commit, mut files)), Some((_, earlier))) => {
            for file in earlier {
                if !files.iter().any(|f| f.path == file.path) {
                    files.push(file);
                }
            }
            (commit, files)
        }
        (committed, told) => committed.or(told)?,
    };
    Some(CommittedChanges { commit, changed_files })
}
