//! The journal of a write in progress: what a crash between writing a branch's files and
//! committing them left behind, found and undone before the next commit in that worktree.
//!
//! `Worktree::commit_writes` (`commit.rs`) writes files into the worktree, stages and commits them. Killed in
//! between, it leaves changes no commit holds, and the caller, which never got its commit id, writes
//! them again: appended twice. So before touching a file it records, in the worktree's admin
//! directory, the commit it builds on and, per path, a hash of what it is about to write. The next
//! commit in the worktree finds the journal: when HEAD is still that commit, every journaled file
//! that holds exactly the interrupted write is put back as HEAD has it; a file anyone changed since
//! is left alone. When HEAD moved, the write was committed and the journal is simply removed.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{GitError, io_err};
use crate::plumbing::cmd::{Git, text};

const JOURNAL: &str = "SPECTASK_WRITE_JOURNAL";

/// One file a write is about to change.
pub(crate) struct JournaledFile<'a> {
    pub(crate) path: &'a str,
    /// Whether the file exists before the write (as HEAD has it: written paths are clean).
    pub(crate) existed: bool,
    pub(crate) after: &'a [u8],
}

/// The write journal of one worktree: where git runs, its working tree, and its own git dir (where
/// the journal is kept).
pub(crate) struct Journal<'a> {
    pub(crate) git: &'a Git,
    pub(crate) path: &'a Path,
    pub(crate) admin: &'a Path,
}

impl Journal<'_> {
    fn journal_file(&self) -> PathBuf {
        self.admin.join(JOURNAL)
    }

    /// Records a write about to change `files` on top of `head`.
    pub(crate) fn begin_write(&self, head: &str, files: &[JournaledFile<'_>]) -> Result<(), GitError> {
        let mut journal = format!("{head}\n").into_bytes();
        for file in files {
            let hash = hex(&Sha256::digest(file.after));
            journal.extend_from_slice(format!("{hash} {}", u8::from(file.existed)).as_bytes());
            journal.push(b' ');
            journal.extend_from_slice(file.path.as_bytes());
            journal.push(0);
        }
        let path = self.journal_file();
        std::fs::write(&path, journal).map_err(io_err("write", &path))
    }

    /// The write is committed, or was put back: nothing to undo.
    pub(crate) fn end_write(&self) {
        let path = self.journal_file();
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "could not remove the write journal");
        }
    }

    /// Undoes what an interrupted write left uncommitted (see the module doc); nothing without a
    /// journal.
    pub(crate) fn undo_interrupted_write(&self) -> Result<(), GitError> {
        let path = self.journal_file();
        let journal = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let Some(newline) = journal.iter().position(|b| *b == b'\n') else {
            self.end_write();
            return Ok(());
        };
        let head = String::from_utf8_lossy(&journal[..newline]).into_owned();
        let now = self.git.reading().output(&["rev-parse", "--verify", "-q", "HEAD"], None)?;
        if text(&now.stdout).trim() != head {
            // Committed (or the branch moved on): nothing of it is left uncommitted.
            self.end_write();
            return Ok(());
        }
        let mut undone = Vec::new();
        for record in journal[newline + 1..].split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            let mut fields = record.splitn(3, ' ');
            let (Some(hash), Some(existed), Some(file)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let at = self.path.join(file);
            remove_temporary_siblings(&at);
            let holds_the_write = std::fs::read(&at).is_ok_and(|bytes| hex(&Sha256::digest(&bytes)) == hash);
            if holds_the_write {
                self.put_back(file, existed == "1")?;
                undone.push(file.to_owned());
            }
        }
        if !undone.is_empty() {
            tracing::warn!(worktree = %self.path.display(), files = ?undone, "undid a write a crash left uncommitted");
        }
        self.end_write();
        Ok(())
    }

    /// The file at `path` as HEAD has it, in the index and the worktree (absent when HEAD has none).
    fn put_back(&self, path: &str, in_head: bool) -> Result<(), GitError> {
        if in_head {
            self.git.run_waiting(&["checkout", "HEAD", "--", path], None)?;
        } else {
            self.git.run_waiting(&["rm", "--quiet", "--cached", "--ignore-unmatch", "--", path], None)?;
            let file = self.path.join(path);
            std::fs::remove_file(&file).map_err(io_err("remove", &file))?;
        }
        Ok(())
    }
}

/// Removes what a write killed before its rename left beside `file` (see `write_atomically`).
fn remove_temporary_siblings(file: &std::path::Path) {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else { return };
    let prefix = format!(".{}.spectask-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
