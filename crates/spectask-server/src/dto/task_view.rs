//! The generic task view (`/tasks`) on the wire: the same SpecTasks as `/spec-tasks` under generic
//! field names (`name`, `description`, `task_type`, `user_id`).

use serde::{Deserialize, Serialize};
use spectask_core::{Priority, SpecTaskId, SpecTaskStatus, TaskKind, Timestamp, WorkSessionStatus};
use utoipa::ToSchema;

use super::SpecTaskDto;

/// A SpecTask as the generic task view shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: SpecTaskId,
    /// The task's title.
    pub name: String,
    /// The prompt it was made from.
    pub description: String,
    pub task_type: TaskKind,
    pub status: SpecTaskStatus,
    pub priority: Priority,
    /// Its owner.
    pub user_id: String,
    /// The repository it works on.
    pub repository: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
}

impl From<SpecTaskDto> for TaskDto {
    fn from(t: SpecTaskDto) -> Self {
        Self {
            id: t.id,
            name: t.title,
            description: t.prompt,
            task_type: t.kind,
            status: t.status,
            priority: t.priority,
            user_id: t.created_by,
            repository: t.repository.path,
            created_at: t.created_at,
            updated_at: t.updated_at,
            started_at: t.started_at,
            completed_at: t.completed_at,
        }
    }
}

/// `POST /tasks`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskBody {
    /// Not blank.
    #[schema(pattern = r"\S")]
    pub name: String,
    /// What to do; the name when left out.
    #[serde(default)]
    pub description: String,
    /// The repository: its id or URL (registered already), or the absolute path of a git
    /// repository on the server's machine (registered on first use; a member's only under the
    /// directories the operator allows).
    #[schema(
        pattern = r"^\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|(https?|git)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~%+-][A-Za-z0-9._~%+/-]*|file:///[A-Za-z0-9._~%+/-]*|/[^\x00-\x1f\x7f]*)\s*$"
    )]
    pub repo: String,
    pub task_type: Option<TaskKind>,
    pub priority: Option<Priority>,
    pub implementation_agent: Option<String>,
}

/// `PUT /tasks/{id}/status`: the status a person moves the task to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskStatusBody {
    /// `spec_approved` or `rejected` (a spec in review), `cancelled`, or the status a failed
    /// task's retry leads to.
    pub status: SpecTaskStatus,
    #[serde(default)]
    pub comments: String,
}

/// `PUT /work-sessions/{id}/status`: the status a person moves one session to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkSessionStatusBody {
    /// `interrupted` pauses a running session (it waits to be resumed), `running` resumes an
    /// interrupted one, `completed` completes a running one (its changes are committed),
    /// `cancelled` cancels it.
    pub status: WorkSessionStatus,
    /// Why (kept with a pause).
    #[serde(default)]
    pub reason: String,
}
