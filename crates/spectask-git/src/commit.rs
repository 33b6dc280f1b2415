//! Making commits on a worktree's branch: from an explicit set of file writes, or from everything
//! that changed in the worktree. Both advance the branch with a compare-and-swap on its old tip and
//! leave the worktree's index and files matching the new commit.

use std::collections::BTreeMap;
use std::path::Path;

use backon::BlockingRetryable;
use git2::{FileMode, IndexAddOption, Oid, Repository, RepositoryState, Signature, Status};

use crate::error::{GitError, GitResultExt, io_err};
use crate::index_lock::IndexLock;
use crate::names::validate_file_path;
use crate::object_cache;
use crate::objects::LooseObjects;
use crate::refs::{RefLogging, move_checked_out_branch};
use crate::retry::LOCK_FILE_RETRY;

/// One change to a file of a branch, by path relative to the branch's root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileWrite {
    /// Create the file or replace its contents.
    Put { path: String, contents: Vec<u8> },
    /// Append to the file, creating it when absent. Several appends to one file in one commit are
    /// applied in order.
    Append { path: String, contents: Vec<u8> },
}

impl FileWrite {
    pub fn put(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> FileWrite {
        FileWrite::Put { path: path.into(), contents: contents.into() }
    }

    pub fn append(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> FileWrite {
        FileWrite::Append { path: path.into(), contents: contents.into() }
    }

    pub fn path(&self) -> &str {
        match self {
            FileWrite::Put { path, .. } | FileWrite::Append { path, .. } => path,
        }
    }
}

/// How a file differs between two commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
}

/// One file that differs between two commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    pub change: FileChange,
}

/// The committer of spectask's commits: the repository's configured identity, else `spectask`.
pub(crate) fn signature(repo: &Repository) -> Result<Signature<'static>, GitError> {
    Ok(committer(repo)?.0)
}

/// The committer of spectask's commits and how its branch moves are logged, from one snapshot of
/// the repository's configuration: the configured identity (else `spectask` for the commit and
/// `unknown` for the reflog, as libgit2 names it), and `core.logAllRefUpdates` (unset means true
/// in a repository with a worktree; only `false` stops a branch's reflog).
pub(crate) fn committer(repo: &Repository) -> Result<(Signature<'static>, RefLogging<'static>), GitError> {
    let config = repo.config().and_then(|mut c| c.snapshot()).op(|| "read the configuration".to_owned())?;
    let configured = config.get_string("user.name").ok().zip(config.get_string("user.email").ok());
    let configured = configured.and_then(|(name, email)| Signature::now(&name, &email).ok());
    let make = |name, email| Signature::now(name, email).op(|| "make a signature".to_owned());
    let committer = match &configured {
        Some(sig) => sig.clone(),
        None => make("spectask", "spectask@localhost")?,
    };
    let who = match configured {
        Some(sig) => sig,
        None => make("unknown", "unknown")?,
    };
    let key = "core.logAllRefUpdates";
    let always = config.get_string(key).is_ok_and(|v| v.eq_ignore_ascii_case("always"));
    let branch_log = always || config.get_bool(key).unwrap_or(true);
    Ok((committer, RefLogging { who, branch_log }))
}

/// Checks that the worktree `repo` has `branch` checked out and no merge, rebase … in progress;
/// returns the branch tip.
pub(crate) fn checked_out_tip(repo: &Repository, branch: &str) -> Result<Oid, GitError> {
    let tip = head_branch_tip(repo, branch)?;
    refuse_operation_in_progress(repo)?;
    Ok(tip)
}

/// Checks that the worktree `repo` has `branch` checked out; returns the branch tip.
pub(crate) fn head_branch_tip(repo: &Repository, branch: &str) -> Result<Oid, GitError> {
    let head = head_naming(repo, branch)?;
    let tip = head.resolve().ok().and_then(|r| r.target());
    tip.ok_or_else(|| GitError::BranchNotFound { repo: workdir(repo), branch: branch.to_owned() })
}

/// The HEAD of the worktree `repo`, checked to name `branch`.
fn head_naming<'r>(repo: &'r Repository, branch: &str) -> Result<git2::Reference<'r>, GitError> {
    let path = workdir(repo);
    let head = repo.find_reference("HEAD").op(|| format!("read HEAD of {}", path.display()))?;
    let target = head.symbolic_target().ok().flatten().unwrap_or("a detached HEAD");
    if target.strip_prefix("refs/heads/") != Some(branch) {
        let actual = target.strip_prefix("refs/heads/").unwrap_or(target).to_owned();
        return Err(GitError::WrongBranchCheckedOut { path, expected: branch.to_owned(), actual });
    }
    Ok(head)
}

/// Refuses when a merge, rebase, cherry-pick, revert or bisect is under way in `repo`. The git dir
/// is listed once for the files that say so (libgit2's `state` looks for each in turn) and
/// `state` names the operation only when one is there.
fn refuse_operation_in_progress(repo: &Repository) -> Result<(), GitError> {
    const MARKS: [&str; 6] =
        ["rebase-merge", "rebase-apply", "MERGE_HEAD", "REVERT_HEAD", "CHERRY_PICK_HEAD", "BISECT_LOG"];
    let dir = repo.path();
    let entries = std::fs::read_dir(dir).map_err(io_err("list", dir))?;
    let marked =
        entries.filter_map(Result::ok).any(|e| e.file_name().to_str().is_some_and(|n| MARKS.contains(&n)));
    if marked && repo.state() != RepositoryState::Clean {
        let state = format!("{:?}", repo.state()).to_lowercase();
        return Err(GitError::OperationInProgress { path: workdir(repo), state });
    }
    Ok(())
}

/// Commits `writes` on top of `parent_id`, the tip of `branch` as the caller read it (the branch
/// moves only if it is still there), which `repo` (a worktree) has checked out, then brings the
/// worktree's files and index up to date. Refuses when a written path has uncommitted changes in
/// the worktree. Returns `None`, committing nothing, when the writes change nothing.
pub(crate) fn commit_writes(
    repo: &Repository,
    branch: &str,
    parent_id: Oid,
    message: &str,
    writes: &[FileWrite],
) -> Result<Option<Oid>, GitError> {
    for write in writes {
        validate_file_path(write.path())?;
    }
    let index_lock = IndexLock::acquire(repo)?;
    head_naming(repo, branch)?;
    refuse_operation_in_progress(repo)?;
    let wt = workdir(repo);
    // The tip, its trees and files, through the cache of the objects this process wrote or read.
    let parent_tree = object_cache::commit_tree(repo, parent_id)?;
    let at_tip = |path: &str| object_cache::file_at(repo, parent_tree, path);
    let mut index = crate::handles::index(repo)?;
    crate::dirty::refuse_dirty_paths(repo, &index, at_tip, writes.iter().map(FileWrite::path))?;

    let mut contents: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for write in writes {
        match write {
            FileWrite::Put { path, contents: bytes } => {
                contents.insert(path, bytes.clone());
            }
            FileWrite::Append { path, contents: bytes } => {
                if !contents.contains_key(path.as_str()) {
                    let existing = object_cache::file_contents(repo, parent_tree, path)?;
                    contents.insert(path, existing.map(|bytes| bytes.to_vec()).unwrap_or_default());
                }
                if let Some(file) = contents.get_mut(path.as_str()) {
                    file.extend_from_slice(bytes);
                }
            }
        }
    }

    let objects = LooseObjects::of(repo);
    let mut changed = Vec::with_capacity(contents.len());
    let mut restage = Vec::new();
    for (path, bytes) in &contents {
        // A file written with what it already holds (on the tip, and on disk as checked above)
        // needs no object or file write; only an index entry left stale is staged again.
        let blob = Oid::hash_object(git2::ObjectType::Blob, bytes).op(|| format!("hash {path}"))?;
        if at_tip(path)? == Some(blob) {
            if index.get_path(Path::new(path), 0).is_none_or(|entry| entry.id != blob) {
                restage.push((*path, blob));
            }
            continue;
        }
        objects.write_hashed(blob, git2::ObjectType::Blob, bytes)?;
        changed.push((*path, bytes, blob));
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let files: Vec<(&str, Oid)> = changed.iter().map(|(path, _, blob)| (*path, *blob)).collect();
    let tree_id = objects.write_updated_tree(repo, Some(parent_tree), &files)?;
    let new_id = commit_tree(repo, branch, parent_id, tree_id, message)?;

    for (path, bytes, blob) in changed {
        let file = wt.join(path);
        crate::sync::write_atomically(repo, &file, bytes)?;
        // Staged as written: the blob is known, so the file is not read and hashed again.
        let meta = std::fs::symlink_metadata(&file).map_err(io_err("read the metadata of", &file))?;
        index.add(&staged_entry(path, blob, &meta)).op(|| format!("stage {path} in {}", wt.display()))?;
    }
    for (path, blob) in restage {
        let file = wt.join(path);
        let meta = std::fs::symlink_metadata(&file).map_err(io_err("read the metadata of", &file))?;
        index.add(&staged_entry(path, blob, &meta)).op(|| format!("stage {path} in {}", wt.display()))?;
    }
    index_lock.write_index(repo, &mut index)?;
    Ok(Some(new_id))
}

/// The index entry of a file just written with the contents of `blob`, its stat data as git keeps
/// it (so `git status` finds the file clean without reading it).
pub(crate) fn staged_entry(path: &str, blob: Oid, meta: &std::fs::Metadata) -> git2::IndexEntry {
    use std::os::unix::fs::MetadataExt;
    // The index keeps 32 bits of each; git truncates the same way.
    let time = |secs: i64, nanos: i64| git2::IndexTime::new(secs as i32, nanos as u32);
    git2::IndexEntry {
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode: u32::from(FileMode::Blob),
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.len() as u32,
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// Commits every change in the worktree `repo` (added, modified, deleted, untracked but not
/// ignored) on `branch`. Returns `None` when nothing changed.
pub(crate) fn commit_all(
    repo: &Repository,
    branch: &str,
    message: &str,
) -> Result<Option<(Oid, Vec<ChangedFile>)>, GitError> {
    commit_paths(repo, branch, message, None)
}

/// Like [`commit_all`], but stages only `paths` (relative to the worktree, taken literally) when
/// given: changes to other files stay uncommitted in the worktree.
pub(crate) fn commit_paths(
    repo: &Repository,
    branch: &str,
    message: &str,
    paths: Option<&[String]>,
) -> Result<Option<(Oid, Vec<ChangedFile>)>, GitError> {
    let index_lock = IndexLock::acquire(repo)?;
    let parent_id = checked_out_tip(repo, branch)?;
    let wt = workdir(repo);
    let mut index = crate::handles::index(repo)?;
    if index.has_conflicts() {
        return Err(GitError::OperationInProgress {
            path: wt,
            state: "unresolved merge conflict".to_owned(),
        });
    }
    match paths {
        None => {
            // `add_all` stages deletions too (a tracked file gone from the worktree is removed).
            index
                .add_all(["*"], IndexAddOption::DEFAULT, None)
                .op(|| format!("stage changes in {}", wt.display()))?;
        }
        Some(paths) => {
            for path in paths {
                crate::names::validate_file_path(path)?;
            }
            stage_paths(repo, &mut index, paths)?;
        }
    }
    let tree_id = index.write_tree().op(|| format!("write the tree of {}", wt.display()))?;
    let parent_tree = object_cache::commit_tree(repo, parent_id)?;
    let new_id = if tree_id == parent_tree {
        None
    } else {
        Some(commit_tree(repo, branch, parent_id, tree_id, message)?)
    };
    index_lock.write_index(repo, &mut index)?;
    let Some(new_id) = new_id else { return Ok(None) };
    let changed = changed_between(repo, Some(parent_tree), tree_id)?;
    Ok(Some((new_id, changed)))
}

/// Stages what changed at `paths` (taken literally; a directory stands for the files under it) as
/// `git add --all -- <paths>` does: modified and new files that are not ignored are added, tracked
/// files gone from the worktree removed. Only those paths are compared with the worktree, where
/// `Index::add_all` would stat every file of the worktree to find them.
fn stage_paths(repo: &Repository, index: &mut git2::Index, paths: &[String]) -> Result<(), GitError> {
    let wt = workdir(repo);
    let mut options = git2::DiffOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true).include_typechange(true);
    options.disable_pathspec_match(true);
    for path in paths {
        options.pathspec(path);
    }
    let diff = repo
        .diff_index_to_workdir(Some(index), Some(&mut options))
        .op(|| format!("compare the index of {} with its files", wt.display()))?;
    let changed: Vec<(std::path::PathBuf, bool)> = diff
        .deltas()
        .filter_map(|delta| Some((delta.new_file().path()?.to_path_buf(), delta.new_file().exists())))
        .collect();
    drop(diff);
    for (path, exists) in changed {
        let staged = if exists { index.add_path(&path) } else { index.remove_path(&path) };
        staged.op(|| format!("stage {} in {}", path.display(), wt.display()))?;
    }
    Ok(())
}

/// Writes a commit of `tree_id` on `parent_id` and moves `branch` to it, only if the branch still
/// points at `parent_id`; `repo` is a worktree whose HEAD names `branch` (both callers check it
/// under the worktree's index lock), so HEAD's reflog gets the move too.
pub(crate) fn commit_tree(
    repo: &Repository,
    branch: &str,
    parent_id: Oid,
    tree_id: Oid,
    message: &str,
) -> Result<Oid, GitError> {
    let (signature, logging) = committer(repo)?;
    let new_id = LooseObjects::of(repo).write_commit(tree_id, parent_id, &signature, message)?;
    let reflog = format!("spectask: {}", message.lines().next().unwrap_or_default());
    move_checked_out_branch(repo, branch, new_id, parent_id, &logging, &reflog)?;
    Ok(new_id)
}

/// Moves `branch` from `expected` to `new_id`, failing with [`GitError::ConcurrentUpdate`] if it
/// moved meanwhile: as spectask's commits move their branch (`refs.rs`), so a `kill -9` leaves a
/// lock the next move recognises, not one libgit2 made that stops every later move.
pub(crate) fn move_branch(
    repo: &Repository,
    branch: &str,
    new_id: Oid,
    expected: Oid,
    message: &str,
) -> Result<(), GitError> {
    let (_, logging) = committer(repo)?;
    let reflog = format!("spectask: {}", message.lines().next().unwrap_or_default());
    crate::refs::move_branch(repo, branch, new_id, expected, &logging, &reflog)
}

/// Runs `op` again while another git process holds a lock file it needs ([`LOCK_FILE_RETRY`]).
pub(crate) fn retry_locked<T>(op: impl FnMut() -> Result<T, git2::Error>) -> Result<T, git2::Error> {
    op.retry(LOCK_FILE_RETRY)
        .when(|e| e.code() == git2::ErrorCode::Locked)
        .notify(|e, wait| tracing::debug!(error = %e, ?wait, "a git lock file is held; retrying"))
        .call()
}

/// The files that differ between `from` (or the empty tree) and `to`.
pub(crate) fn changed_files(
    repo: &Repository,
    from: Option<Oid>,
    to: Oid,
) -> Result<Vec<ChangedFile>, GitError> {
    let tree_of = |id: Oid| repo.find_commit(id).map(|c| c.tree_id()).op(|| format!("read commit {id}"));
    changed_between(repo, from.map(tree_of).transpose()?, tree_of(to)?)
}

/// The files that differ between the trees `from` (or the empty tree) and `to`.
fn changed_between(repo: &Repository, from: Option<Oid>, to: Oid) -> Result<Vec<ChangedFile>, GitError> {
    let tree_of = |id: Oid| repo.find_tree(id).op(|| format!("read tree {id}"));
    let old = from.map(tree_of).transpose()?;
    let new = tree_of(to)?;
    let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), None).op(|| format!("diff {to}"))?;
    let mut files = Vec::new();
    for delta in diff.deltas() {
        let change = match delta.status() {
            git2::Delta::Added => FileChange::Added,
            git2::Delta::Deleted => FileChange::Deleted,
            _ => FileChange::Modified,
        };
        let file = if change == FileChange::Deleted { delta.old_file() } else { delta.new_file() };
        if let Some(path) = file.path_bytes() {
            files.push(ChangedFile { path: String::from_utf8_lossy(path).into_owned(), change });
        }
    }
    Ok(files)
}

/// The contents of the blob at `path` in `tree`, `None` when there is no file there.
pub(crate) fn blob_at(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    path: &str,
) -> Result<Option<Vec<u8>>, GitError> {
    let entry = match tree.get_path(Path::new(path)) {
        Ok(entry) => entry,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(source) => {
            return Err(GitError::Git { op: format!("look up {path}"), source });
        }
    };
    if entry.kind() != Some(git2::ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repo.find_blob(entry.id()).op(|| format!("read {path}"))?;
    Ok(Some(blob.content().to_vec()))
}

/// Every uncommitted change in the worktree `repo`: modified, staged, deleted and untracked files
/// (ignored files are not changes).
pub(crate) fn uncommitted_files(repo: &Repository) -> Result<Vec<String>, GitError> {
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false);
    let statuses =
        repo.statuses(Some(&mut options)).op(|| format!("read the status of {}", workdir(repo).display()))?;
    Ok(statuses
        .iter()
        .filter(|entry| entry.status() != Status::CURRENT && !entry.status().contains(Status::IGNORED))
        .map(|entry| String::from_utf8_lossy(entry.path_bytes()).into_owned())
        .collect())
}

/// The working directory of `repo` (its git dir for a bare repository, which spectask never opens).
pub(crate) fn workdir(repo: &Repository) -> std::path::PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}
