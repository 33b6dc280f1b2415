//! The one error type of the crate: every failure names the repository, branch, path or value at fault.

use std::path::PathBuf;

/// Everything that can go wrong in the git layer.
///
/// Messages are lower case, name the offending value and have no trailing period. Variants that a
/// caller is expected to handle (a rewritten design-docs branch, unmerged commits, a dirty checkout …)
/// carry the data needed to explain the situation to a human.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("path {} does not exist", path.display())]
    PathNotFound { path: PathBuf },

    #[error("{} is not a git repository", path.display())]
    NotARepository { path: PathBuf },

    #[error("{} is inside the repository {}: register the repository's root", path.display(), root.display())]
    InsideRepository { path: PathBuf, root: PathBuf },

    #[error("{} cannot be used: {reason}", path.display())]
    UnusableRepository { path: PathBuf, reason: String },

    #[error("{} is a bare repository; spectask needs a working tree", path.display())]
    BareRepository { path: PathBuf },

    #[error("repository {} has no commits", path.display())]
    NoCommits { path: PathBuf },

    #[error(
        "repository {} has no default branch: HEAD is detached and neither origin/HEAD, main nor master \
         exists (name one with --default-branch)",
        path.display()
    )]
    NoDefaultBranch { path: PathBuf },

    #[error("repository {} is not registered with spectask (register it first)", path.display())]
    NotRegistered { path: PathBuf },

    #[error("branch {branch} does not exist in {}", repo.display())]
    BranchNotFound { repo: PathBuf, branch: String },

    #[error(
        "design-docs branch {branch} was rewritten: its tip {current} does not descend from {last_written}, \
         the last tip spectask wrote; spectask stopped writing to it until a human accepts the new history"
    )]
    DesignDocsRewritten { branch: String, last_written: String, current: String },

    #[error(
        "{branch} on the remote has commits this clone's lacks (its tip {theirs}): someone rewrote it \
         (a force-push) or pushed to it meanwhile; spectask's work is kept on its own {branch} at \
         {ours}. Bring the two together by hand (merge them, or reset the remote's to spectask's), \
         then retry the task"
    )]
    RemoteBranchDiverged { branch: String, ours: String, theirs: String },

    #[error("invalid task handle {name:?}: {reason}")]
    InvalidTaskHandle { name: String, reason: &'static str },

    #[error("invalid repository path {path:?}: {reason}")]
    InvalidFilePath { path: String, reason: &'static str },

    #[error("invalid commit id {value:?}")]
    InvalidCommitId { value: String },

    #[error("invalid trailer {key:?}: {reason}")]
    InvalidTrailer { key: String, reason: &'static str },

    #[error("invalid branch name {name:?}")]
    InvalidBranchName { name: String },

    #[error("review target `{target}`: {reason}")]
    InvalidReviewTarget { target: String, reason: String },

    #[error("worktree {} has uncommitted changes: {}", path.display(), files.join(", "))]
    UncommittedChanges { path: PathBuf, files: Vec<String> },

    #[error(
        "branch {branch} is checked out at {} with local changes: {}; commit or stash them first",
        path.display(),
        files.join(", ")
    )]
    DefaultBranchDirty { branch: String, path: PathBuf, files: Vec<String> },

    #[error("branch {branch} has {count} commit(s) not merged into {default_branch}")]
    UnmergedCommits { branch: String, default_branch: String, count: usize },

    #[error("worktree {} was not created by spectask; leaving it alone", path.display())]
    NotSpectaskWorktree { path: PathBuf },

    #[error("worktree {} has {actual} checked out, expected branch {expected}", path.display())]
    WrongBranchCheckedOut { path: PathBuf, expected: String, actual: String },

    #[error("worktree {} is in the middle of a {state}", path.display())]
    OperationInProgress { path: PathBuf, state: String },

    #[error("branch {branch} is already checked out in the worktree at {}", path.display())]
    BranchCheckedOutElsewhere { branch: String, path: PathBuf },

    #[error("a worktree named {name} already exists at {}", path.display())]
    WorktreeNameTaken { name: String, path: PathBuf },

    #[error("merging {branch} into {into} conflicts in: {}", files.join(", "))]
    MergeConflict { branch: String, into: String, files: Vec<String> },

    #[error("remote {}: {}", redact(url), redact(message))]
    Remote { url: String, message: String },

    #[error("the repository's {hook} hook refused the commit: {message}")]
    HookRejected { hook: String, message: String },

    #[error("branch {branch} moved while spectask was updating it (expected tip {expected})")]
    ConcurrentUpdate { branch: String, expected: String },

    #[error("cannot take the spectask lock {}: {source}", path.display())]
    Lock { path: PathBuf, source: std::io::Error },

    #[error(
        "{} exists: another git process is working in that worktree, or one was killed and left it \
         behind (remove it if no git process is running)",
        path.display()
    )]
    IndexLocked { path: PathBuf },

    #[error("{op} {}: {source}", path.display())]
    Io { op: &'static str, path: PathBuf, source: std::io::Error },

    #[error("{op} failed ({status}): {message}")]
    Command { op: String, status: String, message: String },

    #[error("cannot run {op}: {source} (is git installed and on the PATH?)")]
    Spawn { op: String, source: std::io::Error },
}

/// How a caller should treat a [`GitError`], e.g. which HTTP status to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCategory {
    /// The caller named something that is not a usable repository, or passed an invalid task handle,
    /// path, branch name, commit id or trailer (HTTP 400).
    InvalidInput,
    /// The repository is not registered, or a branch does not exist (HTTP 404).
    NotFound,
    /// spectask refused, to protect work or history; the message says what a human must do
    /// (HTTP 409).
    Refused,
    /// Something failed underneath (IO, the git program, the lock): log it (HTTP 500).
    Internal,
}

impl GitError {
    pub fn category(&self) -> ErrorCategory {
        use GitError::*;
        match self {
            PathNotFound { .. }
            | NotARepository { .. }
            | InsideRepository { .. }
            | UnusableRepository { .. }
            | BareRepository { .. }
            | NoCommits { .. }
            | NoDefaultBranch { .. }
            | InvalidTaskHandle { .. }
            | InvalidFilePath { .. }
            | InvalidCommitId { .. }
            | InvalidTrailer { .. }
            | InvalidBranchName { .. }
            | InvalidReviewTarget { .. }
            | Remote { .. } => ErrorCategory::InvalidInput,
            NotRegistered { .. } | BranchNotFound { .. } => ErrorCategory::NotFound,
            DesignDocsRewritten { .. }
            | RemoteBranchDiverged { .. }
            | UncommittedChanges { .. }
            | DefaultBranchDirty { .. }
            | UnmergedCommits { .. }
            | NotSpectaskWorktree { .. }
            | WrongBranchCheckedOut { .. }
            | OperationInProgress { .. }
            | BranchCheckedOutElsewhere { .. }
            | WorktreeNameTaken { .. }
            | MergeConflict { .. }
            | ConcurrentUpdate { .. }
            | HookRejected { .. }
            | IndexLocked { .. } => ErrorCategory::Refused,
            Lock { .. } | Io { .. } | Command { .. } | Spawn { .. } => ErrorCategory::Internal,
        }
    }
}

impl GitError {
    /// Whether git failed because another git process holds a lock file it needs (an agent's
    /// `git status` holding `index.lock`): worth trying again shortly.
    pub(crate) fn is_lock_held(&self) -> bool {
        matches!(self, GitError::Command { message, .. }
            if message.contains(".lock': File exists") || message.contains("cannot lock ref"))
    }

    /// A lock file still held after waiting, as [`GitError::IndexLocked`] naming it; any other
    /// error as it is.
    pub(crate) fn lock_held_named(self) -> GitError {
        if let GitError::Command { message, .. } = &self
            && let Some((_, rest)) = message.split_once("Unable to create '")
            && let Some((path, _)) = rest.split_once("': File exists")
        {
            return GitError::IndexLocked { path: PathBuf::from(path) };
        }
        self
    }
}

/// `text` with the user and password of every URL in it left out (`https://***@host/…`): a URL
/// may carry credentials, and errors are shown and logged.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c == '/' || c.is_whitespace()).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(user_end) => {
                out.push_str("***");
                out.push_str(&tail[user_end..end]);
            }
            None => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Attaches the failing operation and path to an IO error.
pub(crate) fn io_err(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> GitError {
    let path = path.into();
    move |source| GitError::Io { op, path, source }
}
