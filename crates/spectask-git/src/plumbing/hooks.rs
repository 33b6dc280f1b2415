//! The repository's own commit hooks, which spectask runs itself (`git hook run`) before it
//! commits with `--no-verify`: which of them are present, and each one's refusal as a
//! [`GitError::HookRejected`] carrying what the hook printed.

use std::path::Path;

use crate::error::GitError;
use crate::plumbing::cmd::Git;

/// Whether a commit runs the repository's `pre-commit` and `commit-msg` hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hooks {
    Run,
    Skip,
}

/// The repository's hooks among `hooks` that exist and are executable, for the worktree at `path`
/// whose own git dir is `admin` (in `core.hooksPath` when set, else the common git dir's `hooks`):
/// one look at the configuration for all.
pub(crate) fn present_hooks<'h>(
    git: &Git,
    admin: &Path,
    path: &Path,
    hooks: &[&'h str],
) -> Result<Vec<&'h str>, GitError> {
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
    use std::os::unix::fs::PermissionsExt;
    let executable = |hook: &str| {
        std::fs::metadata(dir.join(hook)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    Ok(hooks.iter().copied().filter(|hook| executable(hook)).collect())
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
