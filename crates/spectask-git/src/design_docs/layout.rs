//! Where things live on the design-docs branch, so every crate
//! builds the same paths.
//!
//! ```text
//! specs/<task>/requirements.md (or bugfix.md)  design.md  tasks.md  progress.md  spec-metadata.json  reviews/<n>-<decision>.md
//! specs/<task>/review.md                       (a review task's report, its only document)
//! sessions/<task>/coordination-log.md  progress-updates/<name>  IMPLEMENTATION_COMPLETE.md
//! sessions/<task>/<work-session>/conversation.md  code-changes.md  decisions.md  activity-log.md
//! ```
//!
//! What is under `sessions/` is only ever added to: history appended, a summary written once.
//! Where two clones both added to one of its files, the replay of one's commits on the other's
//! keeps both (`remote::sync`); keep it so.

use crate::names::TaskHandle;

/// The spec documents of one task, in `specs/<task>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFile {
    Requirements,
    /// A bugfix spec's first document, in the place of requirements.md.
    Bugfix,
    Design,
    Tasks,
    Progress,
    Metadata,
}

impl SpecFile {
    pub fn file_name(self) -> &'static str {
        match self {
            SpecFile::Requirements => "requirements.md",
            SpecFile::Bugfix => "bugfix.md",
            SpecFile::Design => "design.md",
            SpecFile::Tasks => "tasks.md",
            SpecFile::Progress => "progress.md",
            SpecFile::Metadata => "spec-metadata.json",
        }
    }
}

/// `specs/<task>`.
pub fn spec_dir(task: &TaskHandle) -> String {
    format!("specs/{task}")
}

/// `specs/<task>/<file>`.
pub fn spec_path(task: &TaskHandle, file: SpecFile) -> String {
    format!("specs/{task}/{}", file.file_name())
}

/// `specs/<task>/reviews/<number>-<decision>.md`.
pub fn review_path(task: &TaskHandle, number: u32, decision: &str) -> String {
    format!("specs/{task}/reviews/{number}-{decision}.md")
}

/// `specs/<task>/review.md`: a review task's report.
pub fn review_report_path(task: &TaskHandle) -> String {
    format!("specs/{task}/review.md")
}

/// `sessions/<task>`: the task's session history, coordination log and progress updates.
pub fn sessions_dir(task: &TaskHandle) -> String {
    format!("sessions/{task}")
}

/// `sessions/<task>/<work_session>/<file>`: a work session's history file (the names are
/// `spectask_core::HistoryFile`'s).
pub fn session_path(task: &TaskHandle, work_session: &str, file: &str) -> String {
    format!("sessions/{task}/{work_session}/{file}")
}

/// `sessions/<task>/coordination-log.md`.
pub fn coordination_log_path(task: &TaskHandle) -> String {
    format!("sessions/{task}/coordination-log.md")
}

/// `sessions/<task>/progress-updates/<name>`.
pub fn progress_update_path(task: &TaskHandle, name: &str) -> String {
    format!("sessions/{task}/progress-updates/{name}")
}

/// `sessions/<task>/IMPLEMENTATION_COMPLETE.md`.
pub fn implementation_complete_path(task: &TaskHandle) -> String {
    format!("sessions/{task}/IMPLEMENTATION_COMPLETE.md")
}
