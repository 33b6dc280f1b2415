//! Bringing a worktree that lags behind its branch back in step, e.g. after spectask was killed
//! between moving the design-docs branch and updating the worktree's files and index.

use std::path::Path;

use git2::{Oid, Repository};

use crate::commit::{blob_at, workdir};
use crate::error::{GitError, GitResultExt, io_err};

/// For every path that differs between `known` (a commit the worktree was in step with) and `tip`
/// (the checked-out branch's tip): if the worktree's file still holds its content at `known` or
/// already holds its content at `tip`, writes the tip's version (or removes the file) and stages
/// it. A file holding anything else is someone's edit and is left alone. Returns the paths it
/// brought up to date.
pub(crate) fn sync_lagging_paths(repo: &Repository, known: Oid, tip: Oid) -> Result<Vec<String>, GitError> {
    if known == tip {
        return Ok(Vec::new());
    }
    let tree_of =
        |id: Oid| repo.find_commit(id).and_then(|c| c.tree()).op(|| format!("read the tree of {id}"));
    let (known_tree, tip_tree) = (tree_of(known)?, tree_of(tip)?);
    let diff = repo
        .diff_tree_to_tree(Some(&known_tree), Some(&tip_tree), None)
        .op(|| format!("diff {known} {tip}"))?;
    let paths: Vec<String> = diff
        .deltas()
        .flat_map(|d| [d.old_file().path_bytes(), d.new_file().path_bytes()])
        .flatten()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let wt = workdir(repo);
    // Killed between moving the branch and updating the worktree, spectask may also have left its
    // index.lock behind: taking the lock clears it.
    let index_lock = crate::index_lock::IndexLock::acquire(repo)?;
    let mut index = crate::handles::index(repo)?;
    let mut synced = Vec::new();
    for path in paths {
        if synced.contains(&path) {
            continue;
        }
        let file = wt.join(&path);
        let on_disk = match std::fs::symlink_metadata(&file) {
            Ok(meta) if meta.is_file() => Some(std::fs::read(&file).map_err(io_err("read", &file))?),
            Ok(_) => continue,
            Err(_) => None,
        };
        let at_tip = blob_at(repo, &tip_tree, &path)?;
        if on_disk != at_tip && on_disk != blob_at(repo, &known_tree, &path)? {
            continue;
        }
        match at_tip {
            Some(bytes) => {
                write_atomically(repo, &file, &bytes)?;
                index.add_path(Path::new(&path)).op(|| format!("stage {path} in {}", wt.display()))?;
            }
            None => {
                if on_disk.is_some() {
                    std::fs::remove_file(&file).map_err(io_err("remove", &file))?;
                }
                if index.get_path(Path::new(&path), 0).is_some() {
                    index
                        .remove_path(Path::new(&path))
                        .op(|| format!("unstage {path} in {}", wt.display()))?;
                }
            }
        }
        synced.push(path);
    }
    index_lock.write_index(repo, &mut index)?;
    if !synced.is_empty() {
        tracing::info!(worktree = %wt.display(), files = synced.len(), "brought a lagging worktree up to date");
    }
    Ok(synced)
}

/// Writes a worktree file so that a crash leaves either its old or its new content, never a part:
/// the bytes go to a temporary file in the worktree's git dir (same file system, never seen by
/// `git status`), which is then renamed over the file. Its directories are made when missing.
pub(crate) fn write_atomically(repo: &Repository, file: &Path, bytes: &[u8]) -> Result<(), GitError> {
    let temp = repo.path().join(format!("spectask-write-{}.tmp", std::process::id()));
    std::fs::write(&temp, bytes).map_err(io_err("write", &temp))?;
    match std::fs::rename(&temp, file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.parent().is_some() => {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
            }
            std::fs::rename(&temp, file).map_err(io_err("replace", file))
        }
        renamed => renamed.map_err(io_err("replace", file)),
    }
}
