//! Driving a work session: open (or resume) its thread in the task's agent instance, prompt it with
//! the spec, record what streams back, and end the session by how the turn ended.
//!
//! Codemap: this file is the step (which session to drive, its turns until it completes, how it
//! ends on an error); `thread` opens the session's thread (live, loaded again or new), `first_prompt`
//! is what the thread is told first (and the siblings' summaries), `turn` is one prompt turn with
//! its events recorded (`stream`).
//!
//! Around a turn: `prompt` builds what a session is told from the spec; `thread_tools` names the
//! MCP servers its thread gets; `budget` pauses a session whose task spent its budget, and `stall`
//! notices a turn that makes no progress (a running turn learns its session moved from
//! `ctx::session_watch`); `approvals` holds the agent's permission requests for a person on any node. After a turn,
//! `send_back` returns it to its thread (no change, a failing `repo_check`) before it may complete;
//! on a bugfix's reproduction task `reproduction` turns the check around: it must fail.
//! `editor_turn` runs a prompt of a thread opened from an editor (`spectask acp`).

pub(crate) mod approvals;
pub(crate) mod budget;
mod editor_turn;
mod first_prompt;
mod prompt;
mod repo_check;
mod reproduction;
mod send_back;
mod stall;
mod stream;
mod thread;
pub(crate) mod thread_tools;
mod turn;

use spectask_agent::SessionOutcome;
use spectask_core::{
    SpecTask, SpecTaskId, SpecTaskStatus, WorkSession, WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};
use spectask_store::{PendingMessage, ThreadFacts};
use tokio_util::sync::CancellationToken;

// What the other rooms use; `approvals`, `budget` and `thread_tools` are used by name, as their
// modules (the engine's `approvals::deliver`, the planning step's `budget::weigh`).
pub use self::budget::{
    BudgetError, budget_hold, daily_hold, release as release_budget_hold, resume_paused,
    set_repository_budget, set_task_budget,
};
pub(crate) use self::first_prompt::{siblings, standing};
use self::send_back::{AfterTurns, Verdict};
pub(crate) use self::stall::{StallAction, StallWatch, Watched};
use self::thread::{DrivenThread, ThreadOpening, open};
pub(crate) use self::turn::{TurnEnd, TurnError, TurnPrompt, turn};
use crate::coordination;
use crate::ctx::Ctx;
use crate::implementation::work;
use crate::job_error::JobError;

/// The StartThread / ResumeThread step of session `id` of spec task `task`.
pub(crate) async fn drive(
    ctx: &Ctx,
    task: SpecTaskId,
    id: WorkSessionId,
    cancel: &CancellationToken,
) -> Result<(), JobError> {
    // Apart from each other, so at once: the session, its task and what is known of its thread.
    let (session, task, facts) =
        tokio::join!(ctx.store.work_session(id), ctx.store.spec_task(task), ctx.store.thread_facts(id));
    let session = session?;
    if session.status() == WorkSessionStatus::Completed {
        // A drive cut off after it completed the session (a crash, a lost lease, a failed commit)
        // commits it now, whatever the task's status: the task waits for that commit.
        return Box::pin(work::commit_changes(ctx, id)).await;
    }
    let task = task?;
    if task.id != session.spec_task_id {
        return Err(JobError::fatal(format!("session {id} is not of task {}", task.handle())));
    }
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
    let facts = facts?;
    // A task that spent its budget prompts no agent: the session waits for a person.
    if facts.editor.is_none() && budget::pause_if_spent(ctx, &session).await? {
        return Ok(());
    }
    // A run cut off after the session's commit (or its push, on another node) left it running:
    // its work is not done again, the session is completed with that commit.
    if facts.prompted && facts.editor.is_none() {
        let found = match Box::pin(work::earlier_commit(ctx, &task, &session)).await {
            Ok(found) => found,
            Err(err) => return Err(end_with_error(ctx, &session, TurnError::Job(err)).await),
        };
        if let Some(commit) = found {
            let summary = ctx.store.work_session_summary(id).await?;
            match Box::pin(work::finish(
                ctx,
                &task,
                &session,
                summary.as_deref(),
                work::Commit::Found(commit),
            ))
            .await
            {
                Ok(true) => return Ok(()),
                // Messages wait for it: its turns take them.
                Ok(false) => {}
                Err(err) => return Err(end_with_error(ctx, &session, TurnError::Job(err)).await),
            }
        }
    }
    // The drive commits what the session it completes changed: no other job comes in between. Its
    // turns are boxed apart from the steps before: a waiting session holds only what its turn needs.
    match Box::pin(run_turn(ctx, &task, &session, facts, cancel)).await {
        Ok(()) => Ok(()),
        // A budget reached while the turn ran: the session pauses until no budget holds its task.
        Err(TurnError::Budget(hold)) => {
            ctx.store.pause_for_budget(session.id, &hold).await?;
            Ok(())
        }
        // A person paused it: no attempt is spent (pausing and resuming again and again must not
        // fail the session); its resume queues the next drive.
        Err(TurnError::Paused) => Ok(()),
        Err(err) => Err(end_with_error(ctx, &session, err).await),
    }
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

/// The session's turns until it completes (its work committed and on the remote, see
/// `work::finish`), or until it waits for people between turns (an interactive session, an
/// editor's thread) or has nothing to be told.
async fn run_turn(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    facts: ThreadFacts,
    cancel: &CancellationToken,
) -> Result<(), TurnError> {
    // The main session of an interactive task stays open between turns; what it spawns does not. A
    // thread opened from an editor stays open too, and its prompts come from the editor alone.
    let editor = facts.editor.clone();
    let interactive = editor.is_some()
        || (task.kind == spectask_core::TaskKind::Interactive && session.parent_id.is_none());
    let was_prompted = facts.prompted;
    let ended_turn = facts.ended_turn.clone().filter(|_| !interactive && was_prompted);
    let mut after = AfterTurns::new(was_prompted);
    let never_prompted = !was_prompted;
    // Sessions open their threads in turns (`ctx::start_gate`): many started at once share the
    // node's store, git and agent.
    let opening = async {
        let _turn = ctx.start_gate.enter().await;
        Box::pin(open(ctx, task, session, facts, interactive)).await
    };
    // Meanwhile, and outside those turns, a session never prompted (by spectask or an editor)
    // waits for its task's completed sessions' changes to be staged: only then may its agent
    // write in the worktree.
    let staged = async {
        if !never_prompted {
            return Ok(());
        }
        tokio::select! {
            staged = first_prompt::completed_work_staged(ctx, task) => Ok(staged?),
            () = cancel.cancelled() => Err(TurnError::ShuttingDown),
        }
    };
    let (opening, ()) = tokio::try_join!(opening, staged)?;
    let DrivenThread { instance, worktree, acp, mut first, opened } = opening;
    // The last turn ended and an earlier drive was cut off before judging it (a crash during the
    // check): it is judged now, and the agent is not prompted again for work it finished. A thread
    // opened anew has lost that turn's conversation: it is told its task again.
    let mut last = String::new();
    let mut prompted = false;
    if let Some(message) = ended_turn.filter(|_| opened != ThreadOpening::New) {
        tracing::info!(session = %session.id, "judging the turn that ended before the restart");
        first = None;
        last = message;
        prompted = true;
    }
    // An editor thread of a spec task hears the spec slice with the person's first prompt, and again
    // when its agent thread had to be opened anew (its conversation is gone).
    let mut slice_due = editor.is_some() && (!was_prompted || opened == ThreadOpening::New);
    prompted |= first.is_some();
    // The messages that waited as the last turn ended (none read yet).
    let mut waiting = None;
    if let Some(text) = first {
        let new_thread = opened == ThreadOpening::New;
        let prompt = TurnPrompt { new_thread, prompted_before: was_prompted, ..TurnPrompt::spectask(text) };
        last = note_turn_end(
            &mut after,
            &mut waiting,
            Box::pin(prompted_turn(
                ctx,
                task,
                (&instance, session, &acp, worktree.as_path()),
                prompt,
                cancel,
            ))
            .await?,
        );
    }
    // Messages from people and other sessions reach the thread between turns, and what the last
    // turn is sent back for. A session completes only when no message waits (checked in the same
    // write as the completion); an interactive session stays open until people finish it.
    loop {
        let pending = match waiting.take() {
            Some(waiting) => waiting,
            None => ctx.store.pending_session_messages(session.id).await?,
        };
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
            let turn_end = match held {
                Some(held) => {
                    let on = (&acp, worktree.as_path());
                    Box::pin(editor_turn::run(ctx, &instance, session, on, held, slice, cancel)).await
                }
                None => {
                    if editor.is_none() && budget::pause_if_spent(ctx, session).await? {
                        return Ok(());
                    }
                    let text = match message.from_session {
                        None => message.text.clone(),
                        Some(_) => {
                            let sessions = ctx.store.work_sessions_of(task.id).await?;
                            coordination::delivery_prompt(std::slice::from_ref(message), &sessions)
                        }
                    };
                    let prompt = TurnPrompt { preface: slice, ..TurnPrompt::spectask(text) };
                    let thread = (&instance, session, &acp, worktree.as_path());
                    Box::pin(prompted_turn(ctx, task, thread, prompt, cancel)).await.map(|mut turn_end| {
                        // What waited as the turn ended, but the message it heard (marked below).
                        turn_end.waiting.retain(|waiting| waiting.id != message.id);
                        note_turn_end(&mut after, &mut waiting, turn_end)
                    })
                }
            };
            // An editor heard how its turn ended: the prompt is never run again.
            if turn_end.is_err() && editor.is_some() {
                ctx.store.mark_messages_delivered(&[message.id]).await?;
            }
            last = turn_end?;
            ctx.store.mark_messages_delivered(&[message.id]).await?;
            prompted = true;
            continue;
        }
        if prompted && !interactive {
            match Box::pin(after.decide_after_turns(ctx, task, session, (&instance, &worktree), &last))
                .await?
            {
                Verdict::Complete => {}
                Verdict::SendBack(text) => {
                    if budget::pause_if_spent(ctx, session).await? {
                        return Ok(());
                    }
                    let prompt = TurnPrompt::spectask(text);
                    let thread = (&instance, session, &acp, worktree.as_path());
                    let turn_end = Box::pin(prompted_turn(ctx, task, thread, prompt, cancel)).await?;
                    last = note_turn_end(&mut after, &mut waiting, turn_end);
                    continue;
                }
                Verdict::Flagged(summary) => last = summary,
                Verdict::Fail(reason) => return Err(TurnError::Job(JobError::fatal(reason))),
            }
        }
        let summary = Some(last.trim()).filter(|s| !s.is_empty());
        if interactive || !prompted {
            if let Some(summary) = summary {
                ctx.store.set_work_session_summary(session.id, summary).await?;
            }
            return Ok(());
        }
        // Committed and pushed, then completed in one write with the task's scheduling (the slot
        // it leaves, what its commit unblocks); a message that came meanwhile takes another turn.
        let commit = work::Commit::Make(after.take_hooks());
        if Box::pin(work::finish(ctx, task, session, summary, commit)).await? {
            return Ok(());
        }
    }
}

/// A session's thread in its agent instance, in the worktree the agent works in.
type OnThread<'a> = (
    &'a std::sync::Arc<spectask_agent::AgentInstance>,
    &'a WorkSession,
    &'a spectask_agent::AcpSessionId,
    &'a std::path::Path,
);

/// How many times in a row a turn cut by a stall (`on_stall = "interrupt"`) is prompted again within
/// the drive; one more stall retries the step, as a failure would.
const STALL_REPROMPTS: usize = 3;

/// A turn of spectask's on the session's thread. A turn its agent went silent in, under
/// `on_stall = "interrupt"`, is cut and the thread prompted again with the session's task restated
/// (what it left in the worktree with it), in this drive: no attempt of the step is spent on it.
async fn prompted_turn(
    ctx: &Ctx,
    task: &SpecTask,
    (instance, session, acp, worktree): OnThread<'_>,
    mut prompt: TurnPrompt,
    cancel: &CancellationToken,
) -> Result<TurnEnd, TurnError> {
    let mut reprompts = 0;
    loop {
        prompt.judged_in = repo_check::JudgedIn::task(task);
        match Box::pin(turn(ctx, instance, session, acp, worktree, prompt, cancel)).await {
            Err(TurnError::Stalled(reason)) if reprompts < STALL_REPROMPTS => {
                reprompts += 1;
                tracing::info!(session = %session.id, %reason, "prompting the stalled thread again");
                let text = Box::pin(first_prompt::first_prompt(ctx, task, session, true)).await?;
                prompt = TurnPrompt::spectask(text);
            }
            other => return other,
        }
    }
}

/// Notes a finished turn (spectask's prompt or a message): what it did, for what is sent back, and
/// the messages that waited as it ended; returns its last message.
fn note_turn_end(
    after: &mut AfterTurns,
    waiting: &mut Option<Vec<PendingMessage>>,
    mut turn_end: TurnEnd,
) -> String {
    *waiting = Some(std::mem::take(&mut turn_end.waiting));
    after.note_turn(turn_end)
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
                    (WorkSessionCommand::Interrupt { reason: reason.clone() }, JobError::retry(reason))
                }
                SessionOutcome::Failed => {
                    (WorkSessionCommand::Interrupt { reason: reason.clone() }, JobError::fatal(reason))
                }
            }
        }
        TurnError::Job(job) => {
            let reason = job.to_string();
            (WorkSessionCommand::Interrupt { reason }, job)
        }
        TurnError::Budget(hold) => {
            let job = JobError::retry(hold.why.clone());
            (WorkSessionCommand::Interrupt { reason: hold.pause_reason() }, job)
        }
        TurnError::Stalled(reason) => {
            (WorkSessionCommand::Interrupt { reason: reason.clone() }, JobError::retry(reason))
        }
        TurnError::Paused => {
            (WorkSessionCommand::Interrupt { reason: TurnError::Paused.to_string() }, JobError::Interrupted)
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
