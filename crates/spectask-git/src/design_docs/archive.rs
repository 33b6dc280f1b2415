//! `specs/<task>/` at the design-docs tip as a `.tar.gz`, for downloading a task's documents.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::design_docs::layout::spec_dir;
use crate::design_docs::read::files_under;
use crate::error::GitError;
use crate::names::TaskHandle;
use crate::repository::registration::Repo;

impl Repo {
    /// A gzip-compressed tar of every file under `specs/<task>/` at the design-docs tip, with paths
    /// `specs/<task>/…`, mode 0644 and the tip's commit time; `None` when the task has no specs.
    pub fn spec_archive(&self, task: &TaskHandle) -> Result<Option<Vec<u8>>, GitError> {
        let git = self.main_git();
        let tip = self.design_docs_tip()?;
        let dir = spec_dir(task);
        let files = files_under(&git, tip, &dir)?;
        if files.is_empty() {
            return Ok(None);
        }
        let specs: Vec<String> = files.iter().map(|path| format!("{tip}:{path}")).collect();
        let contents = self.read_blobs(&specs)?;
        let time =
            git.reading().text(&["show", "-s", "--no-show-signature", "--format=%ct", &tip.to_string()])?;
        let mtime = time.parse::<u64>().unwrap_or_default();
        let archive_err = |source| GitError::Io { op: "archive", path: self.design_docs_worktree(), source };
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        for (path, content) in files.iter().zip(contents) {
            let content = content.unwrap_or_default();
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            if let Err(e) = builder.append_data(&mut header, path, content.as_slice()) {
                return Err(archive_err(e));
            }
        }
        let finished = builder.into_inner().and_then(|mut gz| {
            gz.flush()?;
            gz.finish()
        });
        finished.map(Some).map_err(archive_err)
    }
}
