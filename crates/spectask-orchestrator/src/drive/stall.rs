//! Stall watch over one turn: an agent silent for the stall time (no message, no tool call, no
//! plan, while nothing waits on a person or a terminal) marks its session stalled, once, with its
//! last activity; the profile's `on_stall` says what else happens (nothing, the turn interrupted
//! and prompted again, or the session failed). The mark goes when the agent speaks again. A task's
//! planning (or reviewing) agent is watched alike, its mark on the task (it has no session).

use std::time::Duration;

use spectask_agent::{AcpSessionId, AgentInstance, StallPolicy};
use spectask_core::{SpecTaskId, WorkSession};
use spectask_store::{PlanningStall, SessionStall};
use tokio::time::Instant;

use crate::ctx::Ctx;

/// Whose silence a watch marks: a work session's agent, or a task's planning (or reviewing) agent.
#[derive(Clone, Copy)]
pub(crate) enum Watched<'a> {
    Session(&'a WorkSession),
    Planning(SpecTaskId),
}

impl Watched<'_> {
    fn task(&self) -> SpecTaskId {
        match self {
            Watched::Session(session) => session.spec_task_id,
            Watched::Planning(task) => *task,
        }
    }
}

/// What the turn must do about a stall, beyond its mark.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StallAction {
    /// Cancel the turn and prompt the thread again, for this reason.
    Interrupt(String),
    /// Cancel the turn and fail the session, for this reason.
    Fail(String),
}

/// The watch of one turn.
pub(crate) struct StallWatch {
    after: Duration,
    policy: StallPolicy,
    /// The session is marked stalled.
    stalled: bool,
    look_at: Instant,
}

impl StallWatch {
    pub(crate) fn new(after: Duration, policy: StallPolicy) -> Self {
        StallWatch { after, policy, stalled: false, look_at: Instant::now() + after }
    }

    /// Returns when it is time to look at the agent's silence again.
    pub(crate) async fn due(&self) {
        tokio::time::sleep_until(self.look_at).await;
    }

    /// Looks at how long the agent has been silent: marks it stalled (or clears the mark when it
    /// spoke again) and says what the turn must do.
    pub(crate) async fn look(
        &mut self,
        ctx: &Ctx,
        instance: &AgentInstance,
        acp: &AcpSessionId,
        watched: Watched<'_>,
    ) -> Option<StallAction> {
        // While a person or a terminal has the agent wait, it is not silent: look again soon.
        let soon = (self.after / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
        let Some(silent) = instance.silent_for(acp) else {
            self.look_at = Instant::now() + soon;
            return None;
        };
        if silent < self.after {
            if self.stalled {
                self.clear(ctx, watched).await;
            }
            self.look_at = Instant::now() + (self.after - silent);
            return None;
        }
        self.look_at = Instant::now() + soon;
        if self.stalled {
            return None;
        }
        self.stalled = true;
        let now = chrono::Utc::now();
        let last = chrono::Duration::from_std(silent).map_or(now, |d| now - d);
        let policy = self.policy.as_str().to_owned();
        let marked = match watched {
            Watched::Session(session) => {
                let stall = SessionStall {
                    work_session_id: session.id,
                    spec_task_id: session.spec_task_id,
                    since: now,
                    last_activity_at: last,
                    policy,
                };
                ctx.store.mark_session_stalled(&stall).await
            }
            Watched::Planning(task) => {
                let stall = PlanningStall { spec_task_id: task, since: now, last_activity_at: last, policy };
                ctx.store.mark_planning_stalled(&stall).await
            }
        };
        if let Err(err) = marked {
            tracing::warn!(task = %watched.task(), %err, "cannot mark the agent stalled");
        }
        let silent = format!("the agent was silent for {} s", silent.as_secs());
        match self.policy {
            StallPolicy::Notify => None,
            StallPolicy::Interrupt => {
                Some(StallAction::Interrupt(format!("{silent}: its turn was interrupted to prompt it again")))
            }
            StallPolicy::Fail => Some(StallAction::Fail(format!("{silent} (on_stall = \"fail\")"))),
        }
    }

    /// The turn ended: a stall it was marked with is over.
    pub(crate) async fn end(&mut self, ctx: &Ctx, watched: Watched<'_>) {
        if self.stalled {
            self.clear(ctx, watched).await;
        }
    }

    async fn clear(&mut self, ctx: &Ctx, watched: Watched<'_>) {
        let cleared = match watched {
            Watched::Session(session) => ctx.store.clear_session_stall(session.id).await,
            Watched::Planning(task) => ctx.store.clear_planning_stall(task).await,
        };
        match cleared {
            Ok(_) => self.stalled = false,
            Err(err) => tracing::warn!(task = %watched.task(), %err, "cannot clear the agent's stall"),
        }
    }
}
