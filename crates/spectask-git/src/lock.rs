//! One writer per repository: an in-process mutex per repository plus a cross-process file lock.
//!
//! Every operation that changes a repository (refs, index, worktrees, the spectask records) runs
//! inside [`RepoLock::acquire`]. The lock has two layers:
//!
//! - an in-process `Mutex` per repository, keyed by the canonical path of its common git directory,
//!   kept in one process-wide registry (`LOCKS`), so every caller in the process — whatever handle it
//!   holds — serialises on the same mutex;
//! - an exclusive advisory lock (`flock`) on `<git-dir>/spectask/write.lock`, so several spectask
//!   processes sharing a filesystem do not race each other either.
//!
//! The mutex guards the open lock file, opened once and kept: a write costs a `flock`, an `fstat`
//! and the unlock, not a path resolution, a directory creation and an open each time. The `fstat`
//! catches a lock file removed meanwhile (its repository deleted and made again at the same path):
//! a lock on a removed file excludes nobody, so the file is opened again.
//!
//! Both are blocking: callers on an async runtime must use `spawn_blocking`. The file lock is
//! released by the OS if the process dies, so a crash never leaves a repository locked.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::error::GitError;

/// The lock of one repository: its lock file once opened.
type Writer = Mutex<Option<File>>;

type Registry = Mutex<HashMap<PathBuf, &'static Writer>>;

/// The process-wide registry of per-repository writers, by canonical common git dir and by each
/// other spelling of it a caller used.
static LOCKS: OnceLock<Registry> = OnceLock::new();

/// Held while spectask writes to one repository; dropping it releases both layers.
pub(crate) struct RepoLock {
    guard: MutexGuard<'static, Option<File>>,
}

impl RepoLock {
    /// Blocks until this thread is the only spectask writer of the repository whose common git
    /// directory is `git_dir`.
    pub(crate) fn acquire(git_dir: &Path) -> Result<RepoLock, GitError> {
        let (writer, dir) = writer(git_dir)?;
        // The mutex guards the lock file only: a panic in another holder leaves nothing
        // inconsistent behind (its guard's drop unlocked the file), so a poisoned lock is taken over.
        let mut guard = writer.lock().unwrap_or_else(PoisonError::into_inner);
        let path = dir.join("spectask").join("write.lock");
        let lock_err = |source| GitError::Lock { path: path.clone(), source };
        if let Some(file) = guard.as_ref() {
            file.lock().map_err(lock_err)?;
            if file.metadata().map_err(lock_err)?.nlink() > 0 {
                return Ok(RepoLock { guard });
            }
            file.unlock().map_err(lock_err)?;
            *guard = None;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(lock_err)?;
        }
        let file =
            OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(lock_err)?;
        file.lock().map_err(lock_err)?;
        *guard = Some(file);
        Ok(RepoLock { guard })
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        // The file lock is released before the mutex (the guard, dropped after this).
        if let Some(Err(e)) = self.guard.as_ref().map(File::unlock) {
            // Closing the file releases its lock for certain: the next writer opens it again.
            tracing::warn!(error = %e, "cannot unlock a repository's write.lock; closing it");
            *self.guard = None;
        }
    }
}

/// The writer of one repository and its canonical git dir. Entries are never removed: there is one
/// per repository the process ever wrote to (a handful), and leaking them lets the guard be
/// `'static`.
fn writer(git_dir: &Path) -> Result<(&'static Writer, PathBuf), GitError> {
    let registry = LOCKS.get_or_init(Registry::default);
    let lookup = |path: &Path| registry.lock().unwrap_or_else(PoisonError::into_inner).get(path).copied();
    // `Repo` keeps its git dir canonical, so the first lookup finds it; another spelling is
    // resolved once and remembered.
    let canonical = match lookup(git_dir) {
        Some(writer) => return Ok((writer, git_dir.to_path_buf())),
        None => {
            git_dir.canonicalize().map_err(|source| GitError::Lock { path: git_dir.to_path_buf(), source })?
        }
    };
    let mut map = registry.lock().unwrap_or_else(PoisonError::into_inner);
    let writer: &'static Writer =
        map.entry(canonical.clone()).or_insert_with(|| Box::leak(Box::new(Mutex::new(None))));
    map.insert(git_dir.to_path_buf(), writer);
    Ok((writer, canonical))
}
