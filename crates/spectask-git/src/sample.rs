//! Creating a repository from a set of files: the demo's bundled sample repositories.

use std::path::Path;

use git2::{IndexAddOption, Repository, RepositoryInitOptions};

use crate::commit::signature;
use crate::error::{GitResultExt, io_err};
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
    let mut options = RepositoryInitOptions::new();
    options.initial_head("main");
    let repo = Repository::init_opts(path, &options).op(|| format!("init repository {}", path.display()))?;
    let mut index = repo.index().op(|| "open the index".to_owned())?;
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .op(|| format!("add the files of {}", path.display()))?;
    index.write().op(|| "write the index".to_owned())?;
    let tree_id = index.write_tree().op(|| "write the tree".to_owned())?;
    let tree = repo.find_tree(tree_id).op(|| "find the tree".to_owned())?;
    let author = signature(&repo)?;
    repo.commit(Some("HEAD"), &author, &author, message, &tree, &[])
        .op(|| format!("commit in {}", path.display()))?;
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
        let repo = Repository::open(&path).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        assert_eq!(head.message().unwrap(), "init");
        assert!(head.tree().unwrap().get_path(Path::new("src/app.js")).is_ok());
        let again = init_repository(&path, &[], "ignored").unwrap();
        assert_eq!(again.head_commit, info.head_commit);
    }
}
