//! What a job that failed for good fails with it: its work session (when it has one) and its
//! SpecTask, with the reason and a retry action; a done task's merge fails the done task
//! (`SpecTaskCommand::FailMerge`), whose retry merges again. Written in the write that records the
//! job's failure, reading both inside it: no crash between two writes leaves the job failed and
//! the task going on without it, and no writer in between makes the task's failure a conflict.

use spectask_core::{Job, JobKind, SpecTaskCommand, SpecTaskEffect, WorkSessionCommand};

use crate::StoreError;
use crate::database::write::WriteTx;

impl WriteTx<'_> {
    pub(crate) async fn fail_what_the_job_served(
        &mut self,
        job: &Job,
        error: &str,
    ) -> Result<(), StoreError> {
        let Some(task_id) = job.spec_task_id else { return Ok(()) };
        let mut reason = format!("{} failed: {error}", job.kind);
        if let Some(id) = job.work_session_id {
            let session = self.work_session(id).await?;
            reason = format!("work session {} failed: {error}", session.name);
            let fail = WorkSessionCommand::Fail { reason: error.to_owned() };
            ended_already(self.transition_work_session(&session, &fail, false).await)?;
        }
        let command = match job.kind {
            JobKind::SpecTask(SpecTaskEffect::MergeTaskBranch) => SpecTaskCommand::FailMerge { reason },
            _ => SpecTaskCommand::Fail { reason },
        };
        let task = self.spec_task(task_id).await?;
        ended_already(self.transition_spec_task(&task, &command).await)
    }
}

/// A session or task that has already ended (or failed) stays as it is.
fn ended_already<T>(result: Result<T, StoreError>) -> Result<(), StoreError> {
    match result {
        Ok(_) | Err(StoreError::Transition(_)) => Ok(()),
        Err(err) => Err(err),
    }
}
