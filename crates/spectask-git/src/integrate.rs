//! Bringing a task's branch up to date with the default branch before its implementation is
//! reviewed: `git merge` of the default branch in the task's worktree, so the review shows the
//! work as it will land and the merge at approval is a fast-forward. A merge that conflicts is
//! undone (`git merge --abort`), leaving the worktree as it was, and the conflicting files named.

use crate::commit::run_with_identity;
use crate::error::GitError;
use crate::lock::LockScope;
use crate::names::{CommitId, TaskHandle};
use crate::registration::Repo;

/// What [`Repo::integrate_default_branch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    /// The task branch already contains the default branch.
    UpToDate,
    /// The default branch was merged into the task branch with this merge commit.
    Merged { commit: CommitId },
    /// Merging conflicts in these files; nothing changed.
    Conflicts { files: Vec<String> },
}

impl Repo {
    /// Merges the default branch into the task's branch, in its worktree (which must hold no
    /// uncommitted work), unless the branch already contains it; see the module docs. The merge
    /// commit is spectask's bookkeeping: the repository's commit hooks are not run for it.
    pub fn integrate_default_branch(&self, task: &TaskHandle) -> Result<Integration, GitError> {
        let _lock = self.lock(LockScope::Task(task))?;
        let branch = task.branch();
        let worktree = self.task_checkout(task)?;
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
                let head = worktree.git.reading().run(&["rev-parse", "--verify", "HEAD"])?;
                Ok(Integration::Merged { commit: CommitId::from_git(&head)? })
            }
            Err(error) => {
                let unmerged =
                    worktree.git.reading().run(&["diff", "--name-only", "-z", "--diff-filter=U"])?;
                let files: Vec<String> = crate::cmd::nul_fields(&unmerged).map(crate::cmd::text).collect();
                if files.is_empty() {
                    // Refused before it began (a local change in its way): nothing to undo.
                    return Err(error);
                }
                worktree.git.run(&["merge", "--abort"])?;
                Ok(Integration::Conflicts { files })
            }
        }
    }
}
