//! The files that differ between two commits, as `git diff-tree --name-status` lists them: what
//! a commit spectask made changed, and what a task's commits changed.

use crate::error::GitError;
use crate::names::CommitId;
use crate::plumbing::cmd::{Git, nul_fields, text};

/// How a file differs between two commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
}

/// One file that differs between two commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    pub change: FileChange,
}

/// The files that differ between `from` (the commit's first parent when `None`, every file of a
/// root commit) and `to`.
pub(crate) fn changed_files(
    git: &Git,
    from: Option<CommitId>,
    to: CommitId,
) -> Result<Vec<ChangedFile>, GitError> {
    let (from, to) = (from.map(|c| c.to_string()), to.to_string());
    let mut args = vec!["diff-tree", "-r", "-z", "--no-renames", "--name-status", "--no-commit-id"];
    match &from {
        Some(from) => args.extend([from.as_str(), to.as_str()]),
        None => args.extend(["--root", to.as_str()]),
    }
    let out = git.reading().run(&args)?;
    Ok(name_status(nul_fields(&out)))
}

/// `--name-status -z` pairs (status, path) as changed files.
pub(crate) fn name_status<'a>(mut fields: impl Iterator<Item = &'a [u8]>) -> Vec<ChangedFile> {
    let mut files = Vec::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        let change = match status.first() {
            Some(b'A') => FileChange::Added,
            Some(b'D') => FileChange::Deleted,
            _ => FileChange::Modified,
        };
        files.push(ChangedFile { path: text(path), change });
    }
    files
}
