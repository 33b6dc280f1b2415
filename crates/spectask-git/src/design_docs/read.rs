//! Reading the design-docs branch at its tip: one file, one directory, and the index of everything
//! `spectask recover` needs to rebuild the database.

use crate::error::GitError;
use crate::names::{CommitId, validate_file_path};
use crate::plumbing::cmd::{Git, nul_fields, text};
use crate::repository::registration::Repo;

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
        let spec = format!("refs/heads/{}:{path}", self.design_docs_branch());
        let mut files = self.read_blobs(&[spec])?;
        Ok(files.pop().flatten())
    }

    /// The entries of directory `dir` (`""` for the root) at the design-docs tip, sorted by name;
    /// empty when there is no such directory.
    pub fn list_design_docs(&self, dir: &str) -> Result<Vec<DocEntry>, GitError> {
        let tip = self.design_docs_tip()?;
        let mut entries: Vec<DocEntry> = ls_tree(&self.main_git(), tip, dir, false)?
            .into_iter()
            .filter_map(|(kind, path)| {
                let kind = match kind.as_str() {
                    "blob" => EntryKind::File,
                    "tree" => EntryKind::Directory,
                    _ => return None,
                };
                let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
                Some(DocEntry { name, path, kind })
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Every file under `dir` (recursively) at the design-docs tip, sorted.
    pub fn list_design_doc_files(&self, dir: &str) -> Result<Vec<String>, GitError> {
        files_under(&self.main_git(), self.design_docs_tip()?, dir)
    }

    /// The paths `spectask recover` reads, all at one tip.
    pub fn recovery_index(&self) -> Result<RecoveryIndex, GitError> {
        let git = self.main_git();
        let tip = self.design_docs_tip()?;
        let spec_files = files_under(&git, tip, "specs")?;
        let spec_metadata = spec_files
            .iter()
            .filter(|p| p.split('/').count() == 3 && p.ends_with("/spec-metadata.json"))
            .cloned()
            .collect();
        let session_files = files_under(&git, tip, "sessions")?;
        Ok(RecoveryIndex { tip, spec_metadata, spec_files, session_files })
    }
}

/// The entries under `dir` (`""` for the root) of `commit`'s tree: `(type, full path)`, only the
/// files when `recursive` (every level), else the directory's own entries.
pub(crate) fn ls_tree(
    git: &Git,
    commit: CommitId,
    dir: &str,
    recursive: bool,
) -> Result<Vec<(String, String)>, GitError> {
    let dir = dir.trim_end_matches('/');
    if !dir.is_empty() {
        validate_file_path(dir)?;
    }
    let commit = commit.to_string();
    let mut args = vec!["ls-tree", "-z", "--full-tree"];
    if recursive {
        args.push("-r");
    }
    args.push(&commit);
    let pattern = format!("{dir}/");
    if !dir.is_empty() {
        args.extend(["--", pattern.as_str()]);
    }
    let out = git.reading().run(&args)?;
    Ok(nul_fields(&out)
        .filter_map(|entry| {
            // `<mode> SP <type> SP <object> TAB <path>`
            let entry = text(entry);
            let (meta, path) = entry.split_once('\t')?;
            let kind = meta.split(' ').nth(1)?.to_owned();
            Some((kind, path.to_owned()))
        })
        .collect())
}

/// Every file under `dir` of `commit`, as full paths, sorted.
pub(crate) fn files_under(git: &Git, commit: CommitId, dir: &str) -> Result<Vec<String>, GitError> {
    let mut files: Vec<String> = ls_tree(git, commit, dir, true)?
        .into_iter()
        .filter(|(kind, _)| kind == "blob")
        .map(|(_, path)| path)
        .collect();
    files.sort();
    Ok(files)
}
