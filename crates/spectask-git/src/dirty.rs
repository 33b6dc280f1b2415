//! Whether a commit's writes would overwrite someone's uncommitted edit in the worktree: each
//! written path is compared with the branch tip, by its index entry and stat data where git would
//! trust them, else by content.

use std::path::Path;

use git2::{Oid, Repository};

use crate::commit::{staged_entry, workdir};
use crate::error::{GitError, GitResultExt, io_err};

/// Refuses when a file about to be written differs in the worktree from the branch tip: writing it
/// would lose someone's uncommitted edit. A file whose index entry holds the tip's blob and still
/// matches the file's stat data, as git itself decides, is not read; any other is compared by
/// content, so an index left stale by an interrupted earlier write (its files already match the
/// tip) does not block later writes; the write re-stages those paths. `at_tip` gives the blob of a
/// path at the tip.
pub(crate) fn refuse_dirty_paths<'a>(
    repo: &Repository,
    index: &git2::Index,
    at_tip: impl Fn(&str) -> Result<Option<Oid>, GitError>,
    paths: impl Iterator<Item = &'a str>,
) -> Result<(), GitError> {
    let wt = workdir(repo);
    let index_written = index_mtime(repo);
    let mut dirty = Vec::new();
    for path in paths {
        let file = wt.join(path);
        refuse_symlinked_parents(&wt, path)?;
        let at_tip = at_tip(path)?;
        let on_disk = match std::fs::symlink_metadata(&file) {
            Ok(meta) if meta.is_file() => {
                let staged = index.get_path(Path::new(path), 0);
                if let (Some(entry), Some(tip)) = (&staged, at_tip)
                    && entry.id == tip
                    && stat_clean(entry, &meta, index_written)
                {
                    continue;
                }
                let bytes = std::fs::read(&file).map_err(io_err("read", &file))?;
                Some(Oid::hash_object(git2::ObjectType::Blob, &bytes).op(|| format!("hash {path}"))?)
            }
            Ok(_) => {
                dirty.push(path.to_owned());
                continue;
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.kind() == std::io::ErrorKind::NotADirectory =>
            {
                None
            }
            Err(e) => return Err(io_err("read", &file)(e)),
        };
        if on_disk != at_tip {
            dirty.push(path.to_owned());
        }
    }
    dirty.sort();
    dirty.dedup();
    if dirty.is_empty() { Ok(()) } else { Err(GitError::UncommittedChanges { path: wt, files: dirty }) }
}

/// When the worktree's index file was last written, `(seconds, nanoseconds)`.
fn index_mtime(repo: &Repository) -> Option<(i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(repo.path().join("index")).ok()?;
    Some((meta.mtime(), meta.mtime_nsec()))
}

/// Whether a file's stat data is what its index entry recorded, so its content is the entry's blob
/// (git's own test). An entry not older than the index file that holds it is "racily clean": the
/// file may have changed within the same timestamp after it was staged, so it is not trusted.
fn stat_clean(entry: &git2::IndexEntry, meta: &std::fs::Metadata, index_written: Option<(i64, i64)>) -> bool {
    let staged = staged_entry("", entry.id, meta);
    let racy = index_written.is_none_or(|(secs, nanos)| {
        // Truncated as the index keeps them (see `staged_entry`).
        (entry.mtime.seconds(), entry.mtime.nanoseconds()) >= (secs as i32, nanos as u32)
    });
    !racy
        && entry.mtime == staged.mtime
        && entry.ctime == staged.ctime
        && entry.ino == staged.ino
        && entry.dev == staged.dev
        && entry.uid == staged.uid
        && entry.gid == staged.gid
        && entry.file_size == staged.file_size
}

/// Refuses a path whose parent directories in the worktree include a symbolic link: writing
/// through it could land outside the worktree.
fn refuse_symlinked_parents(wt: &Path, path: &str) -> Result<(), GitError> {
    let mut dir = wt.to_path_buf();
    let segments: Vec<&str> = path.split('/').collect();
    for segment in &segments[..segments.len().saturating_sub(1)] {
        dir.push(segment);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(GitError::InvalidFilePath {
                    path: path.to_owned(),
                    reason: "goes through a symbolic link in the worktree",
                });
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_stat_clean_only_as_staged_and_older_than_its_index() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.md");
        std::fs::write(&file, "a\n").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let entry = staged_entry("a.md", Oid::ZERO_SHA1, &meta);
        let (secs, nanos) = (meta.mtime(), meta.mtime_nsec());
        assert!(stat_clean(&entry, &meta, Some((secs + 1, 0))), "staged, index written later");
        assert!(!stat_clean(&entry, &meta, Some((secs, nanos))), "racy: index written within its timestamp");
        assert!(!stat_clean(&entry, &meta, None), "no index file");
        std::fs::write(&file, "ab\n").unwrap();
        let changed = std::fs::metadata(&file).unwrap();
        assert!(!stat_clean(&entry, &changed, Some((secs + 10, 0))), "size changed");
    }
}
