//! From a job's kind to the step that carries it out.

use spectask_core::{Job, JobKind, SpecTaskEffect, WorkSessionEffect};
use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::implementation::{agents, sessions, work};
use crate::job_error::JobError;
use crate::landing::{finish, pull_requests};
use crate::planning::handoff;
use crate::{drive, planning};

/// Runs `job`'s step. Each kind's step is boxed: the job's future is as small as a pointer, not as
/// big as the biggest step's (a session's drive, held by every waiting session).
pub(crate) async fn run(ctx: &Ctx, job: &Job, cancel: &CancellationToken) -> Result<(), JobError> {
    let Some(task) = job.spec_task_id else {
        return Err(JobError::fatal(format!("job {} names no spec task", job.id)));
    };
    let session = || {
        job.work_session_id.ok_or_else(|| JobError::fatal(format!("job {} names no work session", job.id)))
    };
    match job.kind {
        JobKind::SpecTask(effect) => match effect {
            SpecTaskEffect::RunPlanner => Box::pin(planning::run(ctx, task)).await,
            SpecTaskEffect::CommitSpecHandoff => Box::pin(handoff::run(ctx, task)).await,
            SpecTaskEffect::StartImplementation => {
                Box::pin(sessions::begin_implementation(ctx, task, cancel)).await
            }
            SpecTaskEffect::ResumeImplementation => Box::pin(work::resume_implementation(ctx, task)).await,
            SpecTaskEffect::SummarizeImplementation => Box::pin(finish::summarize(ctx, task)).await,
            SpecTaskEffect::MergeTaskBranch => Box::pin(finish::merge(ctx, task)).await,
            SpecTaskEffect::OpenPullRequest => Box::pin(pull_requests::open(ctx, task)).await,
            SpecTaskEffect::TakeUpMerge => Box::pin(pull_requests::take_up_merge(ctx, task)).await,
            SpecTaskEffect::WriteImplementationComplete => Box::pin(finish::write_complete(ctx, task)).await,
            SpecTaskEffect::StopAgents => Box::pin(agents::stop_and_clean(ctx, task)).await,
        },
        JobKind::WorkSession(effect) => match effect {
            WorkSessionEffect::StartThread | WorkSessionEffect::ResumeThread => {
                Box::pin(drive::drive(ctx, task, session()?, cancel)).await
            }
            WorkSessionEffect::CommitChanges => Box::pin(work::commit_changes(ctx, session()?)).await,
        },
        JobKind::AdvanceImplementation => Box::pin(sessions::start_implementation(ctx, task)).await,
    }
}
