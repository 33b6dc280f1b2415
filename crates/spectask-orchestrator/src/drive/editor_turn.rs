//! An editor's prompt on its thread (`spectask acp`'s `session/prompt`): the turn runs like any other
//! — recorded, confined, in the task's agent instance — with the thread relayed to the editor, which
//! sees the agent's updates as they come, answers its permission requests, may serve its files and
//! terminals, and may cancel the turn; the editor then learns how the turn ended.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentInstance, HeldTurn};
use spectask_core::{SpecTask, WorkSession};
use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::drive::prompt::EditorSlice;
use crate::drive::thread_tools;
use crate::drive::{TurnError, TurnPrompt, siblings, turn};
use crate::job_error::JobError;

/// Runs the editor's turn, with `slice` put before what the person says, and tells the editor how
/// it ended; returns the agent's last message.
pub(crate) async fn run(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    (acp, worktree): (&AcpSessionId, &Path),
    held: HeldTurn,
    slice: Option<String>,
    cancel: &CancellationToken,
) -> Result<String, TurnError> {
    let HeldTurn { prompt, from, relay, cancel: editor_cancel, ended } = held;
    if editor_cancel.is_cancelled() {
        // Cancelled before its turn came: the agent never hears it.
        let _ = ended.send(Ok("cancelled".to_owned()));
        return Ok(String::new());
    }
    if let Err(err) = thread_tools::refresh_editor_tools(ctx, instance, session, acp, worktree).await {
        let _ = ended.send(Err(err.to_string()));
        return Err(err);
    }
    instance.relay_thread(acp, relay);
    let prompt = TurnPrompt {
        content: prompt,
        from,
        editor_cancel: Some(editor_cancel),
        preface: slice,
        new_thread: false,
        prompted_before: true,
        judged_in: None,
    };
    let turned = turn(ctx, instance, session, acp, worktree, prompt, cancel).await;
    instance.unrelay_thread(acp);
    let end = match &turned {
        Ok(turned) => Ok(turned.stop.clone()),
        Err(err) => Err(err.to_string()),
    };
    if ended.send(end).is_err() {
        tracing::debug!(session = %session.id, "the editor left before its turn ended");
    }
    turned.map(|turned| turned.last_message)
}

/// The spec slice of an editor thread's first prompt (`request`, from the editor `client`); none
/// for a task without a spec.
pub(crate) async fn slice(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    client: &str,
    request: &str,
) -> Result<Option<String>, JobError> {
    let Some(spec) = crate::ctx::plans::documents(&ctx.store, &ctx.plans, task).await? else {
        return Ok(None);
    };
    let parent = match session.parent_id {
        Some(parent) => Some(ctx.store.work_session(parent).await?),
        None => None,
    };
    let standing = ctx.standings.of(task.id, crate::drive::standing(ctx, task)).await?;
    let siblings = siblings(session, &standing.finished);
    let slice = EditorSlice {
        task,
        client,
        spec: &spec,
        plan_task: parent.as_ref().and_then(|p| p.plan_task.as_ref()),
        request,
        progress: standing.progress.as_deref(),
        siblings: &siblings,
        tools: ctx.config.session_tools.as_ref().map(|t| t.name.as_str()),
    };
    Ok(Some(slice.render()))
}
