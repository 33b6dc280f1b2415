//! Driving a work session: open (or resume) its thread in the task's agent instance, prompt it with
//! the spec, record what streams back, and end the session by how the turn ended.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentError, AgentInstance, SessionOutcome};
use spectask_core::{
    HistoryFile, SpecTask, SpecTaskStatus, ThreadStatus, WorkSession, WorkSessionCommand, WorkSessionId,
    WorkSessionStatus,
};
use spectask_store::StoreError;
use tokio_util::sync::CancellationToken;

use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::prompt::{SessionPrompt, Sibling};
use crate::{agents, markers, record};

/// The StartThread / ResumeThread step.
pub(crate) async fn drive(ctx: &Ctx, id: WorkSessionId, cancel: &CancellationToken) -> Result<(), JobError> {
    let session = ctx.store.work_session(id).await?;
    let task = ctx.store.spec_task(session.spec_task_id).await?;
    if task.status() != SpecTaskStatus::Implementation {
        // The task moved on: a cancelled task cancels its sessions; otherwise the session waits to be
        // resumed when the task returns to implementation.
        let command = if task.state.is_terminal() {
            WorkSessionCommand::Cancel
        } else {
            WorkSessionCommand::Interrupt { reason: format!("the task is {}", task.status()) }
        };
        if session.status() == WorkSessionStatus::Running || task.state.is_terminal() {
            let _ = transition(ctx, &session, &command).await;
        }
        return Ok(());
    }
    let session = match session.status() {
        WorkSessionStatus::Running => session,
        WorkSessionStatus::Interrupted => transition(ctx, &session, &WorkSessionCommand::Resume).await?,
        // Pending, blocked or finished: nothing to drive.
        _ => return Ok(()),
    };
    match run_turn(ctx, &task, &session, cancel).await {
        Ok(()) => Ok(()),
        Err(err) => Err(end_with_error(ctx, &session, err).await),
    }
}

/// Why a turn did not complete the session.
enum TurnError {
    Job(JobError),
    Agent(AgentError),
    ShuttingDown,
}

impl From<JobError> for TurnError {
    fn from(err: JobError) -> Self {
        TurnError::Job(err)
    }
}

impl From<StoreError> for TurnError {
    fn from(err: StoreError) -> Self {
        TurnError::Job(err.into())
    }
}

async fn run_turn(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    cancel: &CancellationToken,
) -> Result<(), TurnError> {
    let profile = agents::implementation_profile(ctx, task, session)?;
    let worktree = agents::worktree(ctx, task).await?;
    let instance = agents::instance(ctx, task, &profile, &worktree).await?;
    let (events, rx) = instance.event_channel();
    let (acp, resumed) = open_thread(ctx, &instance, session, &worktree, events).await?;
    ctx.store.record_thread(session.id, &acp.0, ThreadStatus::Active).await?;
    let text = if resumed {
        "spectask was restarted while you worked on this task. Continue where you left off; when you are done, \
         answer with a short summary of what you changed and which tests you ran."
            .to_owned()
    } else {
        if let Some(plan_id) = session.plan_task.as_ref().and_then(|p| p.id.clone()) {
            markers::set(ctx, task, &plan_id, spectask_spec::TaskState::InProgress).await?;
        }
        session_prompt(ctx, task, session).await?
    };
    record::history(ctx, session, HistoryFile::Conversation, format!("### spectask\n\n{text}\n\n")).await?;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let recorder = tokio::spawn(record::consume(ctx.clone(), session.clone(), rx, done_rx));
    let turn = tokio::select! {
        result = instance.prompt(&acp, &text) => Some(result),
        () = cancel.cancelled() => None,
    };
    let _ = done_tx.send(());
    let last_message = recorder.await.unwrap_or_default();
    match turn {
        None => {
            let _ = instance.cancel(&acp).await;
            Err(TurnError::ShuttingDown)
        }
        Some(Ok(stop)) if stop == "end_turn" => {
            ctx.store.set_work_session_summary(session.id, last_message.trim()).await?;
            ctx.store.transition_work_session(session, &WorkSessionCommand::Complete).await?;
            Ok(())
        }
        Some(Ok(stop)) if stop == "cancelled" => {
            Err(TurnError::Job(JobError::Retry("the agent's turn was cancelled".to_owned())))
        }
        Some(Ok(stop)) => {
            Err(TurnError::Job(JobError::Fatal(format!("the agent ended its turn with {stop}"))))
        }
        Some(Err(err)) => Err(TurnError::Agent(err)),
    }
}

/// Resumes the recorded thread when the agent can load it; otherwise opens a new one.
async fn open_thread(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    worktree: &Path,
    events: tokio::sync::mpsc::Sender<spectask_agent::AgentEvent>,
) -> Result<(AcpSessionId, bool), TurnError> {
    if let Some(recorded) = ctx.store.thread_of(session.id).await?.and_then(|t| t.acp_session_id) {
        let acp = AcpSessionId(recorded);
        match instance.load_thread(&acp, worktree, events.clone()).await {
            Ok(()) => return Ok((acp, true)),
            Err(err) => {
                tracing::info!(session = %session.id, %err, "cannot resume the recorded thread; opening a new one")
            }
        }
    }
    let acp = instance.new_thread(worktree, events).await.map_err(TurnError::Agent)?;
    Ok((acp, false))
}

async fn session_prompt(ctx: &Ctx, task: &SpecTask, session: &WorkSession) -> Result<String, JobError> {
    let spec = match task.kind {
        spectask_core::TaskKind::Spec => {
            Some(ctx.store.spec_version(task.id, Some(task.spec_version)).await?.documents)
        }
        _ => None,
    };
    let progress = markers::progress(ctx, task).await?;
    let mut siblings = Vec::new();
    for other in ctx.store.work_sessions_of(task.id).await? {
        if other.id != session.id && other.status() == WorkSessionStatus::Completed {
            let summary = ctx.store.work_session_summary(other.id).await?.unwrap_or_default();
            siblings.push(Sibling { name: other.name.clone(), summary });
        }
    }
    Ok(SessionPrompt {
        task,
        session,
        spec: spec.as_ref(),
        progress: progress.as_deref(),
        siblings: &siblings,
    }
    .render())
}

/// Records how the session stopped and tells the engine whether to retry.
async fn end_with_error(ctx: &Ctx, session: &WorkSession, err: TurnError) -> JobError {
    let current = ctx.store.work_session(session.id).await.unwrap_or_else(|_| session.clone());
    let (command, job_error) = match err {
        TurnError::ShuttingDown => (
            WorkSessionCommand::Interrupt { reason: "spectask stopped while the session ran".into() },
            JobError::Interrupted,
        ),
        TurnError::Agent(err) => {
            let reason = err.to_string();
            match err.session_outcome() {
                SessionOutcome::Interrupted => {
                    (WorkSessionCommand::Interrupt { reason: reason.clone() }, JobError::Retry(reason))
                }
                SessionOutcome::Failed => {
                    (WorkSessionCommand::Interrupt { reason: reason.clone() }, JobError::Fatal(reason))
                }
            }
        }
        TurnError::Job(job) => {
            let reason = job.to_string();
            (WorkSessionCommand::Interrupt { reason }, job)
        }
    };
    if current.status() == WorkSessionStatus::Running {
        if let Err(e) = transition(ctx, &current, &command).await {
            tracing::warn!(session = %session.id, error = %e, "cannot record the interruption");
        }
    }
    job_error
}

/// A transition whose effects this step carries out itself (no job is queued).
async fn transition(
    ctx: &Ctx,
    session: &WorkSession,
    command: &WorkSessionCommand,
) -> Result<WorkSession, JobError> {
    Ok(ctx.store.record_work_session_transition(session, command).await?.value)
}
