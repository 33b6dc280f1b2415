//! The coordination API on the wire: what a work session's agent sends and reads through its tools.

use serde::{Deserialize, Serialize};
use spectask_core::{
    CoordinationEvent, Priority, SpecTaskId, SpecTaskStatus, WorkSessionId, WorkSessionStatus,
};
use utoipa::{IntoParams, ToSchema};

use crate::dto::WorkSessionDto;

/// `POST /coordination/spawn`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolSpawnBody {
    pub name: String,
    pub description: String,
    pub priority: Option<Priority>,
}

/// `POST /coordination/messages`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolMessageBody {
    /// A session of the same task (id, plan task id or name); none: logged for everyone.
    pub to_session: Option<String>,
    pub text: String,
}

/// `POST /coordination/blocked`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolBlockedBody {
    pub on_session: Option<String>,
    pub reason: Option<String>,
}

/// `POST /coordination/handoffs`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolHandoffBody {
    pub to_session: String,
    pub note: String,
}

/// `GET /coordination/log`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ToolLogQuery {
    /// Only entries after this sequence number; without it, the latest 50.
    pub since: Option<i64>,
}

/// A session in a tool's answer: enough to name it and see where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolSessionDto {
    pub id: WorkSessionId,
    pub name: String,
    pub status: WorkSessionStatus,
    /// Its plan task's id (`2.1`), when it has one.
    pub plan_task: Option<String>,
    pub parent_id: Option<WorkSessionId>,
    pub spawned_by_id: Option<WorkSessionId>,
}

/// What a message became.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolSentDto {
    pub event: CoordinationEvent,
    /// `queued`: it reaches the recipient's thread at its next turn; `logged`: for everyone to read.
    pub delivery: &'static str,
    pub recipient: Option<ToolSessionDto>,
}

/// `GET /coordination/log`
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolLogDto {
    pub entries: Vec<CoordinationEvent>,
    /// Pass as `since` to read only what comes after.
    pub next_since: i64,
}

/// `GET /coordination/session`: who the credential names.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolWhoAmIDto {
    pub session: WorkSessionDto,
    pub spec_task_id: SpecTaskId,
    pub task_title: String,
}

/// One plan task in `plan-status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolPlanTaskDto {
    pub id: Option<String>,
    pub title: String,
    /// `pending`, `in_progress` or `done`.
    pub state: &'static str,
    pub optional: bool,
    pub sessions: Vec<WorkSessionId>,
}

/// One session in `plan-status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolSessionStatusDto {
    #[serde(flatten)]
    pub session: ToolSessionDto,
    /// Whether this is the calling session.
    pub you: bool,
    /// Its latest blocked report, while it has not finished.
    pub blocked: Option<String>,
    pub summary: Option<String>,
}

/// `GET /coordination/plan-status`
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolPlanStatusDto {
    pub spec_task_id: SpecTaskId,
    pub title: String,
    pub status: SpecTaskStatus,
    pub plan: Vec<ToolPlanTaskDto>,
    pub sessions: Vec<ToolSessionStatusDto>,
}
