//! What a session's thread is told first on a drive: the session's prompt (the spec, the plan's
//! progress, what its siblings finished), restated with what is already in the worktree when the
//! session was prompted before.

use spectask_core::{SpecTask, WorkSession, WorkSessionStatus};

use super::TurnError;
use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::prompt::{Resuming, SessionPrompt, Sibling};
use crate::{agents, markers};

/// What the thread is told first on this drive, and the tick that marks its plan task in progress.
pub(super) struct FirstPrompt {
    pub text: String,
    /// Committed in the background while the thread is prompted: the drive waits for it before it
    /// completes the session, so the "done" tick always lands after it.
    pub tick: markers::Tick,
}

/// What the thread is told first on this drive. A session never prompted gets its prompt (and its
/// plan task is marked in progress); one that was (resumed after a restart, reopened after a lost
/// thread, or live after a drive that stopped mid-turn) gets the same prompt restated with what is
/// already in the worktree, because its conversation may not hold the task.
pub(super) async fn first_prompt(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    prompted: bool,
) -> Result<FirstPrompt, TurnError> {
    let plan_id = session.plan_task.as_ref().and_then(|p| p.id.clone()).filter(|_| !prompted);
    let tick = match plan_id {
        Some(plan_id) => {
            markers::start(ctx, task, &plan_id, spectask_spec::PlanTaskState::InProgress).await?
        }
        None => markers::Tick::none(),
    };
    let resuming = if prompted { Some(resume_state(ctx, task, session).await?) } else { None };
    let text = session_prompt(ctx, task, session, resuming.as_ref()).await?;
    Ok(FirstPrompt { text, tick })
}

/// What an interrupted session already left in the worktree.
async fn resume_state(ctx: &Ctx, task: &SpecTask, session: &WorkSession) -> Result<Resuming, JobError> {
    Ok(Resuming {
        touched: ctx.store.touched_paths(session.id).await?,
        uncommitted: agents::uncommitted(ctx, task).await?,
    })
}

async fn session_prompt(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    resuming: Option<&Resuming>,
) -> Result<String, JobError> {
    let spec = match task.kind {
        spectask_core::TaskKind::Spec => {
            Some(ctx.store.spec_version(task.id, Some(task.spec_version)).await?.documents)
        }
        _ => None,
    };
    let sessions = ctx.store.work_sessions_of(task.id).await?;
    let progress = markers::progress(ctx, task, &sessions).await?;
    let siblings = siblings(ctx, task, session, sessions).await?;
    Ok(SessionPrompt {
        task,
        session,
        spec: spec.as_ref(),
        progress: progress.as_deref(),
        siblings: &siblings,
        resuming,
        tools: ctx.config.session_tools.as_ref().map(|t| t.name.as_str()),
    }
    .render())
}

/// What the task's other sessions (of `sessions`, the task's) finished, for a prompt's context.
pub(crate) async fn siblings(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    sessions: Vec<WorkSession>,
) -> Result<Vec<Sibling>, JobError> {
    // Every sibling's summary in one query, not one per sibling.
    let mut details = ctx.store.work_session_details(task.id).await?;
    let mut siblings = Vec::new();
    for other in sessions {
        if other.id != session.id && other.status() == WorkSessionStatus::Completed {
            let summary = details.remove(&other.id).and_then(|(_, summary)| summary).unwrap_or_default();
            siblings.push(Sibling { name: other.name, summary });
        }
    }
    Ok(siblings)
}
