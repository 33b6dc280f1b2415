//! Merging a task's branch into the default branch when the task is done: fast-forward when
//! possible, else a merge commit; the checkout of the default branch (if any) is updated with it,
//! and the merge is refused rather than touching local changes there.

use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{Oid, Repository, RepositoryState, Status, StatusOptions};

use crate::commit::{move_branch, signature};
use crate::error::{GitError, GitResultExt};
use crate::names::{CommitId, TaskHandle, Trailer, commit_message};
use crate::registration::{Repo, branch_tip};
use crate::worktree::checked_out_at;

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
    /// updated too; the merge is refused with [`GitError::DefaultBranchDirty`] if it has local
    /// changes to tracked files, or untracked files the merge would overwrite. Conflicting branches
    /// are refused with [`GitError::MergeConflict`]. The task branch and worktree are kept (remove
    /// them with [`Repo::remove_task`]; not calling it keeps the branch). Only committed work is
    /// merged: commit the task's worktree first ([`Repo::commit_work_session`]).
    pub fn merge_task(&self, task: &TaskHandle, spec_task: &str) -> Result<MergeOutcome, GitError> {
        let trailer = Trailer::new("Spec-Task", spec_task)?;
        let _lock = self.lock()?;
        let git = self.git()?;
        let branch = task.branch();
        let default = self.default_branch().to_owned();
        let task_tip = branch_tip(&git, &branch)?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root().to_path_buf(),
            branch: branch.clone(),
        })?;
        let base = self.default_tip(&git)?;
        let descends = |a: Oid, b: Oid| git.graph_descendant_of(a, b).op(|| format!("compare {a} with {b}"));
        if task_tip == base || descends(base, task_tip)? {
            return Ok(MergeOutcome::AlreadyMerged { tip: CommitId(base) });
        }
        let fast_forward = descends(task_tip, base)?;
        let new_tip = if fast_forward {
            task_tip
        } else {
            let message = commit_message(&format!("Merge {branch} into {default}"), &[trailer]);
            merge_commit(&git, &branch, &default, base, task_tip, &message)?
        };
        let reflog = format!("merge {branch}");
        match checked_out_at(&git, &default)? {
            Some(path) => update_checkout(&path, &default, base, new_tip, &reflog)?,
            None => move_branch(&git, &default, new_tip, base, &reflog)?,
        }
        tracing::info!(branch, default, %new_tip, fast_forward, "merged task branch");
        let tip = CommitId(new_tip);
        Ok(if fast_forward { MergeOutcome::FastForward { tip } } else { MergeOutcome::MergeCommit { tip } })
    }
}

/// Writes (without moving any ref) a merge commit of `theirs` into `ours`.
fn merge_commit(
    git: &Repository,
    branch: &str,
    into: &str,
    ours: Oid,
    theirs: Oid,
    message: &str,
) -> Result<Oid, GitError> {
    let ours_commit = git.find_commit(ours).op(|| format!("read commit {ours}"))?;
    let theirs_commit = git.find_commit(theirs).op(|| format!("read commit {theirs}"))?;
    let mut index =
        git.merge_commits(&ours_commit, &theirs_commit, None).op(|| format!("merge {branch} into {into}"))?;
    if index.has_conflicts() {
        let mut files: Vec<String> = index
            .conflicts()
            .op(|| format!("list conflicts of {branch}"))?
            .filter_map(Result::ok)
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
            .collect();
        files.sort();
        files.dedup();
        return Err(GitError::MergeConflict { branch: branch.to_owned(), into: into.to_owned(), files });
    }
    let tree_id = index.write_tree_to(git).op(|| format!("write the merge tree of {branch}"))?;
    let tree = git.find_tree(tree_id).op(|| format!("read tree {tree_id}"))?;
    let sig = signature(git)?;
    git.commit(None, &sig, &sig, message, &tree, &[&ours_commit, &theirs_commit])
        .op(|| format!("commit the merge of {branch}"))
}

/// Moves `branch`, checked out at `path`, from `old` to `new` and updates that checkout's files and
/// index to match; refuses when the checkout has local changes the update could lose.
fn update_checkout(path: &Path, branch: &str, old: Oid, new: Oid, reflog: &str) -> Result<(), GitError> {
    let wt = Repository::open(path).op(|| format!("open {}", path.display()))?;
    if wt.state() != RepositoryState::Clean {
        let state = format!("{:?}", wt.state()).to_lowercase();
        return Err(GitError::OperationInProgress { path: path.to_path_buf(), state });
    }
    let mut options = StatusOptions::new();
    options.include_untracked(false).include_ignored(false);
    let statuses = wt.statuses(Some(&mut options)).op(|| format!("read the status of {}", path.display()))?;
    let new_tree = wt.find_commit(new).and_then(|c| c.tree()).op(|| format!("read the tree of {new}"))?;
    // A file already as the new tip has it is this merge's own write, left by an earlier attempt cut
    // off between the checkout and moving the branch: not a local change.
    let files: Vec<String> = statuses
        .iter()
        .filter(|e| e.status() != Status::CURRENT)
        .map(|e| String::from_utf8_lossy(e.path_bytes()).into_owned())
        .filter(|file| !as_in_tree(&wt, &new_tree, path, file))
        .collect();
    if !files.is_empty() {
        return Err(GitError::DefaultBranchDirty {
            branch: branch.to_owned(),
            path: path.to_path_buf(),
            files,
        });
    }
    let old_tree = wt.find_commit(old).and_then(|c| c.tree()).op(|| format!("read the tree of {old}"))?;
    let mut checkout = CheckoutBuilder::new();
    checkout.safe();
    if let Err(e) = wt.checkout_tree(new_tree.as_object(), Some(&mut checkout)) {
        if e.code() == git2::ErrorCode::Conflict {
            let files = vec![format!("untracked files in the way ({})", e.message())];
            return Err(GitError::DefaultBranchDirty {
                branch: branch.to_owned(),
                path: path.to_path_buf(),
                files,
            });
        }
        return Err(GitError::Git { op: format!("check out {new} at {}", path.display()), source: e });
    }
    if let Err(moved) = move_branch(&wt, branch, new, old, reflog) {
        // Someone moved the branch meanwhile: put the checkout back as it was.
        let mut back = CheckoutBuilder::new();
        back.force();
        wt.checkout_tree(old_tree.as_object(), Some(&mut back))
            .op(|| format!("restore {}", path.display()))?;
        return Err(moved);
    }
    Ok(())
}

/// Whether `file` in the checkout at `root` is exactly as `tree` has it (both absent counts).
fn as_in_tree(wt: &Repository, tree: &git2::Tree<'_>, root: &Path, file: &str) -> bool {
    let on_disk = std::fs::read(root.join(file)).ok();
    let in_tree = tree
        .get_path(Path::new(file))
        .ok()
        .and_then(|entry| wt.find_blob(entry.id()).ok())
        .map(|blob| blob.content().to_vec());
    on_disk == in_tree
}
