//! The session's thread in the task's agent instance: the recorded one still live in this agent
//! process, loaded again into a new process, or a new one; and what it is told first on this drive.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentInstance};
use spectask_core::{SpecTask, ThreadStatus, WorkSession};
use spectask_store::ThreadFacts;

use super::TurnError;
use super::first_prompt::first_prompt;
use crate::ctx::Ctx;
use crate::drive::thread_tools;
use crate::implementation::agents;

/// The session's thread, opened for a drive, in the worktree its agent works in.
pub(super) struct DrivenThread {
    pub(super) instance: Arc<AgentInstance>,
    pub(super) worktree: PathBuf,
    pub(super) acp: AcpSessionId,
    /// What the thread is told first (none: it waits for messages).
    pub(super) first: Option<String>,
    pub(super) opened: ThreadOpening,
}

/// Opens the thread of `session` (known by `facts`) for a drive. A session never prompted, outside an
/// editor, gets a new thread, and its first prompt is made meanwhile: the drive's usual case, with
/// nothing of the agent's on the way to the prompt but the thread's opening.
pub(super) async fn open(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    facts: ThreadFacts,
    interactive: bool,
) -> Result<DrivenThread, TurnError> {
    let fresh = facts.editor.is_none() && !facts.prompted && facts.acp_session_id.is_none();
    if fresh {
        let opening = async {
            let (instance, worktree) = agent(ctx, task, session).await?;
            let (acp, opened) = open_thread(ctx, &instance, session, &worktree, None).await?;
            Ok::<_, TurnError>((instance, worktree, acp, opened))
        };
        let (first, opening) = tokio::join!(first_prompt(ctx, task, session, false), opening);
        let (first, (instance, worktree, acp, opened)) = (first?, opening?);
        return Ok(DrivenThread { instance, worktree, acp, first: Some(first), opened });
    }
    let (instance, worktree) = agent(ctx, task, session).await?;
    let was_prompted = facts.prompted;
    let recorded = facts.acp_session_id.map(AcpSessionId);
    if let Some(acp) = live_thread(&instance, recorded.as_ref()) {
        ctx.store.record_thread(session.id, &acp.0, ThreadStatus::Active).await?;
        let first = match facts.editor {
            // An interactive session already under way waits for messages between turns.
            Some(_) => None,
            None if interactive && was_prompted => None,
            None => {
                // A turn of the earlier drive may still run in the agent: stop it before the next.
                if let Err(err) = instance.cancel(&acp).await {
                    tracing::debug!(session = %session.id, %err, "no turn to cancel on the live thread");
                }
                Some(first_prompt(ctx, task, session, was_prompted).await?)
            }
        };
        return Ok(DrivenThread { instance, worktree, acp, first, opened: ThreadOpening::Live });
    }
    // The first prompt is made while the thread is opened, and a new thread is recorded with it in
    // one write (in `turn`): a thread on record has always been told its task.
    let prompt = async {
        match facts.editor {
            Some(_) => Ok(None),
            None => first_prompt(ctx, task, session, was_prompted).await.map(Some),
        }
    };
    let (first, thread) = tokio::join!(prompt, open_thread(ctx, &instance, session, &worktree, recorded));
    let (first, (acp, opened)) = (first?, thread?);
    if opened != ThreadOpening::New || first.is_none() {
        ctx.store.record_thread(session.id, &acp.0, ThreadStatus::Active).await?;
    }
    Ok(DrivenThread { instance, worktree, acp, first, opened })
}

/// The task's agent instance on this node and the worktree it works in, the task's lease taken.
async fn agent(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
) -> Result<(Arc<AgentInstance>, PathBuf), TurnError> {
    let profile = agents::implementation_profile(ctx, task, session)?;
    // The repository by its id: the drive needs only git.
    let repo = crate::repos::open_id(ctx, task.repository_id).await?;
    // Apart from each other, so at once: the worktree (git) and the task's lease (a write, when due).
    let (worktree, leased) = tokio::join!(agents::worktree_in(ctx, &repo, task), agents::lease(ctx, task));
    let worktree = worktree?;
    leased?;
    if crate::implementation::follow_ups::resolves_conflicts(session) {
        crate::implementation::follow_ups::begin(&repo, task).await?;
    }
    let workspace = agents::workspace_in(&repo, worktree.clone(), None);
    let instance = agents::leased_instance(ctx, task, &profile, &workspace).await?;
    Ok((instance, worktree))
}

/// How the session's thread was opened for this drive.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ThreadOpening {
    /// A new thread (the recorded one, if any, could not be loaded).
    New,
    /// The recorded thread, loaded into a new agent process after a restart.
    Resumed,
    /// The recorded thread, still live in this agent process: an interactive session between turns,
    /// or a session whose earlier drive stopped mid-turn (a lost job lease, a retried step).
    Live,
}

/// The `recorded` thread, when this agent process still holds it (re-attached).
fn live_thread(instance: &Arc<AgentInstance>, recorded: Option<&AcpSessionId>) -> Option<AcpSessionId> {
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    recorded.filter(|acp| instance.attach_thread(acp, events)).cloned()
}

/// Loads the `recorded` thread into this (new) agent process when the agent can, and otherwise
/// opens a new one.
async fn open_thread(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    worktree: &Path,
    recorded: Option<AcpSessionId>,
) -> Result<(AcpSessionId, ThreadOpening), TurnError> {
    // Events outside a turn (a load's replay) are not recorded again: drain them.
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    // A thread opened in an agent gets the session's coordination tools, with a fresh credential.
    let tools = thread_tools::session_tools(ctx, session).await?;
    if let Some(acp) = recorded {
        match instance.load_thread_with_tools(&acp, worktree, &tools, events.clone()).await {
            Ok(()) => return Ok((acp, ThreadOpening::Resumed)),
            Err(err) => {
                tracing::info!(session = %session.id, %err, "cannot resume the recorded thread; opening a new one")
            }
        }
    }
    let acp = instance.new_thread_with_tools(worktree, &tools, events).await.map_err(TurnError::Agent)?;
    Ok((acp, ThreadOpening::New))
}
