//! Running the `git` program. Every read and write of a repository goes through here, so git
//! itself applies the repository's formats (reftable, SHA-256, split and sparse index), its
//! attributes and filters (eol, Git LFS), its permissions (`core.sharedRepository`), its fsync
//! settings and its hooks.
//!
//! A [`Git`] names where git runs: a directory (the main working tree, found as git finds it), or
//! a linked worktree by its admin directory and its working tree. A task's worktree is always run
//! with both named (`GIT_DIR`, `GIT_WORK_TREE`): the `.git` file inside it is writable to the task's
//! agent, which could point it at another repository.
//!
//! The environment git sees is the process's, less the variables that would make it look at
//! another repository or index, with `LC_ALL=C` (its messages are matched in a few places), no
//! terminal prompt, and literal pathspecs (spectask's paths are never patterns).

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use backon::BlockingRetryable;

use crate::error::GitError;
use crate::plumbing::retry::LOCK_FILE_RETRY;

/// Variables that would point git at another repository, index or object store than the one named.
const SCRUBBED: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_QUARANTINE_PATH",
    "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
    "LANGUAGE",
];

/// Where a git command runs.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    cwd: PathBuf,
    /// A linked worktree's admin directory and working tree, when named explicitly.
    worktree: Option<(PathBuf, PathBuf)>,
    /// Reads only: git does not refresh the index on the side (`GIT_OPTIONAL_LOCKS=0`).
    read_only: bool,
    /// An index of spectask's own instead of the worktree's (`GIT_INDEX_FILE`).
    index: Option<PathBuf>,
}

impl Git {
    /// git in `dir`, finding its repository as git does (a main working tree, or a trusted one).
    pub(crate) fn at(dir: &Path) -> Git {
        Git { cwd: dir.to_path_buf(), worktree: None, read_only: false, index: None }
    }

    /// git in the linked worktree at `work_tree`, whose admin directory is `admin`
    /// (`<git-dir>/worktrees/<name>`).
    pub(crate) fn worktree(admin: &Path, work_tree: &Path) -> Git {
        Git {
            cwd: work_tree.to_path_buf(),
            worktree: Some((admin.to_path_buf(), work_tree.to_path_buf())),
            read_only: false,
            index: None,
        }
    }

    /// The same place, for commands that only read: they take no optional lock (a `git status`
    /// does not write the index behind an agent's back).
    pub(crate) fn reading(&self) -> Git {
        Git { read_only: true, ..self.clone() }
    }

    /// The same place with `index` as its index: what is staged there leaves the worktree's own
    /// index as it was.
    pub(crate) fn with_index(&self, index: &Path) -> Git {
        Git { index: Some(index.to_path_buf()), ..self.clone() }
    }

    /// The directory git runs in.
    pub(crate) fn dir(&self) -> &Path {
        &self.cwd
    }

    /// The command, ready to run: `git <args>` in this place.
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new("git");
        command.current_dir(&self.cwd);
        for name in SCRUBBED {
            command.env_remove(name);
        }
        command.env("LC_ALL", "C").env("GIT_TERMINAL_PROMPT", "0").env("GIT_LITERAL_PATHSPECS", "1");
        if self.read_only {
            command.env("GIT_OPTIONAL_LOCKS", "0");
        }
        if let Some((admin, work_tree)) = &self.worktree {
            command.env("GIT_DIR", admin).env("GIT_WORK_TREE", work_tree);
        }
        if let Some(index) = &self.index {
            command.env("GIT_INDEX_FILE", index);
        }
        command.args(args);
        command
    }

    /// Runs `git <args>` with `input` on its standard input (none when `None`) and returns what it
    /// printed, whatever its exit status; an error only when git could not be run.
    pub(crate) fn output(&self, args: &[&str], input: Option<&[u8]>) -> Result<Output, GitError> {
        run_command(self.command(args), args, input)
    }

    /// Runs `git <args>` and returns its standard output; [`GitError::Command`] with git's message
    /// when it fails.
    pub(crate) fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        self.run_with_input(args, None)
    }

    /// Like [`Git::run`], with `input` on git's standard input.
    pub(crate) fn run_with_input(&self, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
        let output = self.output(args, input)?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        Err(failure(args, &output))
    }

    /// [`Git::run`] with its output as text, trailing whitespace removed.
    pub(crate) fn text(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.run(args)?;
        Ok(String::from_utf8_lossy(&out).trim_end().to_owned())
    }

    /// Like [`Git::run_with_input`], run again while another git process holds the index's lock
    /// (an agent's `git status` in the same worktree), as [`LOCK_FILE_RETRY`] allows.
    pub(crate) fn run_waiting(&self, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
        (|| self.run_with_input(args, input))
            .retry(LOCK_FILE_RETRY)
            .when(GitError::is_lock_held)
            .notify(|e, wait| tracing::debug!(error = %e, ?wait, "a git lock file is held; retrying"))
            .call()
            .map_err(GitError::lock_held_named)
    }

    /// Whether `git <args>` succeeds (exit 0) or fails plainly (exit 1), as `merge-base
    /// --is-ancestor` and `diff --quiet` answer; any other exit is an error.
    pub(crate) fn yes_no(&self, args: &[&str]) -> Result<bool, GitError> {
        let output = self.output(args, None)?;
        match output.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(failure(args, &output)),
        }
    }
}

/// Runs a prepared git `command` with `input` on its standard input (none when `None`) and returns
/// what it printed, whatever its exit status; an error only when git could not be run.
pub(crate) fn run_command(
    mut command: Command,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<Output, GitError> {
    command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let spawn_err = |source| GitError::Spawn { op: describe(args), source };
    let mut child = command.spawn().map_err(spawn_err)?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // Written from another thread: git may fill its output pipe before reading all of it.
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().map_err(spawn_err)?;
        // A command that stops reading early (it failed) closes the pipe: its status says why.
        let _ = writer.join();
        return Ok(output);
    }
    child.wait_with_output().map_err(spawn_err)
}

/// The error of a git command that failed, with its message.
pub(crate) fn failure(args: &[&str], output: &Output) -> GitError {
    let mut message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if message.is_empty() {
        message = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    }
    let status = match output.status.code() {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_owned(),
    };
    GitError::Command { op: describe(args), status, message }
}

/// `git <args>`, for messages: the first few arguments.
fn describe(args: &[&str]) -> String {
    let mut shown: Vec<&str> = args.iter().copied().take(6).collect();
    if args.len() > shown.len() {
        shown.push("…");
    }
    format!("git {}", shown.join(" "))
}

/// Splits `-z` output into its NUL-terminated fields.
pub(crate) fn nul_fields(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    out.split(|b| *b == 0).filter(|field| !field.is_empty())
}

/// A field of git's output as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
