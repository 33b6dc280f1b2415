//! Creating a repository from a set of files: the demo's bundled sample repositories.

use std::path::Path;

use crate::cmd::Git;
use crate::commit::run_with_identity;
use crate::error::io_err;
use crate::{GitError, RepositoryInfo, inspect_repository};

/// Creates a repository at `path` on branch `main` holding `files` (relative path → content) in one
/// commit. An existing repository at `path` is left as it is and inspected.
pub fn init_repository(
    path: &Path,
    files: &[(&str, &str)],
    message: &str,
) -> Result<RepositoryInfo, GitError> {
    if path.join(".git").exists() {
        return inspect_repository(path);
    }
    for (name, content) in files {
        let file = path.join(name);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        }
        std::fs::write(&file, content).map_err(io_err("write", &file))?;
    }
    std::fs::create_dir_all(path).map_err(io_err("create directory", path))?;
    let git = Git::at(path);
    git.run(&["init", "--quiet", "--initial-branch=main"])?;
    git.run(&["add", "--all"])?;
    run_with_identity(&git, &["commit", "--quiet", "--allow-empty", "--no-verify", "-m", message], None)?;
    inspect_repository(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_repository_with_one_commit_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample");
        let info =
            init_repository(&path, &[("README.md", "# sample\n"), ("src/app.js", "//\n")], "init").unwrap();
        assert_eq!(info.default_branch, "main");
        let git = Git::at(&path);
        assert_eq!(git.text(&["log", "-1", "--format=%B"]).unwrap(), "init");
        assert_eq!(git.text(&["show", "HEAD:src/app.js"]).unwrap(), "//");
        let again = init_repository(&path, &[], "ignored").unwrap();
        assert_eq!(again.head_commit, info.head_commit);
    }
}
