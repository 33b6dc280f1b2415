//! spectask's worktrees under `<root>/.git-worktrees/`, made and removed by `git worktree`:
//! created idempotently (repairing stale ones), marked as spectask's, and removed only when they
//! are spectask's and nothing would be lost.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use backon::BlockingRetryable;

use crate::error::{GitError, io_err};
use crate::names::CommitId;
use crate::plumbing::cmd::{Git, failure};
use crate::plumbing::maintenance::after_write;

/// The directory, relative to the repository root, that holds every spectask worktree.
pub const WORKTREES_DIR: &str = ".git-worktrees";

/// The file in a worktree's admin dir (`.git/worktrees/<name>/`) saying spectask created it. git
/// leaves files it does not know there alone, and removes them with the worktree.
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

/// One worktree as `git worktree list --porcelain` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WorktreeEntry {
    pub(crate) path: PathBuf,
    /// The full ref checked out (`refs/heads/…`), `None` when detached or bare.
    pub(crate) branch: Option<String>,
    pub(crate) bare: bool,
    pub(crate) prunable: bool,
}

/// Every worktree of the repository, the main one first. `main` runs in the main working tree,
/// which stands for the first entry: git lists a separate git dir there instead.
pub(crate) fn list(main: &Git) -> Result<Vec<WorktreeEntry>, GitError> {
    let listing = || main.reading().run(&["worktree", "list", "--porcelain", "-z"]);
    // `git worktree add` makes a worktree's admin directory file by file (`locked` first, removed
    // when done; `commondir`, `gitdir`, `HEAD`): a listing in between fails to read one of them.
    // Listed again.
    let out = listing
        .retry(crate::plumbing::retry::LOCK_FILE_RETRY)
        .when(|e| matches!(e, GitError::Command { message, .. } if is_half_made(message)))
        .call()?;
    let mut all = Vec::new();
    let mut current: Option<WorktreeEntry> = None;
    for field in out.split(|b| *b == 0) {
        let field = String::from_utf8_lossy(field);
        if field.is_empty() {
            all.extend(current.take());
            continue;
        }
        let (key, value) = field.split_once(' ').unwrap_or((&field, ""));
        match key {
            "worktree" => {
                all.extend(current.take());
                current = Some(WorktreeEntry { path: PathBuf::from(value), ..WorktreeEntry::default() });
            }
            "branch" => current.iter_mut().for_each(|w| w.branch = Some(value.to_owned())),
            "bare" => current.iter_mut().for_each(|w| w.bare = true),
            "prunable" => current.iter_mut().for_each(|w| w.prunable = true),
            _ => {}
        }
    }
    all.extend(current);
    if let Some(first) = all.first_mut().filter(|w| !w.bare) {
        first.path = main.dir().to_path_buf();
    }
    Ok(all)
}

/// `<root>/.git-worktrees/<name>`.
pub(crate) fn worktree_path(root: &Path, name: &str) -> PathBuf {
    root.join(WORKTREES_DIR).join(name)
}

/// `<git-dir>/worktrees/<name>`: where git keeps a linked worktree's HEAD, index and state.
pub(crate) fn admin_dir(git_dir: &Path, name: &str) -> PathBuf {
    git_dir.join("worktrees").join(name)
}

/// Where a new worktree starts: on a branch that exists, or on a new branch from a commit.
pub(crate) enum Start<'a> {
    Branch,
    NewBranch { from: &'a str },
}

/// Makes sure `<root>/.git-worktrees/<name>` is a worktree with `branch` checked out. Reuses a valid
/// one, prunes stale ones, moves a leftover directory that is not a worktree aside (to
/// `.git-worktrees/.stale-<name>-<seconds>`, never deleting it). Returns whether it created one.
pub(crate) fn ensure_worktree(
    main: &Git,
    root: &Path,
    git_dir: &Path,
    name: &str,
    branch: &str,
    kind: WorktreeKind,
    start: Start<'_>,
) -> Result<bool, GitError> {
    let path = worktree_path(root, name);
    let full = format!("refs/heads/{branch}");
    if let Some(found) = in_place(main, &path)? {
        return match found.branch {
            Some(b) if b == full => Ok(false),
            other => Err(GitError::WrongBranchCheckedOut {
                path,
                expected: branch.to_owned(),
                actual: other.map_or("a detached HEAD".to_owned(), |b| short(&b).to_owned()),
            }),
        };
    }
    main.run(&["worktree", "prune"])?;
    let worktrees = list(main)?;
    if let Some(elsewhere) = worktrees.iter().find(|w| w.branch.as_deref() == Some(full.as_str())) {
        return Err(GitError::BranchCheckedOutElsewhere {
            branch: branch.to_owned(),
            path: elsewhere.path.clone(),
        });
    }
    let admin = admin_dir(git_dir, name);
    if admin.exists() {
        // Still there after a prune: git knows it as another worktree of that name.
        let taken = worktrees.iter().find(|w| w.path.file_name() == Some(name.as_ref()) && w.path != path);
        let at = taken.map_or_else(|| admin.clone(), |w| w.path.clone());
        return Err(GitError::WorktreeNameTaken { name: name.to_owned(), path: at });
    }
    if path.exists() {
        move_aside(root, name, &path)?;
    }
    let parent = root.join(WORKTREES_DIR);
    std::fs::create_dir_all(&parent).map_err(io_err("create directory", &parent))?;
    let path_arg = path.to_string_lossy().into_owned();
    match start {
        Start::Branch => main.run(&["worktree", "add", "--quiet", &path_arg, branch])?,
        Start::NewBranch { from } => {
            main.run(&["worktree", "add", "--quiet", "--no-track", "-b", branch, &path_arg, from])?
        }
    };
    if !admin.is_dir() {
        return Err(GitError::WorktreeNameTaken { name: name.to_owned(), path });
    }
    // A sparse main checkout hands its cone (and sparse index) to the worktrees made from it. The
    // design-docs branch is spectask's own, and a task's agent works on the whole tree (what it
    // writes outside the cone is committed like the rest): both are checked out whole. The
    // worktree's own configuration says so; the person's checkout keeps its cone.
    let worktree = main.linked(&admin, &path);
    let sparse = worktree.output(&["config", "--bool", "core.sparseCheckout"], None)?;
    if String::from_utf8_lossy(&sparse.stdout).trim() == "true" {
        worktree.run(&["sparse-checkout", "disable"])?;
    }
    let marker = admin.join(MARKER);
    std::fs::write(&marker, format!("{}\n", kind.as_str())).map_err(io_err("write", &marker))?;
    tracing::info!(worktree = %path.display(), branch, "created worktree");
    Ok(true)
}

/// The worktree at `path` as git lists it, when it is a valid one.
pub(crate) fn in_place(main: &Git, path: &Path) -> Result<Option<WorktreeEntry>, GitError> {
    if !path.is_dir() {
        return Ok(None);
    }
    Ok(list(main)?.into_iter().find(|w| !w.prunable && same_path(&w.path, path)))
}

/// Whether git's own records of the linked worktree `name` (its admin directory, as
/// `git worktree list` reads it) say it is checked out at `path` on `branch` (a full ref): `gitdir`
/// names `<path>/.git`, which exists, `HEAD` names the branch, and no `locked` file says it is
/// still being made. Read without a process, for the check at every start of a task's session;
/// `false` sends the caller to `git worktree list`, which knows every other shape (a reftable
/// repository keeps a worktree's HEAD in its own table, not in that file).
pub(crate) fn on_record(git_dir: &Path, name: &str, path: &Path, branch: &str) -> bool {
    let admin = admin_dir(git_dir, name);
    let read = |file: &str| std::fs::read_to_string(admin.join(file)).ok();
    if admin.join("locked").exists() {
        return false;
    }
    let (Some(gitdir), Some(head)) = (read("gitdir"), read("HEAD")) else { return false };
    let dot_git = Path::new(gitdir.trim_end_matches('\n'));
    head.trim_end_matches('\n').strip_prefix("ref: ") == Some(branch)
        && dot_git.file_name() == Some(".git".as_ref())
        && dot_git.is_file()
        && dot_git.parent().is_some_and(|at| same_path(at, path))
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
    main: &Git,
    root: &Path,
    git_dir: &Path,
    name: &str,
    kind: WorktreeKind,
    force: bool,
) -> Result<bool, GitError> {
    let path = worktree_path(root, name);
    let admin = admin_dir(git_dir, name);
    let listed = list(main)?.into_iter().find(|w| same_path(&w.path, &path));
    let Some(listed) = listed else {
        if path.exists() {
            return Err(GitError::NotSpectaskWorktree { path });
        }
        return Ok(false);
    };
    if marker(&admin) != Some(kind) {
        return Err(GitError::NotSpectaskWorktree { path: listed.path });
    }
    if !listed.prunable && !force {
        // The untracked files the repository's check left are not work to keep.
        let files = crate::plumbing::status::uncommitted_work(&main.linked(&admin, &path), &admin)?;
        if !files.is_empty() {
            return Err(GitError::UncommittedChanges { path, files });
        }
    }
    if listed.prunable {
        main.run(&["worktree", "prune"])?;
    } else {
        // Checked above (or forced): untracked files that are ignored go with the worktree.
        let path_arg = path.to_string_lossy().into_owned();
        main.run(&["worktree", "remove", "--force", "--force", &path_arg])?;
    }
    tracing::info!(worktree = %path.display(), "removed worktree");
    Ok(true)
}

/// The worktrees spectask created as `kind`: name, path, and whether the directory is still a
/// valid worktree.
pub(crate) fn marked_worktrees(
    main: &Git,
    root: &Path,
    git_dir: &Path,
    kind: WorktreeKind,
) -> Result<Vec<(String, PathBuf, bool)>, GitError> {
    let mut found = Vec::new();
    for listed in list(main)? {
        let in_dir = listed.path.parent().is_some_and(|p| same_path(p, &root.join(WORKTREES_DIR)));
        let Some(name) = listed.path.file_name().and_then(|n| n.to_str()).filter(|_| in_dir) else {
            continue;
        };
        if marker(&admin_dir(git_dir, name)) == Some(kind) {
            found.push((name.to_owned(), listed.path.clone(), !listed.prunable));
        }
    }
    found.sort();
    Ok(found)
}

fn marker(admin: &Path) -> Option<WorktreeKind> {
    match std::fs::read_to_string(admin.join(MARKER)).ok()?.trim() {
        "design-docs" => Some(WorktreeKind::DesignDocs),
        "task" => Some(WorktreeKind::Task),
        _ => None,
    }
}

/// Where `branch` is checked out: the main worktree or a valid linked one.
pub(crate) fn checked_out_at(main: &Git, branch: &str) -> Result<Option<PathBuf>, GitError> {
    let full = format!("refs/heads/{branch}");
    Ok(list(main)?.into_iter().find(|w| !w.prunable && w.branch.as_deref() == Some(&full)).map(|w| w.path))
}

fn short(full: &str) -> &str {
    full.strip_prefix("refs/heads/").unwrap_or(full)
}

pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
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

/// Whether git failed on a worktree admin file that `git worktree add` is still writing.
fn is_half_made(message: &str) -> bool {
    message.contains("failed to read") && message.contains("worktrees/")
}

/// Fast-forwards the checkout `git` runs in, where `branch` is checked out, to `new`, as a
/// person's `git merge --ff-only` would: refused when a local change is in the way.
pub(crate) fn fast_forward_checkout(git: &Git, branch: &str, new: CommitId) -> Result<(), GitError> {
    let path = git.dir();
    let new_hex = new.to_string();
    let args = ["merge", "--ff-only", "--quiet", "--no-edit", &new_hex];
    let output = git.output(&args, None)?;
    if output.status.success() {
        after_write(git);
        return Ok(());
    }
    let message = String::from_utf8_lossy(&output.stderr).into_owned();
    let in_the_way =
        message.contains("would be overwritten by merge") || message.contains("would be removed by merge");
    if in_the_way {
        let files =
            message.lines().filter_map(|line| line.strip_prefix('\t')).map(|f| f.trim().to_owned()).collect();
        return Err(GitError::DefaultBranchDirty {
            branch: branch.to_owned(),
            path: path.to_path_buf(),
            files,
        });
    }
    if message.contains("Not possible to fast-forward") {
        return Err(GitError::ConcurrentUpdate { branch: branch.to_owned(), expected: new_hex });
    }
    if message.contains("MERGE_HEAD exists") || message.contains("unmerged files") {
        return Err(GitError::OperationInProgress { path: path.to_path_buf(), state: "merge".to_owned() });
    }
    Err(failure(&args, &output))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing that meets a worktree `git worktree add` is still making (its `locked` marker
    /// there, then gone) is made again rather than failing its caller.
    #[test]
    fn a_listing_waits_out_a_worktree_being_made() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        crate::init_repository(&root, &[("README.md", "# r\n")], "init").unwrap();
        let main = Git::at(&root);
        main.run(&["worktree", "add", "-q", "--detach", "../other"]).unwrap();
        // Unreadable for now (a directory where git expects a file), readable once removed.
        let marker = root.join(".git/worktrees/other/locked");
        std::fs::create_dir(&marker).unwrap();
        let remover = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::fs::remove_dir(&marker).unwrap();
        });
        let listed = list(&main).unwrap();
        remover.join().unwrap();
        assert_eq!(listed.len(), 2, "{listed:?}");
    }

    /// git's record read as files agrees with `git worktree list` in every shape it answers
    /// for: in place, on another branch, detached, locked while made, and gone.
    #[test]
    fn a_worktree_on_record_is_one_git_lists_on_its_branch() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        crate::init_repository(&root, &[("README.md", "# r\n")], "init").unwrap();
        let main = Git::at(&root);
        let git_dir = root.join(".git");
        let path = worktree_path(&root, "t");
        let (own, other) = ("refs/heads/spectask/t", "refs/heads/elsewhere");
        let listed_on = |branch: &str| {
            in_place(&main, &path).unwrap().is_some_and(|w| w.branch.as_deref() == Some(branch))
        };
        let agree = |branch: &str, expected: bool, shape: &str| {
            assert_eq!(listed_on(branch), expected, "git worktree list, {shape}");
            assert_eq!(on_record(&git_dir, "t", &path, branch), expected, "on record, {shape}");
        };
        let made = ensure_worktree(
            &main,
            &root,
            &git_dir,
            "t",
            "spectask/t",
            WorktreeKind::Task,
            Start::NewBranch { from: "HEAD" },
        );
        assert!(made.unwrap());
        agree(own, true, "in place");
        agree(other, false, "in place, asked for another branch");
        // Through a path that names the same directory another way.
        let roundabout = root.join(".git-worktrees/../.git-worktrees/t");
        assert!(on_record(&git_dir, "t", &roundabout, own));
        let inside = Git::at(&path);
        inside.run(&["switch", "-q", "-c", "elsewhere"]).unwrap();
        agree(other, true, "switched to another branch");
        agree(own, false, "switched away");
        inside.run(&["switch", "-q", "--detach"]).unwrap();
        agree(own, false, "detached");
        inside.run(&["switch", "-q", "spectask/t"]).unwrap();
        let locked = git_dir.join("worktrees/t/locked");
        std::fs::write(&locked, "initializing").unwrap();
        assert!(!on_record(&git_dir, "t", &path, own), "locked while made: left to git");
        std::fs::remove_file(&locked).unwrap();
        agree(own, true, "unlocked");
        std::fs::rename(&path, root.join("moved")).unwrap();
        agree(own, false, "gone");
    }

    /// Both half-made shapes git reports are recognised, and nothing else.
    #[test]
    fn half_made_worktrees_are_told_from_other_failures() {
        assert!(is_half_made("fatal: failed to read '.git/worktrees/x/locked': Is a directory"));
        assert!(is_half_made("fatal: failed to read .git/worktrees/x/commondir: Success"));
        assert!(!is_half_made("fatal: not a git repository"));
    }
}
