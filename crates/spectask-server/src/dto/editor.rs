//! Wire types of an editor's turns (`spectask acp`'s `session/prompt`, `session/cancel`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    #[serde(deserialize_with = "spectask_core::json_number::integral")]
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
    #[serde(deserialize_with = "spectask_core::json_number::integral")]
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
