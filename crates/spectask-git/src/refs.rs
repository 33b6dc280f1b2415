//! Writing spectask's own records under `refs/spectask/` (the last design-docs tip it wrote) as
//! loose ref files, the way git's files backend writes them: `<ref>.lock` created exclusively,
//! filled, renamed over the ref.
//!
//! Through libgit2, each such write also stat'ed the ref several times, read it, looked for its
//! reflog and made a signature for it (reading the configuration again): the ref is written on
//! every design-docs commit. Nothing is lost by writing it directly: the ref is only spectask's,
//! written under the repository's writer lock; git keeps no reflog for refs outside `refs/heads/`,
//! `refs/remotes/` and `refs/notes/` unless one exists (then libgit2 writes the ref, reflog and all);
//! a loose ref takes precedence over a packed one of the same name, as for git; and the rename makes
//! the new id appear whole, after the objects it names were written.

use std::io::Write;

use backon::BlockingRetryable;
use git2::{Oid, Repository};

use crate::commit::retry_locked;
use crate::error::{GitError, GitResultExt, io_err};
use crate::retry::LOCK_FILE_RETRY;

/// Points the ref `name` (`refs/spectask/…`) of the repository of `git` at `id`.
pub(crate) fn write_spectask_ref(
    git: &Repository,
    name: &str,
    id: Oid,
    reflog: &str,
) -> Result<(), GitError> {
    let common = git.commondir();
    if common.join("logs").join(name).exists() {
        retry_locked(|| git.reference(name, id, true, reflog)).op(|| format!("update {name}"))?;
        return Ok(());
    }
    let path = common.join(name);
    let lock = common.join(format!("{name}.lock"));
    let create = || {
        std::fs::OpenOptions::new().write(true).create_new(true).open(&lock).or_else(|e| {
            let dir = lock.parent().filter(|_| e.kind() == std::io::ErrorKind::NotFound);
            let Some(dir) = dir else { return Err(e) };
            std::fs::create_dir_all(dir)?;
            std::fs::OpenOptions::new().write(true).create_new(true).open(&lock)
        })
    };
    // Another git process holding `<ref>.lock` (a `git pack-refs`) is waited for.
    let mut file = create
        .retry(LOCK_FILE_RETRY)
        .when(|e| e.kind() == std::io::ErrorKind::AlreadyExists)
        .call()
        .map_err(io_err("create", &lock))?;
    let written = file.write_all(format!("{id}\n").as_bytes()).map_err(io_err("write", &lock));
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&lock, &path).map_err(io_err("replace", &path))) {
        let _ = std::fs::remove_file(&lock);
        return Err(e);
    }
    Ok(())
}
