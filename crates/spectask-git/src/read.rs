//! Reading the design-docs branch at its tip: one file, one directory, and the index of everything
//! `spectask recover` needs to rebuild the database.

use std::path::Path;

use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use crate::commit::blob_at;
use crate::error::{GitError, GitResultExt};
use crate::names::{CommitId, validate_file_path};
use crate::registration::Repo;

/// Whether a directory entry is a file or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
}

/// One entry of a directory on the design-docs branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocEntry {
    /// The last path segment.
    pub name: String,
    /// The full path from the branch root.
    pub path: String,
    pub kind: EntryKind,
}

/// What the design-docs branch holds about SpecTasks, for `spectask recover`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryIndex {
    /// The tip the paths were read at; read the files with [`Repo::read_file_at`] at this commit.
    pub tip: CommitId,
    /// `specs/<task>/spec-metadata.json` for every task that has one.
    pub spec_metadata: Vec<String>,
    /// Every file under `specs/`, sorted.
    pub spec_files: Vec<String>,
    /// Every file under `sessions/`, sorted.
    pub session_files: Vec<String>,
}

impl Repo {
    /// The file at `path` at the design-docs tip, `None` when there is none.
    pub fn read_design_doc(&self, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        validate_file_path(path)?;
        let git = self.git()?;
        let tree = self.design_docs_tree(&git)?;
        blob_at(&git, &tree, path)
    }

    /// The entries of directory `dir` (`""` for the root) at the design-docs tip, sorted by name;
    /// empty when there is no such directory.
    pub fn list_design_docs(&self, dir: &str) -> Result<Vec<DocEntry>, GitError> {
        let git = self.git()?;
        let root = self.design_docs_tree(&git)?;
        let Some(tree) = subtree(&git, &root, dir)? else {
            return Ok(Vec::new());
        };
        let prefix = if dir.is_empty() { String::new() } else { format!("{}/", dir.trim_end_matches('/')) };
        let mut entries: Vec<DocEntry> = tree
            .iter()
            .filter_map(|entry| {
                let kind = match entry.kind() {
                    Some(ObjectType::Blob) => EntryKind::File,
                    Some(ObjectType::Tree) => EntryKind::Directory,
                    _ => return None,
                };
                let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                Some(DocEntry { path: format!("{prefix}{name}"), name, kind })
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Every file under `dir` (recursively) at the design-docs tip, sorted.
    pub fn list_design_doc_files(&self, dir: &str) -> Result<Vec<String>, GitError> {
        let git = self.git()?;
        let root = self.design_docs_tree(&git)?;
        files_under(&git, &root, dir)
    }

    /// The paths `spectask recover` reads, all at one tip.
    pub fn recovery_index(&self) -> Result<RecoveryIndex, GitError> {
        let git = self.git()?;
        let tip = self.design_docs_tip(&git)?;
        let root = git.find_commit(tip).and_then(|c| c.tree()).op(|| format!("read the tree of {tip}"))?;
        let spec_files = files_under(&git, &root, "specs")?;
        let spec_metadata = spec_files
            .iter()
            .filter(|p| p.split('/').count() == 3 && p.ends_with("/spec-metadata.json"))
            .cloned()
            .collect();
        let session_files = files_under(&git, &root, "sessions")?;
        Ok(RecoveryIndex { tip: CommitId(tip), spec_metadata, spec_files, session_files })
    }

    pub(crate) fn design_docs_tree<'r>(&self, git: &'r Repository) -> Result<git2::Tree<'r>, GitError> {
        let tip = self.design_docs_tip(git)?;
        git.find_commit(tip).and_then(|c| c.tree()).op(|| format!("read the tree of {tip}"))
    }
}

/// The tree at `dir` (`""` for `root` itself), `None` when absent or not a directory.
pub(crate) fn subtree<'r>(
    git: &'r Repository,
    root: &git2::Tree<'r>,
    dir: &str,
) -> Result<Option<git2::Tree<'r>>, GitError> {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return Ok(Some(root.clone()));
    }
    validate_file_path(dir)?;
    let entry = match root.get_path(Path::new(dir)) {
        Ok(entry) => entry,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(source) => {
            return Err(GitError::Git { op: format!("look up {dir}"), source });
        }
    };
    if entry.kind() != Some(ObjectType::Tree) {
        return Ok(None);
    }
    git.find_tree(entry.id()).map(Some).op(|| format!("read directory {dir}"))
}

/// Every file under `dir` of `root`, as full paths, sorted.
fn files_under(git: &Repository, root: &git2::Tree<'_>, dir: &str) -> Result<Vec<String>, GitError> {
    let Some(tree) = subtree(git, root, dir)? else {
        return Ok(Vec::new());
    };
    let prefix = if dir.is_empty() { String::new() } else { format!("{}/", dir.trim_end_matches('/')) };
    let mut files = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            files.push(format!("{prefix}{parent}{}", String::from_utf8_lossy(entry.name_bytes())));
        }
        TreeWalkResult::Ok
    })
    .op(|| format!("walk {dir}"))?;
    files.sort();
    Ok(files)
}
