//! A review task's report as the design-docs branch holds it: its text and its findings. Written by
//! spectask; edited on the branch since, it is read as far as it makes sense.

use std::path::Path;

use spectask_core::{REVIEW_WORKFLOW, SpecTask};
use spectask_git::{GitError, TaskHandle, review_report_path};
use spectask_spec::{Finding, parse_findings};
use spectask_store::{Store, StoreError};

use crate::repos::{Opening, local_repo};

/// A review task's report.
#[derive(Clone, Debug)]
pub struct ReviewReport {
    /// Where the design-docs branch holds it.
    pub path: String,
    pub markdown: String,
    pub findings: Vec<Finding>,
}

/// Why a review task's report cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("task {handle} is not a review task")]
    NotReview { handle: String },
    #[error("the review of task {handle} is not written yet")]
    NotWritten { handle: String },
    /// Edited on the branch into what does not read as findings.
    #[error("the report was edited and cannot be read: {said}")]
    Unreadable { said: String },
    /// The task's handle does not name a file of the branch.
    #[error("{0}")]
    InvalidTask(GitError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the report panicked or was cancelled: {0}")]
    Blocking(#[from] tokio::task::JoinError),
}

/// The report of the review task `task`, read from this node's copy of its repository (a
/// repository registered by URL on another node is read from this node's clone in `clones_dir`).
pub async fn review_report(
    store: &Store,
    clones_dir: Option<&Path>,
    task: &SpecTask,
) -> Result<ReviewReport, ReportError> {
    if task.workflow != REVIEW_WORKFLOW {
        return Err(ReportError::NotReview { handle: task.handle() });
    }
    let repository = store.repository(task.repository_id).await?;
    let name = TaskHandle::new(task.handle()).map_err(ReportError::InvalidTask)?;
    let path = review_report_path(&name);
    let (at, clones_dir) = (path.clone(), clones_dir.map(Path::to_path_buf));
    let read = tokio::task::spawn_blocking(move || {
        local_repo(&repository, clones_dir.as_deref(), Opening::Open)?.read_design_doc(&at)
    })
    .await??;
    let markdown = read
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .ok_or_else(|| ReportError::NotWritten { handle: task.handle() })?;
    let findings = parse_findings(&markdown, |_| Some(u32::MAX)).map_err(|errors| {
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        ReportError::Unreadable { said: said.join("; ") }
    })?;
    Ok(ReviewReport { path, markdown, findings })
}
