//! The repository's own commit hooks, which spectask runs itself (`git hook run`) before it
//! commits with `--no-verify`: where they are, which of them are present, and each one's refusal
//! as a [`GitError::HookRejected`] carrying what the hook printed.

use std::path::{Path, PathBuf};

use crate::error::GitError;
use crate::plumbing::cmd::Git;

/// Whether a commit runs the repository's `pre-commit` and `commit-msg` hooks: `Run` with where
/// they are when that was looked up already (`None`: it looks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hooks<'a> {
    Run(Option<&'a HooksDir>),
    Skip,
}

/// Where the repository's hooks are for a worktree, as one look at the configuration found it:
/// `core.hooksPath` when set, else the common git dir's `hooks`. A session's completion looks
/// once, in its pre-commit check ([`crate::Repo::pre_commit_refusal`]), and its commit runs the
/// hooks present there then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HooksDir {
    dir: PathBuf,
}

impl HooksDir {
    /// Looks where the hooks are for the worktree at `path` whose own git dir is `admin`: one
    /// `git config`.
    pub(crate) fn find(git: &Git, admin: &Path, path: &Path) -> Result<HooksDir, GitError> {
        let hooks_path = ["config", "--path", "--get", "core.hooksPath"];
        let configured = git.with_repository_hooks().reading().output(&hooks_path, None)?;
        let configured = String::from_utf8_lossy(&configured.stdout).trim().to_owned();
        let dir = if configured.is_empty() {
            // `<git-dir>/worktrees/<name>` for a linked worktree: hooks are the common dir's.
            let common = admin.parent().and_then(Path::parent).unwrap_or(admin);
            common.join("hooks")
        } else {
            path.join(configured)
        };
        Ok(HooksDir { dir })
    }

    /// The hooks among `hooks` that exist there and are executable.
    pub(crate) fn present<'h>(&self, hooks: &[&'h str]) -> Vec<&'h str> {
        use std::os::unix::fs::PermissionsExt;
        let executable = |hook: &str| {
            std::fs::metadata(self.dir.join(hook))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        hooks.iter().copied().filter(|hook| executable(hook)).collect()
    }
}

/// Runs the repository's `hook` with `args` where `git` runs: a refusal is a
/// [`GitError::HookRejected`] with the hook's output.
pub(crate) fn run_hook(git: &Git, hook: &str, args: &[&str]) -> Result<(), GitError> {
    let mut full = vec!["hook", "run", "--ignore-missing", hook];
    if !args.is_empty() {
        full.push("--");
        full.extend_from_slice(args);
    }
    let output = git.with_repository_hooks().output(&full, None)?;
    if output.status.success() {
        return Ok(());
    }
    let mut message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !stdout.trim().is_empty() {
        message = format!("{}\n{message}", stdout.trim()).trim().to_owned();
    }
    if message.is_empty() {
        message = format!("it exited with {}", output.status);
    }
    Err(GitError::HookRejected { hook: hook.to_owned(), message })
}
