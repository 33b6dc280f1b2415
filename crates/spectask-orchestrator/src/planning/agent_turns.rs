//! The turns of a task's planning or reviewing agent: a thread of its own, with no work session.
//! Each turn is weighed against the budgets that hold the task before it starts and at each of the
//! agent's usage updates as it runs (cancelled at the one that reaches a limit), and lands in the
//! usage ledger as the task's planning: the tokens its agent reported with its end, and its part of
//! the cost the agent reported (else priced), as a work session's turn does. The conversation is
//! not recorded; what the sandbox refused the agent is published.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentEvent, AgentInstance, TurnUsage};
use spectask_core::{BudgetHold, Money, SpecTask, TurnMeter};
use tokio::sync::mpsc;

use super::plan_agent::agent_error;
use crate::dispatch::JobError;
use crate::drive::budget;
use crate::engine::Ctx;
use crate::history::audit::{self, Finding};
use crate::history::record::{TurnSpent, turn_usage};

/// Usage updates and turn ends kept for the turn that reads them.
const USAGE_BUFFER: usize = 64;

/// How long an answered prompt's end may take to come through the drain (it was sent before the
/// answer returned, so it is there at once but for the drain's own step).
const TURN_END_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How a turn came out.
pub(crate) enum Turn {
    /// The agent ended it, with this stop reason.
    Ended(String),
    /// A budget holds the task: the turn did not start, or was cancelled when it reached it.
    Held(BudgetHold),
}

/// The agent's thread and what its turns spent so far.
pub(crate) struct AgentTurns<'a> {
    ctx: &'a Ctx,
    task: &'a SpecTask,
    instance: Arc<AgentInstance>,
    thread: AcpSessionId,
    usage: mpsc::Receiver<AgentEvent>,
    drain: tokio::task::JoinHandle<()>,
    /// The thread's running cost as last reported.
    running_total: Option<Money>,
}

impl<'a> AgentTurns<'a> {
    /// Opens a thread of `instance` in `worktree` for `task`'s planning or review.
    pub(crate) async fn open(
        ctx: &'a Ctx,
        task: &'a SpecTask,
        instance: Arc<AgentInstance>,
        worktree: &Path,
    ) -> Result<AgentTurns<'a>, JobError> {
        let (events, rx) = instance.event_channel();
        let (usage_tx, usage) = mpsc::channel(USAGE_BUFFER);
        let drain = drain_events(ctx, task, rx, usage_tx);
        let thread = match instance.new_thread(worktree, events).await {
            Ok(thread) => thread,
            Err(err) => {
                drain.abort();
                return Err(agent_error(err));
            }
        };
        Ok(AgentTurns { ctx, task, instance, thread, usage, drain, running_total: None })
    }

    /// One turn saying `text`, unless a budget holds the task.
    pub(crate) async fn prompt(&mut self, text: &str) -> Result<Turn, JobError> {
        let (ctx, task) = (self.ctx, self.task);
        if let Some(hold) = budget::weigh(ctx, task.id).await? {
            return Ok(Turn::Held(hold));
        }
        let model = self.instance.profile().model().map(str::to_owned);
        let cap = budget::cap(ctx, task.id, model.clone()).await?;
        // Reports of an earlier turn that came after its end count in this one's running total.
        while self.usage.try_recv().is_ok() {}
        let mut meter = TurnMeter::new(self.running_total.clone());
        let mut usage: Option<TurnUsage> = None;
        let mut held: Option<BudgetHold> = None;
        let prompting = self.instance.prompt(&self.thread, text);
        tokio::pin!(prompting);
        let result = loop {
            tokio::select! {
                result = &mut prompting => break result,
                Some(event) = self.usage.recv() => {
                    let reached = note(event, &mut meter, &mut usage)
                        .then(|| cap.as_ref().and_then(|c| c.crossed(&meter, &ctx.config.prices)))
                        .flatten();
                    if let Some(hold) = reached.filter(|_| held.is_none()) {
                        held = Some(hold);
                        if let Err(err) = self.instance.cancel(&self.thread).await {
                            tracing::debug!(task = %task.id, %err, "cannot cancel the turn that reached a budget");
                        }
                    }
                }
            }
        };
        // An answered prompt's end (with its tokens) is on its way through the drain: wait for it.
        if result.is_ok() {
            while let Ok(Some(event)) = tokio::time::timeout(TURN_END_WAIT, self.usage.recv()).await {
                let ended = matches!(event, AgentEvent::TurnEnded { .. });
                note(event, &mut meter, &mut usage);
                if ended {
                    break;
                }
            }
        }
        self.running_total = meter.running_total().cloned();
        let spent = TurnSpent { usage, meter, capped: held.is_some() };
        if let Some(entry) = turn_usage(ctx, task.id, None, model.as_deref(), spent) {
            ctx.store.record_usage(&[entry]).await?;
        }
        // The lines this turn took the task over are told now, whatever comes next.
        let after = budget::weigh(ctx, task.id).await?;
        if let Some(hold) = held.or(after.filter(|_| result.is_err())) {
            return Ok(Turn::Held(hold));
        }
        result.map(Turn::Ended).map_err(agent_error)
    }

    /// Closes the thread.
    pub(crate) async fn close(self) {
        let _ = self.instance.close_thread(&self.thread).await;
        self.drain.abort();
    }
}

/// Counts a usage update or a turn's end in the turn's meter; true for a usage update.
fn note(event: AgentEvent, meter: &mut TurnMeter, usage: &mut Option<TurnUsage>) -> bool {
    match event {
        AgentEvent::Usage { used, cost, .. } => {
            meter.report(used, cost.map(|c| Money::from_amount(c.amount, &c.currency)));
            true
        }
        AgentEvent::TurnEnded { usage: Some(turn), .. } => {
            *usage = Some(turn);
            false
        }
        _ => false,
    }
}

/// Reads the thread's events until it ends, so the agent never blocks: usage updates and turn
/// ends go to the turn that reads them; what the sandbox refused is published; the rest is not
/// recorded.
fn drain_events(
    ctx: &Ctx,
    task: &SpecTask,
    mut rx: mpsc::Receiver<AgentEvent>,
    usage: mpsc::Sender<AgentEvent>,
) -> tokio::task::JoinHandle<()> {
    let (ctx, task_id) = (ctx.clone(), task.id);
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let (kind, finding) = match &event {
                AgentEvent::Usage { .. } | AgentEvent::TurnEnded { .. } => {
                    // For the turn, which reads them as they come (an agent says little between
                    // turns); gone with the turns.
                    if usage.send(event).await.is_err() {
                        return;
                    }
                    continue;
                }
                AgentEvent::EditOutsideWorktree(f) => (Finding::EditOutsideWorktree, f),
                AgentEvent::AccessRefused(f) => (Finding::AccessRefused, f),
                _ => continue,
            };
            audit::publish(&ctx, task_id, None, kind, finding).await;
        }
    })
}
