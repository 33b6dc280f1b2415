//! The seeds' "Zed instance" and "Zed threads" on the wire: a task's agent instance and the threads
//! of its work sessions, and what an editor integration reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spectask_core::{SpecTaskId, Timestamp, WorkSessionStatus};
use utoipa::ToSchema;

use super::{AgentInstanceViewDto, WorkSessionDto};

/// The thread of one work session (its conversation in the task's agent instance).
#[derive(Debug, Serialize, ToSchema)]
pub struct ZedThreadDto {
    pub work_session_id: spectask_core::WorkSessionId,
    pub work_session_name: String,
    pub work_session_status: WorkSessionStatus,
    /// The agent's session id (ACP), once the thread was opened.
    pub acp_session_id: Option<String>,
    /// `pending`, `active` or `closed`; none before the thread was opened.
    pub thread_status: Option<String>,
    /// The editor a person opened it from, when one did.
    pub opened_from_editor: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_activity_at: Option<Timestamp>,
}

/// `GET /spec-tasks/{id}/zed-instance`: the task's agent instance and its threads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZedInstanceDto {
    pub spec_task_id: SpecTaskId,
    pub agent_instance: AgentInstanceViewDto,
    /// Whether the agent process runs on the node that answered.
    pub on_this_node: bool,
    /// Requests the agent process on this node sent that spectask does not serve (a vendor's own
    /// methods, answered "method not found"), per method; empty when it runs elsewhere.
    pub unserved_requests: BTreeMap<String, u64>,
    pub threads: Vec<ZedThreadDto>,
}

/// `POST /zed-threads/create-session`: an editor thread becomes a work session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateZedSessionBody {
    /// The thread's directory (absolute): a registered repository or a task's worktree.
    #[schema(pattern = r"^/")]
    pub cwd: String,
    /// The task (id, short id or handle); otherwise the task whose worktree holds `cwd`, or a new
    /// interactive task.
    #[schema(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub spec_task: Option<String>,
    /// The work session this thread was spawned from (parent and spawned-by), in the same task.
    #[schema(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    pub parent_session: Option<String>,
    pub agent_profile: Option<String>,
    /// The editor's name; `zed` when not given.
    pub client: Option<String>,
}

/// `POST /zed/events`: what happened in an editor integration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "event_type", rename_all = "snake_case")]
pub enum ZedEventBody {
    /// A thread was created in the editor: it becomes a work session.
    ThreadCreated {
        #[schema(pattern = r"^/")]
        cwd: String,
        #[schema(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
        spec_task: Option<String>,
        agent_profile: Option<String>,
    },
    /// A person wrote in a thread: the message reaches its session's agent in its next turn.
    MessageAdded {
        #[schema(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
        work_session_id: String,
        #[schema(pattern = r"\S")]
        text: String,
    },
    /// The thread was closed: its session is left interrupted and resumable.
    ThreadClosed {
        #[schema(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
        work_session_id: String,
        #[serde(default)]
        reason: String,
    },
}

/// What a `POST /zed/events` did: the session it concerned, as it is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZedEventResultDto {
    /// `thread_created`, `message_added` or `thread_closed`.
    pub event_type: String,
    pub work_session: WorkSessionDto,
    /// The queued message (message_added).
    pub message_id: Option<i64>,
}
