//! A SpecTask's code branch `spectask/<task>` and its worktree `.git-worktrees/<task>`: creation,
//! work-session commits, and removal that never loses work.

use std::path::PathBuf;

use git2::Repository;

use crate::commit::{ChangedFile, commit_paths, uncommitted_files};
use crate::error::{GitError, GitResultExt};
use crate::handles::{forget, with_worktree};
use crate::names::{CommitId, TaskHandle, Trailer, commit_message};
use crate::registration::{Repo, branch_tip};
use crate::worktree::{
    RemoveOptions, WorktreeKind, ensure_worktree, forget_in_place, known_in_place, marked_worktrees,
    prune_stale, remember_in_place, remove_worktree, worktree_in_place, worktree_path,
};

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
    /// commits every change.
    pub paths: Option<Vec<String>>,
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
    /// Makes sure `spectask/<task>` exists (created from the default branch's tip when absent) and is
    /// checked out at `.git-worktrees/<task>`. Idempotent; shared by all of the task's work sessions.
    pub fn ensure_task_worktree(&self, task: &TaskHandle) -> Result<TaskWorktree, GitError> {
        if task.as_str() == self.design_docs_dir_name() {
            return Err(GitError::InvalidTaskHandle {
                name: task.to_string(),
                reason: "is the name of the design-docs worktree",
            });
        }
        if let Some(known) = self.known_task_worktree(task) {
            return Ok(known);
        }
        let branch = task.branch();
        let path = worktree_path(self.root(), task.as_str());
        // Looked at first without the writer lock: a task's worktree is made once and every later
        // call (each session of the task) finds it in place; anything else is looked at again, and
        // made, under the lock.
        let git = self.git()?;
        if branch_tip(&git, &branch)?.is_some()
            && worktree_in_place(&git, self.root(), task.as_str(), &branch)
        {
            remember_in_place(&path);
            return Ok(TaskWorktree { branch, path, branch_created: false, worktree_created: false });
        }
        drop(git);
        let _lock = self.lock()?;
        let git = self.git()?;
        let branch_created = if branch_tip(&git, &branch)?.is_none() {
            let base = self.default_tip(&git)?;
            let (_, logging) = crate::commit::committer(&git)?;
            let message = format!("branch: Created from {}", self.default_branch());
            crate::refs::create_branch(&git, &branch, base, &logging, &message)?;
            true
        } else {
            false
        };
        let worktree_created =
            ensure_worktree(&git, self.root(), task.as_str(), &branch, WorktreeKind::Task)?;
        if worktree_created {
            // A handle kept for an earlier worktree of this name is not this one's.
            forget(&self.task_worktree_dirs(task).1);
        }
        remember_in_place(&path);
        Ok(TaskWorktree { branch, path, branch_created, worktree_created })
    }

    /// The task's worktree when this process found it in place before and it still is (three file
    /// checks, no git): what [`Repo::ensure_task_worktree`] answers then, cheap enough for an async
    /// caller to ask first.
    pub fn known_task_worktree(&self, task: &TaskHandle) -> Option<TaskWorktree> {
        let (path, admin) = self.task_worktree_dirs(task);
        let branch = task.branch();
        known_in_place(&path, &admin, &branch).then_some(TaskWorktree {
            branch,
            path,
            branch_created: false,
            worktree_created: false,
        })
    }

    /// Commits every change in the task's worktree — added, modified, deleted, and untracked files
    /// that are not ignored — with the trailers `Spec-Task:`, `Work-Session:` and `Implements:`.
    /// Returns `None` when nothing changed.
    pub fn commit_work_session(
        &self,
        task: &TaskHandle,
        commit: &WorkSessionCommit,
    ) -> Result<Option<CommittedChanges>, GitError> {
        let mut trailers = vec![
            Trailer::new("Spec-Task", &commit.spec_task)?,
            Trailer::new("Work-Session", &commit.work_session)?,
        ];
        if !commit.implements.is_empty() {
            trailers.push(Trailer::new("Implements", commit.implements.join(", "))?);
        }
        let message = commit_message(&commit.message, &trailers);
        let _lock = self.lock()?;
        // Kept open between the task's commits, like the design-docs worktree.
        let (path, admin) = self.task_worktree_dirs(task);
        let what = || format!("open the worktree of task {task} at {}", path.display());
        let committed = with_worktree(&admin, what, |worktree| {
            check_task_worktree(worktree, &path)?;
            commit_paths(worktree, &task.branch(), &message, commit.paths.as_deref())
        })?;
        Ok(committed.map(|(id, changed_files)| CommittedChanges { commit: CommitId(id), changed_files }))
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
        let _lock = self.lock()?;
        let git = self.git()?;
        let branch = task.branch();
        if delete_branch && !options.force {
            self.refuse_unmerged(&git, &branch)?;
        }
        let (path, admin) = self.task_worktree_dirs(task);
        forget_in_place(&path);
        let worktree_removed =
            remove_worktree(&git, self.root(), task.as_str(), WorktreeKind::Task, options.force)?;
        forget(&admin);
        let mut branch_deleted = false;
        if delete_branch && let Ok(mut found) = git.find_branch(&branch, git2::BranchType::Local) {
            found.delete().op(|| format!("delete branch {branch}"))?;
            branch_deleted = true;
            tracing::info!(branch, "deleted task branch");
        }
        Ok(TaskRemoval { worktree_removed, branch_deleted })
    }

    /// The task worktrees spectask created, by task name, e.g. for a sweep removing those of finished
    /// tasks. `valid` is false when the directory is gone (pruned by [`Repo::prune_worktrees`]).
    pub fn task_worktrees(&self) -> Result<Vec<TaskWorktreeEntry>, GitError> {
        let git = self.git()?;
        let mut entries = Vec::new();
        for (name, path, valid) in marked_worktrees(&git, WorktreeKind::Task)? {
            if let Ok(task) = TaskHandle::new(name) {
                entries.push(TaskWorktreeEntry { task, path, valid });
            }
        }
        Ok(entries)
    }

    /// Drops the metadata of worktrees whose directory is gone (like `git worktree prune`; locked
    /// worktrees are kept). Registration and worktree creation do this too.
    pub fn prune_worktrees(&self) -> Result<(), GitError> {
        let _lock = self.lock()?;
        prune_stale(&*self.git()?)
    }

    /// Uncommitted changes (modified, staged, deleted, untracked) in the task's worktree.
    pub fn task_uncommitted(&self, task: &TaskHandle) -> Result<Vec<String>, GitError> {
        uncommitted_files(&self.open_task_worktree(task)?)
    }

    /// The tip of the default branch.
    pub(crate) fn default_tip(&self, git: &Repository) -> Result<git2::Oid, GitError> {
        branch_tip(git, self.default_branch())?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root().to_path_buf(),
            branch: self.default_branch().to_owned(),
        })
    }

    fn refuse_unmerged(&self, git: &Repository, branch: &str) -> Result<(), GitError> {
        let Some(tip) = branch_tip(git, branch)? else {
            return Ok(());
        };
        let base = self.default_tip(git)?;
        let (ahead, _) = git
            .graph_ahead_behind(tip, base)
            .op(|| format!("compare {branch} with {}", self.default_branch()))?;
        if ahead > 0 {
            return Err(GitError::UnmergedCommits {
                branch: branch.to_owned(),
                default_branch: self.default_branch().to_owned(),
                count: ahead,
            });
        }
        Ok(())
    }

    /// Opens the task's worktree through the main repository's record of it (its admin directory
    /// under `.git/worktrees/`), never through the `.git` file inside the worktree: that file is
    /// writable to the task's agent, which could point it at another repository.
    fn open_task_worktree(&self, task: &TaskHandle) -> Result<Repository, GitError> {
        let (path, admin) = self.task_worktree_dirs(task);
        let what = || format!("open the worktree of task {task} at {}", path.display());
        let worktree = Repository::open(&admin).op(what)?;
        check_task_worktree(&worktree, &path)?;
        Ok(worktree)
    }

    /// The task's worktree and its admin directory.
    fn task_worktree_dirs(&self, task: &TaskHandle) -> (PathBuf, PathBuf) {
        (worktree_path(self.root(), task.as_str()), self.git_dir().join("worktrees").join(task.as_str()))
    }
}

/// Refuses a worktree opened through a task's admin directory that names another directory than the
/// task's worktree at `path`.
fn check_task_worktree(worktree: &Repository, path: &std::path::Path) -> Result<(), GitError> {
    let same = worktree.workdir().is_some_and(|w| w.canonicalize().ok() == path.canonicalize().ok());
    if !same {
        return Err(GitError::NotSpectaskWorktree { path: path.to_path_buf() });
    }
    Ok(())
}
