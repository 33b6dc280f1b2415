//! The tools one work session's agent sees, each a thin call of the coordination API. Refusals come
//! back as tool errors (the model reads why and can act on it), not as protocol errors.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{ApiError, CoordinationApi};

/// What the server tells the agent when it connects.
const INSTRUCTIONS: &str = "spectask coordinates the work sessions of one SpecTask. Other sessions \
work in the same git worktree at the same time. Use these tools to see what they do (plan_status, \
read_coordination), to tell them something (send_message, handoff), to say you are blocked \
(report_blocked) and to start parallel work (spawn_session). A session is named by its id, its \
plan task id (such as 2.1) or its name. Nothing depends on you calling them: spectask schedules, \
commits and reviews your work either way.";

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct SpawnSession {
    /// A short name for the new session, such as "Security audit".
    pub name: String,
    /// What the new session should do, in full: it starts with only this and the task's spec.
    pub description: String,
    /// low, normal, high or urgent; by default your session's priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct SendMessage {
    /// The session to tell (id, plan task id or name). Without it the message goes to the
    /// coordination log for everyone to read, and into no session's conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_session: Option<String>,
    /// What to say, such as "Authentication endpoints ready for integration".
    pub text: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ReportBlocked {
    /// The session you are waiting for (id, plan task id or name), if it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_session: Option<String>,
    /// Why you cannot go on. Give this, `on_session`, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Handoff {
    /// The session that takes over (id, plan task id or name).
    pub to_session: String,
    /// What it needs to know: what is done, what is left, where to look.
    pub note: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ReadCoordination {
    /// Only entries after this sequence number (the `next_since` of the previous answer). Without
    /// it, the latest entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

/// The MCP server of one work session.
#[derive(Clone, Debug)]
pub struct SessionTools {
    api: CoordinationApi,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl SessionTools {
    pub fn new(api: CoordinationApi) -> Self {
        Self { api, tool_router: Self::tool_router() }
    }

    #[tool(description = "Start a new work session in this SpecTask, as a child of yours, for work \
        that can go on in parallel (an audit, a performance pass, more tests). It works in the same \
        worktree with its own conversation, and waits for a free slot under the task's limits. \
        Returns the new session.")]
    async fn spawn_session(
        &self,
        Parameters(p): Parameters<SpawnSession>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(answer(self.api.post("spawn", to_json(&p)).await))
    }

    #[tool(description = "Tell another work session of this SpecTask something. A running session \
        gets the message in its conversation at its next turn; one that has not started gets it \
        when it starts. Without to_session, the message is only logged for everyone.")]
    async fn send_message(
        &self,
        Parameters(p): Parameters<SendMessage>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(answer(self.api.post("messages", to_json(&p)).await))
    }

    #[tool(description = "Say that you cannot go on: waiting for another session (on_session), or \
        for a reason. Shown live to people and other sessions.")]
    async fn report_blocked(
        &self,
        Parameters(p): Parameters<ReportBlocked>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(answer(self.api.post("blocked", to_json(&p)).await))
    }

    #[tool(description = "Hand work over to another session of this SpecTask with a note; the note \
        reaches that session's conversation like a message.")]
    async fn handoff(&self, Parameters(p): Parameters<Handoff>) -> Result<CallToolResult, ErrorData> {
        Ok(answer(self.api.post("handoffs", to_json(&p)).await))
    }

    #[tool(description = "Read the SpecTask's coordination log: sessions started, blocked, done, \
        spawned; messages and handoffs. Pass since = next_since of the previous answer to get only \
        what is new.")]
    async fn read_coordination(
        &self,
        Parameters(p): Parameters<ReadCoordination>,
    ) -> Result<CallToolResult, ErrorData> {
        let path = match p.since {
            Some(since) => format!("log?since={since}"),
            None => "log".to_owned(),
        };
        Ok(answer(self.api.get(&path).await))
    }

    #[tool(description = "The SpecTask's plan and its work sessions: each plan task's state, each \
        session's status, who spawned whom, who reported being blocked, and which one is you.")]
    async fn plan_status(&self) -> Result<CallToolResult, ErrorData> {
        Ok(answer(self.api.get("plan-status").await))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for SessionTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(crate::SERVER_NAME, env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}

fn to_json(params: &impl Serialize) -> Value {
    serde_json::to_value(params).unwrap_or_else(|_| json!({}))
}

/// The API's answer as the tool's result: its JSON, or the refusal as a tool error.
fn answer(result: Result<Value, ApiError>) -> CallToolResult {
    match result {
        Ok(value) => {
            let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
            CallToolResult::success(vec![ContentBlock::text(text)])
        }
        Err(error) => CallToolResult::error(vec![ContentBlock::text(error.to_string())]),
    }
}
