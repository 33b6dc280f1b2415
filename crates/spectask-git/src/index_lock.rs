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

/// The files a spectask process writes beside a worktree's index, named by its process id: the
/// marked lock it links into place, and the index copy it renames over `index`.
fn marked_lock_name(pid: u32) -> String {
    format!("spectask-index-lock-{pid}.tmp")
}

fn index_copy_name(pid: u32) -> String {
    format!("spectask-index-{pid}.tmp")
}

/// The process id a file of [`marked_lock_name`] or [`index_copy_name`] was written by.
fn writer_of(file_name: &str) -> Option<u32> {
    let name = file_name.strip_suffix(".lock").unwrap_or(file_name);
    let rest = name.strip_suffix(".tmp")?.strip_prefix("spectask-index-")?;
    rest.strip_prefix("lock-").unwrap_or(rest).parse().ok()
}

/// Removes what spectask processes that are gone (killed while writing an index) left in the git
/// directory `git_dir` and its worktrees' admin directories: a process only clears its own process
/// id's files, so these would stay for good. Files of a live process id are left, and nothing is
/// removed where process ids cannot be checked (no `/proc`). Returns how many were removed.
pub(crate) fn sweep_stale(git_dir: &Path) -> usize {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return 0;
    }
    let mut dirs = vec![git_dir.to_path_buf()];
    if let Ok(worktrees) = std::fs::read_dir(git_dir.join("worktrees")) {
        dirs.extend(worktrees.filter_map(Result::ok).map(|e| e.path()));
    }
    let mut removed = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(writer_of) else { continue };
            if proc.join(pid.to_string()).exists() {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale index file")
                }
            }
        }
    }
    if removed > 0 {
        tracing::info!(git_dir = %git_dir.display(), removed, "removed index files left by killed spectask processes");
    }
    removed
}

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
        let marked = path.with_file_name(marked_lock_name(std::process::id()));
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

    /// Writes `index` (of the worktree `repo`, bound to its copy by [`crate::handles::index`]) to
    /// disk while holding the lock, then releases it: the complete index is written to the copy and
    /// renamed over `index`, so a crash leaves the old index or the new one, and only this lock,
    /// which the next writer recognises. The copy stays as the new index's second name.
    pub(crate) fn write_index(self, repo: &Repository, index: &mut Index) -> Result<(), GitError> {
        self.publish(repo, index)?;
        drop(self);
        Ok(())
    }

    /// Writes `index` to disk as [`IndexLock::write_index`] does, keeping the lock: for a merge,
    /// which writes the checkout's index again if it must put the checkout back.
    pub(crate) fn publish(&self, repo: &Repository, index: &mut Index) -> Result<(), GitError> {
        let target = repo.path().join("index");
        let copy = index_copy_path(repo);
        let op = || format!("write the index of {}", repo.path().display());
        if index.path() != Some(copy.as_path()) {
            return Err(GitError::Git {
                op: op(),
                source: git2::Error::from_str("the index is not bound to spectask's copy"),
            });
        }
        // libgit2 writes the copy through `<copy>.lock`; one left by a killed process of this
        // process id is half a copy at best, and no other writer of this copy exists (this process
        // holds the repository's writer lock).
        let copy_lock = copy.with_file_name(format!("{}.lock", index_copy_name(std::process::id())));
        match std::fs::remove_file(&copy_lock) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_err("remove", &copy_lock)(e));
            }
            _ => {}
        }
        retry_locked(|| index.write()).op(op)?;
        std::fs::rename(&copy, &target).map_err(io_err("replace", &target))?;
        // Without its second name the handle reads the index again next time; nothing is lost.
        if let Err(e) = std::fs::hard_link(&target, &copy) {
            tracing::debug!(path = %copy.display(), error = %e, "could not link the index copy");
        }
        Ok(())
    }
}

/// This process's copy of the worktree `repo`'s index (see [`crate::handles::index`]).
pub(crate) fn index_copy_path(repo: &Repository) -> PathBuf {
    repo.path().join(index_copy_name(std::process::id()))
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove index.lock");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_of_a_leftover_is_read_from_its_name() {
        assert_eq!(writer_of(&marked_lock_name(41)), Some(41));
        assert_eq!(writer_of(&index_copy_name(42)), Some(42));
        assert_eq!(writer_of(&format!("{}.lock", index_copy_name(43))), Some(43));
        assert_eq!(writer_of("spectask-index-x.tmp"), None);
        assert_eq!(writer_of("index.lock"), None);
        assert_eq!(writer_of("spectask-index-7"), None);
    }
}
