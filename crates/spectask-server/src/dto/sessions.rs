//! Work sessions and the implementation review on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::{
    PlanTaskRef, Priority, SpecTaskId, SpecTaskStatus, Timestamp, WorkSessionId, WorkSessionPhase,
    WorkSessionState, WorkSessionStatus,
};
use utoipa::ToSchema;

/// What `POST /spec-tasks/{id}/implementation-sessions` made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImplementationSessionsDto {
    /// The sessions made by this request (none when every one the implementation calls for exists).
    pub made: Vec<WorkSessionDto>,
    /// All of the task's sessions, in creation order.
    pub sessions: Vec<WorkSessionDto>,
}

/// A work session as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WorkSessionDto {
    pub id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    pub parent_id: Option<WorkSessionId>,
    pub spawned_by_id: Option<WorkSessionId>,
    pub name: String,
    pub description: String,
    pub phase: WorkSessionPhase,
    pub status: WorkSessionStatus,
    /// What it waits on (blocked), or why it failed or was interrupted.
    pub state: WorkSessionState,
    pub plan_task: Option<PlanTaskRef>,
    pub agent_profile: Option<String>,
    pub priority: Priority,
    /// The agent's session id (its thread), once opened.
    pub acp_session_id: Option<String>,
    pub summary: Option<String>,
    /// The editor a person opened this thread from (`zed`), when it was opened from one
    /// (`spectask acp`).
    pub opened_from_editor: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
    /// Tokens, cost and context fill of the session's thread.
    pub usage: super::UsageDto,
    /// Set while the session's agent has been silent for the stall time (`stall_after_seconds`).
    pub stall: Option<StallDto>,
}

/// `POST /work-sessions/{id}/spawn`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpawnBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub agent_profile: Option<String>,
    pub priority: Option<Priority>,
}

/// `POST /spec-tasks/{id}/approve-implementation`, `/request-implementation-changes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementationReviewBody {
    #[serde(default)]
    pub comments: String,
}

/// `POST /spec-tasks/{id}/request-implementation-changes`: what to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementationChangesBody {
    /// What the follow-up session should do: not blank.
    #[schema(pattern = r"\S")]
    pub comments: String,
}

/// `POST /work-sessions/{id}/messages`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// Not blank.
    #[schema(pattern = r"\S")]
    pub text: String,
}

/// A message queued for an interactive session.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedMessageDto {
    pub message_id: i64,
    pub work_session_id: WorkSessionId,
}

/// `GET /spec-tasks/{id}/implementation-summary`
#[derive(Debug, Serialize, ToSchema)]
pub struct ImplementationSummaryDto {
    pub spec_task_id: SpecTaskId,
    pub status: SpecTaskStatus,
    /// Markdown: what each session did, its commits and the open plan tasks.
    pub summary: String,
}

/// `POST /work-sessions/{id}/interrupt`: why the editor left.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptBody {
    #[serde(default)]
    pub reason: String,
}

/// A running session whose agent went silent.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StallDto {
    /// When spectask marked it stalled.
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    /// When its agent last said or did something.
    #[schema(value_type = String, format = DateTime)]
    pub last_activity_at: Timestamp,
    /// What spectask does about it (the profile's `on_stall`): `notify`, `interrupt` or `fail`.
    pub policy: String,
}

impl From<&spectask_store::SessionStall> for StallDto {
    fn from(s: &spectask_store::SessionStall) -> Self {
        StallDto { since: s.since, last_activity_at: s.last_activity_at, policy: s.policy.clone() }
    }
}
