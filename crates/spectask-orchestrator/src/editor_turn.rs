//! An editor's prompt on its thread (`spectask acp`'s `session/prompt`): the turn runs like any other
//! — recorded, confined, in the task's agent instance — with the thread relayed to the editor, which
//! sees the agent's updates as they come, answers its permission requests, may serve its files and
//! terminals, and may cancel the turn; the editor then learns how the turn ended.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentInstance, HeldTurn};
use spectask_core::WorkSession;
use tokio_util::sync::CancellationToken;

use crate::drive::{TurnError, TurnPrompt, turn};
use crate::engine::Ctx;

/// Runs the editor's turn and tells the editor how it ended; returns the agent's last message.
pub(crate) async fn run(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    acp: &AcpSessionId,
    worktree: &Path,
    held: HeldTurn,
    cancel: &CancellationToken,
) -> Result<String, TurnError> {
    let HeldTurn { prompt, from, relay, cancel: editor_cancel, ended } = held;
    if editor_cancel.is_cancelled() {
        // Cancelled before its turn came: the agent never hears it.
        let _ = ended.send(Ok("cancelled".to_owned()));
        return Ok(String::new());
    }
    instance.relay_thread(acp, relay);
    let prompt = TurnPrompt { content: prompt, from, editor_cancel: Some(editor_cancel) };
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
