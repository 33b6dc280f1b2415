//! Opening a repository and learning what spectask needs about it: its root, default branch and head.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository, RepositoryOpenFlags};

use crate::error::{GitError, GitResultExt, io_err};

/// What [`inspect_repository`] learns about a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryInfo {
    /// Canonical root of the main working tree (never a linked worktree, never the `.git` dir).
    pub root: PathBuf,
    /// The branch HEAD points at; when HEAD is detached, origin/HEAD's branch, else `main` or `master`.
    pub default_branch: String,
    /// Hex id of the commit HEAD resolves to.
    pub head_commit: String,
}

/// Checks that `path` is the working tree of a non-bare git repository with at least one commit.
///
/// `path` must be the root of a working tree (the main one or a linked worktree, which resolves to
/// the main one); parent directories are not searched, so a directory that merely sits inside some
/// other repository is reported as not a repository.
pub fn inspect_repository(path: &Path) -> Result<RepositoryInfo, GitError> {
    let repo = open_main(path)?;
    let root = root_of(&repo)?;
    let head_commit = match repo.head() {
        Ok(head) => head.peel_to_commit().op(|| format!("resolve HEAD of {}", root.display()))?.id(),
        Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
            return Err(GitError::NoCommits { path: root });
        }
        Err(source) => {
            return Err(GitError::Git { op: format!("read HEAD of {}", root.display()), source });
        }
    };
    let default_branch = default_branch(&repo, &root)?;
    Ok(RepositoryInfo { root, default_branch, head_commit: head_commit.to_string() })
}

/// Opens the main repository of the working tree at `path`, following a linked worktree to its main one.
pub(crate) fn open_main(path: &Path) -> Result<Repository, GitError> {
    crate::handles::configure_libgit2();
    if !path.exists() {
        return Err(GitError::PathNotFound { path: path.to_path_buf() });
    }
    let repo =
        Repository::open_ext(path, RepositoryOpenFlags::NO_SEARCH, std::iter::empty::<&std::ffi::OsStr>())
            .map_err(|_| GitError::NotARepository { path: path.to_path_buf() })?;
    if repo.is_bare() {
        return Err(GitError::BareRepository { path: path.to_path_buf() });
    }
    if !repo.is_worktree() {
        return Ok(repo);
    }
    let common = repo.commondir().to_path_buf();
    let main = Repository::open(&common).op(|| format!("open main repository {}", common.display()))?;
    if main.is_bare() {
        return Err(GitError::BareRepository { path: common });
    }
    Ok(main)
}

/// Canonical root of the main working tree of `repo`.
pub(crate) fn root_of(repo: &Repository) -> Result<PathBuf, GitError> {
    let workdir =
        repo.workdir().ok_or_else(|| GitError::BareRepository { path: repo.path().to_path_buf() })?;
    workdir.canonicalize().map_err(io_err("canonicalize", workdir))
}

fn default_branch(repo: &Repository, root: &Path) -> Result<String, GitError> {
    let head = repo.find_reference("HEAD").op(|| format!("read HEAD of {}", root.display()))?;
    if let Some(branch) = head.symbolic_target().ok().flatten().and_then(|t| t.strip_prefix("refs/heads/")) {
        return Ok(branch.to_owned());
    }
    if let Ok(origin_head) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Some(branch) =
            origin_head.symbolic_target().ok().flatten().and_then(|t| t.strip_prefix("refs/remotes/origin/"))
    {
        return Ok(branch.to_owned());
    }
    for candidate in ["main", "master"] {
        if repo.find_branch(candidate, git2::BranchType::Local).is_ok() {
            return Ok(candidate.to_owned());
        }
    }
    Err(GitError::NoDefaultBranch { path: root.to_path_buf() })
}
