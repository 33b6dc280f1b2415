//! `specs/<task>/` at the design-docs tip as a `.tar.gz`, for downloading a task's documents.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use git2::{ObjectType, TreeWalkMode, TreeWalkResult};

use crate::error::{GitError, GitResultExt};
use crate::layout::spec_dir;
use crate::names::TaskHandle;
use crate::read::subtree;
use crate::registration::Repo;

impl Repo {
    /// A gzip-compressed tar of every file under `specs/<task>/` at the design-docs tip, with paths
    /// `specs/<task>/…`, mode 0644 and the tip's commit time; `None` when the task has no specs.
    pub fn spec_archive(&self, task: &TaskHandle) -> Result<Option<Vec<u8>>, GitError> {
        let git = self.git()?;
        let tip = self.design_docs_tip(&git)?;
        let commit = git.find_commit(tip).op(|| format!("read commit {tip}"))?;
        let root = commit.tree().op(|| format!("read the tree of {tip}"))?;
        let dir = spec_dir(task);
        let Some(tree) = subtree(&git, &root, &dir)? else {
            return Ok(None);
        };

        let mut files = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                files.push((
                    format!("{dir}/{parent}{}", String::from_utf8_lossy(entry.name_bytes())),
                    entry.id(),
                ));
            }
            TreeWalkResult::Ok
        })
        .op(|| format!("walk {dir}"))?;

        let mtime = u64::try_from(commit.time().seconds()).unwrap_or_default();
        let archive_err = |source| GitError::Archive { task: task.to_string(), source };
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        for (path, id) in files {
            let blob = git.find_blob(id).op(|| format!("read {path}"))?;
            let mut header = tar::Header::new_gnu();
            header.set_size(blob.content().len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, &path, blob.content()).map_err(archive_err)?;
        }
        let mut gz = builder.into_inner().map_err(archive_err)?;
        gz.flush().map_err(archive_err)?;
        gz.finish().map(Some).map_err(archive_err)
    }
}
