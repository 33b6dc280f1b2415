//! One writer per repository: an in-process mutex per repository plus a cross-process file lock.
//!
//! Every operation that changes a repository (refs, index, worktrees, the spectask records) runs
//! inside [`RepoLock::acquire`]. The lock has two layers:
//!
//! - an in-process `Mutex` keyed by the canonical path of the repository's common git directory,
//!   kept in one process-wide registry (`LOCKS`), so every caller in the process — whatever handle it
//!   holds — serialises on the same mutex;
//! - an exclusive advisory lock (`flock`) on `<git-dir>/spectask/write.lock`, so several spectask
//!   processes sharing a filesystem do not race each other either.
//!
//! Both are blocking: callers on an async runtime must use `spawn_blocking`. The file lock is
//! released by the OS if the process dies, so a crash never leaves a repository locked.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::error::GitError;

type Registry = Mutex<HashMap<PathBuf, &'static Mutex<()>>>;

/// The process-wide registry of per-repository mutexes, keyed by canonical common git dir.
static LOCKS: OnceLock<Registry> = OnceLock::new();

/// Held while spectask writes to one repository; dropping it releases both layers.
pub(crate) struct RepoLock {
    // Field order matters: the file lock is released before the in-process mutex.
    _file: File,
    _guard: MutexGuard<'static, ()>,
}

impl RepoLock {
    /// Blocks until this thread is the only spectask writer of the repository whose common git
    /// directory is `git_dir`.
    pub(crate) fn acquire(git_dir: &Path) -> Result<RepoLock, GitError> {
        let key = git_dir
            .canonicalize()
            .map_err(|source| GitError::Lock { path: git_dir.to_path_buf(), source })?;
        let mutex = repo_mutex(&key);
        // The mutex guards `()`: a panic in another holder leaves nothing inconsistent behind, so a
        // poisoned lock is simply taken over.
        let guard = mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = key.join("spectask");
        let path = dir.join("write.lock");
        let lock_err = |source| GitError::Lock { path: path.clone(), source };
        std::fs::create_dir_all(&dir).map_err(lock_err)?;
        let file =
            OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(lock_err)?;
        file.lock().map_err(lock_err)?;
        Ok(RepoLock { _file: file, _guard: guard })
    }
}

/// The mutex of one repository. Entries are never removed: there is one per repository the process
/// ever wrote to (a handful), and leaking them lets the guard be `'static`.
fn repo_mutex(key: &Path) -> &'static Mutex<()> {
    let registry = LOCKS.get_or_init(Registry::default);
    let mut map = registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(key.to_path_buf()).or_insert_with(|| Box::leak(Box::new(Mutex::new(()))))
}
