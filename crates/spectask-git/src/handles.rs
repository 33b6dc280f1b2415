//! Open repositories kept between operations, so each one does not open the repository again,
//! parse its configuration and (for the design-docs worktree) read its whole index.
//!
//! A handle is taken out of the registry while it is used and put back afterwards, so no two threads
//! ever use one handle (a second user meanwhile opens its own). What others change on disk is still
//! seen: libgit2 reads refs and loose objects from disk on every lookup, refreshes its pack list on a
//! miss and its configuration when the files change, and [`index`] re-reads an index whose file
//! changed.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use git2::Repository;

use crate::error::{GitError, GitResultExt};

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

/// The repository at `path`, opened once per process; `what` names it in errors.
pub(crate) fn open(path: &Path, what: impl FnOnce() -> String) -> Result<Kept, GitError> {
    let kept = registry().lock().unwrap_or_else(PoisonError::into_inner).remove(path);
    let repo = match kept {
        Some(repo) => repo,
        None => Repository::open(path).op(what)?,
    };
    Ok(Kept { repo: Some(repo), path: path.to_path_buf() })
}

/// Runs `write` on the worktree at `path`, kept open while writes succeed: a write that fails drops
/// the handle, and the next one opens the worktree afresh.
pub(crate) fn with_worktree<T>(
    path: &Path,
    write: impl FnOnce(&Repository) -> Result<T, GitError>,
) -> Result<T, GitError> {
    let worktree = open(path, || format!("open the design-docs worktree {}", path.display()))?;
    let result = write(&worktree);
    if result.is_err() {
        worktree.discard();
    }
    result
}

/// The index of the worktree `repo`, re-read from disk when another process changed it since this
/// handle last read or wrote it.
pub(crate) fn index(repo: &Repository) -> Result<git2::Index, GitError> {
    let describe = || format!("read the index of {}", crate::commit::workdir(repo).display());
    let mut index = repo.index().op(describe)?;
    index.read(false).op(describe)?;
    Ok(index)
}
