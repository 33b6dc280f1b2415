//! The session's thread in the task's agent instance: the recorded one still live in this agent
//! process, loaded again into a new process, or a new one.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentInstance};
use spectask_core::WorkSession;

use super::TurnError;
use crate::engine::Ctx;
use crate::thread_tools;

/// How the session's thread was opened for this drive.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Opened {
    /// A new thread (the recorded one, if any, could not be loaded).
    New,
    /// The recorded thread, loaded into a new agent process after a restart.
    Resumed,
    /// The recorded thread, still live in this agent process: an interactive session between turns,
    /// or a session whose earlier drive stopped mid-turn (a lost job lease, a retried step).
    Live,
}

/// The `recorded` thread, when this agent process still holds it (re-attached).
pub(super) fn live_thread(
    instance: &Arc<AgentInstance>,
    recorded: Option<&AcpSessionId>,
) -> Option<AcpSessionId> {
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    recorded.filter(|acp| instance.attach_thread(acp, events)).cloned()
}

/// Loads the `recorded` thread into this (new) agent process when the agent can, and otherwise
/// opens a new one.
pub(super) async fn open_thread(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    worktree: &Path,
    recorded: Option<AcpSessionId>,
) -> Result<(AcpSessionId, Opened), TurnError> {
    // Events outside a turn (a load's replay) are not recorded again: drain them.
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    // A thread opened in an agent gets the session's coordination tools, with a fresh credential.
    let tools = thread_tools::session_tools(ctx, session).await?;
    if let Some(acp) = recorded {
        match instance.load_thread_with_tools(&acp, worktree, &tools, events.clone()).await {
            Ok(()) => return Ok((acp, Opened::Resumed)),
            Err(err) => {
                tracing::info!(session = %session.id, %err, "cannot resume the recorded thread; opening a new one")
            }
        }
    }
    let acp = instance.new_thread_with_tools(worktree, &tools, events).await.map_err(TurnError::Agent)?;
    Ok((acp, Opened::New))
}
