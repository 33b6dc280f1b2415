//! The merge intent: what a merge into a checked-out default branch is about to do, written durably
//! before the checkout's files are touched and removed once the branch has moved. A process killed
//! in between (its files truncated or half-written, the branch where it was) leaves the intent, and
//! the next merge in the repository finishes that merge first: it rewrites exactly the paths the
//! merge changes and moves the branch to the commit the intent names.
//!
//! The file is `<git dir>/spectask/merge-intent`, written only under the repository's writer lock:
//!
//! ```text
//! spectask merge intent
//! branch main
//! old <commit the branch was at>
//! new <commit the branch moves to>
//! ```

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use git2::Oid;

use crate::error::{GitError, io_err};

const HEADER: &str = "spectask merge intent";

/// One merge under way: `branch` moves from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergeIntent {
    pub(crate) branch: String,
    pub(crate) old: Oid,
    pub(crate) new: Oid,
}

impl MergeIntent {
    /// Writes the intent into `git_dir` (the repository's common git dir) so that it survives a
    /// crash: a temporary file, synced, renamed into place, the directory synced.
    pub(crate) fn write(&self, git_dir: &Path) -> Result<(), GitError> {
        let path = intent_path(git_dir);
        let temp = path.with_extension("tmp");
        let text = format!("{HEADER}\nbranch {}\nold {}\nnew {}\n", self.branch, self.old, self.new);
        let mut file = File::create(&temp).map_err(io_err("create", &temp))?;
        file.write_all(text.as_bytes()).map_err(io_err("write", &temp))?;
        file.sync_all().map_err(io_err("sync", &temp))?;
        std::fs::rename(&temp, &path).map_err(io_err("rename into place", &path))?;
        sync_dir(&path)
    }

    /// The intent a cut-off merge left in `git_dir`, if any.
    pub(crate) fn read(git_dir: &Path) -> Result<Option<MergeIntent>, GitError> {
        let path = intent_path(git_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        parse(&text).map(Some).ok_or(GitError::InvalidMergeIntent { path })
    }

    /// Removes the intent: the merge it named is finished (or was never started).
    pub(crate) fn remove(git_dir: &Path) -> Result<(), GitError> {
        let path = intent_path(git_dir);
        match std::fs::remove_file(&path) {
            Ok(()) => sync_dir(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path)(e)),
        }
    }
}

fn intent_path(git_dir: &Path) -> PathBuf {
    git_dir.join("spectask").join("merge-intent")
}

fn parse(text: &str) -> Option<MergeIntent> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut field = |key: &str| lines.next()?.strip_prefix(key)?.strip_prefix(' ').map(str::to_owned);
    let branch = field("branch")?;
    let old = Oid::from_str(&field("old")?).ok()?;
    let new = Oid::from_str(&field("new")?).ok()?;
    Some(MergeIntent { branch, old, new })
}

/// Syncs the directory holding `path`, so a rename or removal in it is durable.
fn sync_dir(path: &Path) -> Result<(), GitError> {
    let dir = path.parent().unwrap_or(path);
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err("sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_reads_back_as_written_and_is_gone_once_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("spectask")).unwrap();
        let intent = MergeIntent {
            branch: "main".to_owned(),
            old: Oid::from_str("1111111111111111111111111111111111111111").unwrap(),
            new: Oid::from_str("2222222222222222222222222222222222222222").unwrap(),
        };
        assert_eq!(MergeIntent::read(dir.path()).unwrap(), None);
        intent.write(dir.path()).unwrap();
        assert_eq!(MergeIntent::read(dir.path()).unwrap(), Some(intent));
        MergeIntent::remove(dir.path()).unwrap();
        assert_eq!(MergeIntent::read(dir.path()).unwrap(), None);
        MergeIntent::remove(dir.path()).unwrap();
    }

    #[test]
    fn a_damaged_intent_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("spectask")).unwrap();
        std::fs::write(
            dir.path().join("spectask/merge-intent"),
            "spectask merge intent\nbranch main\nold 12\n",
        )
        .unwrap();
        let err = MergeIntent::read(dir.path()).unwrap_err();
        assert!(matches!(err, GitError::InvalidMergeIntent { .. }), "{err}");
        assert!(err.to_string().contains("merge-intent"), "{err}");
    }
}
