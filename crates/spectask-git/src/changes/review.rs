//! A task branch against its base, as the implementation review shows it: the commits the task
//! added (with their trailers) and the diff of its files, hunk by hunk, within bounds.

use crate::changes::commits::{CommitInfo, first_parents, log_between};
use crate::changes::diff::{DiffLimits, FileDiff};
use crate::changes::diff_parse::parse_diff;
use crate::error::GitError;
use crate::names::{CommitId, TaskHandle};
use crate::repository::registration::Repo;

/// `spectask/<task>` against the commit it started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchReview {
    /// Where the task's work starts: the merge base with the default branch while unmerged; once
    /// merged, the commit below the task's own commits (those whose `Spec-Task` trailer names it).
    pub base: CommitId,
    pub head: CommitId,
    /// The default branch contains the task's commits.
    pub merged: bool,
    /// The commits after `base`, oldest first.
    pub commits: Vec<CommitInfo>,
    pub files: Vec<FileDiff>,
    /// Changed files not listed, past [`DiffLimits::max_files`].
    pub files_left_out: usize,
}

impl Repo {
    /// The task branch against its base (see [`BranchReview::base`]); `None` when the branch does
    /// not exist. `spec_task` is the SpecTask id its commits carry as the `Spec-Task` trailer.
    pub fn task_branch_review(
        &self,
        task: &TaskHandle,
        spec_task: &str,
        limits: DiffLimits,
    ) -> Result<Option<BranchReview>, GitError> {
        let git = self.main_git().reading();
        let Some(head) = self.tip_of(&task.branch())? else { return Ok(None) };
        let default = self.default_tip()?;
        let contained = self.is_ancestor(head, default)?;
        let base = if contained {
            below_task_commits(self, head, spec_task)?
        } else {
            let (d, h) = (default.to_string(), head.to_string());
            CommitId::from_git(&git.run(&["merge-base", &d, &h])?)?
        };
        let commits = log_between(&git, Some(base), head)?;
        let (b, h) = (base.to_string(), head.to_string());
        let summary = git.run(&["diff", "--raw", "--numstat", "-z", "-M", "--no-color", &b, &h])?;
        let patch =
            git.run(&["diff", "-p", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "-U3", &b, &h])?;
        let (files, files_left_out) = parse_diff(&summary, &patch, limits);
        Ok(Some(BranchReview {
            base,
            head,
            merged: contained && !commits.is_empty(),
            commits,
            files,
            files_left_out,
        }))
    }
}

/// Follows first parents from `head` past the commits naming `spec_task` in their trailers: one
/// `git log --first-parent` a page at a time.
fn below_task_commits(repo: &Repo, head: CommitId, spec_task: &str) -> Result<CommitId, GitError> {
    const PAGE: usize = 256;
    let git = repo.main_git();
    let mut from = head;
    loop {
        let page = first_parents(&git, from, PAGE)?;
        for commit in &page {
            let ours = commit.trailers.iter().any(|(k, v)| k == "Spec-Task" && v == spec_task);
            if !ours || commit.parents.is_empty() {
                return Ok(commit.id);
            }
        }
        match page.last().and_then(|c| c.parents.first()) {
            Some(parent) if page.len() == PAGE => from = *parent,
            _ => return Ok(page.last().map_or(head, |c| c.id)),
        }
    }
}
