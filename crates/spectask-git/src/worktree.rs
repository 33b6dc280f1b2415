//! spectask's worktrees under `<root>/.git-worktrees/`: creating them idempotently (repairing stale
//! ones), marking the ones spectask created, and removing only those, only when nothing would be lost.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use git2::{Repository, WorktreeAddOptions, WorktreePruneOptions};

use crate::commit::uncommitted_files;
use crate::error::{GitError, GitResultExt, io_err};

/// The directory, relative to the repository root, that holds every spectask worktree.
pub const WORKTREES_DIR: &str = ".git-worktrees";

/// The file in a worktree's admin dir (`.git/worktrees/<name>/`) saying spectask created it.
const MARKER: &str = "spectask";

/// What a spectask worktree is for; written into its marker file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorktreeKind {
    DesignDocs,
    Task,
}

impl WorktreeKind {
    fn as_str(self) -> &'static str {
        match self {
            WorktreeKind::DesignDocs => "design-docs",
            WorktreeKind::Task => "task",
        }
    }
}

/// Task worktrees this process found in place or made, by path: each later look at one (every drive
/// of a task's sessions) is three file checks instead of libgit2's (its `.git` file and its admin
/// dir's `gitdir`, which removing it takes away, and the admin dir's `HEAD`, which must still name its
/// branch). Forgotten when spectask removes it.
static IN_PLACE: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();

fn in_place() -> std::sync::MutexGuard<'static, HashSet<PathBuf>> {
    IN_PLACE.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether the worktree at `path` (admin dir `admin`) was found in place before and still is, with
/// `branch` checked out.
pub(crate) fn known_in_place(path: &Path, admin: &Path, branch: &str) -> bool {
    in_place().contains(path)
        && path.join(".git").is_file()
        && admin.join("gitdir").is_file()
        && std::fs::read_to_string(admin.join("HEAD"))
            .is_ok_and(|head| head.trim_end() == format!("ref: refs/heads/{branch}"))
}

pub(crate) fn remember_in_place(path: &Path) {
    in_place().insert(path.to_path_buf());
}

pub(crate) fn forget_in_place(path: &Path) {
    in_place().remove(path);
}

/// `<root>/.git-worktrees/<name>`.
pub(crate) fn worktree_path(root: &Path, name: &str) -> PathBuf {
    root.join(WORKTREES_DIR).join(name)
}

/// Makes sure `<root>/.git-worktrees/<name>` is a worktree with `branch` checked out. Reuses a valid
/// one, prunes stale metadata (and the unfinished admin dir of an add cut off by a kill), moves a
/// leftover directory that is not a worktree aside (to `.git-worktrees/.stale-<name>-<seconds>`,
/// never deleting it). Returns whether it created one.
pub(crate) fn ensure_worktree(
    repo: &Repository,
    root: &Path,
    name: &str,
    branch: &str,
    kind: WorktreeKind,
) -> Result<bool, GitError> {
    let path = worktree_path(root, name);
    prune_stale(repo)?;
    if let Ok(existing) = repo.find_worktree(name) {
        if same_path(existing.path(), &path) {
            check_head(repo, name, branch)?;
            return Ok(false);
        }
        return Err(GitError::WorktreeNameTaken {
            name: name.to_owned(),
            path: existing.path().to_path_buf(),
        });
    }
    if let Some(elsewhere) = checked_out_at(repo, branch)? {
        if same_path(&elsewhere, &path) {
            return Ok(false);
        }
        return Err(GitError::BranchCheckedOutElsewhere { branch: branch.to_owned(), path: elsewhere });
    }
    if path.exists() {
        move_aside(root, name, &path)?;
    }
    // An admin dir git does not know as a worktree (the lookup above failed) is what an add cut off
    // by a kill leaves: metadata only, never finished, and it would stop every later add.
    let admin = admin_dir(repo, name);
    if admin.exists() {
        tracing::warn!(admin = %admin.display(), "removing the metadata of a worktree add that never finished");
        std::fs::remove_dir_all(&admin).map_err(io_err("remove", &admin))?;
    }
    let parent = root.join(WORKTREES_DIR);
    std::fs::create_dir_all(&parent).map_err(io_err("create directory", &parent))?;
    let reference = repo
        .find_reference(&format!("refs/heads/{branch}"))
        .map_err(|_| GitError::BranchNotFound { repo: root.to_path_buf(), branch: branch.to_owned() })?;
    let mut options = WorktreeAddOptions::new();
    options.reference(Some(&reference));
    repo.worktree(name, &path, Some(&options))
        .op(|| format!("add worktree {} for {branch}", path.display()))?;
    let marker = admin_dir(repo, name).join(MARKER);
    std::fs::write(&marker, format!("{}\n", kind.as_str())).map_err(io_err("write", &marker))?;
    tracing::info!(worktree = %path.display(), branch, "created worktree");
    Ok(true)
}

/// Whether `<root>/.git-worktrees/<name>` is already a valid worktree with `branch` checked out, as
/// [`ensure_worktree`] would leave it; read only, so without the writer lock (a worktree being made
/// or removed meanwhile is not whole, and is not taken).
pub(crate) fn worktree_in_place(repo: &Repository, root: &Path, name: &str, branch: &str) -> bool {
    let Ok(existing) = repo.find_worktree(name) else { return false };
    same_path(existing.path(), &worktree_path(root, name))
        && existing.validate().is_ok()
        && check_head(repo, name, branch).is_ok()
}

/// Whether to remove a worktree that still holds uncommitted or untracked files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveOptions {
    /// Remove even if the worktree has uncommitted or untracked files, or (for a task) its branch
    /// has commits not merged into the default branch. Never removes a worktree spectask did not
    /// create.
    pub force: bool,
}

/// Removes the worktree `name` (directory and metadata) if spectask created it as a `kind` worktree.
/// Returns `false` when there is no such worktree.
pub(crate) fn remove_worktree(
    repo: &Repository,
    root: &Path,
    name: &str,
    kind: WorktreeKind,
    force: bool,
) -> Result<bool, GitError> {
    let path = worktree_path(root, name);
    let Ok(worktree) = repo.find_worktree(name) else {
        if path.exists() {
            return Err(GitError::NotSpectaskWorktree { path });
        }
        return Ok(false);
    };
    let marker = std::fs::read_to_string(admin_dir(repo, name).join(MARKER)).unwrap_or_default();
    let marked = marker.trim() == kind.as_str();
    if !marked || !same_path(worktree.path(), &path) {
        return Err(GitError::NotSpectaskWorktree { path: worktree.path().to_path_buf() });
    }
    if worktree.validate().is_ok() && !force {
        let wt_repo = Repository::open(&path).op(|| format!("open worktree {}", path.display()))?;
        let files = uncommitted_files(&wt_repo)?;
        if !files.is_empty() {
            return Err(GitError::UncommittedChanges { path, files });
        }
    }
    let mut options = WorktreePruneOptions::new();
    options.valid(true).locked(force).working_tree(true);
    worktree.prune(Some(&mut options)).op(|| format!("remove worktree {}", path.display()))?;
    if path.exists() {
        std::fs::remove_dir_all(&path).map_err(io_err("remove", &path))?;
    }
    tracing::info!(worktree = %path.display(), "removed worktree");
    Ok(true)
}

/// Drops the metadata of worktrees whose directory is gone (what `git worktree prune` does); locked
/// worktrees are left alone.
pub(crate) fn prune_stale(repo: &Repository) -> Result<(), GitError> {
    let names = repo.worktrees().op(|| "list worktrees".to_owned())?;
    for name in names.iter().flatten().flatten() {
        let Ok(worktree) = repo.find_worktree(name) else {
            continue;
        };
        if worktree.is_prunable(None).unwrap_or(false) {
            worktree.prune(None).op(|| format!("prune stale worktree {name}"))?;
            tracing::info!(worktree = name, "pruned stale worktree metadata");
        }
    }
    Ok(())
}

/// The worktrees spectask created as `kind`: name, path, and whether the directory is still a
/// valid worktree.
pub(crate) fn marked_worktrees(
    repo: &Repository,
    kind: WorktreeKind,
) -> Result<Vec<(String, PathBuf, bool)>, GitError> {
    let names = repo.worktrees().op(|| "list worktrees".to_owned())?;
    let mut found = Vec::new();
    for name in names.iter().flatten().flatten() {
        let marker = std::fs::read_to_string(admin_dir(repo, name).join(MARKER)).unwrap_or_default();
        if marker.trim() != kind.as_str() {
            continue;
        }
        let Ok(worktree) = repo.find_worktree(name) else { continue };
        found.push((name.to_owned(), worktree.path().to_path_buf(), worktree.validate().is_ok()));
    }
    found.sort();
    Ok(found)
}

/// Where `branch` is checked out: the main worktree or a valid linked one.
pub(crate) fn checked_out_at(repo: &Repository, branch: &str) -> Result<Option<PathBuf>, GitError> {
    let wanted = format!("refs/heads/{branch}");
    let main_head = repo.find_reference("HEAD").op(|| "read HEAD".to_owned())?;
    if main_head.symbolic_target().ok().flatten() == Some(wanted.as_str()) {
        return Ok(Some(crate::commit::workdir(repo)));
    }
    let names = repo.worktrees().op(|| "list worktrees".to_owned())?;
    for name in names.iter().flatten().flatten() {
        let Ok(worktree) = repo.find_worktree(name) else {
            continue;
        };
        if worktree.validate().is_err() {
            continue;
        }
        let Ok(wt_repo) = Repository::open_from_worktree(&worktree) else {
            continue;
        };
        if let Ok(head) = wt_repo.find_reference("HEAD")
            && head.symbolic_target().ok().flatten() == Some(wanted.as_str())
        {
            return Ok(Some(worktree.path().to_path_buf()));
        }
    }
    Ok(None)
}

/// Checks the branch checked out in worktree `name`, read through its admin directory (the `.git`
/// file inside the worktree is writable to agents and is not trusted).
fn check_head(repo: &Repository, name: &str, branch: &str) -> Result<(), GitError> {
    let admin = admin_dir(repo, name);
    // The handle the task's commits keep (HEAD is read from disk on every lookup).
    let wt_repo = crate::handles::open(&admin, || format!("open worktree {name} at {}", admin.display()))?;
    crate::commit::head_branch_tip(&wt_repo, branch).map(|_| ())
}

fn admin_dir(repo: &Repository, name: &str) -> PathBuf {
    repo.commondir().join("worktrees").join(name)
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    canonical(a) == canonical(b)
}

/// Moves a leftover directory out of the way: removed when empty, else renamed, never deleted.
fn move_aside(root: &Path, name: &str, path: &Path) -> Result<(), GitError> {
    let empty = std::fs::read_dir(path).map_err(io_err("read directory", path))?.next().is_none();
    if empty {
        return std::fs::remove_dir(path).map_err(io_err("remove", path));
    }
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let aside = root.join(WORKTREES_DIR).join(format!(".stale-{name}-{seconds}"));
    std::fs::rename(path, &aside).map_err(io_err("move aside", path))?;
    tracing::warn!(from = %path.display(), to = %aside.display(), "moved a stale non-worktree directory aside");
    Ok(())
}
