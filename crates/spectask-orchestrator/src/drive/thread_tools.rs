//! The MCP servers a work session's agent thread is given: spectask's coordination server, then,
//! for a thread opened from an editor, the editor's own servers, which this node holds in memory
//! only (`EditorTurns`, given with every prompt of the editor) until the thread's session ends.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentInstance, EditorTurns, McpServerSpec};
use spectask_core::WorkSession;
use spectask_store::{Store, StoreError};

use crate::ctx::Ctx;
use crate::drive::TurnError;

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

/// Forgets the MCP servers editors gave the threads whose work sessions ended (completed or
/// cancelled, on whichever node) or are gone: nothing opens those threads again, and the servers'
/// environment may carry the editor's credentials. Run by the engine every third of a lease.
pub(crate) async fn forget_ended(store: &Store, turns: &EditorTurns) {
    for session in turns.editor_threads() {
        match store.work_session(session).await {
            Ok(open) if !open.status().is_terminal() => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => turns.forget_tools(session),
            Err(err) => tracing::warn!(%session, %err, "cannot read the session of an editor thread"),
        }
    }
}

#[cfg(test)]
mod tests {
    use spectask_core::{NewSpecTask, TaskKind, WorkSessionCommand};
    use spectask_store::{DatabaseUrl, NewWorkSession};

    use super::*;

    fn server(name: &str) -> McpServerSpec {
        McpServerSpec {
            name: name.into(),
            command: "/usr/bin/true".into(),
            args: Vec::new(),
            env: vec![("TOKEN".into(), "the editor's secret".into())],
        }
    }

    /// Three editor threads of one task: the completed and the cancelled one's servers are
    /// forgotten, the running one's kept.
    async fn only_ended_threads_are_forgotten(store: Store, dir: &Path) {
        let (_, repository) = crate::fixtures::registered_repository(&store, dir).await.unwrap();
        let new = NewSpecTask::new(TaskKind::Interactive, repository.id, "Pair", "pair with me", "local");
        let task = store.create_spec_task(new).await.unwrap();
        let turns = EditorTurns::default();
        let mut sessions = Vec::new();
        for name in ["closed", "cancelled", "open"] {
            let session = store.create_work_session(NewWorkSession::implementation(task.id, name, "")).await;
            let session = session.unwrap();
            let session = store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap();
            turns.set_tools(session.value.id, vec![server(name)]);
            sessions.push(session.value);
        }
        store.transition_work_session(&sessions[0], &WorkSessionCommand::Complete).await.unwrap();
        store.transition_work_session(&sessions[1], &WorkSessionCommand::Cancel).await.unwrap();

        forget_ended(&store, &turns).await;
        assert_eq!(turns.editor_threads(), [sessions[2].id], "only the open thread keeps its servers");
        assert_eq!(turns.tools_to_open(sessions[2].id), [server("open")]);
    }

    #[tokio::test]
    async fn the_servers_of_ended_editor_threads_are_forgotten_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::sqlite_in(&dir.path().join("data"))).await.unwrap();
        only_ended_threads_are_forgotten(store, dir.path()).await;
    }

    #[tokio::test]
    async fn the_servers_of_ended_editor_threads_are_forgotten_on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let url = spectask_store::testing::isolated_postgres_url().await.unwrap();
        let store = Store::open(&DatabaseUrl::parse(&url).unwrap()).await.unwrap();
        only_ended_threads_are_forgotten(store, dir.path()).await;
    }
}
