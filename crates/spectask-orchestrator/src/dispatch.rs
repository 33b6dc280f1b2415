//! From a job's kind to the step that carries it out.

use spectask_core::{Job, JobKind, SpecTaskEffect};

use crate::engine::Ctx;
use crate::{handoff, planning};

/// How a step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a network or server error, a busy repository …).
    #[error("{0}")]
    Retry(String),
    /// Will fail again (a missing profile, a rewritten design-docs branch …).
    #[error("{0}")]
    Fatal(String),
    /// The node is shutting down.
    #[error("interrupted")]
    Interrupted,
}

impl From<spectask_store::StoreError> for JobError {
    fn from(err: spectask_store::StoreError) -> Self {
        JobError::Retry(err.to_string())
    }
}

pub(crate) async fn run(ctx: &Ctx, job: &Job) -> Result<(), JobError> {
    let Some(task) = job.spec_task_id else {
        return Err(JobError::Fatal(format!("job {} names no spec task", job.id)));
    };
    match job.kind {
        JobKind::SpecTask(SpecTaskEffect::RunPlanner) => planning::run(ctx, task).await,
        JobKind::SpecTask(SpecTaskEffect::CommitSpecHandoff) => handoff::run(ctx, task).await,
        // People review; admission starts the revision when a slot is free.
        JobKind::SpecTask(SpecTaskEffect::AwaitSpecReview | SpecTaskEffect::ScheduleRevision) => Ok(()),
        // No agent runs for a task before implementation, so there is nothing to stop yet.
        JobKind::SpecTask(SpecTaskEffect::StopAgents) => Ok(()),
        other => Err(JobError::Fatal(format!("this node cannot carry out {other} yet"))),
    }
}
