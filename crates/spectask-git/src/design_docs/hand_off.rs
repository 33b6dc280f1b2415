//! The spec hand-off: one design-docs commit writing every document of an approved spec version.

use crate::design_docs::layout::{SpecFile, review_path, spec_path};
use crate::design_docs::write::DesignDocsCommit;
use crate::error::GitError;
use crate::names::{CommitId, TaskHandle, Trailer};
use crate::plumbing::commit::FileWrite;
use crate::repository::registration::Repo;

/// The documents of one spec version, as written to `specs/<task>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecHandOff {
    pub task: TaskHandle,
    /// The SpecTask id, written as the `Spec-Task:` trailer.
    pub spec_task: String,
    /// The spec version being handed off, named in the commit message and the `Spec-Version:` trailer.
    pub version: u32,
    /// Where the first document goes: [`SpecFile::Requirements`], or [`SpecFile::Bugfix`].
    pub requirements_file: SpecFile,
    pub requirements: String,
    pub design: String,
    pub tasks: String,
    /// The plan's checklist with its Status block.
    pub progress: String,
    /// The contents of `spec-metadata.json`.
    pub metadata_json: String,
    /// Every review so far, each written to `reviews/<number>-<decision>.md`.
    pub reviews: Vec<ReviewDocument>,
}

/// One review of a spec version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDocument {
    pub number: u32,
    /// `approve`, `request_changes` … : lower-case letters, digits, `-` and `_`.
    pub decision: String,
    pub body: String,
}

impl Repo {
    /// Writes `specs/<task>/{requirements,design,tasks,progress}.md`, `spec-metadata.json` and
    /// `reviews/<n>-<decision>.md` in one design-docs commit named `spec(<task>): version <n>` with
    /// the trailers `Spec-Task:` and `Spec-Version:`; returns the new tip.
    pub fn hand_off_spec(&self, spec: &SpecHandOff) -> Result<CommitId, GitError> {
        let task = &spec.task;
        let mut writes = vec![
            FileWrite::put(spec_path(task, spec.requirements_file), spec.requirements.as_bytes()),
            FileWrite::put(spec_path(task, SpecFile::Design), spec.design.as_bytes()),
            FileWrite::put(spec_path(task, SpecFile::Tasks), spec.tasks.as_bytes()),
            FileWrite::put(spec_path(task, SpecFile::Progress), spec.progress.as_bytes()),
            FileWrite::put(spec_path(task, SpecFile::Metadata), spec.metadata_json.as_bytes()),
        ];
        for review in &spec.reviews {
            let path = review_path(task, review.number, &review.decision);
            let valid = !review.decision.is_empty()
                && review
                    .decision
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !valid {
                return Err(GitError::InvalidFilePath {
                    path,
                    reason: "the review decision must be lower-case letters, digits, '-' and '_'",
                });
            }
            writes.push(FileWrite::put(path, review.body.as_bytes()));
        }
        let commit = DesignDocsCommit {
            message: format!("spec({}): version {}", spec.task, spec.version),
            trailers: vec![
                Trailer::new("Spec-Task", &spec.spec_task)?,
                Trailer::new("Spec-Version", spec.version.to_string())?,
            ],
            writes,
        };
        self.commit_design_docs(&commit)
    }
}
