//! One spectask writer per repository at a time: an exclusive `flock` on
//! `<git-dir>/spectask/write.lock`.
//!
//! git's own locks (`index.lock`, a ref's lock) keep git processes from corrupting each other; this
//! one only queues spectask's own writes, so that two of them do not fail on each other's
//! `index.lock`. A `flock` belongs to one open file, so threads of one process exclude each other
//! as processes do, and the kernel releases it when its holder dies: a crash never leaves a
//! repository locked. Blocking: async callers use `spawn_blocking`.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::GitError;

/// Held while spectask writes to one repository; dropping it releases the lock.
pub(crate) struct RepoLock {
    _file: File,
}

impl RepoLock {
    /// Blocks until this thread is the only spectask writer of the repository whose common git
    /// directory is `git_dir`.
    pub(crate) fn acquire(git_dir: &Path) -> Result<RepoLock, GitError> {
        let dir = git_dir.join("spectask");
        let path = dir.join("write.lock");
        let lock_err = |source| GitError::Lock { path: path.clone(), source };
        std::fs::create_dir_all(&dir).map_err(lock_err)?;
        let file =
            OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(lock_err)?;
        file.lock().map_err(lock_err)?;
        Ok(RepoLock { _file: file })
    }
}
