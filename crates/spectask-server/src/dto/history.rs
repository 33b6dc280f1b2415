//! Session history and the design-docs branch on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::{HistoryEntry, HistoryFile, SpecTaskId, Timestamp, WorkSessionId};
use utoipa::{IntoParams, ToSchema};

/// `POST /api/v1/work-sessions/{id}/record-history`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordHistory {
    /// `conversation`, `code_changes`, `decisions` or `activity_log`.
    #[schema(pattern = r"^(conversation|code_changes|decisions|activity_log)$")]
    pub file: String,
    /// Not blank.
    #[schema(pattern = r"\S")]
    pub content: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntryDto {
    pub seq: i64,
    pub file: HistoryFile,
    pub content: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Whether the entry is on the design-docs branch yet.
    pub committed: bool,
    pub commit: Option<String>,
}

impl From<&HistoryEntry> for HistoryEntryDto {
    fn from(e: &HistoryEntry) -> Self {
        Self {
            seq: e.seq,
            file: e.file,
            content: e.content.clone(),
            created_at: e.created_at,
            committed: e.committed_at.is_some(),
            commit: e.commit_id.clone(),
        }
    }
}

/// `GET /api/v1/work-sessions/{id}/history` query: a page of entries after a cursor.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Entries after this `seq` (the previous page's `next_after`; default 0, from the start).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 500).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Only entries of this file: `conversation`, `code_changes`, `decisions` or `activity_log`.
    #[param(pattern = r"^(conversation|code_changes|decisions|activity_log)$")]
    pub file: Option<String>,
}

/// A page of a work session's recorded history: entries in the order they were recorded, each once.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionHistoryDto {
    pub work_session_id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    pub entries: Vec<HistoryEntryDto>,
    /// Where the next page starts (`?after=`), when there are more entries; `null` on the last page.
    pub next_after: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryCommitDto {
    pub commit: String,
    pub entries: usize,
    pub seqs: Vec<i64>,
    pub tasks: Vec<String>,
}

/// `POST /api/v1/spec-tasks/{id}/commit-progress`
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitProgressDto {
    pub spec_task_id: SpecTaskId,
    pub commits: Vec<HistoryCommitDto>,
    /// Entries an earlier recorder had committed without marking them; marked now.
    pub reconciled: usize,
    /// Entries of the task still waiting (none unless another recorder is busy).
    pub pending: usize,
}

/// `GET /api/v1/spec-tasks/{id}/design-docs`
#[derive(Debug, Serialize, ToSchema)]
pub struct DesignDocsDto {
    pub spec_task_id: SpecTaskId,
    pub progress_md: Option<String>,
    pub design_md: Option<String>,
    /// The index (document order) of the first in-progress plan task, else of the first pending one.
    pub current_task_index: Option<usize>,
    pub current_task_id: Option<String>,
}

/// `GET /api/v1/spec-tasks/{id}/design-docs/files`: the task's files on the design-docs branch.
#[derive(Debug, Serialize, ToSchema)]
pub struct DesignDocsFilesDto {
    pub spec_task_id: SpecTaskId,
    /// The design-docs branch (`helix-design-docs`).
    pub branch: String,
    /// The commit every file was read at (the branch's tip then); absent while the branch has none.
    pub commit: Option<String>,
    /// `specs/<handle>/…` then `sessions/<handle>/…`, sorted.
    pub files: Vec<DesignDocFileDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DesignDocFileDto {
    /// The path from the branch's root.
    pub path: String,
    pub bytes: usize,
    /// The text, when it is UTF-8 and not too large to show (else read it with git at `commit`).
    pub content: Option<String>,
}
