//! Bringing a task's branch up to date with the default branch: `git merge` of the default branch
//! in the task's worktree, so the review shows the work as it will land and the merge at approval
//! is a fast-forward.
//!
//! Two ways: [`Repo::integrate_default_branch`] (before review) undoes a merge that conflicts
//! (`git merge --abort`), leaving the worktree as it was and the conflicting files named;
//! [`Repo::begin_integration`] leaves it under way, with git's conflict markers in the files, for
//! the task's agent to resolve. The next commit of the task's work ([`Repo::commit_work_session`])
//! concludes it as the merge commit.

use std::path::Path;

use crate::error::GitError;
use crate::names::{CommitId, TaskHandle};
use crate::plumbing::cmd::{nul_fields, text};
use crate::plumbing::commit::{Worktree, run_with_identity};
use crate::plumbing::lock::LockScope;
use crate::plumbing::maintenance::after_write;
use crate::plumbing::status::merge_under_way;
use crate::repository::registration::Repo;

/// What bringing a task branch up to date did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    /// The task branch already contains the default branch.
    UpToDate,
    /// The default branch was merged into the task branch with this merge commit.
    Merged { commit: CommitId },
    /// Merging conflicts in these files: undone by [`Repo::integrate_default_branch`], under way
    /// after [`Repo::begin_integration`].
    Conflicts { files: Vec<String> },
}

impl Repo {
    /// Merges the default branch into the task's branch, in its worktree (which must hold no
    /// uncommitted work), unless the branch already contains it; a merge that conflicts is undone.
    /// The merge commit is spectask's bookkeeping: the repository's commit hooks are not run for it.
    pub fn integrate_default_branch(&self, task: &TaskHandle) -> Result<Integration, GitError> {
        let _lock = self.lock(LockScope::Task(task))?;
        let worktree = self.task_checkout(task)?;
        worktree.commit_told(&task.branch(), None)?;
        let outcome = self.merge_default_into(task, &worktree)?;
        if matches!(outcome, Integration::Conflicts { .. }) {
            worktree.git.run(&["merge", "--abort"])?;
        }
        Ok(outcome)
    }

    /// Starts merging the default branch into the task's branch and leaves a merge that conflicts
    /// under way, for the task's agent to resolve in the files. Idempotent: with a merge under way
    /// already, names its conflicting files and changes nothing.
    pub fn begin_integration(&self, task: &TaskHandle) -> Result<Integration, GitError> {
        let _lock = self.lock(LockScope::Task(task))?;
        let worktree = self.task_checkout(task)?;
        worktree.commit_told(&task.branch(), None)?;
        if merge_under_way(&worktree.admin) {
            return Ok(Integration::Conflicts { files: unmerged_files(&worktree)? });
        }
        self.merge_default_into(task, &worktree)
    }

    /// The files of a merge under way in the task's worktree that still hold git's conflict
    /// markers (a line starting `<<<<<<< ` or `>>>>>>> `). Empty when no merge is under way.
    pub fn unresolved_conflicts(&self, task: &TaskHandle) -> Result<Vec<String>, GitError> {
        let worktree = self.task_checkout(task)?;
        if !merge_under_way(&worktree.admin) {
            return Ok(Vec::new());
        }
        let files = unmerged_files(&worktree)?;
        Ok(files.into_iter().filter(|file| holds_markers(&worktree.path.join(file))).collect())
    }

    /// Whether the merge under way in `worktree` is of the default branch (its `MERGE_HEAD` is in
    /// the default branch's history): spectask's own, begun by [`Repo::begin_integration`]. A
    /// merge of anything else is someone's own, and commits there stay refused.
    pub(crate) fn integration_under_way(&self, worktree: &Worktree) -> Result<bool, GitError> {
        let Ok(merging) = std::fs::read_to_string(worktree.admin.join("MERGE_HEAD")) else {
            return Ok(false);
        };
        let Some(first) = merging.lines().next() else { return Ok(false) };
        let merging = CommitId::from_git(first.trim().as_bytes())?;
        self.is_ancestor(merging, self.default_tip()?)
    }

    /// `git merge` of the default branch's tip into the task branch checked out in `worktree`.
    fn merge_default_into(&self, task: &TaskHandle, worktree: &Worktree) -> Result<Integration, GitError> {
        let branch = task.branch();
        worktree.check_branch(&branch)?;
        let default = self.default_tip()?;
        let head = self.tip_of(&branch)?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root().to_path_buf(),
            branch: branch.clone(),
        })?;
        if self.is_ancestor(default, head)? {
            return Ok(Integration::UpToDate);
        }
        let message = format!("Merge {} into {branch}", self.default_branch());
        let target = default.to_string();
        let args = ["merge", "--no-ff", "--no-edit", "--no-verify", "--quiet", "-m", &message, &target];
        match run_with_identity(&worktree.git, &args, None) {
            Ok(_) => {
                after_write(&worktree.git);
                let head = worktree.git.reading().run(&["rev-parse", "--verify", "HEAD"])?;
                Ok(Integration::Merged { commit: CommitId::from_git(&head)? })
            }
            Err(error) => {
                let files = unmerged_files(worktree)?;
                if files.is_empty() {
                    // Refused before it began (a local change in its way): nothing to undo.
                    return Err(error);
                }
                Ok(Integration::Conflicts { files })
            }
        }
    }
}

/// The files the index holds as unmerged (conflicting).
fn unmerged_files(worktree: &Worktree) -> Result<Vec<String>, GitError> {
    let out = worktree.git.reading().run(&["diff", "--name-only", "-z", "--diff-filter=U"])?;
    let mut files: Vec<String> = nul_fields(&out).map(text).collect();
    files.dedup();
    Ok(files)
}

/// Whether the file holds a conflict marker line. A file the agent deleted holds none.
fn holds_markers(file: &Path) -> bool {
    let Ok(bytes) = std::fs::read(file) else { return false };
    bytes.split(|b| *b == b'\n').any(|line| line.starts_with(b"<<<<<<< ") || line.starts_with(b">>>>>>> "))
}
