//! Jobs a step claimed for this node in the write that queued them (the threads a scheduling
//! decision starts: a pass's, `Store::schedule_implementation`; a commit step's,
//! `record_work_session_committed`; a drive's completion, `complete_work_session_unless_messages`),
//! handed to the engine, which runs them as it runs the jobs it
//! claims: no wake-up and no claim of its own in between. The write claims only what a claim of this
//! node could take then (nothing of the job's key before it, no other node holding the task's lease).
//! A job handed to an engine that stops before it runs it is leased to this node like any job it
//! claimed: the next start of the node takes it back, or its lease lapses for another node.

use std::sync::{Mutex, PoisonError};

use spectask_core::Job;
use spectask_store::{Decide, JobClaim, Scheduling, SchedulingOutcome};
use tokio::sync::Notify;

use crate::ctx::Ctx;

/// How a scheduling write of this node schedules with `decide`: claiming the threads it starts for
/// this node, unless no engine runs what it would claim.
pub(crate) fn scheduling<'a>(ctx: &'a Ctx, decide: Decide<'a>) -> Scheduling<'a> {
    let claim = ctx.handed.as_ref().map(|_| JobClaim { owner: &ctx.config.node, lease: ctx.config.lease });
    Scheduling { decide, claim }
}

/// Passes what a scheduling write claimed to this node's engine.
pub(crate) fn pass_to_engine(ctx: &Ctx, scheduled: &SchedulingOutcome) {
    if let Some(handed) = &ctx.handed {
        handed.push(scheduled.claimed.clone());
    }
}

#[derive(Debug, Default)]
pub(crate) struct HandedJobs {
    jobs: Mutex<Vec<Job>>,
    arrived: Notify,
}

impl HandedJobs {
    /// Adds claimed jobs for the engine to run.
    pub(crate) fn push(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).extend(jobs);
        self.arrived.notify_one();
    }

    /// The jobs handed since the last take.
    pub(crate) fn take(&self) -> Vec<Job> {
        std::mem::take(&mut *self.jobs.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Returns once jobs were pushed (a push while nobody waited is kept).
    pub(crate) async fn arrived(&self) {
        self.arrived.notified().await;
    }
}
