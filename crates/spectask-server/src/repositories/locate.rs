//! Which repository a path on the server's disk belongs to, found from the filesystem alone:
//! no git runs before the caller is admitted (git itself would read the repository's
//! configuration, and registering would write to it).

use std::path::{Path, PathBuf};

/// The root of the main working tree holding `path`: the directory holding the `.git` found
/// from `path` or any of its parents, or, when that `.git` leads elsewhere, the main working tree
/// of the git directory it leads to. A linked worktree (whose `.git` is a file naming
/// `<main>/.git/worktrees/<name>`), a path inside `.git` itself, and a `.git` symlink or file
/// naming another working tree's `.git` all lead to that main working tree. A `.git` leading to
/// a git directory of no working tree (a bare or separate one) leaves the directory holding it.
/// `None` when `path` cannot be read or no repository holds it.
pub(crate) fn main_root(path: &Path) -> Option<PathBuf> {
    let path = path.canonicalize().ok()?;
    for dir in path.ancestors() {
        let dot_git = dir.join(".git");
        if std::fs::symlink_metadata(&dot_git).is_err() {
            continue;
        }
        return Some(
            git_dir(dir).and_then(|git_dir| working_tree_of(&git_dir)).unwrap_or_else(|| dir.to_path_buf()),
        );
    }
    None
}

/// Whether the repository at `root` keeps its own git directory: its `.git` is a directory, not a
/// symlink or a file naming one elsewhere, and names no other common directory (`commondir`).
/// Only such a repository is surely no other registration's.
pub(crate) fn owns_git_dir(root: &Path) -> bool {
    let dot_git = root.join(".git");
    std::fs::symlink_metadata(&dot_git).is_ok_and(|meta| meta.is_dir())
        && std::fs::symlink_metadata(dot_git.join("commondir")).is_err()
}

/// The git directory the `.git` in `dir` leads to, canonical: itself when a directory, where it
/// points when a symlink, what it names when a file (`gitdir: <path>`).
fn git_dir(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    let meta = std::fs::symlink_metadata(&dot_git).ok()?;
    if meta.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let named = text.lines().find_map(|line| line.strip_prefix("gitdir:"))?.trim();
        return dir.join(named).canonicalize().ok();
    }
    dot_git.canonicalize().ok()
}

/// The main working tree of `git_dir`: the directory holding it when it is a `.git` directory,
/// that of its common directory when it is a linked worktree's (`<main>/.git/worktrees/<name>`).
/// `None` for a git directory of no working tree.
fn working_tree_of(git_dir: &Path) -> Option<PathBuf> {
    let named = |path: &Path, name: &str| path.file_name().is_some_and(|n| n == name);
    let linked = git_dir.parent().filter(|w| named(w, "worktrees")).and_then(Path::parent);
    let common = linked.filter(|c| named(c, ".git")).unwrap_or(git_dir);
    if !named(common, ".git") {
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
        assert_eq!(main_root(&dir.path().join("link/src")), Some(canonical.clone()));
        assert_eq!(main_root(dir.path()), None);
        assert_eq!(main_root(&dir.path().join("missing")), None);
        assert!(owns_git_dir(&canonical));
    }

    #[test]
    fn a_dot_git_leading_to_another_working_trees_leads_there_and_owns_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("worktrees");
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "-q"]);
        let canonical = root.canonicalize().unwrap();
        assert_eq!(main_root(&root), Some(canonical.clone()), "a repository named like git's folder");
        let (file, link, bare) = (dir.path().join("file"), dir.path().join("link"), dir.path().join("bare"));
        for at in [&file, &link, &bare] {
            std::fs::create_dir_all(at).unwrap();
        }
        std::fs::write(file.join(".git"), format!("gitdir: {}\n", root.join(".git").display())).unwrap();
        std::os::unix::fs::symlink(root.join(".git"), link.join(".git")).unwrap();
        for at in [&file, &link] {
            assert_eq!(main_root(at), Some(canonical.clone()), "{}", at.display());
        }
        // A git directory of no working tree (a separate one) leaves the directory holding `.git`.
        git(dir.path(), &["init", "-q", "--bare", "store.git"]);
        let store = dir.path().join("store.git");
        std::fs::write(bare.join(".git"), format!("gitdir: {}\n", store.display())).unwrap();
        assert_eq!(main_root(&bare), Some(bare.canonicalize().unwrap()));
        assert!(!owns_git_dir(&bare) && !owns_git_dir(&file) && !owns_git_dir(&link));
        std::fs::write(root.join(".git/commondir"), "../elsewhere\n").unwrap();
        assert!(!owns_git_dir(&canonical), "a git directory naming another common one");
    }
}
