//! Merging a task's branch into the default branch when the task is done: fast-forward when
//! possible, else a merge commit; the checkout of the default branch (if any) is updated with it,
//! and the merge is refused rather than touching local changes there. A merge cut off while it
//! updated that checkout is finished by the next one (`merge_intent.rs`).

use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{Oid, Repository, RepositoryState, Status, StatusOptions};

use crate::commit::{changed_files, move_branch, signature};
use crate::error::{GitError, GitResultExt};
use crate::index_lock::{IndexLock, index_copy_path};
use crate::merge_intent::MergeIntent;
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
        if let Some(intent) = MergeIntent::read(self.git_dir())? {
            finish_cut_off_merge(&git, self.git_dir(), &intent)?;
        }
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
            Some(path) => {
                let intent = MergeIntent { branch: default.clone(), old: base, new: new_tip };
                update_checkout(&path, self.git_dir(), &intent, &reflog)?;
            }
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

/// Moves the branch of `intent`, checked out at `path`, from its old to its new commit and updates
/// that checkout's files and index to match; refuses when the checkout has local changes the update
/// could lose. The intent is on disk while the checkout's files change (see `merge_intent.rs`).
fn update_checkout(path: &Path, git_dir: &Path, intent: &MergeIntent, reflog: &str) -> Result<(), GitError> {
    let MergeIntent { branch, old, new } = intent;
    let wt = open_clean_checkout(path)?;
    let mut held = HeldIndex::take(&wt)?;
    let files = local_changes(&wt, path)?;
    if !files.is_empty() {
        return Err(dirty(branch, path, files));
    }
    let (old_tree, new_tree) = (tree_of(&wt, *old)?, tree_of(&wt, *new)?);
    intent.write(git_dir)?;
    let mut checkout = CheckoutBuilder::new();
    checkout.safe();
    if let Err(e) = wt.checkout_tree(new_tree.as_object(), Some(&mut checkout)) {
        if e.code() == git2::ErrorCode::Conflict {
            // Found before any file was written: nothing for a later attempt to finish.
            MergeIntent::remove(git_dir)?;
            let files = vec![format!("untracked files in the way ({})", e.message())];
            return Err(dirty(branch, path, files));
        }
        return Err(GitError::Git { op: format!("check out {new} at {}", path.display()), source: e });
    }
    held.publish(&wt)?;
    if let Err(moved) = move_branch(&wt, branch, *new, *old, reflog) {
        // Someone moved the branch meanwhile: put the checkout back as it was.
        let mut back = CheckoutBuilder::new();
        back.force();
        wt.checkout_tree(old_tree.as_object(), Some(&mut back))
            .op(|| format!("restore {}", path.display()))?;
        held.publish(&wt)?;
        MergeIntent::remove(git_dir)?;
        return Err(moved);
    }
    MergeIntent::remove(git_dir)
}

/// Finishes the merge a killed process left in `intent`: when its branch is still at the old
/// commit, the paths the merge changes are written as the new commit has them, whatever a cut-off
/// checkout left there (truncated, half-written, or already new), and the branch moves; a local
/// change anywhere else is refused and the intent kept for the next attempt. A branch someone
/// moved since makes the intent stale, and a branch at the new commit means only the removal of
/// the intent was cut off.
fn finish_cut_off_merge(git: &Repository, git_dir: &Path, intent: &MergeIntent) -> Result<(), GitError> {
    let MergeIntent { branch, old, new } = intent;
    let tip = branch_tip(git, branch)?;
    if tip == Some(*old) {
        // The intent is fsynced, the merge's objects are not: after a power loss the new commit may
        // be missing, and the branch must never point at a missing object.
        git.find_commit(*new).op(|| format!("read the merged commit {new}"))?;
        if let Some(path) = checked_out_at(git, branch)? {
            rewrite_merged_paths(&path, intent)?;
        }
        move_branch(git, branch, *new, *old, &format!("finish the merge into {branch} cut off by a crash"))?;
        tracing::warn!(branch, %new, "finished a merge cut off by a crash");
    } else if tip != Some(*new) {
        tracing::warn!(branch, ?tip, %old, %new, "the branch moved after a merge was cut off; its intent is stale");
    }
    MergeIntent::remove(git_dir)
}

/// Writes every path that differs between the intent's old and new commits as the new commit has
/// it, in the checkout at `path` and its index; refuses when a path outside them has local changes.
fn rewrite_merged_paths(path: &Path, intent: &MergeIntent) -> Result<(), GitError> {
    let wt = open_clean_checkout(path)?;
    let mut held = HeldIndex::take(&wt)?;
    let merged: Vec<String> =
        changed_files(&wt, Some(intent.old), intent.new)?.into_iter().map(|f| f.path).collect();
    let outside: Vec<String> =
        local_changes(&wt, path)?.into_iter().filter(|f| !merged.contains(f)).collect();
    if !outside.is_empty() {
        return Err(dirty(&intent.branch, path, outside));
    }
    if merged.is_empty() {
        // No path given would mean every path to the checkout below.
        return Ok(());
    }
    let mut checkout = CheckoutBuilder::new();
    checkout.force().disable_pathspec_match(true);
    for file in &merged {
        checkout.path(file);
    }
    let new_tree = tree_of(&wt, intent.new)?;
    wt.checkout_tree(new_tree.as_object(), Some(&mut checkout))
        .op(|| format!("rewrite the files of {} at {}", intent.new, path.display()))?;
    held.publish(&wt)
}

/// The index of a default branch's checkout while a merge writes it: its `index.lock` taken before
/// anything is read (marked as spectask's, so a `kill -9` leaves a lock the next merge clears, see
/// `index_lock.rs`; a git process's lock refuses the merge before a file is written), and the index
/// bound to this process's copy, which libgit2's checkout writes and [`HeldIndex::publish`] renames
/// over `index`. The checkout's handle is not kept, so neither is the copy.
struct HeldIndex {
    lock: IndexLock,
    index: git2::Index,
    copy: PathBuf,
}

impl HeldIndex {
    fn take(wt: &Repository) -> Result<HeldIndex, GitError> {
        let lock = IndexLock::acquire(wt)?;
        let index = crate::handles::index(wt)?;
        Ok(HeldIndex { lock, index, copy: index_copy_path(wt) })
    }

    /// The index libgit2 wrote to the copy becomes the checkout's `index`; the lock stays held.
    fn publish(&mut self, wt: &Repository) -> Result<(), GitError> {
        self.lock.publish(wt, &mut self.index)
    }
}

impl Drop for HeldIndex {
    fn drop(&mut self) {
        // Before the lock goes (its field is dropped after this).
        match std::fs::remove_file(&self.copy) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %self.copy.display(), error = %e, "could not remove an index copy");
            }
            _ => {}
        }
    }
}

/// The checkout at `path`, refused while a git operation (a merge, a rebase …) is under way in it.
fn open_clean_checkout(path: &Path) -> Result<Repository, GitError> {
    let wt = Repository::open(path).op(|| format!("open {}", path.display()))?;
    if wt.state() != RepositoryState::Clean {
        let state = format!("{:?}", wt.state()).to_lowercase();
        return Err(GitError::OperationInProgress { path: path.to_path_buf(), state });
    }
    Ok(wt)
}

/// The tracked files of the checkout at `path` that differ from its index or HEAD.
fn local_changes(wt: &Repository, path: &Path) -> Result<Vec<String>, GitError> {
    let mut options = StatusOptions::new();
    options.include_untracked(false).include_ignored(false);
    let statuses = wt.statuses(Some(&mut options)).op(|| format!("read the status of {}", path.display()))?;
    Ok(statuses
        .iter()
        .filter(|e| e.status() != Status::CURRENT)
        .map(|e| String::from_utf8_lossy(e.path_bytes()).into_owned())
        .collect())
}

fn tree_of(repo: &Repository, commit: Oid) -> Result<git2::Tree<'_>, GitError> {
    repo.find_commit(commit).and_then(|c| c.tree()).op(|| format!("read the tree of {commit}"))
}

fn dirty(branch: &str, path: &Path, files: Vec<String>) -> GitError {
    GitError::DefaultBranchDirty { branch: branch.to_owned(), path: path.to_path_buf(), files }
}
