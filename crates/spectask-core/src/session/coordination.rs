//! Coordination events: what the work sessions of one SpecTask tell each other, durable and ordered.

use serde::{Deserialize, Serialize};

use crate::ids::{SpecTaskId, WorkSessionId};
use crate::{Timestamp, named_enum};

pub mod data;
pub mod review;

pub use data::{
    BlockedData, ConvergeData, CoordinationData, HandoffData, HandoffStep, Integrated, KeptBranch, NoteData,
    PullRequestEvent, PullRequestHandoff, ReportedBlock, Reporter, SessionData,
};
pub use review::{
    ConflictStep, DecisionSource, FixAnswers, ImplementationDecision, MergeConflicts, ReviewEntry,
    ReviewStep, ReviewerDecision,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoordinationKind {
    SessionStarted,
    SessionCompleted,
    SessionFailed,
    SessionBlocked,
    SessionUnblocked,
    SessionSpawned,
    Handoff,
    PlanTaskStarted,
    PlanTaskDone,
    ReviewDecision,
    /// A session said something to another (or to everyone), through its coordination tools.
    Message,
    /// Two sessions changed the same file.
    OverlappingEdit,
    /// The task's spending crossed 80% or 100% of its budget, or a person changed the budget.
    Budget,
    /// A converge pass after implementation: the plan tasks a person approved into a new spec
    /// version, or the spec and the code converged.
    Converge,
    /// A person stopped a session's agent (a pause; a budget's pause is told as `budget`).
    SessionStopped,
    /// A person answered a session agent's permission request.
    PermissionAnswered,
}
named_enum!(CoordinationKind, "coordination kind", {
    SessionStarted => "session_started",
    SessionCompleted => "session_completed",
    SessionFailed => "session_failed",
    SessionBlocked => "session_blocked",
    SessionUnblocked => "session_unblocked",
    SessionSpawned => "session_spawned",
    Handoff => "handoff",
    PlanTaskStarted => "plan_task_started",
    PlanTaskDone => "plan_task_done",
    ReviewDecision => "review_decision",
    Message => "message",
    OverlappingEdit => "overlapping_edit",
    Budget => "budget",
    Converge => "converge",
    SessionStopped => "session_stopped",
    PermissionAnswered => "permission_answered",
});

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CoordinationEvent {
    pub spec_task_id: SpecTaskId,
    /// Position in the task's coordination log, from 1, without gaps.
    pub seq: i64,
    pub kind: CoordinationKind,
    pub from_session: Option<WorkSessionId>,
    pub to_session: Option<WorkSessionId>,
    pub message: String,
    pub data: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}
