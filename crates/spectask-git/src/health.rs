//! The design-docs health of the repositories a listing shows (`GET /repos`), read from git only
//! when something it was read from changed.
//!
//! Each repository's health is kept with a stamp of the files it depends on, taken before it was
//! read: the repository's directory and `.git`, spectask's config, the design-docs branch and its
//! last-written ref (loose or packed), the design-docs worktree, its `.git` file and its `HEAD`. A
//! listing only stats those files (no repository is opened) and reads the health again where the
//! stamp differs: after a design-docs commit by any process, a rewrite, a deleted branch or
//! worktree, a new registration. Git replaces refs and `HEAD` by renaming a lock file over them,
//! so a change shows as a new inode even within one tick of the clock. A repository that cannot be
//! opened is not kept: it is looked at again every time.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::design_docs::last_written_ref;
use crate::{DesignDocsHealth, GitError, Repo};

/// What was read of one repository, by the path it was listed under (one per repository the
/// process listed: a handful).
static KEPT: OnceLock<Mutex<HashMap<PathBuf, Kept>>> = OnceLock::new();

#[derive(Default)]
struct Kept {
    read: Option<(Stamp, Repo, DesignDocsHealth)>,
    /// How often the health was read from git rather than taken from here.
    reads: u64,
}

fn kept() -> &'static Mutex<HashMap<PathBuf, Kept>> {
    KEPT.get_or_init(Mutex::default)
}

/// One file as the stamp sees it: a directory by its identity, a file also by size and time.
#[derive(Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    inode: u64,
    len: u64,
    modified: (i64, i64),
}

#[derive(Debug, PartialEq, Eq)]
struct Stamp(Vec<Option<FileStamp>>);

impl Stamp {
    fn of(path: &Path, repo: &Repo) -> Self {
        let git_dir = repo.git_dir();
        let branch = repo.design_docs_branch();
        let worktree = repo.design_docs_worktree();
        let files = [
            path.to_path_buf(),
            path.join(".git"),
            git_dir.join("spectask").join("config"),
            git_dir.join("refs").join("heads").join(branch),
            git_dir.join(last_written_ref(branch)),
            git_dir.join("packed-refs"),
            worktree.join(".git"),
            git_dir.join("worktrees").join(repo.design_docs_dir_name()).join("HEAD"),
            worktree,
        ];
        Stamp(files.iter().map(|file| file_stamp(file)).collect())
    }
}

fn file_stamp(file: &Path) -> Option<FileStamp> {
    let meta = std::fs::symlink_metadata(file).ok()?;
    let (len, modified) =
        if meta.is_dir() { (0, (0, 0)) } else { (meta.len(), (meta.mtime(), meta.mtime_nsec())) };
    Some(FileStamp { dev: meta.dev(), inode: meta.ino(), len, modified })
}

impl Repo {
    /// The registered repository at `path` and the health of its design-docs branch, as
    /// [`Repo::open`] and [`Repo::design_docs_health`] give them, read from git only when a file
    /// they were read from changed since this process last read them (see the module's docs).
    pub fn kept_design_docs_health(path: &Path) -> Result<(Repo, DesignDocsHealth), GitError> {
        let known = {
            let kept = kept().lock().unwrap_or_else(PoisonError::into_inner);
            kept.get(path).and_then(|k| k.read.as_ref()).map(|(stamp, repo, health)| {
                (Stamp::of(path, repo) == *stamp).then(|| (repo.clone(), health.clone()))
            })
        };
        if let Some(Some(unchanged)) = known {
            return Ok(unchanged);
        }
        let read = (|| {
            let repo = Repo::open(path)?;
            let stamp = Stamp::of(path, &repo);
            let health = repo.design_docs_health()?;
            Ok((stamp, repo, health))
        })();
        let mut kept = kept().lock().unwrap_or_else(PoisonError::into_inner);
        let entry = kept.entry(path.to_path_buf()).or_default();
        entry.reads += 1;
        match read {
            Ok((stamp, repo, health)) => {
                entry.read = Some((stamp, repo.clone(), health.clone()));
                Ok((repo, health))
            }
            Err(err) => {
                entry.read = None;
                Err(err)
            }
        }
    }

    /// How many times [`Repo::kept_design_docs_health`] read the repository at `path` from git
    /// rather than answering what it kept (what tests count).
    pub fn design_docs_health_reads(path: &Path) -> u64 {
        kept().lock().unwrap_or_else(PoisonError::into_inner).get(path).map_or(0, |k| k.reads)
    }
}
