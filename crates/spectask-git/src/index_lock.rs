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
use std::path::PathBuf;
use std::time::Duration;

use git2::Repository;

use crate::error::GitError;

const MARKER: &[u8] = b"spectask\n";

/// How long to wait for another git process to release `index.lock`.
const WAIT: Duration = Duration::from_secs(2);

/// A held `index.lock`; removed on drop.
pub(crate) struct IndexLock {
    path: PathBuf,
}

impl IndexLock {
    /// Takes the `index.lock` of the worktree `repo`, waiting up to 2 s for a git process that holds it.
    pub(crate) fn acquire(repo: &Repository) -> Result<IndexLock, GitError> {
        let path = repo.path().join("index.lock");
        let mut waited = Duration::ZERO;
        let mut delay = Duration::from_millis(5);
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    file.write_all(MARKER).map_err(|source| GitError::Lock { path: path.clone(), source })?;
                    return Ok(IndexLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if std::fs::read(&path).is_ok_and(|content| content == MARKER) {
                        tracing::warn!(path = %path.display(), "removing an index.lock left by a killed spectask");
                        std::fs::remove_file(&path)
                            .map_err(|source| GitError::Lock { path: path.clone(), source })?;
                        continue;
                    }
                    if waited >= WAIT {
                        return Err(GitError::IndexLocked { path });
                    }
                    std::thread::sleep(delay);
                    waited += delay;
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
                Err(source) => return Err(GitError::Lock { path, source }),
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
