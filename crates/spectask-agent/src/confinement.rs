//! What spectask serves to agents (`fs/*`, `terminal/*`), confined to a session's root (the worktree).
//!
//! Invariant: every path an agent names is checked by [`fs::confine`] before any IO, and every terminal
//! runs in its own process group with an explicit environment.

pub mod fs;
pub mod terminal;

use std::path::PathBuf;

/// Why spectask refused an agent's file or terminal request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfinementError {
    #[error("path {0} is not absolute")]
    NotAbsolute(PathBuf),
    #[error("path {0} contains `..`")]
    ParentComponent(PathBuf),
    #[error("path {path} resolves to {resolved}, outside the worktree {root}")]
    OutsideRoot { path: PathBuf, resolved: PathBuf, root: PathBuf },
    #[error("path {0} is inside the git directory")]
    GitDir(PathBuf),
    #[error("path {0} is not a regular file")]
    NotAFile(PathBuf),
    #[error("file {path} has {bytes} bytes, over the limit of {limit}")]
    TooLarge { path: PathBuf, bytes: u64, limit: usize },
    #[error("cannot access {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("unknown terminal {0:?}")]
    UnknownTerminal(String),
    #[error("cannot start {command:?}: {message}")]
    Spawn { command: String, message: String },
}

impl ConfinementError {
    pub(crate) fn io(path: &std::path::Path, error: &std::io::Error) -> Self {
        ConfinementError::Io { path: path.to_path_buf(), message: error.to_string() }
    }
}
