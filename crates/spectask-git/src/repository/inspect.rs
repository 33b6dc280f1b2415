//! Finding a repository and learning what spectask needs about it: its root, its common git
//! directory, its default branch and head. git itself answers, so every format git reads
//! (reftable, SHA-256, a separate git dir) is read; what git refuses is refused with git's reason.

use std::path::{Path, PathBuf};

use crate::error::{GitError, io_err};
use crate::plumbing::cmd::{Git, nul_fields};

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

/// Where a repository is: its main working tree and its common git directory, both canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) root: PathBuf,
    pub(crate) git_dir: PathBuf,
}

/// Checks that `path` is the working tree of a non-bare git repository with at least one commit.
///
/// `path` must be the root of a working tree (the main one or a linked worktree, which resolves to
/// the main one): a directory inside a repository is refused, naming the repository's root.
pub fn inspect_repository(path: &Path) -> Result<RepositoryInfo, GitError> {
    let (root, head_commit, default_branch) = inspect_without_default(path)?;
    let default_branch = default_branch.ok_or_else(|| GitError::NoDefaultBranch { path: root.clone() })?;
    Ok(RepositoryInfo { root, default_branch, head_commit })
}

/// [`inspect_repository`] for a caller that may know the default branch itself (registration
/// with one chosen, or recorded): the root, HEAD's commit, and the default branch when the
/// repository says which (none on a detached HEAD without `main`, `master` or `origin/HEAD`).
pub(crate) fn inspect_without_default(path: &Path) -> Result<(PathBuf, String, Option<String>), GitError> {
    let location = locate(path)?;
    let git = Git::at(&location.root).reading();
    let head = git.output(&["rev-parse", "-q", "--verify", "HEAD^{commit}"], None)?;
    if !head.status.success() {
        return Err(GitError::NoCommits { path: location.root });
    }
    let head_commit = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    let default_branch = default_branch(&git)?;
    Ok((location.root, head_commit, default_branch))
}

/// The main working tree and common git directory of the working tree at `path`.
pub(crate) fn locate(path: &Path) -> Result<Location, GitError> {
    if !path.exists() {
        return Err(GitError::PathNotFound { path: path.to_path_buf() });
    }
    let git = Git::at(path).reading();
    let args = [
        "rev-parse",
        "--path-format=absolute",
        "--git-common-dir",
        "--git-dir",
        "--is-bare-repository",
        "--is-inside-work-tree",
    ];
    let output = git.output(&args, None)?;
    if !output.status.success() {
        return Err(refusal(path, &String::from_utf8_lossy(&output.stderr)));
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = text.lines();
    let (common, own, bare, inside) = (lines.next(), lines.next(), lines.next(), lines.next());
    let (Some(common), Some(own)) = (common, own) else {
        return Err(GitError::NotARepository { path: path.to_path_buf() });
    };
    if bare == Some("true") {
        return Err(GitError::BareRepository { path: path.to_path_buf() });
    }
    if inside != Some("true") {
        return Err(GitError::NotARepository { path: path.to_path_buf() });
    }
    let git_dir = canonical(Path::new(common))?;
    let top =
        canonical(Path::new(&git.text(&["rev-parse", "--path-format=absolute", "--show-toplevel"])?))?;
    if top != canonical(path)? {
        return Err(GitError::InsideRepository { path: path.to_path_buf(), root: top });
    }
    let root = if canonical(Path::new(own))? == git_dir { top } else { main_worktree(&git, &git_dir)? };
    Ok(Location { root, git_dir })
}

/// The main working tree of a repository seen from one of its linked worktrees.
fn main_worktree(git: &Git, git_dir: &Path) -> Result<PathBuf, GitError> {
    let out = git.run(&["worktree", "list", "--porcelain", "-z"])?;
    let first = nul_fields(&out).next().map(|f| String::from_utf8_lossy(f).into_owned());
    match first.as_deref().and_then(|f| f.strip_prefix("worktree ")) {
        Some(main) if !nul_fields(&out).any(|f| f == b"bare") => canonical(Path::new(main)),
        _ => Err(GitError::BareRepository { path: git_dir.to_path_buf() }),
    }
}

/// The error for a path git would not open, from git's own reason.
fn refusal(path: &Path, stderr: &str) -> GitError {
    let path = path.to_path_buf();
    if stderr.contains("not a git repository") {
        return GitError::NotARepository { path };
    }
    if stderr.contains("dubious ownership") {
        let reason = format!(
            "it is owned by another user, and git refuses such a repository until it is marked safe \
             (git config --global --add safe.directory {})",
            path.display()
        );
        return GitError::UnusableRepository { path, reason };
    }
    let reason = stderr.lines().find(|l| l.starts_with("fatal:")).unwrap_or(stderr).trim();
    let reason = reason.trim_start_matches("fatal:").trim().to_owned();
    GitError::UnusableRepository { path, reason: format!("git refuses it: {reason}") }
}

/// The branch HEAD points at; on a detached HEAD, origin/HEAD's branch, else `main` or `master`.
fn default_branch(git: &Git) -> Result<Option<String>, GitError> {
    let symbolic = |name: &str| -> Result<Option<String>, GitError> {
        let out = git.output(&["symbolic-ref", "-q", name], None)?;
        Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    };
    if let Some(branch) = symbolic("HEAD")?.as_deref().and_then(|r| r.strip_prefix("refs/heads/")) {
        return Ok(Some(branch.to_owned()));
    }
    let origin = symbolic("refs/remotes/origin/HEAD")?;
    if let Some(branch) = origin.as_deref().and_then(|r| r.strip_prefix("refs/remotes/origin/")) {
        return Ok(Some(branch.to_owned()));
    }
    for candidate in ["main", "master"] {
        if git.yes_no(&["rev-parse", "-q", "--verify", &format!("refs/heads/{candidate}")])? {
            return Ok(Some(candidate.to_owned()));
        }
    }
    Ok(None)
}

pub(crate) fn canonical(path: &Path) -> Result<PathBuf, GitError> {
    path.canonicalize().map_err(io_err("canonicalize", path))
}
