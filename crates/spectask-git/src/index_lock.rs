//! Holding a worktree's `index.lock` the way git does while spectask builds a commit there, so an
//! agent's `git add` or `git commit` in the same worktree cannot interleave with it (and commit a
//! stale index on top of spectask's commit). `git status` is unaffected: it skips its index refresh
//! when the lock is taken.
//!
//! The lock file holds [`MARKER`]. spectask only takes it while holding the repository's writer lock
//! (`lock.rs`), so an `index.lock` holding the marker found by a writer is a leftover of a killed
//! spectask process and is removed; any other `index.lock` belongs to a running (or crashed) git
//! and is waited for, then reported.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use backon::BlockingRetryable;
use git2::Repository;

use crate::error::GitError;
use crate::retry::INDEX_LOCK_WAIT;

const MARKER: &[u8] = b"spectask\n";

/// A held `index.lock`; removed on drop.
pub(crate) struct IndexLock {
    path: PathBuf,
}

impl IndexLock {
    /// Takes the `index.lock` of the worktree `repo`, waiting ([`INDEX_LOCK_WAIT`], 2 s) for a git
    /// process that holds it.
    pub(crate) fn acquire(repo: &Repository) -> Result<IndexLock, GitError> {
        let path = repo.path().join("index.lock");
        (|| IndexLock::try_acquire(&path))
            .retry(INDEX_LOCK_WAIT)
            .when(|e| matches!(e, GitError::IndexLocked { .. }))
            .call()
    }

    /// One try: takes the lock, after removing one a killed spectask left; `IndexLocked` when a git
    /// process holds it.
    fn try_acquire(path: &Path) -> Result<IndexLock, GitError> {
        loop {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    file.write_all(MARKER)
                        .map_err(|source| GitError::Lock { path: path.to_owned(), source })?;
                    return Ok(IndexLock { path: path.to_owned() });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !std::fs::read(path).is_ok_and(|content| content == MARKER) {
                        return Err(GitError::IndexLocked { path: path.to_owned() });
                    }
                    tracing::warn!(path = %path.display(), "removing an index.lock left by a killed spectask");
                    std::fs::remove_file(path)
                        .map_err(|source| GitError::Lock { path: path.to_owned(), source })?;
                }
                Err(source) => return Err(GitError::Lock { path: path.to_owned(), source }),
            }
        }
    }
}

/// Removes an `index.lock` a killed spectask left behind (one holding [`MARKER`]), so that libgit2
/// can write the index again. Call only while holding the repository's writer lock.
pub(crate) fn remove_stale(repo: &Repository) -> Result<(), GitError> {
    let path = repo.path().join("index.lock");
    if std::fs::read(&path).is_ok_and(|content| content == MARKER) {
        tracing::warn!(path = %path.display(), "removing an index.lock left by a killed spectask");
        std::fs::remove_file(&path).map_err(|source| GitError::Lock { path, source })?;
    }
    Ok(())
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove index.lock");
        }
    }
}
