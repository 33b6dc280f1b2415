//! Creating a repository from a set of files, and a branch on it: the demo's bundled sample
//! repositories.

use std::path::Path;

use crate::error::io_err;
use crate::plumbing::cmd::Git;
use crate::plumbing::commit::run_with_identity;
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

/// Creates `branch` in the repository at `path`: one commit on `main` writing `files` (relative
/// path → content), made in an index of its own, so the checkout and its index stay as they are.
/// An existing `branch` is left as it is.
pub fn create_branch(
    path: &Path,
    branch: &str,
    files: &[(&str, &str)],
    message: &str,
) -> Result<(), GitError> {
    let git = Git::at(path);
    let reference = format!("refs/heads/{branch}");
    if git.yes_no(&["rev-parse", "--verify", "--quiet", &reference])? {
        return Ok(());
    }
    let git_dir = path.join(git.text(&["rev-parse", "--git-dir"])?);
    let index = git_dir.join(format!("spectask-branch-{}.index", std::process::id()));
    let staged = git.with_index(&index);
    let tree = stage(&staged, files);
    let _ = std::fs::remove_file(&index);
    let tree = tree?;
    let commit = run_with_identity(&git, &["commit-tree", &tree, "-p", "main", "-m", message], None)?;
    let commit = String::from_utf8_lossy(&commit).trim().to_owned();
    // The empty old value: created only if no one made it meanwhile.
    git.run(&["update-ref", &reference, &commit, ""])?;
    Ok(())
}

/// `main`'s tree with `files` written over it, as a tree id.
fn stage(git: &Git, files: &[(&str, &str)]) -> Result<String, GitError> {
    git.run(&["read-tree", "main"])?;
    for (name, content) in files {
        let blob = git.run_with_input(&["hash-object", "-w", "--stdin"], Some(content.as_bytes()))?;
        let blob = String::from_utf8_lossy(&blob).trim().to_owned();
        git.run(&["update-index", "--add", "--cacheinfo", &format!("100644,{blob},{name}")])?;
    }
    git.text(&["write-tree"])
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

    #[test]
    fn creates_a_branch_on_main_leaving_the_checkout_and_an_existing_branch_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample");
        init_repository(&path, &[("README.md", "# sample\n"), ("src/app.js", "//\n")], "init").unwrap();
        let files = [("src/app.js", "// changed\n"), ("src/new/part.js", "// new\n")];
        create_branch(&path, "feature/part", &files, "Add a part").unwrap();
        let git = Git::at(&path);
        assert_eq!(git.text(&["log", "-1", "--format=%s", "feature/part"]).unwrap(), "Add a part");
        assert_eq!(
            git.text(&["rev-parse", "feature/part~1"]).unwrap(),
            git.text(&["rev-parse", "main"]).unwrap()
        );
        assert_eq!(git.text(&["show", "feature/part:src/app.js"]).unwrap(), "// changed");
        assert_eq!(git.text(&["show", "feature/part:src/new/part.js"]).unwrap(), "// new");
        assert_eq!(git.text(&["show", "feature/part:README.md"]).unwrap(), "# sample");
        // The checkout is still main, clean, as it was.
        assert_eq!(git.text(&["symbolic-ref", "--short", "HEAD"]).unwrap(), "main");
        assert_eq!(git.text(&["status", "--porcelain"]).unwrap(), "");
        assert_eq!(std::fs::read_to_string(path.join("src/app.js")).unwrap(), "//\n");
        let tip = git.text(&["rev-parse", "feature/part"]).unwrap();
        create_branch(&path, "feature/part", &[("src/app.js", "// other\n")], "Again").unwrap();
        assert_eq!(
            git.text(&["rev-parse", "feature/part"]).unwrap(),
            tip,
            "an existing branch is left alone"
        );
    }
}
