//! Open repositories kept between operations, so each one does not open the repository again,
//! parse its configuration and (for the design-docs worktree and task worktrees, whose commits
//! run here) read its whole index.
//!
//! A handle is taken out of the registry while it is used and put back afterwards, so no two threads
//! ever use one handle (a second user meanwhile opens its own). What others change on disk is still
//! seen: libgit2 reads refs and loose objects from disk on every lookup, refreshes its pack list on a
//! miss and its configuration when the files change, and [`index`] re-reads an index whose file
//! another process replaced.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use git2::Repository;

use crate::error::{GitError, GitResultExt, io_err};

/// Open repositories by the path they were opened from; one per repository and design-docs
/// worktree the process used (a handful).
static OPEN: OnceLock<Mutex<HashMap<PathBuf, Repository>>> = OnceLock::new();

fn registry() -> &'static Mutex<HashMap<PathBuf, Repository>> {
    OPEN.get_or_init(Mutex::default)
}

/// A repository taken from the registry (or opened), put back when dropped.
pub(crate) struct Kept {
    repo: Option<Repository>,
    path: PathBuf,
}

impl Deref for Kept {
    type Target = Repository;

    fn deref(&self) -> &Repository {
        // Only `Drop` takes the repository out.
        self.repo.as_ref().unwrap_or_else(|| unreachable!("a kept repository is present until dropped"))
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        if let Some(repo) = self.repo.take() {
            registry()
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(std::mem::take(&mut self.path), repo);
        }
    }
}

impl Kept {
    /// Drops the handle instead of keeping it (after a write that failed half-way).
    fn discard(mut self) {
        self.repo = None;
    }
}

/// Sets libgit2's process-wide options once, before the first repository is opened (only this
/// crate uses libgit2 in the process).
///
/// Strict object creation is off: with it, libgit2 reads back from disk every object a new object
/// names (each entry of a tree written from an index, a commit's tree and parents, a blob staged
/// by id, a ref's target) to check that it exists. spectask-git only names objects it wrote or
/// read from the repository earlier in the same operation, under the repository's writer lock, and
/// writes an object before anything naming it (so a crash never leaves a ref or tree pointing at
/// a missing object): the check would find what the operation already knows.
pub(crate) fn configure_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| git2::opts::strict_object_creation(false));
}

/// The repository at `path`, opened once per process; `what` names it in errors.
pub(crate) fn open(path: &Path, what: impl FnOnce() -> String) -> Result<Kept, GitError> {
    configure_libgit2();
    let kept = registry().lock().unwrap_or_else(PoisonError::into_inner).remove(path);
    let repo = match kept {
        Some(repo) => repo,
        None => Repository::open(path).op(what)?,
    };
    Ok(Kept { repo: Some(repo), path: path.to_path_buf() })
}

/// Runs `write` on the worktree at `path` (a worktree's directory, or its admin directory under
/// `.git/worktrees/`), kept open while writes succeed: a write that fails drops the handle, and the
/// next one opens the worktree afresh. `what` names it in errors. Callers hold the repository's
/// writer lock, so a worktree's handle is used by one writer at a time ([`index`] relies on it).
pub(crate) fn with_worktree<T>(
    path: &Path,
    what: impl FnOnce() -> String,
    write: impl FnOnce(&Repository) -> Result<T, GitError>,
) -> Result<T, GitError> {
    configure_libgit2();
    let kept = registry().lock().unwrap_or_else(PoisonError::into_inner).remove(path);
    let repo = match kept {
        Some(repo) => repo,
        None => {
            let repo = Repository::open(path).op(what)?;
            // Bound before anything loads the index from `index` only to drop it again.
            bind_index(&repo)?;
            repo
        }
    };
    let worktree = Kept { repo: Some(repo), path: path.to_path_buf() };
    let result = write(&worktree);
    if result.is_err() {
        worktree.discard();
    }
    result
}

/// Drops the handle kept for `path`, if any: its worktree was removed, or made anew.
pub(crate) fn forget(path: &Path) {
    registry().lock().unwrap_or_else(PoisonError::into_inner).remove(path);
}

/// The index of the worktree `repo` for a write under its `index.lock`, up to date with the index
/// file on disk.
///
/// The handle's index is bound to this process's copy file beside `index` (the index's second name,
/// a hard link): [`crate::index_lock::IndexLock::write_index`] writes it there and renames it over
/// `index`, so writing never copies entries into another index, and a handle whose copy is still
/// the index file has nothing to read again. When another process replaced `index` (an agent's
/// `git add`), the copy is linked to the new file and read from it.
pub(crate) fn index(repo: &Repository) -> Result<git2::Index, GitError> {
    let describe = || format!("read the index of {}", crate::commit::workdir(repo).display());
    let target = repo.path().join("index");
    let copy = crate::index_lock::index_copy_path(repo);
    let mut index = repo.index().op(describe)?;
    if index.path() != Some(copy.as_path()) {
        return bind_index(repo);
    }
    // The copy still being the index file means nobody replaced it since this handle read or wrote
    // it (git and libgit2 write an index only by renaming a new file over it, another spectask
    // process through a copy of its own, and this process through this handle only: a worktree's
    // handle is used under the repository's writer lock, one at a time, see `with_worktree`): what
    // the handle holds is what the file holds, with nothing to compare.
    if !same_file(&target, &copy) {
        link_copy(&target, &copy)?;
        // Read again only when the file changed since this handle read or wrote it.
        index.read(false).op(describe)?;
    }
    Ok(index)
}

/// Makes the index of the worktree `repo` the one bound to this process's copy (see [`index`]).
fn bind_index(repo: &Repository) -> Result<git2::Index, GitError> {
    let describe = || format!("read the index of {}", crate::commit::workdir(repo).display());
    let copy = crate::index_lock::index_copy_path(repo);
    link_copy(&repo.path().join("index"), &copy)?;
    let mut index = git2::Index::open(&copy).op(describe)?;
    repo.set_index(&mut index).op(describe)?;
    Ok(index)
}

/// Whether `a` and `b` are names of one file.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Makes `copy` a second name of the index file `target` (no copy when there is no index yet).
fn link_copy(target: &Path, copy: &Path) -> Result<(), GitError> {
    match std::fs::remove_file(copy) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err("remove", copy)(e)),
        _ => {}
    }
    match std::fs::hard_link(target, copy) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err("link the index to", copy)(e)),
        _ => Ok(()),
    }
}
