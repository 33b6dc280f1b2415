//! What a session's thread is told first on a drive: the session's prompt (the spec, the plan's
//! progress, what its siblings finished), restated with what is already in the worktree when the
//! session was prompted before.

use spectask_core::{SpecTask, WorkSession, WorkSessionStatus};

use super::TurnError;
use crate::ctx::{Ctx, Standing};
use crate::drive::prompt::{Resuming, SessionPrompt, Sibling};
use crate::history::markers;
use crate::implementation::agents;
use crate::job_error::JobError;

/// What the thread is told first on this drive. A session never prompted gets its prompt; one that
/// was (resumed after a restart, reopened after a lost thread, or live after a drive that stopped
/// mid-turn) gets the same prompt restated with what is already in the worktree, because its
/// conversation may not hold the task. (Its plan task was ticked in progress by the scheduling that
/// started it.)
pub(super) async fn first_prompt(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    prompted: bool,
) -> Result<String, TurnError> {
    let resuming = if prompted { Some(resume_state(ctx, task, session).await?) } else { None };
    Ok(session_prompt(ctx, task, session, resuming.as_ref()).await?)
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
    let spec = crate::ctx::plans::documents(&ctx.store, &ctx.plans, task).await?;
    let repo = crate::repos::open_id(ctx, task.repository_id).await?;
    // The task's standing (shared with its sessions starting meanwhile) and the steering documents
    // (git), at once.
    let (standing, steering) =
        tokio::join!(ctx.standings.of(task.id, standing(ctx, task)), crate::repos::steering(&repo, 2));
    let standing = standing?;
    let siblings = siblings(session, &standing.finished);
    Ok(SessionPrompt {
        task,
        session,
        spec: spec.as_deref(),
        progress: standing.progress.as_deref(),
        steering: steering?.as_deref(),
        siblings: &siblings,
        resuming,
        tools: ctx.config.session_tools.as_ref().map(|t| t.name.as_str()),
    }
    .render())
}

/// What the task's sessions are told of each other: its progress document (git) as its sessions
/// stand (read slim), and the finished ones with their summaries.
pub(crate) async fn standing(ctx: &Ctx, task: &SpecTask) -> Result<Standing, JobError> {
    let (sessions, finished, progress) = tokio::join!(
        ctx.store.work_session_standings_of(task.id),
        ctx.store.completed_work_sessions_with_summaries(task.id),
        markers::progress_document(ctx, task)
    );
    let (sessions, finished) = (sessions?, finished?);
    let progress = progress?.map(|text| markers::as_sessions_stand(text, task, &sessions));
    Ok(Standing { finished, progress })
}

/// What the task's other sessions (`sessions`, the task's with their summaries) finished, for a
/// prompt's context.
pub(crate) fn siblings(session: &WorkSession, sessions: &[(WorkSession, Option<String>)]) -> Vec<Sibling> {
    sessions
        .iter()
        .filter(|(other, _)| other.id != session.id && other.status() == WorkSessionStatus::Completed)
        .map(|(other, summary)| Sibling {
            name: other.name.clone(),
            summary: summary.clone().unwrap_or_default(),
        })
        .collect()
}
