//! Moving the branches spectask commits on, and writing its own records under `refs/spectask/`,
//! as loose ref files the way git's files backend writes them: `<ref>.lock` created exclusively
//! (already holding the new value, and recognisable as spectask's after a crash: see [`RefLock`]),
//! the old value compared under it, the reflogs appended, the new value renamed over the ref.
//!
//! Through libgit2, each such write also stat'ed the ref several times, read it three times, read
//! HEAD twice and made a signature for its reflog (a snapshot of the whole configuration), on every
//! commit. Here the commit's own signature and configuration snapshot serve the reflog, which gets
//! the same lines libgit2 writes: the branch's (as `core.logAllRefUpdates` says: unless it is
//! false) and HEAD's of the worktree committing, whose HEAD names the branch. The old value is
//! compared under the lock, so the move stays a compare-and-swap against git processes too; the
//! rename makes the new value appear whole, after the objects it names were written; a loose ref
//! takes precedence over a packed one of the same name, as for git.
//!
//! spectask's records (`refs/spectask/…`) are written under the repository's writer lock and get no
//! reflog, as git keeps none for refs outside `refs/heads/`, `refs/remotes/` and `refs/notes/`
//! unless one exists (then libgit2 writes the record, reflog and all).

use std::io::Write;
use std::path::{Path, PathBuf};

use backon::BlockingRetryable;
use git2::{Oid, Repository, Signature};

use crate::commit::retry_locked;
use crate::error::{GitError, GitResultExt, io_err};
use crate::retry::LOCK_FILE_RETRY;

/// Who a reflog line names and whether the branch's reflog is written, read from one snapshot of
/// the configuration with the committer's signature.
pub(crate) struct RefLogging<'a> {
    pub(crate) who: Signature<'a>,
    pub(crate) branch_log: bool,
}

/// Points the ref `name` (`refs/spectask/…`) of the repository of `git` at `id`.
pub(crate) fn write_spectask_ref(
    git: &Repository,
    name: &str,
    id: Oid,
    reflog: &str,
) -> Result<(), GitError> {
    let common = git.commondir();
    if common.join("logs").join(name).exists() {
        retry_locked(|| git.reference(name, id, true, reflog)).op(|| format!("update {name}"))?;
        return Ok(());
    }
    RefLock::acquire(common, name, id)?.commit()
}

/// Moves `refs/heads/<branch>` from `expected` to `new`, only if it is still at `expected`
/// ([`GitError::ConcurrentUpdate`] when not); `repo` is a worktree whose HEAD names the branch
/// (the caller checked it). Its reflog and HEAD's get `message`.
pub(crate) fn move_checked_out_branch(
    repo: &Repository,
    branch: &str,
    new: Oid,
    expected: Oid,
    logging: &RefLogging<'_>,
    message: &str,
) -> Result<(), GitError> {
    move_ref(repo, branch, new, Some(expected), logging, message, true)
}

/// Moves `refs/heads/<branch>` of the repository of `repo` from `expected` to `new` as
/// [`move_checked_out_branch`] does, for a branch that may be checked out nowhere (a merge's default
/// branch): HEAD's reflog of `repo` gets the line only when that HEAD names the branch, as libgit2
/// and git log it.
pub(crate) fn move_branch(
    repo: &Repository,
    branch: &str,
    new: Oid,
    expected: Oid,
    logging: &RefLogging<'_>,
    message: &str,
) -> Result<(), GitError> {
    let name = format!("refs/heads/{branch}");
    let head = repo.find_reference("HEAD").op(|| format!("read HEAD of {}", repo.path().display()))?;
    let head_names_it = head.symbolic_target().ok().flatten() == Some(name.as_str());
    move_ref(repo, branch, new, Some(expected), logging, message, head_names_it)
}

/// Creates `refs/heads/<branch>` at `at`, only if no such branch exists (loose or packed;
/// [`GitError::ConcurrentUpdate`] when one does), with its reflog's first line; as branches move
/// here, so a `kill -9` leaves no lock that stops every later try (a task's branch, the
/// design-docs branch).
pub(crate) fn create_branch(
    repo: &Repository,
    branch: &str,
    at: Oid,
    logging: &RefLogging<'_>,
    message: &str,
) -> Result<(), GitError> {
    move_ref(repo, branch, at, None, logging, message, false)
}

/// HEAD's reflog is appended without `HEAD.lock`, under the branch's lock only, as git itself logs
/// HEAD when it moves the branch HEAD names directly: each line is one `O_APPEND` write, so a
/// concurrent git appending to it (a checkout, which also needs the `index.lock` spectask holds
/// around its commits) cannot interleave bytes with it, and no lock is left for a crash to strand.
fn move_ref(
    repo: &Repository,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
    logging: &RefLogging<'_>,
    message: &str,
    log_head: bool,
) -> Result<(), GitError> {
    let name = format!("refs/heads/{branch}");
    let common = repo.commondir();
    let lock = RefLock::acquire(common, &name, new)?;
    if current_value(common, &name)? != expected {
        let expected = expected.map_or_else(|| "no branch".to_owned(), |id| id.to_string());
        return Err(GitError::ConcurrentUpdate { branch: branch.to_owned(), expected });
    }
    if logging.branch_log {
        let line = reflog_line(expected.unwrap_or(Oid::ZERO_SHA1), new, &logging.who, message);
        append_reflog(&common.join("logs").join(&name), &line)?;
        if log_head {
            append_reflog(&repo.path().join("logs").join("HEAD"), &line)?;
        }
    }
    lock.commit()
}

/// `<old> <new> <name> <<email>> <seconds> <±hhmm>\t<message>\n`, as libgit2 serialises a reflog
/// entry (newlines in the message made spaces, trailing whitespace dropped).
fn reflog_line(old: Oid, new: Oid, who: &Signature<'_>, message: &str) -> Vec<u8> {
    let mut line = format!("{old} {new}").into_bytes();
    crate::objects::write_signature(&mut line, " ", who);
    line.pop();
    line.push(b'\t');
    line.extend_from_slice(message.replace('\n', " ").trim_end().as_bytes());
    line.push(b'\n');
    line
}

fn append_reflog(path: &Path, line: &[u8]) -> Result<(), GitError> {
    let open = || std::fs::OpenOptions::new().append(true).create(true).open(path);
    let mut file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
            }
            open()
        }
        opened => opened,
    }
    .map_err(io_err("open", path))?;
    file.write_all(line).map_err(io_err("append to", path))
}

/// The id the ref `name` holds: its loose file, else its line in `packed-refs`; `None` when it does
/// not exist or is symbolic.
fn current_value(common: &Path, name: &str) -> Result<Option<Oid>, GitError> {
    let path = common.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => return Ok(Oid::from_str(text.trim_end()).ok()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err("read", &path)(e)),
        Err(_) => {}
    }
    let packed = common.join("packed-refs");
    let text = match std::fs::read_to_string(&packed) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", &packed)(e)),
    };
    let line = text.lines().filter(|l| !l.starts_with(['#', '^'])).find_map(|l| {
        let (id, ref_name) = l.split_once(' ')?;
        (ref_name == name).then_some(id)
    });
    Ok(line.and_then(|id| Oid::from_str(id).ok()))
}

/// A held `<ref>.lock`: removed on drop unless committed.
///
/// The lock appears holding the new value, as a second name of a file spectask wrote first: its
/// twin, `<common>/spectask/ref-lock/<ref>`. spectask only moves refs while holding the
/// repository's writer lock (`lock.rs`), so a `<ref>.lock` found by a writer that is the same file
/// as its twin was left by a killed spectask process and is removed; any other belongs to a git
/// process and is waited for, then reported. Git never reads a lock's content, and the twin never
/// outlives a move but by a crash: the next move removes it before writing its own.
struct RefLock {
    lock: PathBuf,
    twin: PathBuf,
    target: PathBuf,
}

impl RefLock {
    /// Creates `<ref>.lock` holding `id` exclusively, waiting ([`LOCK_FILE_RETRY`]) for a git
    /// process holding it, after removing one a killed spectask left.
    fn acquire(common: &Path, name: &str, id: Oid) -> Result<RefLock, GitError> {
        let lock = common.join(format!("{name}.lock"));
        let twin = common.join("spectask").join("ref-lock").join(name);
        let lock_err = |source| GitError::Lock { path: lock.clone(), source };
        write_twin(&twin, &lock, id).map_err(lock_err)?;
        let mut held = RefLock { lock, twin, target: common.join(name) };
        let link = || {
            std::fs::hard_link(&held.twin, &held.lock).or_else(|e| {
                let dir = held.lock.parent().filter(|_| e.kind() == std::io::ErrorKind::NotFound);
                let Some(dir) = dir else { return Err(e) };
                std::fs::create_dir_all(dir)?;
                std::fs::hard_link(&held.twin, &held.lock)
            })
        };
        let linked =
            link.retry(LOCK_FILE_RETRY).when(|e| e.kind() == std::io::ErrorKind::AlreadyExists).call();
        if let Err(source) = linked {
            // Not this process's lock: only the twin is removed (on drop).
            let lock = std::mem::take(&mut held.lock);
            return Err(GitError::Lock { path: lock, source });
        }
        Ok(held)
    }

    /// Renames the lock, holding the new value, over the ref.
    fn commit(mut self) -> Result<(), GitError> {
        std::fs::rename(&self.lock, &self.target).map_err(io_err("replace", &self.target))?;
        self.lock = PathBuf::new();
        Ok(())
    }
}

/// Writes `<id>\n` to a new file at `twin`. One found there was left by a crash: either still the
/// same file as `lock` (killed before the rename), and then that lock is a leftover too and both are
/// removed, or a second name of the ref itself (killed after it), which is unlinked, never written
/// through.
fn write_twin(twin: &Path, lock: &Path, id: Oid) -> std::io::Result<()> {
    let create = || std::fs::OpenOptions::new().write(true).create_new(true).open(twin);
    let mut file = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if same_file(twin, lock) {
                tracing::warn!(path = %lock.display(), "removing a ref lock left by a killed spectask");
                std::fs::remove_file(lock)?;
            }
            std::fs::remove_file(twin)?;
            create()?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = twin.parent() {
                std::fs::create_dir_all(dir)?;
            }
            create()?
        }
        opened => opened?,
    };
    file.write_all(format!("{id}\n").as_bytes())
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

fn remove_if_there(path: &Path) {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(path = %path.display(), error = %e, "could not remove a ref lock")
        }
        _ => {}
    }
}

impl Drop for RefLock {
    fn drop(&mut self) {
        // Committed: renamed away (its path cleared). Otherwise the move was refused or failed.
        if !self.lock.as_os_str().is_empty() {
            remove_if_there(&self.lock);
        }
        remove_if_there(&self.twin);
    }
}
