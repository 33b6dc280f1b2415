//! Holding a worktree's `index.lock` the way git does while spectask builds a commit there, so an
//! agent's `git add` or `git commit` in the same worktree cannot interleave with it (and commit a
//! stale index on top of spectask's commit). `git status` is unaffected: it skips its index refresh
//! when the lock is taken.
//!
//! The lock file holds [`MARKER`]. spectask only takes it while holding the repository's writer lock
//! (`lock.rs`), so an `index.lock` holding the marker found by a writer is a leftover of a killed
//! spectask process and is removed; any other `index.lock` belongs to a running (or crashed) git
//! and is waited for, then reported.
//!
//! So that a `kill -9` never leaves an `index.lock` that looks like another git's, the lock appears
//! with its marker in one step (a hard link to a file already holding it), and spectask writes the
//! index itself while holding it ([`IndexLock::write_index`]: a complete copy renamed over `index`)
//! instead of letting libgit2 take the lock and fill it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use backon::BlockingRetryable;
use git2::{Index, Repository};

use crate::commit::retry_locked;
use crate::error::{GitError, GitResultExt, io_err};
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
        let lock_err = |source| GitError::Lock { path: path.to_owned(), source };
        let marked = path.with_file_name(format!("spectask-index-lock-{}.tmp", std::process::id()));
        let mut file =
            OpenOptions::new().write(true).create(true).truncate(true).open(&marked).map_err(lock_err)?;
        file.write_all(MARKER).map_err(lock_err)?;
        drop(file);
        loop {
            // A link, unlike a file being filled, is there with its content or not at all.
            let linked = std::fs::hard_link(&marked, path);
            match linked {
                Ok(()) => {
                    std::fs::remove_file(&marked).map_err(lock_err)?;
                    return Ok(IndexLock { path: path.to_owned() });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !std::fs::read(path).is_ok_and(|content| content == MARKER) {
                        std::fs::remove_file(&marked).map_err(lock_err)?;
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

    /// Writes `index` (of the worktree `repo`) to disk while holding the lock, then releases it: a
    /// complete copy is written beside it and renamed over `index`, so a crash leaves the old index
    /// or the new one, and only this lock, which the next writer recognises.
    pub(crate) fn write_index(self, repo: &Repository, index: &Index) -> Result<(), GitError> {
        let target = repo.path().join("index");
        let temp = repo.path().join(format!("spectask-index-{}.tmp", std::process::id()));
        let op = || format!("write the index of {}", repo.path().display());
        // What a killed writer of this process id left there is half a copy at best.
        match std::fs::remove_file(&temp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err("remove", &temp)(e)),
            _ => {}
        }
        let mut copy = Index::open(&temp).op(op)?;
        copy.clear().op(op)?;
        for entry in index.iter() {
            copy.add(&entry).op(op)?;
        }
        retry_locked(|| copy.write()).op(op)?;
        std::fs::rename(&temp, &target).map_err(io_err("replace", &target))?;
        drop(self);
        Ok(())
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove index.lock");
        }
    }
}
