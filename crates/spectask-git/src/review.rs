//! A task branch against its base, as the implementation review shows it: the commits the task
//! added (with their trailers) and the diff of its files, hunk by hunk, within bounds.

use git2::{Diff, DiffFindOptions, DiffOptions, Oid, Patch, Repository};

use crate::changes::{CommitInfo, log_between};
use crate::commit::FileChange;
use crate::error::{GitError, GitResultExt};
use crate::names::{CommitId, TaskHandle, parse_trailers};
use crate::registration::{Repo, branch_tip};

/// How much of a diff [`Repo::task_branch_review`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffLimits {
    /// Files past this many are left out (`BranchReview::files_left_out` counts them).
    pub max_files: usize,
    /// Lines of one file's hunks past this many are left out (the file is marked truncated).
    pub max_lines_per_file: usize,
}

impl Default for DiffLimits {
    fn default() -> Self {
        Self { max_files: 300, max_lines_per_file: 2_000 }
    }
}

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

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    /// The path before a rename.
    pub old_path: Option<String>,
    pub change: FileChange,
    pub binary: bool,
    pub additions: usize,
    pub deletions: usize,
    pub hunks: Vec<Hunk>,
    /// Lines were left out, past [`DiffLimits::max_lines_per_file`].
    pub truncated: bool,
}

/// One hunk: `@@ -old_start,old_lines +new_start,new_lines @@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    pub old_line: Option<u32>,
    pub new_line: Option<u32>,
    /// The line without its end-of-line.
    pub text: String,
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
        let git = self.git()?;
        let Some(head) = branch_tip(&git, &task.branch())? else { return Ok(None) };
        let default = self.default_tip(&git)?;
        let contained = head == default
            || git.graph_descendant_of(default, head).op(|| format!("compare {default} with {head}"))?;
        let base = if contained {
            below_task_commits(&git, head, spec_task)?
        } else {
            git.merge_base(default, head).op(|| format!("find the merge base of {default} and {head}"))?
        };
        let commits = log_between(&git, Some(base), head)?;
        let diff = tree_diff(&git, base, head)?;
        let total = diff.deltas().len();
        let mut files = Vec::new();
        for index in 0..total.min(limits.max_files) {
            files.push(file_diff(&diff, index, limits.max_lines_per_file)?);
        }
        Ok(Some(BranchReview {
            base: CommitId(base),
            head: CommitId(head),
            merged: contained && !commits.is_empty(),
            commits,
            files,
            files_left_out: total.saturating_sub(limits.max_files),
        }))
    }
}

/// Follows first parents from `head` past the commits naming `spec_task` in their trailers.
fn below_task_commits(git: &Repository, head: Oid, spec_task: &str) -> Result<Oid, GitError> {
    let mut at = git.find_commit(head).op(|| format!("read commit {head}"))?;
    loop {
        let message = String::from_utf8_lossy(at.message_bytes()).into_owned();
        let ours = parse_trailers(&message).iter().any(|(k, v)| k == "Spec-Task" && v == spec_task);
        if !ours || at.parent_count() == 0 {
            return Ok(at.id());
        }
        let id = at.id();
        at = at.parent(0).op(|| format!("read the parent of {id}"))?;
    }
}

fn tree_diff(git: &Repository, base: Oid, head: Oid) -> Result<Diff<'_>, GitError> {
    let tree_of =
        |id: Oid| git.find_commit(id).and_then(|c| c.tree()).op(|| format!("read the tree of {id}"));
    let (old, new) = (tree_of(base)?, tree_of(head)?);
    let mut options = DiffOptions::new();
    options.context_lines(3);
    let mut diff = git
        .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut options))
        .op(|| format!("diff {base}..{head}"))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))
        .op(|| format!("find renames in {base}..{head}"))?;
    Ok(diff)
}

fn file_diff(diff: &Diff<'_>, index: usize, max_lines: usize) -> Result<FileDiff, GitError> {
    let delta = diff.get_delta(index).ok_or_else(|| GitError::Git {
        op: format!("read file {index} of a diff"),
        source: git2::Error::from_str("no such delta"),
    })?;
    let path_of =
        |file: git2::DiffFile<'_>| file.path_bytes().map(|p| String::from_utf8_lossy(p).into_owned());
    let (old_path, new_path) = (path_of(delta.old_file()), path_of(delta.new_file()));
    let change = match delta.status() {
        git2::Delta::Added => FileChange::Added,
        git2::Delta::Deleted => FileChange::Deleted,
        _ => FileChange::Modified,
    };
    let path = match change {
        FileChange::Deleted => old_path.clone(),
        _ => new_path.clone(),
    }
    .unwrap_or_default();
    let renamed = delta.status() == git2::Delta::Renamed;
    let mut file = FileDiff {
        old_path: old_path.filter(|_| renamed),
        path,
        change,
        binary: delta.flags().is_binary(),
        additions: 0,
        deletions: 0,
        hunks: Vec::new(),
        truncated: false,
    };
    let Some(patch) = Patch::from_diff(diff, index).op(|| format!("diff {}", file.path))? else {
        return Ok(file);
    };
    file.binary |= patch.delta().flags().is_binary();
    let (_, additions, deletions) = patch.line_stats().op(|| format!("count the lines of {}", file.path))?;
    (file.additions, file.deletions) = (additions, deletions);
    let mut budget = max_lines;
    for h in 0..patch.num_hunks() {
        let (hunk, count) = patch.hunk(h).op(|| format!("read a hunk of {}", file.path))?;
        let mut lines = Vec::new();
        for l in 0..count {
            if budget == 0 {
                file.truncated = true;
                break;
            }
            let line = patch.line_in_hunk(h, l).op(|| format!("read a line of {}", file.path))?;
            let kind = match line.origin() {
                '+' => LineKind::Added,
                '-' => LineKind::Removed,
                ' ' => LineKind::Context,
                // "\ No newline at end of file" and the like.
                _ => continue,
            };
            budget -= 1;
            let text = String::from_utf8_lossy(line.content());
            lines.push(DiffLine {
                kind,
                old_line: line.old_lineno(),
                new_line: line.new_lineno(),
                text: text.trim_end_matches(['\n', '\r']).to_owned(),
            });
        }
        file.hunks.push(Hunk {
            header: String::from_utf8_lossy(hunk.header()).trim_end().to_owned(),
            old_start: hunk.old_start(),
            old_lines: hunk.old_lines(),
            new_start: hunk.new_start(),
            new_lines: hunk.new_lines(),
            lines,
        });
        if file.truncated {
            break;
        }
    }
    Ok(file)
}
