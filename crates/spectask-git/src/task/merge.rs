//! Merging a task's branch into the default branch when the task is done: fast-forward when
//! possible, else a merge commit made by `git merge-tree` and `git commit-tree` without touching
//! any checkout. A checkout of the default branch is then brought to the result by
//! `git merge --ff-only` there, as a person would: git refuses when a local change or an
//! untracked file is in the way, keeps every other local edit as it is, and leaves whatever it
//! did in a state `git status` explains. The default branch only moves forward from the tip the
//! merge was made on: a branch moved meanwhile refuses the merge, to be tried again.

use crate::error::GitError;
use crate::names::{CommitId, TaskHandle, Trailer, commit_message};
use crate::plumbing::cmd::{nul_fields, text};
use crate::plumbing::commit::run_with_identity;
use crate::plumbing::lock::LockScope;
use crate::plumbing::worktree::{checked_out_at, fast_forward_checkout};
use crate::repository::registration::{Repo, signing};

/// What [`Repo::merge_task`] did to the default branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The default branch already contained the task branch; nothing changed.
    AlreadyMerged { tip: CommitId },
    /// The default branch was fast-forwarded to the task branch's tip.
    FastForward { tip: CommitId },
    /// The branches had diverged; a merge commit was made.
    MergeCommit { tip: CommitId },
}

impl Repo {
    /// Merges `spectask/<task>` into the default branch. `spec_task` (the SpecTask id) becomes the
    /// `Spec-Task:` trailer of a merge commit.
    ///
    /// When the default branch is checked out (in the main worktree or elsewhere) that checkout is
    /// updated too; the merge is refused with [`GitError::DefaultBranchDirty`] when a local change
    /// to a file the merge changes, or an untracked file where it writes one, is in the way.
    /// Conflicting branches are refused with [`GitError::MergeConflict`]. The task branch and
    /// worktree are kept (remove them with [`Repo::remove_task`]). Only committed work is merged:
    /// commit the task's worktree first ([`Repo::commit_work_session`]).
    pub fn merge_task(&self, task: &TaskHandle, spec_task: &str) -> Result<MergeOutcome, GitError> {
        let trailer = Trailer::new("Spec-Task", spec_task)?;
        let _lock = self.lock(LockScope::DefaultBranch)?;
        let branch = task.branch();
        // The work another node pushed, when this clone has not taken the task up itself.
        self.catch_up_task_branch(&branch)?;
        let default = self.default_branch().to_owned();
        let task_tip = self.tip_of(&branch)?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root().to_path_buf(),
            branch: branch.clone(),
        })?;
        let base = self.default_tip()?;
        if self.is_ancestor(task_tip, base)? {
            return Ok(MergeOutcome::AlreadyMerged { tip: base });
        }
        let fast_forward = self.is_ancestor(base, task_tip)?;
        let new_tip = if fast_forward {
            task_tip
        } else {
            let message = commit_message(&format!("Merge {branch} into {default}"), &[trailer]);
            self.merge_commit(&branch, base, task_tip, &message)?
        };
        let main = self.main_git();
        match checked_out_at(&main, &default)? {
            Some(path) => fast_forward_checkout(&main.checkout_at(&path), &default, new_tip)?,
            None => {
                let (full, new, old) =
                    (format!("refs/heads/{default}"), new_tip.to_string(), base.to_string());
                let reflog = format!("spectask: merge {branch}");
                main.run(&["update-ref", "-m", &reflog, &full, &new, &old])
                    .map_err(|e| moved(e, &default, base))?;
            }
        }
        tracing::info!(branch, default, %new_tip, fast_forward, "merged task branch");
        Ok(if fast_forward {
            MergeOutcome::FastForward { tip: new_tip }
        } else {
            MergeOutcome::MergeCommit { tip: new_tip }
        })
    }

    /// A merge commit of `theirs` into `ours` (no ref moves), or the conflicting files.
    fn merge_commit(
        &self,
        branch: &str,
        ours: CommitId,
        theirs: CommitId,
        message: &str,
    ) -> Result<CommitId, GitError> {
        let main = self.main_git();
        let (ours_hex, theirs_hex) = (ours.to_string(), theirs.to_string());
        let args =
            ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", &ours_hex, &theirs_hex];
        let output = main.output(&args, None)?;
        let mut fields = nul_fields(&output.stdout);
        let tree = fields.next().map(text).unwrap_or_default();
        match output.status.code() {
            Some(0) => {}
            Some(1) => {
                let mut files: Vec<String> = fields.map(text).collect();
                files.sort();
                files.dedup();
                return Err(GitError::MergeConflict {
                    branch: branch.to_owned(),
                    into: self.default_branch().to_owned(),
                    files,
                });
            }
            _ => return Err(crate::plumbing::cmd::failure(&args, &output)),
        }
        let mut commit =
            vec!["commit-tree", tree.as_str(), "-p", &ours_hex, "-p", &theirs_hex, "-m", message];
        if signing(&main)? {
            commit.push("-S");
        }
        CommitId::from_git(&run_with_identity(&main, &commit, None)?)
    }
}

/// A failed compare-and-swap of the default branch is someone moving it meanwhile.
fn moved(error: GitError, branch: &str, expected: CommitId) -> GitError {
    if matches!(&error, GitError::Command { message, .. } if message.contains("cannot lock ref")) {
        return GitError::ConcurrentUpdate { branch: branch.to_owned(), expected: expected.to_string() };
    }
    error
}
