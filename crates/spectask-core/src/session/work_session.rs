//! The WorkSession: one unit of work inside a SpecTask, served by one thread of the task's agent.

use serde::{Deserialize, Serialize};

use crate::ids::{SpecTaskId, WorkSessionId};
use crate::lifecycle::WorkSessionState;
use crate::task::spec_task::Priority;
use crate::{Timestamp, named_enum};

/// Whether a session plans (writes the spec) or implements (works through the plan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkSessionPhase {
    Planning,
    Implementation,
}
named_enum!(WorkSessionPhase, "work session phase", {
    Planning => "planning",
    Implementation => "implementation",
});

/// A WorkSession's status. Changed only through [`crate::lifecycle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkSessionStatus {
    Pending,
    Blocked,
    Running,
    Completed,
    Failed,
    Cancelled,
    Interrupted,
}
named_enum!(WorkSessionStatus, "work session status", {
    Pending => "pending",
    Blocked => "blocked",
    Running => "running",
    Completed => "completed",
    Failed => "failed",
    Cancelled => "cancelled",
    Interrupted => "interrupted",
});

impl WorkSessionStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }
}

/// The plan task (from tasks.md) a work session implements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanTaskRef {
    /// Position in the plan, 0-based.
    pub index: u32,
    /// The task's id in tasks.md (`2.1`, `T012`), when it has one.
    pub id: Option<String>,
    pub title: String,
    pub description: String,
}

/// A WorkSession as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkSession {
    pub id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    /// The session this one hangs under in the session tree.
    pub parent_id: Option<WorkSessionId>,
    /// The session that asked for this one (a person spawning has none).
    pub spawned_by_id: Option<WorkSessionId>,
    pub name: String,
    pub description: String,
    pub phase: WorkSessionPhase,
    pub state: WorkSessionState,
    pub plan_task: Option<PlanTaskRef>,
    /// The agent profile that serves this session.
    pub agent_profile: Option<String>,
    /// Free-form agent settings (mode, model …) as given when the session was made.
    pub agent_config: serde_json::Value,
    pub priority: Priority,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub version: i64,
}

impl WorkSession {
    pub fn status(&self) -> WorkSessionStatus {
        self.state.status()
    }
}

/// Where a WorkSession stands: what the views of its task's work (attention, progress, the fleet)
/// read of every session, without what only its agent reads (its description, agent settings and
/// the plan task's text). The store reads it slim, so a task of a thousand sessions stays quick to
/// show.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkSessionStanding {
    pub id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    pub parent_id: Option<WorkSessionId>,
    pub name: String,
    pub state: WorkSessionState,
    /// The position in the plan of the plan task it implements, 0-based.
    pub plan_task_index: Option<u32>,
    /// The id the plan gives the plan task it implements, when the plan gives one.
    pub plan_task_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

impl WorkSessionStanding {
    pub fn status(&self) -> WorkSessionStatus {
        self.state.status()
    }
}

impl From<&WorkSession> for WorkSessionStanding {
    fn from(session: &WorkSession) -> WorkSessionStanding {
        WorkSessionStanding {
            id: session.id,
            spec_task_id: session.spec_task_id,
            parent_id: session.parent_id,
            name: session.name.clone(),
            state: session.state.clone(),
            plan_task_index: session.plan_task.as_ref().map(|p| p.index),
            plan_task_id: session.plan_task.as_ref().and_then(|p| p.id.clone()),
            created_at: session.created_at,
            updated_at: session.updated_at,
            started_at: session.started_at,
            completed_at: session.completed_at,
        }
    }
}
