//! The recorded side of a WorkSession's agent conversation: its Thread (one ACP session inside the
//! task's agent instance, kept so it can be resumed by id). The agent instance itself is the
//! runtime's (`spectask-agent`), live on one node; a WorkSession's recorded conversation is its
//! history (entries in the store, then on the design-docs branch).

use serde::{Deserialize, Serialize};

use crate::ids::{ThreadId, WorkSessionId};
use crate::{Timestamp, named_enum};

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
    /// The agent's own session id, recorded so the thread can be resumed by id.
    pub acp_session_id: Option<String>,
    pub status: ThreadStatus,
    pub last_activity_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A stdio MCP server an editor gave its thread (ACP `mcpServers` in `session/new`): the thread's
/// agent gets it beside spectask's own. Its environment may hold credentials: it is held only in
/// the memory of the node running the thread (never in the database or git, never in an API answer)
/// and never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EditorMcpServer {
    /// The name the agent shows, and prefixes its tools with: not blank.
    #[schema(pattern = r"\S")]
    pub name: String,
    /// An absolute path.
    #[schema(pattern = r"^/")]
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
}

impl std::fmt::Debug for EditorMcpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditorMcpServer")
            .field("name", &self.name)
            .field("command", &self.command)
            .field("args", &self.args)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A work session opened from an editor (`spectask acp`): a thread a person started there, whose
/// prompts come from the editor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EditorThread {
    pub work_session_id: WorkSessionId,
    /// The editor's name, as it introduced itself (`zed`).
    pub client: String,
    /// The directory the editor opened the thread in.
    pub cwd: String,
    pub created_at: Timestamp,
}
