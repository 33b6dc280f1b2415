//! What a planner may see of a repository: the file tree, the key files and chosen folders at the
//! default branch.

use crate::design_docs::read::ls_tree;
use crate::{GitError, Repo};

/// Files worth showing a planner in full when they exist at the top of the repository.
const KEY_FILES: &[&str] = &[
    "README.md",
    "README",
    "README.rst",
    "README.txt",
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "requirements.txt",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "composer.json",
    "Makefile",
    "CMakeLists.txt",
    "tsconfig.json",
    "deno.json",
];

/// The repository as of the tip of its default branch, bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoSnapshot {
    /// Paths of the files, at most `max_files` of them.
    pub file_tree: Vec<String>,
    /// Whether there were more files than `file_tree` holds.
    pub truncated: bool,
    /// The key files (README, manifests) that are UTF-8 text, each cut to `max_file_bytes`.
    pub files: Vec<(String, String)>,
}

impl Repo {
    /// A bounded snapshot of the default branch for planning prompts.
    pub fn snapshot(&self, max_files: usize, max_file_bytes: usize) -> Result<RepoSnapshot, GitError> {
        let git = self.main_git();
        let tip = self.default_tip()?;
        let mut snapshot = RepoSnapshot::default();
        for (kind, path) in ls_tree(&git, tip, "", true)? {
            if kind != "blob" {
                continue;
            }
            if snapshot.file_tree.len() >= max_files {
                snapshot.truncated = true;
                break;
            }
            snapshot.file_tree.push(path);
        }
        let specs: Vec<String> = KEY_FILES.iter().map(|name| format!("{tip}:{name}")).collect();
        for (name, blob) in KEY_FILES.iter().zip(self.read_blobs(&specs)?) {
            let Some(Ok(text)) = blob.map(String::from_utf8) else { continue };
            let mut end = text.len().min(max_file_bytes);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            snapshot.files.push(((*name).to_owned(), text[..end].to_owned()));
        }
        Ok(snapshot)
    }

    /// The files at the tip of the default branch that are directly in one of `dirs` or named in
    /// `files`, as `(path, contents)`, in that order; paths that do not exist are skipped. What was
    /// last read is kept by tip in the handle and its clones (a commit's files never change): the
    /// sessions that start between two commits of the default branch read it with one `git rev-parse`.
    pub fn default_branch_files(
        &self,
        dirs: &[&str],
        files: &[&str],
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let git = self.main_git();
        let tip = self.default_tip()?;
        let key = (tip, dirs.join("\0"), files.join("\0"));
        if let Some(read) = self.last_read().get(&key) {
            return Ok(read);
        }
        let mut paths = Vec::new();
        for dir in dirs {
            let entries = ls_tree(&git, tip, dir, false)?;
            paths.extend(entries.into_iter().filter(|(kind, _)| kind == "blob").map(|(_, path)| path));
        }
        paths.extend(files.iter().map(|file| (*file).to_owned()));
        let specs: Vec<String> = paths.iter().map(|path| format!("{tip}:{path}")).collect();
        let read: Vec<(String, Vec<u8>)> = paths
            .into_iter()
            .zip(self.read_blobs(&specs)?)
            .filter_map(|(path, blob)| Some((path, blob?)))
            .collect();
        self.last_read().set(key, read.clone());
        Ok(read)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{RegisterOptions, init_repository};

    #[test]
    fn snapshot_lists_files_and_reads_key_files_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<(String, String)> =
            (0..5).map(|i| (format!("src/m{i}.rs"), "fn main() {}\n".to_owned())).collect();
        let mut all: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        all.push(("README.md", "# demo\nlong text here\n"));
        all.push(("package.json", "{\"name\": \"demo\"}\n"));
        init_repository(&dir.path().join("r"), &all, "init").unwrap();
        let repo = Repo::register(&dir.path().join("r"), &RegisterOptions::default()).unwrap().repo;
        let snap = repo.snapshot(100, 6).unwrap();
        assert_eq!(snap.file_tree.len(), 7);
        assert!(snap.file_tree.contains(&"src/m3.rs".to_owned()));
        assert!(!snap.truncated);
        assert_eq!(
            snap.files,
            vec![("README.md".into(), "# demo".into()), ("package.json".into(), "{\"name".into())]
        );
        let small = repo.snapshot(3, 100).unwrap();
        assert_eq!((small.file_tree.len(), small.truncated), (3, true));
    }

    #[test]
    fn default_branch_files_reads_folders_and_named_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (".kiro/steering/product.md", "product"),
            (".kiro/steering/deep/x.md", "nested"),
            ("memory/constitution.md", "principles"),
            ("README.md", "readme"),
        ];
        init_repository(&dir.path().join("r"), &files, "init").unwrap();
        let repo = Repo::register(&dir.path().join("r"), &RegisterOptions::default()).unwrap().repo;
        let read = repo
            .default_branch_files(
                &[".kiro/steering", ".spectask/steering"],
                &["memory/constitution.md", "nope.md"],
            )
            .unwrap();
        let read: Vec<(&str, &[u8])> = read.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
        assert_eq!(
            read,
            vec![
                (".kiro/steering/product.md", &b"product"[..]),
                ("memory/constitution.md", &b"principles"[..])
            ]
        );
        // A new tip of the default branch is read anew.
        let r = dir.path().join("r");
        std::fs::write(r.join(".kiro/steering/product.md"), "product, revised").unwrap();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git").current_dir(&r).args(args).status().unwrap();
            assert!(ok.success());
        };
        git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "revise"]);
        let dirs = [".kiro/steering", ".spectask/steering"];
        let read = repo.default_branch_files(&dirs, &["memory/constitution.md", "nope.md"]).unwrap();
        assert_eq!(read[0], (".kiro/steering/product.md".to_owned(), b"product, revised".to_vec()));
    }
}
