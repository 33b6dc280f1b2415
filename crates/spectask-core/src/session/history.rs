//! Session history: what the recorder appends to files on the design-docs branch
//! (layout: `spectask-git`'s `design_docs/layout.rs`).

use serde::{Deserialize, Serialize};

use crate::ids::{SpecTaskId, WorkSessionId};
use crate::{Timestamp, named_enum};

/// The file an entry is appended to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HistoryFile {
    /// `sessions/<task>/<work-session>/conversation.md`
    Conversation,
    /// `sessions/<task>/<work-session>/code-changes.md`
    CodeChanges,
    /// `sessions/<task>/<work-session>/decisions.md`
    Decisions,
    /// `sessions/<task>/<work-session>/activity-log.md`
    ActivityLog,
    /// `sessions/<task>/coordination-log.md`
    CoordinationLog,
    /// `sessions/<task>/progress-updates/<date>.md`
    ProgressUpdate,
}
named_enum!(HistoryFile, "history file", {
    Conversation => "conversation",
    CodeChanges => "code_changes",
    Decisions => "decisions",
    ActivityLog => "activity_log",
    CoordinationLog => "coordination_log",
    ProgressUpdate => "progress_update",
});

impl HistoryFile {
    /// Whether the file belongs to one work session (else to the whole task).
    pub fn is_per_session(self) -> bool {
        matches!(self, Self::Conversation | Self::CodeChanges | Self::Decisions | Self::ActivityLog)
    }

    /// The file name under the session's (or the task's) directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Conversation => "conversation.md",
            Self::CodeChanges => "code-changes.md",
            Self::Decisions => "decisions.md",
            Self::ActivityLog => "activity-log.md",
            Self::CoordinationLog => "coordination-log.md",
            Self::ProgressUpdate => "progress-updates",
        }
    }
}

/// One acknowledged entry: durable in the database, appended to git by the recorder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// Global order of entries; per session, entries are appended in this order.
    pub seq: i64,
    pub spec_task_id: SpecTaskId,
    pub work_session_id: Option<WorkSessionId>,
    pub file: HistoryFile,
    /// Markdown, appended as it is.
    pub content: String,
    pub created_at: Timestamp,
    /// When the recorder committed it, and in which design-docs commit.
    pub committed_at: Option<Timestamp>,
    pub commit_id: Option<String>,
}
