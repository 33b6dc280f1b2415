//! `fs/read_text_file` and `fs/write_text_file`, confined to a root directory.

use std::path::{Component, Path, PathBuf};

use super::ConfinementError;

/// Checks an agent-supplied path against `root` (canonical) and returns the resolved path.
///
/// Denied: relative paths, any `..`, anything that resolves (following symlinks of the existing part)
/// outside `root`, and anything under a `.git` entry (directory or gitfile) of the worktree.
pub fn confine(root: &Path, path: &Path) -> Result<PathBuf, ConfinementError> {
    if !path.is_absolute() {
        return Err(ConfinementError::NotAbsolute(path.to_path_buf()));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(ConfinementError::ParentComponent(path.to_path_buf()));
    }
    let in_git = |relative: &Path| relative.components().any(|c| c.as_os_str() == ".git");
    // Checked before resolving too: below a gitfile, resolution fails with "not a directory".
    if path.strip_prefix(root).is_ok_and(in_git) {
        return Err(ConfinementError::GitDir(path.to_path_buf()));
    }
    let resolved = resolve_existing_prefix(path)?;
    let relative = resolved.strip_prefix(root).map_err(|_| ConfinementError::OutsideRoot {
        path: path.to_path_buf(),
        resolved: resolved.clone(),
        root: root.to_path_buf(),
    })?;
    if in_git(relative) {
        return Err(ConfinementError::GitDir(path.to_path_buf()));
    }
    Ok(resolved)
}

/// Canonicalizes the longest existing prefix of `path` and appends the rest unchanged.
fn resolve_existing_prefix(path: &Path) -> Result<PathBuf, ConfinementError> {
    let mut missing = Vec::new();
    let mut existing = path;
    loop {
        match existing.canonicalize() {
            Ok(canonical) => {
                return Ok(missing.iter().rev().fold(canonical, |acc: PathBuf, part| acc.join(part)));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(ConfinementError::io(path, &error));
                };
                missing.push(name.to_owned());
                existing = parent;
            }
            Err(error) => return Err(ConfinementError::io(path, &error)),
        }
    }
}

/// Reads a confined regular file of at most `max_bytes`; `line` (1-based) and `limit` select lines.
pub async fn read_text_file(
    root: &Path,
    path: &Path,
    line: Option<u32>,
    limit: Option<u32>,
    max_bytes: usize,
) -> Result<(PathBuf, String), ConfinementError> {
    let resolved = confine(root, path)?;
    let meta = tokio::fs::metadata(&resolved).await.map_err(|e| ConfinementError::io(path, &e))?;
    if !meta.is_file() {
        return Err(ConfinementError::NotAFile(path.to_path_buf()));
    }
    if meta.len() > max_bytes as u64 {
        return Err(ConfinementError::TooLarge {
            path: path.to_path_buf(),
            bytes: meta.len(),
            limit: max_bytes,
        });
    }
    let text = tokio::fs::read_to_string(&resolved).await.map_err(|e| ConfinementError::io(path, &e))?;
    let selected = match (line, limit) {
        (None, None) => text,
        (line, limit) => {
            let skip = line.map_or(0, |l| l.saturating_sub(1) as usize);
            let take = limit.map_or(usize::MAX, |l| l as usize);
            text.split_inclusive('\n').skip(skip).take(take).collect()
        }
    };
    Ok((resolved, selected))
}

/// Writes (creating it and its parent directories) a confined regular file of at most `max_bytes`.
pub async fn write_text_file(
    root: &Path,
    path: &Path,
    content: &str,
    max_bytes: usize,
) -> Result<PathBuf, ConfinementError> {
    let resolved = confine(root, path)?;
    if content.len() > max_bytes {
        let bytes = content.len() as u64;
        return Err(ConfinementError::TooLarge { path: path.to_path_buf(), bytes, limit: max_bytes });
    }
    match tokio::fs::symlink_metadata(&resolved).await {
        Ok(meta) if !meta.is_file() => return Err(ConfinementError::NotAFile(path.to_path_buf())),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = resolved.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(|e| ConfinementError::io(path, &e))?;
            }
        }
        Err(error) => return Err(ConfinementError::io(path, &error)),
    }
    tokio::fs::write(&resolved, content).await.map_err(|e| ConfinementError::io(path, &e))?;
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("wt");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join(".git"), "gitdir: /elsewhere\n").unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("src"), root.join("in")).unwrap();
        let root = root.canonicalize().unwrap();
        (dir, root)
    }

    #[test]
    fn confines_paths_to_the_root() {
        let (dir, root) = setup();
        assert!(confine(&root, &root.join("src/new/file.rs")).is_ok());
        assert_eq!(confine(&root, &root.join("in/x")).unwrap(), root.join("src/x"));
        let denied = |p: PathBuf| confine(&root, &p).unwrap_err();
        assert!(matches!(denied(PathBuf::from("src/a")), ConfinementError::NotAbsolute(_)));
        assert!(matches!(denied(root.join("src/../../secret")), ConfinementError::ParentComponent(_)));
        assert!(matches!(denied(dir.path().join("secret")), ConfinementError::OutsideRoot { .. }));
        assert!(matches!(denied(root.join("out")), ConfinementError::OutsideRoot { .. }));
        assert!(matches!(denied(root.join(".git")), ConfinementError::GitDir(_)));
        assert!(matches!(denied(root.join(".git/config")), ConfinementError::GitDir(_)));
        assert!(matches!(denied(PathBuf::from("/etc/passwd")), ConfinementError::OutsideRoot { .. }));
    }

    #[tokio::test]
    async fn reads_line_ranges_and_writes_with_parents() {
        let (_dir, root) = setup();
        write_text_file(&root, &root.join("a/b.txt"), "1\n2\n3\n", 100).await.unwrap();
        let (_, text) = read_text_file(&root, &root.join("a/b.txt"), Some(2), Some(1), 100).await.unwrap();
        assert_eq!(text, "2\n");
        let err = read_text_file(&root, &root.join("a/b.txt"), None, None, 2).await.unwrap_err();
        assert!(matches!(err, ConfinementError::TooLarge { .. }));
        assert!(matches!(
            read_text_file(&root, &root.join("src"), None, None, 9).await,
            Err(ConfinementError::NotAFile(_))
        ));
    }
}
