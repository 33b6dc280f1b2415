//! One spectask writer per worktree at a time: an exclusive `flock` on
//! `<git-dir>/spectask/locks/<scope>.lock`, one scope per thing spectask writes through (the
//! design-docs worktree, the default branch and its checkout, each task's worktree, the
//! repository's registration).
//!
//! git's own locks (`index.lock`, a ref's lock) keep git processes from corrupting each other; these
//! only queue spectask's own writes to one worktree, so that two of them do not fail on each
//! other's `index.lock`, while the tasks of one repository commit side by side. A `flock` belongs to one open file, so threads of one process exclude each other
//! as processes do, and the kernel releases it when its holder dies: a crash never leaves a
//! repository locked. Blocking: async callers use `spawn_blocking`.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::GitError;

/// What a lock keeps to one spectask writer at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LockScope<'a> {
    /// The registration: spectask's config, the design-docs branch's creation.
    Repository,
    /// The design-docs branch and worktree.
    DesignDocs,
    /// The default branch and its checkout (merges, fetches).
    DefaultBranch,
    /// One task's branch and worktree.
    Task(&'a crate::names::TaskHandle),
    /// Pushes of one task's branch: one at a time, so that two of them never race to create or
    /// move the remote's branch (commits go on meanwhile).
    TaskPush(&'a crate::names::TaskHandle),
}

impl LockScope<'_> {
    fn file_name(self) -> String {
        match self {
            LockScope::Repository => "repository.lock".to_owned(),
            LockScope::DesignDocs => "design-docs.lock".to_owned(),
            LockScope::DefaultBranch => "default-branch.lock".to_owned(),
            LockScope::Task(task) => format!("task-{task}.lock"),
            LockScope::TaskPush(task) => format!("task-{task}.push.lock"),
        }
    }
}

/// Held while spectask writes through one scope; dropping it releases the lock.
pub(crate) struct RepoLock {
    _file: File,
}

impl RepoLock {
    /// Blocks until this thread is the only spectask writer of `scope` in the repository whose
    /// common git directory is `git_dir`.
    pub(crate) fn acquire(git_dir: &Path, scope: LockScope<'_>) -> Result<RepoLock, GitError> {
        Self::acquire_at(&git_dir.join("spectask").join("locks").join(scope.file_name()))
    }

    /// Blocks until this thread holds the lock file `path` (made, with its directory, when absent):
    /// for what has no git directory yet, such as a clone being made.
    pub(crate) fn acquire_at(path: &Path) -> Result<RepoLock, GitError> {
        let lock_err = |source| GitError::Lock { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(lock_err)?;
        }
        let file =
            OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(lock_err)?;
        file.lock().map_err(lock_err)?;
        Ok(RepoLock { _file: file })
    }
}
