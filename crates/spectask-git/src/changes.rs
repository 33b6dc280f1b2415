//! Change detection for the orchestrator: branch tips, commits, the files they changed and the
//! files' contents at a commit — e.g. to notice an agent ticking progress markers itself.

use git2::{Oid, Repository};

use crate::commit::{ChangedFile, blob_at, changed_files, uncommitted_files};
use crate::error::{GitError, GitResultExt, io_err};
use crate::names::{CommitId, parse_trailers, validate_file_path};
use crate::registration::{Repo, branch_tip};

/// One commit, as the orchestrator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: CommitId,
    pub parents: Vec<CommitId>,
    /// The full message, trailers included.
    pub message: String,
    /// The `Key: value` trailers of the message.
    pub trailers: Vec<(String, String)>,
}

impl Repo {
    /// The tip of the local branch `branch` (`spectask/<task>`, the default branch, the design-docs
    /// branch …), `None` when it does not exist.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<CommitId>, GitError> {
        Ok(branch_tip(&*self.git()?, branch)?.map(CommitId))
    }

    /// The files that differ between `from` and `to`; every file of `to` when `from` is `None`.
    pub fn changed_files(&self, from: Option<CommitId>, to: CommitId) -> Result<Vec<ChangedFile>, GitError> {
        changed_files(&*self.git()?, from.map(|c| c.0), to.0)
    }

    /// The file at `path` in commit `commit`, `None` when there is none.
    pub fn read_file_at(&self, commit: CommitId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        validate_file_path(path)?;
        let git = self.git()?;
        let tree =
            git.find_commit(commit.0).and_then(|c| c.tree()).op(|| format!("read the tree of {commit}"))?;
        blob_at(&git, &tree, path)
    }

    /// The commit `commit`: parents, message and trailers.
    pub fn commit_info(&self, commit: CommitId) -> Result<CommitInfo, GitError> {
        let git = self.git()?;
        let found = git.find_commit(commit.0).op(|| format!("read commit {commit}"))?;
        let message = String::from_utf8_lossy(found.message_bytes()).into_owned();
        Ok(CommitInfo {
            id: commit,
            parents: found.parent_ids().map(CommitId).collect(),
            trailers: parse_trailers(&message),
            message,
        })
    }

    /// The commits reachable from `to` but not from `from` (all of `to`'s history when `None`),
    /// oldest first.
    pub fn commits_between(&self, from: Option<CommitId>, to: CommitId) -> Result<Vec<CommitId>, GitError> {
        let git = self.git()?;
        let mut walk = git.revwalk().op(|| "start a revision walk".to_owned())?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .op(|| "sort a revision walk".to_owned())?;
        walk.push(to.0).op(|| format!("walk from {to}"))?;
        if let Some(from) = from {
            walk.hide(from.0).op(|| format!("hide {from}"))?;
        }
        walk.map(|id| id.map(CommitId).op(|| format!("walk from {to}"))).collect()
    }

    /// The commits of `branch` after `since` (its whole history when `None`), oldest first, with
    /// messages and trailers: what recovery reads spec versions and reviews from, and how the
    /// orchestrator tells spectask's commits from an agent's. Empty when the branch does not exist.
    pub fn commit_log(&self, branch: &str, since: Option<CommitId>) -> Result<Vec<CommitInfo>, GitError> {
        let git = self.git()?;
        let Some(tip) = branch_tip(&git, branch)? else { return Ok(Vec::new()) };
        log_between(&git, since.map(|c| c.0), tip)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: CommitId, descendant: CommitId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let git = self.git()?;
        git.graph_descendant_of(descendant.0, ancestor.0)
            .op(|| format!("compare {descendant} with {ancestor}"))
    }

    /// Uncommitted changes (modified, staged, deleted, untracked) in the design-docs worktree, e.g. an
    /// agent editing `progress.md` without committing.
    pub fn design_docs_uncommitted(&self) -> Result<Vec<String>, GitError> {
        let path = self.design_docs_worktree();
        let worktree = git2::Repository::open(&path)
            .op(|| format!("open the design-docs worktree {}", path.display()))?;
        uncommitted_files(&worktree)
    }

    /// The file at `path` as it is on disk in the design-docs worktree (uncommitted edits included),
    /// `None` when absent. Never follows a symlink out of the worktree.
    pub fn read_design_docs_worktree_file(&self, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        validate_file_path(path)?;
        let worktree = self.design_docs_worktree();
        let file = worktree.join(path);
        let real = match file.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("resolve", &file)(e)),
        };
        let root = worktree.canonicalize().map_err(io_err("resolve", &worktree))?;
        if file.symlink_metadata().map(|m| m.is_symlink()).unwrap_or(true) || !real.starts_with(&root) {
            return Ok(None);
        }
        std::fs::read(&real).map(Some).map_err(io_err("read", &real))
    }
}

/// The commits reachable from `tip` and not from `hide`, oldest first, with messages and trailers.
pub(crate) fn log_between(
    git: &Repository,
    hide: Option<Oid>,
    tip: Oid,
) -> Result<Vec<CommitInfo>, GitError> {
    let mut walk = git.revwalk().op(|| "start a revision walk".to_owned())?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .op(|| "sort a revision walk".to_owned())?;
    walk.push(tip).op(|| format!("walk from {tip}"))?;
    if let Some(hide) = hide {
        walk.hide(hide).op(|| format!("hide {hide}"))?;
    }
    let mut log = Vec::new();
    for id in walk {
        let id = id.op(|| format!("walk from {tip}"))?;
        let commit = git.find_commit(id).op(|| format!("read commit {id}"))?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        log.push(CommitInfo {
            id: CommitId(id),
            parents: commit.parent_ids().map(CommitId).collect(),
            trailers: parse_trailers(&message),
            message,
        });
    }
    Ok(log)
}
