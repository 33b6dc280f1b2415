//! Stall watch over one turn: an agent silent for the stall time (no message, no tool call, no
//! plan, while nothing waits on a person or a terminal) marks its session stalled, once, with its
//! last activity; the profile's `on_stall` says what else happens (nothing, the turn interrupted
//! and prompted again, or the session failed). The mark goes when the agent speaks again.

use std::time::Duration;

use spectask_agent::{AcpSessionId, AgentInstance, StallPolicy};
use spectask_core::WorkSession;
use spectask_store::SessionStall;
use tokio::time::Instant;

use crate::engine::Ctx;

/// What the turn must do about a stall, beyond its mark.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StallAction {
    /// Cancel the turn and prompt the thread again, for this reason.
    Interrupt(String),
    /// Cancel the turn and fail the session, for this reason.
    Fail(String),
}

/// The watch of one turn.
pub(super) struct StallWatch {
    after: Duration,
    policy: StallPolicy,
    /// The session is marked stalled.
    stalled: bool,
    look_at: Instant,
}

impl StallWatch {
    pub(super) fn new(after: Duration, policy: StallPolicy) -> Self {
        StallWatch { after, policy, stalled: false, look_at: Instant::now() + after }
    }

    /// Returns when it is time to look at the agent's silence again.
    pub(super) async fn due(&self) {
        tokio::time::sleep_until(self.look_at).await;
    }

    /// Looks at how long the agent has been silent: marks the session stalled (or clears the mark
    /// when it spoke again) and says what the turn must do.
    pub(super) async fn look(
        &mut self,
        ctx: &Ctx,
        instance: &AgentInstance,
        acp: &AcpSessionId,
        session: &WorkSession,
    ) -> Option<StallAction> {
        // While a person or a terminal has the agent wait, it is not silent: look again soon.
        let soon = (self.after / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
        let Some(silent) = instance.silent_for(acp) else {
            self.look_at = Instant::now() + soon;
            return None;
        };
        if silent < self.after {
            if self.stalled {
                self.clear(ctx, session).await;
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
        let stall = SessionStall {
            work_session_id: session.id,
            spec_task_id: session.spec_task_id,
            since: now,
            last_activity_at: last,
            policy: self.policy.as_str().to_owned(),
        };
        if let Err(err) = ctx.store.mark_session_stalled(&stall).await {
            tracing::warn!(session = %session.id, %err, "cannot mark the session stalled");
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
    pub(super) async fn end(&mut self, ctx: &Ctx, session: &WorkSession) {
        if self.stalled {
            self.clear(ctx, session).await;
        }
    }

    async fn clear(&mut self, ctx: &Ctx, session: &WorkSession) {
        match ctx.store.clear_session_stall(session.id).await {
            Ok(_) => self.stalled = false,
            Err(err) => tracing::warn!(session = %session.id, %err, "cannot clear the session's stall"),
        }
    }
}
