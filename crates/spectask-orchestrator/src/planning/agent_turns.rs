//! The turns of a task's planning or reviewing agent: a thread of its own, with no work session.
//! Each turn is weighed against the budgets that hold the task before it starts and at each of the
//! agent's usage updates as it runs (cancelled at the one that reaches a limit), and lands in the
//! usage ledger as the task's planning: the tokens its agent reported with its end, and its part of
//! the cost the agent reported (else priced), as a work session's turn does. Its silence is
//! watched as a session's is: an agent silent for the stall time is marked stalled on the task, and
//! the planning profile's `on_stall` says what else happens (the turn interrupted and the agent
//! prompted again, at most three times in a row, or the planning failed). The conversation is not
//! recorded; what the sandbox refused the agent is published.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentEvent, AgentInstance, TurnUsage};
use spectask_core::{BudgetHold, Money, SpecTask, TurnMeter};
use tokio::sync::mpsc;

use super::plan_agent::agent_error;
use crate::ctx::Ctx;
use crate::drive::budget;
use crate::drive::{StallAction, StallWatch, Watched};
use crate::history::audit::{self, Finding};
use crate::history::record::{TurnSpent, turn_usage};
use crate::job_error::JobError;

/// Usage updates and turn ends kept for the turn that reads them.
const USAGE_BUFFER: usize = 64;

/// How long an answered prompt's end may take to come through the drain (it was sent before the
/// answer returned, so it is there at once but for the drain's own step).
const TURN_END_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How many times in a row a turn cut by a stall (`on_stall = "interrupt"`) is prompted again; one
/// more stall retries the planning step, as a failure would.
const STALL_REPROMPTS: usize = 3;

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
        // A mark left by a planning cut off (a crash) is no stall of this one.
        if let Err(err) = ctx.store.clear_planning_stall(task.id).await {
            tracing::warn!(task = %task.id, %err, "cannot clear an earlier planning's stall");
        }
        Ok(AgentTurns { ctx, task, instance, thread, usage, drain, running_total: None })
    }

    /// One turn saying `text`, unless a budget holds the task. A turn its agent went silent in,
    /// under `on_stall = "interrupt"`, is cut and the agent told `text` again, saying why.
    pub(crate) async fn prompt(&mut self, text: &str) -> Result<Turn, JobError> {
        let mut said = text.to_owned();
        let mut reprompts = 0;
        loop {
            match self.prompt_once(&said).await? {
                Ok(turn) => return Ok(turn),
                Err(reason) if reprompts < STALL_REPROMPTS => {
                    reprompts += 1;
                    tracing::info!(task = %self.task.id, %reason, "prompting the stalled planning agent again");
                    said = format!(
                        "Your last turn was interrupted: {reason}. Carry on with what was asked, \
                         keeping what you already wrote:\n\n{text}"
                    );
                }
                Err(reason) => return Err(JobError::retry(format!("the planning agent stalled: {reason}"))),
            }
        }
    }

    /// One turn saying `text`: how it came out, or why a stall cut it (`on_stall = "interrupt"`).
    async fn prompt_once(&mut self, text: &str) -> Result<Result<Turn, String>, JobError> {
        let (ctx, task) = (self.ctx, self.task);
        if let Some(hold) = budget::weigh(ctx, task.id).await? {
            return Ok(Ok(Turn::Held(hold)));
        }
        let model = self.instance.profile().model().map(str::to_owned);
        let cap = budget::cap(ctx, task.id, model.clone()).await?;
        // Reports of an earlier turn that came after its end count in this one's running total.
        while self.usage.try_recv().is_ok() {}
        let mut meter = TurnMeter::new(self.running_total.clone());
        let mut usage: Option<TurnUsage> = None;
        let mut held: Option<BudgetHold> = None;
        let mut stall = StallWatch::new(ctx.config.stall_after, self.instance.profile().on_stall());
        let mut stalled_out: Option<StallAction> = None;
        let prompting = self.instance.prompt(&self.thread, text);
        tokio::pin!(prompting);
        let result = loop {
            tokio::select! {
                result = &mut prompting => break result,
                Some(event) = self.usage.recv() => {
                    let reached = note(event, &mut meter, &mut usage)
                        .then(|| cap.as_ref().and_then(|c| c.crossed(&meter, &ctx.config.prices)))
                        .flatten();
                    if let Some(hold) = reached.filter(|_| held.is_none() && stalled_out.is_none()) {
                        held = Some(hold);
                        if let Err(err) = self.instance.cancel(&self.thread).await {
                            tracing::debug!(task = %task.id, %err, "cannot cancel the turn that reached a budget");
                        }
                    }
                }
                () = stall.due(), if held.is_none() && stalled_out.is_none() => {
                    // The agent went silent: marked, and the turn stopped when the profile says so.
                    if let Some(action) = stall.look(ctx, &self.instance, &self.thread, Watched::Planning(task.id)).await {
                        stalled_out = Some(action);
                        if let Err(err) = self.instance.cancel(&self.thread).await {
                            tracing::debug!(task = %task.id, %err, "cannot cancel the stalled turn");
                        }
                    }
                }
            }
        };
        stall.end(ctx, Watched::Planning(task.id)).await;
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
            return Ok(Ok(Turn::Held(hold)));
        }
        match stalled_out {
            Some(StallAction::Interrupt(reason)) => Ok(Err(reason)),
            Some(StallAction::Fail(reason)) => Err(JobError::fatal(format!("the planning agent: {reason}"))),
            None => result.map(|stop| Ok(Turn::Ended(stop))).map_err(agent_error),
        }
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
