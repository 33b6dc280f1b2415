//! History entries of a session, appended to the store and announced on the live stream
//! (`work_session.history`), so that a transcript on screen follows the agent as it works; a turn's
//! end with what it spent ([`turn_usage`]). `drive::stream` turns what an agent streams into them.

use spectask_agent::TurnUsage;
use spectask_core::events::payload::WorkSessionHistory;
use spectask_core::{HistoryFile, SpecTaskId, TokenCounts, TurnMeter, WorkSession, WorkSessionId};
use spectask_store::{NewHistoryEntry, NewUsage};

use crate::ctx::Ctx;
use crate::job_error::JobError;

pub(crate) async fn history(
    ctx: &Ctx,
    session: &WorkSession,
    file: HistoryFile,
    content: String,
) -> Result<(), JobError> {
    ctx.store.append_history(&[entry(session, file, content)]).await?;
    announce(ctx, session.spec_task_id, session.id, 1).await;
    Ok(())
}

/// Appends a turn's history `entries` of `session`; a failure is logged (the turn's outcome stands).
pub(crate) async fn append(ctx: &Ctx, session: WorkSessionId, entries: Vec<NewHistoryEntry>) {
    let Some(task) = entries.first().map(|e| e.spec_task_id) else {
        return;
    };
    match ctx.store.append_history(&entries).await {
        Ok(_) => announce(ctx, task, session, entries.len()).await,
        Err(err) => tracing::error!(%err, %session, lost = entries.len(), "cannot record session history"),
    }
}

/// Tells the live stream that `session` has `count` new history entries (a transcript on screen is
/// read again); a failure is logged: the entries are recorded, only shown later.
pub(crate) async fn announce(ctx: &Ctx, task: SpecTaskId, session: WorkSessionId, count: usize) {
    let payload = WorkSessionHistory { entries: count };
    if let Err(err) = ctx.store.publish_event(Some(task), Some(session), &payload).await {
        tracing::warn!(%err, %session, "cannot announce new history entries");
    }
}

/// Appends a turn's last history `entries` of `session` with what the turn spent (see
/// [`turn_usage`]) and, for a turn that ended to be judged, its last message (`ended`: a drive cut
/// off before its verdict judges it on restart instead of prompting again), in one write that
/// also announces the entries; a failure is logged.
pub(crate) async fn append_turn_end(
    ctx: &Ctx,
    session: &WorkSession,
    model: Option<&str>,
    entries: Vec<NewHistoryEntry>,
    spent: TurnSpent,
    ended: Option<&str>,
) {
    let usage = turn_usage(ctx, session.spec_task_id, Some(session.id), model, spent);
    let ended = ended.map(|message| (session.id, message));
    match ctx.store.record_turn_end(&entries, usage.as_ref(), ended).await {
        Ok(()) => {}
        Err(err) => {
            tracing::error!(%err, session = %session.id, lost = entries.len(), "cannot record the turn's end")
        }
    }
}

/// What a turn spent: the tokens its agent reported with its end, and what its usage updates said.
#[derive(Debug, Default)]
pub(crate) struct TurnSpent {
    pub usage: Option<TurnUsage>,
    pub meter: TurnMeter,
    /// A budget stopped the turn while it ran.
    pub capped: bool,
}

/// A turn's ledger entry (of `session`, or of the task's planning): the tokens its agent reported
/// with its end (a turn a budget stopped, whose agent reported none, counts its context fills:
/// what the budget weighed); its cost, its part of what the agent reported, else priced by the
/// price table when the agent's `model` is known. None when nothing was reported at all.
pub(crate) fn turn_usage(
    ctx: &Ctx,
    task: SpecTaskId,
    session: Option<WorkSessionId>,
    model: Option<&str>,
    spent: TurnSpent,
) -> Option<NewUsage> {
    let reported_cost = spent.meter.cost();
    let tokens = match spent.usage {
        Some(u) => TokenCounts {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cached_tokens: u.cached_tokens,
        },
        None if spent.capped => {
            TokenCounts { input_tokens: spent.meter.estimated_tokens(), output_tokens: 0, cached_tokens: 0 }
        }
        None if reported_cost.is_some() => TokenCounts::default(),
        None => return None,
    };
    let cost = reported_cost.clone().or_else(|| ctx.config.prices.cost(model, tokens));
    Some(NewUsage {
        spec_task_id: task,
        work_session_id: session,
        model: model.map(str::to_owned),
        tokens,
        cost,
        running_total: reported_cost.and(spent.meter.running_total().cloned()),
    })
}

/// One history entry of `session`.
pub(crate) fn entry(session: &WorkSession, file: HistoryFile, content: String) -> NewHistoryEntry {
    NewHistoryEntry { spec_task_id: session.spec_task_id, work_session_id: Some(session.id), file, content }
}
