//! The agent side of a SpecTask: one AgentInstance (process) per task and one Thread per WorkSession.
//! A WorkSession's recorded conversation is its history (entries in the store, then on the
//! design-docs branch); it has no record of its own.

use serde::{Deserialize, Serialize};

use crate::ids::{AgentInstanceId, SpecTaskId, ThreadId, WorkSessionId};
use crate::{Timestamp, named_enum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentInstanceStatus {
    Starting,
    Running,
    Stopped,
    Failed,
}
named_enum!(AgentInstanceStatus, "agent instance status", {
    Starting => "starting",
    Running => "running",
    Stopped => "stopped",
    Failed => "failed",
});

/// One agent process serving one SpecTask; cwd is the task's worktree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentInstance {
    pub id: AgentInstanceId,
    pub spec_task_id: SpecTaskId,
    pub profile: String,
    /// The node (server process) the agent runs on.
    pub node: String,
    pub status: AgentInstanceStatus,
    pub pid: Option<u32>,
    pub started_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadStatus {
    Pending,
    Active,
    Closed,
}
named_enum!(ThreadStatus, "thread status", {
    Pending => "pending",
    Active => "active",
    Closed => "closed",
});

/// The agent-side thread of one WorkSession (1:1): an ACP session inside the task's agent instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Thread {
    pub id: ThreadId,
    pub work_session_id: WorkSessionId,
    pub agent_instance_id: Option<AgentInstanceId>,
    /// The agent's own session id, recorded so the thread can be resumed by id.
    pub acp_session_id: Option<String>,
    pub status: ThreadStatus,
    pub last_activity_at: Option<Timestamp>,
    pub created_at: Timestamp,
}
