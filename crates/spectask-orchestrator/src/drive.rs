//! Driving a work session: open (or resume) its thread in the task's agent instance, prompt it with
//! the spec, record what streams back, and end the session by how the turn ended.
//!
//! Codemap: this file is the step (which session to drive, its turns until it completes, how it
//! ends on an error); `thread` opens the session's thread (live, loaded again or new), `first_prompt`
//! is what the thread is told first (and the siblings' summaries), `turn` is one prompt turn with
//! its events recorded.

mod first_prompt;
mod thread;
mod turn;

use spectask_agent::{AcpSessionId, SessionOutcome};
use spectask_core::{
    SpecTask, SpecTaskStatus, ThreadStatus, WorkSession, WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};
use tokio_util::sync::CancellationToken;

use self::first_prompt::first_prompt;
pub(crate) use self::first_prompt::siblings;
use self::thread::{Opened, live_thread, open_thread};
pub(crate) use self::turn::{TurnError, TurnPrompt, Turned, turn};
use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::send_back::{AfterTurns, Verdict};
use crate::{agents, coordination, editor_turn};

/// The StartThread / ResumeThread step.
pub(crate) async fn drive(ctx: &Ctx, id: WorkSessionId, cancel: &CancellationToken) -> Result<(), JobError> {
    let session = ctx.store.work_session(id).await?;
    if session.status() == WorkSessionStatus::Completed {
        // A drive cut off after it completed the session (a crash, a lost lease, a failed commit)
        // commits it now, whatever the task's status: the task waits for that commit.
        return crate::work::commit_changes(ctx, id).await;
    }
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
        // A session a person paused waits for them to resume it (a retried step leaves it alone).
        WorkSessionStatus::Interrupted if !session.state.is_paused() => {
            if !resumable(ctx, &session).await? {
                return Ok(());
            }
            transition(ctx, &session, &WorkSessionCommand::Resume).await?
        }
        // Pending, blocked, paused or finished: nothing to drive.
        _ => return Ok(()),
    };
    match run_turn(ctx, &task, &session, cancel).await {
        // The drive commits what the session it completed changed: no other job comes in between.
        Ok(Some(Completed { session, summary, started })) => {
            crate::work::commit_completed(ctx, &task, &session, &summary, started).await
        }
        Ok(None) => Ok(()),
        Err(err) => Err(end_with_error(ctx, &session, err).await),
    }
}

/// A session its drive completed, with what it reported last and the sessions its completion
/// started (in the slot it left).
struct Completed {
    session: WorkSession,
    summary: String,
    started: Vec<WorkSession>,
}

/// Whether an interrupted session is taken up again by its drive: always, but for an editor thread,
/// which only an editor's prompt takes up (the editor that held it may be gone: a retry after its
/// agent crashed, racing the editor's exit, must not leave it running with nobody there).
async fn resumable(ctx: &Ctx, session: &WorkSession) -> Result<bool, JobError> {
    if ctx.store.editor_thread(session.id).await?.is_none() {
        return Ok(true);
    }
    Ok(!ctx.store.pending_session_messages(session.id).await?.is_empty())
}

/// The session's turns until it completes (`Some`), or until it waits for people between turns (an
/// interactive session, an editor's thread) or has nothing to be told (`None`).
async fn run_turn(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    cancel: &CancellationToken,
) -> Result<Option<Completed>, TurnError> {
    let profile = agents::implementation_profile(ctx, task, session)?;
    // The repository, opened once for the whole drive (by its id: the drive needs only git).
    let repo = crate::repos::open_id(ctx, task.repository_id).await?;
    // Apart from each other, so at once: the worktree (git), the task's lease (a write) and what is
    // known of the session's thread (a read).
    let (worktree, leased, facts) = tokio::join!(
        agents::worktree_in(&repo, task),
        agents::lease(ctx, task),
        ctx.store.thread_facts(session.id)
    );
    let (worktree, facts) = (worktree?, facts?);
    leased?;
    let workspace = agents::workspace_in(&repo, worktree.clone(), None);
    let instance = agents::leased_instance(ctx, task, &profile, &workspace).await?;
    // The main session of an interactive task stays open between turns; what it spawns does not. A
    // thread opened from an editor stays open too, and its prompts come from the editor alone.
    let editor = facts.editor;
    let interactive = editor.is_some()
        || (task.kind == spectask_core::TaskKind::Interactive && session.parent_id.is_none());
    let was_prompted = facts.prompted;
    let mut after = AfterTurns::new(was_prompted);
    let recorded = facts.acp_session_id.map(AcpSessionId);
    let (acp, first, opened) = match live_thread(&instance, recorded.as_ref()) {
        Some(acp) => {
            ctx.store.record_thread(session.id, &acp.0, ThreadStatus::Active).await?;
            let first = match editor {
                // An interactive session already under way waits for messages between turns.
                Some(_) => None,
                None if interactive && was_prompted => None,
                None => {
                    // A turn of the earlier drive may still run in the agent: stop it before the next.
                    if let Err(err) = instance.cancel(&acp).await {
                        tracing::debug!(session = %session.id, %err, "no turn to cancel on the live thread");
                    }
                    Some(first_prompt(ctx, task, session, was_prompted).await?)
                }
            };
            (acp, first, Opened::Live)
        }
        None => {
            // The first prompt is made while the thread is opened, and a new thread is recorded
            // with it in one write (in `turn`): a thread on record has always been told its task.
            let prompt = async {
                match editor {
                    Some(_) => Ok(None),
                    None => first_prompt(ctx, task, session, was_prompted).await.map(Some),
                }
            };
            let (first, thread) =
                tokio::join!(prompt, open_thread(ctx, &instance, session, &worktree, recorded));
            let (first, (acp, opened)) = (first?, thread?);
            if opened != Opened::New || first.is_none() {
                ctx.store.record_thread(session.id, &acp.0, ThreadStatus::Active).await?;
            }
            (acp, first, opened)
        }
    };
    // An editor thread of a spec task hears the spec slice with the person's first prompt, and again
    // when its agent thread had to be opened anew (its conversation is gone).
    let mut slice_due = editor.is_some() && (!was_prompted || opened == Opened::New);
    let mut last = String::new();
    let mut prompted = first.is_some();
    if let Some(text) = first {
        let prompt = TurnPrompt { new_thread: opened == Opened::New, ..TurnPrompt::spectask(text) };
        last = after.saw(turn(ctx, &instance, session, &acp, &worktree, prompt, cancel).await?);
    }
    // Messages from people and other sessions reach the thread between turns, and what the last
    // turn is sent back for. A session completes only when no message waits (checked in the same
    // write as the completion); an interactive session stays open until people finish it.
    loop {
        let pending = ctx.store.pending_session_messages(session.id).await?;
        if let Some(message) = pending.first() {
            // An editor's prompt runs relayed to the editor when that editor waits on this node.
            let held = match &editor {
                Some(_) => ctx.runtime.editor_turns().take(message.id).await,
                None => None,
            };
            let slice = match &editor {
                Some(thread) if slice_due && message.from_session.is_none() => {
                    slice_due = false;
                    editor_turn::slice(ctx, task, session, &thread.client, &message.text).await?
                }
                _ => None,
            };
            let turned = match held {
                Some(held) => {
                    editor_turn::run(ctx, &instance, session, (&acp, &worktree), held, slice, cancel).await
                }
                None => {
                    let text = match message.from_session {
                        None => message.text.clone(),
                        Some(_) => {
                            let sessions = ctx.store.work_sessions_of(task.id).await?;
                            coordination::delivery_prompt(std::slice::from_ref(message), &sessions)
                        }
                    };
                    let prompt = TurnPrompt { preface: slice, ..TurnPrompt::spectask(text) };
                    turn(ctx, &instance, session, &acp, &worktree, prompt, cancel).await.map(|t| after.saw(t))
                }
            };
            // An editor heard how its turn ended: the prompt is never run again.
            if turned.is_err() && editor.is_some() {
                ctx.store.mark_messages_delivered(&[message.id]).await?;
            }
            last = turned?;
            ctx.store.mark_messages_delivered(&[message.id]).await?;
            prompted = true;
            continue;
        }
        if prompted && !interactive {
            match after.judge(ctx, task, session, (&instance, &worktree), &last).await? {
                Verdict::Complete => {}
                Verdict::SendBack(text) => {
                    let prompt = TurnPrompt::spectask(text);
                    last = after.saw(turn(ctx, &instance, session, &acp, &worktree, prompt, cancel).await?);
                    continue;
                }
                Verdict::Flagged(summary) => last = summary,
                Verdict::Fail(reason) => return Err(TurnError::Job(JobError::Fatal(reason))),
            }
        }
        let summary = Some(last.trim()).filter(|s| !s.is_empty());
        if interactive || !prompted {
            if let Some(summary) = summary {
                ctx.store.set_work_session_summary(session.id, summary).await?;
            }
            return Ok(None);
        }
        // The slot it leaves is taken in the same write by a session that does not wait for it.
        let decider = crate::sessions::decider(ctx, task).await?;
        let decide = |view: &spectask_store::SchedulingView<'_>| decider.decide(view);
        let scheduling = crate::handed::scheduling(ctx, &decide);
        if let Some(done) =
            ctx.store.complete_work_session_unless_messages(session, summary, Some(scheduling)).await?
        {
            crate::handed::hand(ctx, &done.scheduled);
            let summary = summary.unwrap_or_default().to_owned();
            return Ok(Some(Completed { session: done.session, summary, started: done.scheduled.started }));
        }
    }
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
    if current.status() == WorkSessionStatus::Running
        && let Err(e) = transition(ctx, &current, &command).await
    {
        tracing::warn!(session = %session.id, error = %e, "cannot record the interruption");
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
