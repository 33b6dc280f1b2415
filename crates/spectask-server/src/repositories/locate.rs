//! Which repository a path on the server's disk belongs to, found from the filesystem alone:
//! no git runs before the caller is admitted (git itself would read the repository's
//! configuration, and registering would write to it).

use std::path::{Path, PathBuf};

/// The root of the main working tree holding `path`: the directory holding the `.git`
/// directory, found from `path` or any of its parents. A linked worktree (whose `.git` is a file
/// naming `<main>/.git/worktrees/<name>`) and a path inside `.git` itself lead to the main
/// working tree. `None` when `path` cannot be read or no repository holds it.
pub(crate) fn main_root(path: &Path) -> Option<PathBuf> {
    let path = path.canonicalize().ok()?;
    for dir in path.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot_git) else { continue };
        if meta.is_dir() {
            return Some(dir.to_path_buf());
        }
        if meta.is_file() {
            return Some(linked_main_root(dir, &dot_git).unwrap_or_else(|| dir.to_path_buf()));
        }
    }
    None
}

/// The main working tree of the linked worktree at `dir` whose `.git` file is `dot_git`; `None`
/// when the file names no `<common dir>/worktrees/<name>` of a non-bare repository.
fn linked_main_root(dir: &Path, dot_git: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dot_git).ok()?;
    let gitdir = text.lines().find_map(|line| line.strip_prefix("gitdir:"))?.trim();
    let gitdir = dir.join(gitdir).canonicalize().ok()?;
    let worktrees = gitdir.parent()?;
    if worktrees.file_name()? != "worktrees" {
        return None;
    }
    let common = worktrees.parent()?;
    if common.file_name()? != ".git" {
        return None;
    }
    common.parent().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn a_linked_worktree_a_subdirectory_and_git_internals_lead_to_the_main_working_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        git(&root, &["init", "-q"]);
        git(&root, &["commit", "-q", "--allow-empty", "-m", "first"]);
        git(&root, &["worktree", "add", "-q", "-b", "side", dir.path().join("elsewhere").to_str().unwrap()]);
        let canonical = root.canonicalize().unwrap();
        for path in [
            root.clone(),
            root.join("src/deep"),
            root.join(".git/refs/heads"),
            dir.path().join("elsewhere"),
            root.join("src/deep/../.."),
        ] {
            assert_eq!(main_root(&path), Some(canonical.clone()), "{}", path.display());
        }
        std::os::unix::fs::symlink(&root, dir.path().join("link")).unwrap();
        assert_eq!(main_root(&dir.path().join("link/src")), Some(canonical));
        assert_eq!(main_root(dir.path()), None);
        assert_eq!(main_root(&dir.path().join("missing")), None);
    }
}
