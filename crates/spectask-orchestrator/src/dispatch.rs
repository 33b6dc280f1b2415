//! From a job's kind to the step that carries it out.

use spectask_core::{Job, JobKind, SpecTaskEffect, WorkSessionEffect};
use tokio_util::sync::CancellationToken;

use crate::engine::Ctx;
use crate::implementation::{agents, sessions, work};
use crate::planning::handoff;
use crate::review::{finish, pull_requests};
use crate::{drive, planning};

/// How a step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a network or server error, a busy repository, an agent that died …).
    #[error("{0}")]
    Retry(String),
    /// Will fail again (a missing profile, a rewritten design-docs branch …).
    #[error("{0}")]
    Fatal(String),
    /// Cannot go on before `until`, which someone else named (a forge's rate limit): the job runs
    /// again then, the attempt not counted.
    #[error("{reason}")]
    Wait { reason: String, until: spectask_core::Timestamp },
    /// The node is shutting down.
    #[error("interrupted")]
    Interrupted,
}

impl From<spectask_store::StoreError> for JobError {
    /// What names nothing that exists, or data that cannot be read, will not heal by retrying; a
    /// record changed under the step (a conflict, a transition no longer legal) is worth another
    /// attempt, which reads it again; so is the database being unreachable or busy.
    fn from(err: spectask_store::StoreError) -> Self {
        use spectask_store::StoreError as E;
        match err {
            E::NotFound { .. }
            | E::Ambiguous { .. }
            | E::InvalidReference { .. }
            | E::InvalidInput(_)
            | E::Corrupt(_)
            | E::InvalidUrl { .. }
            | E::Taken(_)
            | E::Refused { .. }
            | E::Migrate(_) => JobError::Fatal(err.to_string()),
            E::Conflict { .. } | E::Transition(_) | E::Database(_) | E::DataDir { .. } | E::Randomness(_) => {
                JobError::Retry(err.to_string())
            }
        }
    }
}

pub(crate) async fn run(ctx: &Ctx, job: &Job, cancel: &CancellationToken) -> Result<(), JobError> {
    let Some(task) = job.spec_task_id else {
        return Err(JobError::Fatal(format!("job {} names no spec task", job.id)));
    };
    let session = || {
        job.work_session_id.ok_or_else(|| JobError::Fatal(format!("job {} names no work session", job.id)))
    };
    match job.kind {
        JobKind::SpecTask(effect) => match effect {
            SpecTaskEffect::RunPlanner => planning::run(ctx, task).await,
            SpecTaskEffect::CommitSpecHandoff => handoff::run(ctx, task).await,
            SpecTaskEffect::StartImplementation => sessions::begin_implementation(ctx, task, cancel).await,
            SpecTaskEffect::ResumeImplementation => work::resume_implementation(ctx, task).await,
            SpecTaskEffect::SummarizeImplementation => finish::summarize(ctx, task).await,
            SpecTaskEffect::MergeTaskBranch => finish::merge(ctx, task).await,
            SpecTaskEffect::OpenPullRequest => pull_requests::open(ctx, task).await,
            SpecTaskEffect::TakeUpMerge => pull_requests::take_up_merge(ctx, task).await,
            SpecTaskEffect::WriteImplementationComplete => finish::write_complete(ctx, task).await,
            SpecTaskEffect::StopAgents => agents::stop_and_clean(ctx, task).await,
        },
        JobKind::WorkSession(effect) => match effect {
            WorkSessionEffect::StartThread | WorkSessionEffect::ResumeThread => {
                drive::drive(ctx, task, session()?, cancel).await
            }
            WorkSessionEffect::CommitChanges => work::commit_changes(ctx, session()?).await,
        },
        JobKind::AdvanceImplementation => sessions::start_implementation(ctx, task).await,
    }
}

#[cfg(test)]
mod tests {
    use spectask_store::StoreError;

    use super::*;

    #[test]
    fn store_errors_that_cannot_heal_fail_the_step_and_the_rest_retry() {
        let missing = StoreError::NotFound { entity: "work session", reference: "x".into() };
        assert!(matches!(JobError::from(missing), JobError::Fatal(m) if m.contains("work session")));
        assert!(matches!(JobError::from(StoreError::Corrupt("bad row".into())), JobError::Fatal(_)));
        let conflict = StoreError::Conflict { entity: "spec task", id: "t".into(), expected: 3 };
        assert!(matches!(JobError::from(conflict), JobError::Retry(_)));
        let busy = StoreError::DataDir { path: "d".into(), source: std::io::Error::other("busy") };
        assert!(matches!(JobError::from(busy), JobError::Retry(_)));
    }
}
