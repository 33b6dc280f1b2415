//! Wire types of the API. Domain types stay out of the JSON contract; these are it.

use serde::{Deserialize, Serialize};
use spectask_core::{
    HistoryEntry, HistoryFile, LineComment, Priority, Repository, RepositoryId, ReviewDecision, SpecDocument,
    SpecReview, SpecTask, SpecTaskId, SpecTaskStatus, SpecVersion, TaskKind, Timestamp, WorkSessionId,
};

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub database: &'static str,
    pub node: String,
}

/// `POST /api/v1/spec-tasks/from-prompt`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSpecTask {
    pub prompt: String,
    /// Path of a git repository on the server's machine.
    pub repo: String,
    pub title: Option<String>,
    pub kind: Option<TaskKind>,
    pub priority: Option<Priority>,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
    pub created_by: Option<String>,
}

/// `GET /api/v1/spec-tasks` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpecTasks {
    pub status: Option<String>,
    /// A repository path or id.
    pub repo: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct RepositoryRef {
    pub id: RepositoryId,
    pub path: String,
}

impl From<&Repository> for RepositoryRef {
    fn from(r: &Repository) -> Self {
        Self { id: r.id, path: r.path.display().to_string() }
    }
}

#[derive(Debug, Serialize)]
pub struct FailureDto {
    pub from: SpecTaskStatus,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct SpecTaskDto {
    pub id: SpecTaskId,
    pub short_id: String,
    /// `<short id>-<slug>`: the name of the task's spec folder, branch and worktree.
    pub handle: String,
    pub title: String,
    pub prompt: String,
    pub kind: TaskKind,
    pub status: SpecTaskStatus,
    pub failure: Option<FailureDto>,
    pub repository: RepositoryRef,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
    pub priority: Priority,
    pub spec_version: u32,
    /// Why the task waits to start, when it does (a WIP limit).
    pub queue_reason: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub version: i64,
}

impl SpecTaskDto {
    pub fn new(task: &SpecTask, repository: &Repository) -> Self {
        Self {
            id: task.id,
            short_id: task.short_id.to_string(),
            handle: task.handle(),
            title: task.title.clone(),
            prompt: task.prompt.clone(),
            kind: task.kind,
            status: task.status(),
            failure: task.state.failure().map(|f| FailureDto { from: f.from, reason: f.reason.clone() }),
            repository: repository.into(),
            planning_agent: task.planning_agent.clone(),
            implementation_agent: task.implementation_agent.clone(),
            priority: task.priority,
            spec_version: task.spec_version,
            queue_reason: None,
            created_by: task.created_by.clone(),
            created_at: task.created_at,
            updated_at: task.updated_at,
            started_at: task.started_at,
            completed_at: task.completed_at,
            version: task.version,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PageDto<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// `POST /spec-tasks/{id}/approve-specs`, `/request-changes`, `/reject`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    #[serde(default)]
    pub comments: String,
    #[serde(default)]
    pub line_comments: Vec<LineComment>,
    pub reviewer: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReviewDto {
    pub id: String,
    pub version: u32,
    pub decision: ReviewDecision,
    pub comments: String,
    pub line_comments: Vec<LineComment>,
    pub reviewer: String,
    pub created_at: Timestamp,
}

impl From<&SpecReview> for ReviewDto {
    fn from(r: &SpecReview) -> Self {
        Self {
            id: r.id.to_string(),
            version: r.version,
            decision: r.decision,
            comments: r.comments.clone(),
            line_comments: r.line_comments.clone(),
            reviewer: r.reviewer.clone(),
            created_at: r.created_at,
        }
    }
}

/// The answer to a review: the task as it is now and the review recorded.
#[derive(Debug, Serialize)]
pub struct ReviewedDto {
    pub task: SpecTaskDto,
    pub review: ReviewDto,
}

/// `GET /spec-tasks/{id}/documents/{doc}?version=N`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    pub version: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct DocumentDto {
    pub spec_task_id: SpecTaskId,
    pub document: SpecDocument,
    pub file_name: &'static str,
    pub version: u32,
    pub content: String,
}

#[derive(Debug, Serialize)]
pub struct SpecVersionDto {
    pub version: u32,
    pub planner: String,
    pub created_at: Timestamp,
    pub usage: serde_json::Value,
    pub lint: Vec<String>,
}

impl From<&SpecVersion> for SpecVersionDto {
    fn from(v: &SpecVersion) -> Self {
        Self {
            version: v.version,
            planner: v.planner.clone(),
            created_at: v.created_at,
            usage: v.usage.clone(),
            lint: v.lint.clone(),
        }
    }
}

/// `POST /api/v1/repos`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRepository {
    /// Path of a git repository on the server's machine.
    pub path: String,
    /// Default `helix-design-docs`.
    pub design_docs_branch: Option<String>,
    /// `merge` (the default) or `keep_branch`: what approving an implementation does with its branch.
    pub merge_policy: Option<spectask_core::MergePolicy>,
}

/// Whether spectask can write to the design-docs branch (`state`: healthy, rewritten,
/// branch_missing, worktree_broken, unavailable).
#[derive(Debug, Serialize)]
pub struct DesignDocsHealthDto {
    pub state: &'static str,
    pub tip: Option<String>,
    pub last_written: Option<String>,
    pub current: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RepositoryDto {
    pub id: RepositoryId,
    pub path: String,
    pub default_branch: String,
    pub design_docs_branch: String,
    pub design_docs_worktree: String,
    /// Why spectask stopped writing to the repository, when it did: a human must look.
    pub attention: Option<String>,
    pub merge_policy: spectask_core::MergePolicy,
    pub design_docs: DesignDocsHealthDto,
    /// Registration only: what this registration created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_created: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worktree_created: Option<bool>,
    pub created_at: Timestamp,
}

/// `POST /api/v1/work-sessions/{id}/record-history`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordHistory {
    pub file: String,
    pub content: String,
}

#[derive(Debug, Serialize)]
pub struct HistoryEntryDto {
    pub seq: i64,
    pub file: HistoryFile,
    pub content: String,
    pub created_at: Timestamp,
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

/// A work session's recorded history: every entry in order, and the same entries by file.
#[derive(Debug, Serialize)]
pub struct SessionHistoryDto {
    pub work_session_id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    pub entries: Vec<HistoryEntryDto>,
    pub files: std::collections::BTreeMap<HistoryFile, Vec<HistoryEntryDto>>,
}

#[derive(Debug, Serialize)]
pub struct HistoryCommitDto {
    pub commit: String,
    pub entries: usize,
    pub seqs: Vec<i64>,
    pub tasks: Vec<String>,
}

/// `POST /api/v1/spec-tasks/{id}/commit-progress`
#[derive(Debug, Serialize)]
pub struct CommitProgressDto {
    pub spec_task_id: SpecTaskId,
    pub commits: Vec<HistoryCommitDto>,
    /// Entries an earlier recorder had committed without marking them; marked now.
    pub reconciled: usize,
    /// Entries of the task still waiting (none unless another recorder is busy).
    pub pending: usize,
}

/// `GET /api/v1/spec-tasks/{id}/design-docs`
#[derive(Debug, Serialize)]
pub struct DesignDocsDto {
    pub spec_task_id: SpecTaskId,
    pub progress_md: Option<String>,
    pub design_md: Option<String>,
    /// The index (document order) of the first in-progress plan task, else of the first pending one.
    pub current_task_index: Option<usize>,
    pub current_task_id: Option<String>,
}

/// A work session as the API shows it.
#[derive(Debug, Serialize)]
pub struct WorkSessionDto {
    pub id: spectask_core::WorkSessionId,
    pub spec_task_id: SpecTaskId,
    pub parent_id: Option<spectask_core::WorkSessionId>,
    pub spawned_by_id: Option<spectask_core::WorkSessionId>,
    pub name: String,
    pub description: String,
    pub phase: spectask_core::WorkSessionPhase,
    pub status: spectask_core::WorkSessionStatus,
    /// What it waits on (blocked), or why it failed or was interrupted.
    pub state: spectask_core::WorkSessionState,
    pub plan_task: Option<spectask_core::PlanTaskRef>,
    pub agent_profile: Option<String>,
    pub priority: Priority,
    /// The agent's session id (its thread), once opened.
    pub acp_session_id: Option<String>,
    pub summary: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

/// `POST /work-sessions/{id}/spawn`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpawnBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub agent_profile: Option<String>,
    pub priority: Option<Priority>,
}

/// `POST /spec-tasks/{id}/approve-implementation`, `/request-implementation-changes`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImplementationReviewBody {
    #[serde(default)]
    pub comments: String,
    pub reviewer: Option<String>,
}

/// `POST /approvals/{id}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    pub option_id: String,
}

/// `GET /api/v1/events` query. `after` is overridden by a `Last-Event-ID` header.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    pub after: Option<i64>,
    /// A SpecTask reference (full or abbreviated id, or handle).
    pub spec_task: Option<String>,
    /// Comma-separated event kinds.
    pub kinds: Option<String>,
}

/// One event of the outbox, as the `data` of a server-sent event.
#[derive(Debug, Serialize)]
pub struct EventDto {
    pub seq: i64,
    pub kind: spectask_core::EventKind,
    pub spec_task_id: Option<SpecTaskId>,
    pub work_session_id: Option<WorkSessionId>,
    pub payload: serde_json::Value,
    pub at: Timestamp,
}

impl From<&spectask_core::Event> for EventDto {
    fn from(e: &spectask_core::Event) -> Self {
        Self {
            seq: e.seq,
            kind: e.kind,
            spec_task_id: e.spec_task_id,
            work_session_id: e.work_session_id,
            payload: e.payload.clone(),
            at: e.at,
        }
    }
}

/// `POST /work-sessions/{id}/messages`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    pub text: String,
}
