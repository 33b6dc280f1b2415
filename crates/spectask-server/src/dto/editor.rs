//! The editor's wire types: threads opened from an editor and their turns (`spectask acp`'s
//! `session/new`, `session/prompt`, `session/cancel`), and a task's agent instance and its
//! sessions' threads as an editor integration sees them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spectask_core::{SpecTaskId, Timestamp, WorkSessionStatus};
use utoipa::ToSchema;

use super::{AgentInstanceViewDto, SpecTaskDto, WorkSessionDto};

/// `POST /editor/threads`: a new thread in an editor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorThreadBody {
    /// The thread's directory (absolute): a registered repository or a task's worktree.
    #[schema(pattern = r"^/")]
    pub cwd: String,
    /// The task to attach to (id, short id or handle); otherwise the task whose worktree holds
    /// `cwd`, or a new interactive task for the repository holding it.
    #[serde(default)]
    #[schema(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub task: Option<String>,
    /// The agent profile for a task made for this thread.
    #[serde(default)]
    pub agent_profile: Option<String>,
    /// The editor's name (`zed`); `editor` when not given.
    #[serde(default)]
    pub client: Option<String>,
    /// The editor's own stdio MCP servers (ACP `mcpServers`), passed on to the thread's agent beside
    /// spectask's coordination server; held in this node's memory only (the editor gives them again
    /// with each prompt, `EditorTurnBody::mcp_servers`), their environment never shown again.
    #[serde(default)]
    pub mcp_servers: Vec<spectask_core::EditorMcpServer>,
}

/// The work session of a new editor thread and its task.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditorThreadDto {
    pub spec_task: SpecTaskDto,
    pub work_session: WorkSessionDto,
}

/// `POST /work-sessions/{id}/editor/turn`: a prompt from the editor holding the thread.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorTurnBody {
    /// ACP content blocks, as the editor sent them (`{"type": "text", "text": …}`, `resource_link`,
    /// `resource` …).
    #[schema(value_type = Vec<Object>)]
    pub prompt: Vec<serde_json::Value>,
    /// What the editor serves itself (the client capabilities it announced).
    #[serde(default)]
    pub offers: EditorOffersDto,
    /// The editor's directories for the thread (absolute): files and terminals inside both these and
    /// the worktree are served by the editor.
    #[serde(default)]
    pub roots: Vec<String>,
    /// The stdio MCP servers the editor gives the thread's agent from now on (`mcpServers` of its
    /// `session/new`, `session/load` or `session/resume`; absent: those given before). Held in
    /// the memory of the node running the thread only, never stored: their environment may hold
    /// the editor's credentials.
    #[serde(default)]
    pub mcp_servers: Option<Vec<spectask_core::EditorMcpServer>>,
}

/// What an editor serves itself.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorOffersDto {
    #[serde(default)]
    pub read_text_file: bool,
    #[serde(default)]
    pub write_text_file: bool,
    #[serde(default)]
    pub terminal: bool,
}

/// One line of an editor turn's stream (`application/x-ndjson`), in the thread's order: `queued`
/// first, then updates and requests as the agent sends them, `end` or `failed` last.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EditorTurnFrame {
    /// The prompt is queued as the session's message and waits for its turn.
    Queued { message_id: i64 },
    /// A `session/update` of the thread: its `update` object as the agent sent it.
    Update {
        #[schema(value_type = Object)]
        update: serde_json::Value,
    },
    /// A request only the editor answers (`session/request_permission`, `fs/…`, `terminal/…`); the
    /// answer goes to `POST /work-sessions/{id}/editor/replies` under `request_id`.
    Request {
        request_id: u64,
        method: String,
        #[schema(value_type = Object)]
        params: serde_json::Value,
    },
    /// The turn ended with the agent's stop reason (`end_turn`, `cancelled`, `max_tokens` …).
    End { stop_reason: String },
    /// The turn failed (the agent crashed, the session could not run): why.
    Failed { message: String },
}

/// `POST /work-sessions/{id}/editor/replies`: the editor's answer to a relayed request, `result`
/// or `error`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorReplyBody {
    #[serde(deserialize_with = "spectask_core::wire::json_number::integral")]
    pub request_id: u64,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    #[serde(default)]
    pub error: Option<EditorErrorDto>,
}

/// A JSON-RPC error the editor answered with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorErrorDto {
    #[serde(deserialize_with = "spectask_core::wire::json_number::integral")]
    pub code: i32,
    pub message: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// `POST /work-sessions/{id}/editor/cancel`: whether a turn of the editor's was there to cancel.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditorCancelDto {
    pub cancelled: bool,
}

/// The thread of one work session (its conversation in the task's agent instance).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionThreadDto {
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

/// `GET /spec-tasks/{id}/editor/instance`: the task's agent instance and its threads.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditorInstanceDto {
    pub spec_task_id: SpecTaskId,
    pub agent_instance: AgentInstanceViewDto,
    /// Whether the agent process runs on the node that answered.
    pub on_this_node: bool,
    /// Requests the agent process on this node sent that spectask does not serve (a vendor's own
    /// methods, answered "method not found"), per method; empty when it runs elsewhere.
    pub unserved_requests: BTreeMap<String, u64>,
    pub threads: Vec<SessionThreadDto>,
}

/// `POST /zed-threads/create-session`: an editor thread becomes a work session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEditorSessionBody {
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

/// `POST /editor/events`: what happened in an editor integration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "event_type", rename_all = "snake_case")]
pub enum EditorEventBody {
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

/// What a `POST /editor/events` did: the session it concerned, as it is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditorEventResultDto {
    /// `thread_created`, `message_added` or `thread_closed`.
    pub event_type: String,
    pub work_session: WorkSessionDto,
    /// The queued message (message_added).
    pub message_id: Option<i64>,
}
