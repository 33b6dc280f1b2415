//! What a session's thread is told first on a drive: the session's prompt (the spec, the plan's
//! progress, what its siblings finished), restated with what is already in the worktree when the
//! session was prompted before. A session is first prompted only once every completed session
//! of its task has its changes staged for its commit ([`completed_work_staged`], awaited beside
//! the thread's opening).

use std::time::Duration;

use spectask_core::{SpecTask, WorkSession, WorkSessionStatus};
use tokio::time::Instant;

use super::TurnError;
use crate::ctx::{Ctx, Staged, Standing};
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

/// How long a session waits to be prompted for a completed session's commit (this node's
/// staging, or a commit it does not make: completed before a restart, by a person, or whose
/// commit failed) before its drive is tried again: long, as each try counts.
const UNCOMMITTED_WAIT: Duration = Duration::from_secs(600);
/// How often it looks at the record again meanwhile.
const UNCOMMITTED_RECHECK: Duration = Duration::from_millis(250);

/// Waits until every completed session of `task` has its changes staged for its commit (noted:
/// no other commit takes them) or committed. Until then an agent writing in the worktree could
/// have its writes taken into that session's commit: a session whose commit nothing can refuse
/// completes once git listed its changes, before it stages them (`implementation::work`), and
/// the sessions it starts run beside the staging. Those this node stages are waited for as git tells; others until
/// their commit is on record.
pub(crate) async fn completed_work_staged(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let deadline = Instant::now() + UNCOMMITTED_WAIT;
    let mut looked_again = false;
    loop {
        let waited = || {
            let reason = "the changes of a completed session of the task are not committed yet";
            JobError::retry(reason)
        };
        tokio::time::timeout_at(deadline, ctx.staging.settled(task.id)).await.map_err(|_| waited())?;
        let uncommitted = ctx.store.work_sessions_completed_uncommitted(task.id).await?;
        let mut unknown = None;
        let mut staging = false;
        for id in uncommitted {
            match ctx.staging.of(task.id, id) {
                Some(Staged::Staged) => {}
                Some(Staged::Staging) => staging = true,
                None => unknown = Some(id),
            }
        }
        if staging {
            continue;
        }
        let Some(id) = unknown else { return Ok(()) };
        if Instant::now() >= deadline {
            tracing::warn!(task = %task.id, session = %id, "a first prompt gave up waiting for a completed session's commit");
            return Err(waited());
        }
        // Looked again at once: a commit recorded since the first look leaves no mark here.
        if looked_again {
            tokio::time::sleep(UNCOMMITTED_RECHECK).await;
        } else {
            tracing::debug!(task = %task.id, session = %id, "a first prompt waits for a completed session's commit");
        }
        looked_again = true;
    }
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
