//! The MCP servers a work session's agent thread is given: spectask's coordination server, then,
//! for a thread opened from an editor, the editor's own servers, which this node holds in memory
//! only (`EditorTurns`, given with every prompt of the editor).

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentInstance, McpServerSpec};
use spectask_core::WorkSession;

use crate::drive::TurnError;
use crate::engine::Ctx;

/// The MCP server of the session's coordination tools (`spectask mcp`, with a fresh credential),
/// when this node has one, then those the editor gave an editor thread.
pub(crate) async fn session_tools(ctx: &Ctx, session: &WorkSession) -> Result<Vec<McpServerSpec>, TurnError> {
    let mut tools = Vec::new();
    if let Some(launch) = &ctx.config.session_tools {
        let credential = ctx.store.issue_session_credential(session.id).await?;
        tools.push(McpServerSpec {
            name: launch.name.clone(),
            command: launch.command.clone(),
            args: launch.args.clone(),
            env: vec![(launch.credential_env.clone(), credential)],
        });
    }
    tools.extend(ctx.runtime.editor_turns().tools_to_open(session.id));
    Ok(tools)
}

/// Opens the live agent thread of an editor thread again (`session/load`) when its editor gave
/// other MCP servers than it was opened with (Zed gives them again when it loads or resumes the
/// thread), so that the agent has them for the editor's turn.
pub(crate) async fn refresh_editor_tools(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    acp: &AcpSessionId,
    worktree: &Path,
) -> Result<(), TurnError> {
    if !ctx.runtime.editor_turns().tools_changed(session.id) {
        return Ok(());
    }
    tracing::debug!(session = %session.id, "the editor gave other MCP servers: loading the thread with them");
    let tools = session_tools(ctx, session).await?;
    // The load's replay of the conversation is not recorded again: drain it.
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    instance.load_thread_with_tools(acp, worktree, &tools, events).await.map_err(TurnError::Agent)
}
