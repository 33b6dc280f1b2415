//! What spectask serves to agents (`fs/*`, `terminal/*`), confined to a session's root (the worktree).
//!
//! Invariant: every path an agent names is checked by [`fs::confine`] before any IO, and every terminal
//! runs in its own process group with an explicit environment.

pub mod fs;
pub mod terminal;

use std::path::{Path, PathBuf};

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
    #[error("file {0} does not exist")]
    NotFound(PathBuf),
    #[error("cannot access {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("unknown terminal {0:?}")]
    UnknownTerminal(String),
    #[error("cannot start {command:?}: {message}")]
    Spawn { command: String, message: String },
    /// The permission policy refused it (the reason says what the agent may do instead).
    #[error("{0}")]
    Policy(String),
}

/// What an agent asked for, to say what it may do instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// A terminal (its working directory).
    Run,
}

impl ConfinementError {
    /// The refusal as an agent's model should read it: the reason, then what to do instead (`root`
    /// is the session's worktree). For example: "path /w/../x contains `..`; name a path inside the
    /// worktree /w without `..`".
    pub fn advice(&self, root: &Path, access: Access) -> String {
        let inside = match access {
            Access::Read => "read files inside it",
            Access::Write => "write inside it",
            Access::Run => "run commands with a working directory inside it",
        };
        let root = root.display();
        let hint = match self {
            ConfinementError::NotAbsolute(_) => format!("give an absolute path inside the worktree {root}"),
            ConfinementError::ParentComponent(_) => {
                format!("name a path inside the worktree {root} without `..`")
            }
            ConfinementError::OutsideRoot { .. } => inside.to_owned(),
            ConfinementError::GitDir(_) => {
                "the git directory is spectask's: it commits your changes when the session ends".to_owned()
            }
            ConfinementError::NotAFile(_) if access == Access::Run => {
                format!("use a directory inside the worktree {root}")
            }
            ConfinementError::NotAFile(_) => "name a regular file".to_owned(),
            ConfinementError::NotFound(_) => return self.to_string(),
            ConfinementError::TooLarge { .. } if access == Access::Read => {
                "read it in parts (line and limit)".to_owned()
            }
            ConfinementError::TooLarge { .. } => "write it in smaller files".to_owned(),
            ConfinementError::Io { .. } | ConfinementError::Spawn { .. } | ConfinementError::Policy(_) => {
                return self.to_string();
            }
            ConfinementError::UnknownTerminal(_) => "create a terminal first".to_owned(),
        };
        format!("{self}; {hint}")
    }

    pub(crate) fn io(path: &std::path::Path, error: &std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::NotFound {
            return ConfinementError::NotFound(path.to_path_buf());
        }
        ConfinementError::Io { path: path.to_path_buf(), message: error.to_string() }
    }
}
