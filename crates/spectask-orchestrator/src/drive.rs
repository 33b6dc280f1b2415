//! Driving a work session: open (or resume) its thread in the task's agent instance, prompt it with
//! the spec, record what streams back, and end the session by how the turn ended.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentError, AgentInstance, PromptContent, SessionOutcome};
use spectask_core::{
    HistoryFile, SpecTask, SpecTaskStatus, ThreadStatus, WorkSession, WorkSessionCommand, WorkSessionId,
    WorkSessionStatus,
};
use spectask_store::StoreError;
use tokio_util::sync::CancellationToken;

use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::prompt::{Resuming, SessionPrompt, Sibling};
use crate::send_back::{AfterTurns, Verdict};
use crate::{agents, coordination, editor_turn, markers, overlaps, record, thread_tools};

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
        Ok(()) => Ok(()),
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

/// Why a turn did not complete the session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TurnError {
    #[error(transparent)]
    Job(JobError),
    #[error(transparent)]
    Agent(AgentError),
    #[error("spectask stopped while the turn ran")]
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

/// How the session's thread was opened for this drive.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opened {
    /// A new thread (the recorded one, if any, could not be loaded).
    New,
    /// The recorded thread, loaded into a new agent process after a restart.
    Resumed,
    /// The recorded thread, still live in this agent process: an interactive session between turns,
    /// or a session whose earlier drive stopped mid-turn (a lost job lease, a retried step).
    Live,
}

async fn run_turn(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    cancel: &CancellationToken,
) -> Result<(), TurnError> {
    let profile = agents::implementation_profile(ctx, task, session)?;
    let worktree = agents::worktree(ctx, task).await?;
    let workspace = agents::workspace(ctx, task, worktree.clone(), None).await?;
    let instance = agents::instance(ctx, task, &profile, &workspace).await?;
    // The main session of an interactive task stays open between turns; what it spawns does not. A
    // thread opened from an editor stays open too, and its prompts come from the editor alone.
    let editor = ctx.store.editor_thread(session.id).await?;
    let interactive = editor.is_some()
        || (task.kind == spectask_core::TaskKind::Interactive && session.parent_id.is_none());
    let was_prompted = ctx.store.session_was_prompted(session.id).await?;
    let mut after = AfterTurns::new(was_prompted);
    let (acp, first, opened) = match live_thread(ctx, &instance, session).await? {
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
            // The first prompt is ready before a thread is opened, and a new thread is recorded
            // with it in one write (in `turn`): a thread on record has always been told its task.
            let first = match editor {
                Some(_) => None,
                None => Some(first_prompt(ctx, task, session, was_prompted).await?),
            };
            let (acp, opened) = open_thread(ctx, &instance, session, &worktree).await?;
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
        if !last.trim().is_empty() {
            ctx.store.set_work_session_summary(session.id, last.trim()).await?;
        }
        if interactive
            || !prompted
            || ctx.store.complete_work_session_unless_messages(session).await?.is_some()
        {
            return Ok(());
        }
    }
}

/// What the thread is told first on this drive. A session never prompted gets its prompt (and its
/// plan task is marked in progress); one that was (resumed after a restart, reopened after a lost
/// thread, or live after a drive that stopped mid-turn) gets the same prompt restated with what is
/// already in the worktree, because its conversation may not hold the task.
async fn first_prompt(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    prompted: bool,
) -> Result<String, TurnError> {
    let resuming = if prompted {
        Some(resume_state(ctx, task, session).await?)
    } else {
        if let Some(plan_id) = session.plan_task.as_ref().and_then(|p| p.id.clone()) {
            markers::set(ctx, task, &plan_id, spectask_spec::PlanTaskState::InProgress).await?;
        }
        None
    };
    Ok(session_prompt(ctx, task, session, resuming.as_ref()).await?)
}

/// What an interrupted session already left in the worktree.
async fn resume_state(ctx: &Ctx, task: &SpecTask, session: &WorkSession) -> Result<Resuming, JobError> {
    Ok(Resuming {
        touched: ctx.store.touched_paths(session.id).await?,
        uncommitted: agents::uncommitted(ctx, task).await?,
    })
}

/// What one turn says, and who says it.
pub(crate) struct TurnPrompt {
    pub content: PromptContent,
    /// Who speaks, as the conversation records it (`spectask`, or the editor's name).
    pub from: String,
    /// An editor's turn: the editor cancels it with this, and any stop reason is its end.
    pub editor_cancel: Option<CancellationToken>,
    /// Context spectask puts before what is said (an editor thread's spec slice), recorded as said
    /// by spectask.
    pub preface: Option<String>,
    /// The first prompt of a thread just opened: the thread is recorded with it, in one write.
    pub new_thread: bool,
}

impl TurnPrompt {
    fn spectask(text: String) -> Self {
        TurnPrompt {
            content: PromptContent::text(text),
            from: "spectask".to_owned(),
            editor_cancel: None,
            preface: None,
            new_thread: false,
        }
    }
}

/// How a turn ended.
pub(crate) struct Turned {
    pub stop: String,
    pub last_message: String,
    /// A command ran in the turn (it may have changed files nobody reported).
    pub ran_commands: bool,
}

/// One prompt turn on the thread, its events recorded; returns the agent's stop reason and last
/// message. A turn in which the sandbox refused the agent and nothing changed in the worktree fails
/// the session: its only effects were refused, and completing it would hide that. A turn spectask
/// prompted fails on any stop but `end_turn`; an editor's turn ends however the agent stops it.
pub(crate) async fn turn(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    acp: &AcpSessionId,
    worktree: &Path,
    prompt: TurnPrompt,
    cancel: &CancellationToken,
) -> Result<Turned, TurnError> {
    let (events, rx) = instance.event_channel();
    if !instance.attach_thread(acp, events) {
        return Err(TurnError::Job(JobError::Retry(format!("thread {} is gone from its agent", acp.0))));
    }
    // What an earlier turn asked and nobody answered waits for an agent that is gone.
    if let Err(err) = ctx.store.withdraw_approvals_of_session(session.id).await {
        tracing::warn!(%err, session = %session.id, "cannot withdraw the approvals of earlier turns");
    }
    // The preface and what is said are recorded apart: each entry is one speaker's.
    if let Some(preface) = &prompt.preface {
        let said = format!("### spectask\n\n{preface}\n\n");
        record::history(ctx, session, HistoryFile::Conversation, said).await?;
    }
    let said = format!("### {}\n\n{}\n\n", prompt.from, prompt.content.to_text());
    if prompt.new_thread {
        let said = record::entry(session, HistoryFile::Conversation, said);
        ctx.store.record_thread_prompted(session.id, &acp.0, &said).await?;
    } else {
        record::history(ctx, session, HistoryFile::Conversation, said).await?;
    }
    let content = match prompt.preface {
        Some(preface) => prompt.content.with_preface(preface),
        None => prompt.content,
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let recorder =
        tokio::spawn(record::consume(ctx.clone(), session.clone(), worktree.to_path_buf(), rx, done_rx));
    let editor = prompt.editor_cancel.is_some();
    let editor_cancel = prompt.editor_cancel.unwrap_or_default();
    let prompting = instance.prompt_content(acp, &content);
    tokio::pin!(prompting);
    let mut cancelling = false;
    let result = loop {
        tokio::select! {
            result = &mut prompting => break Some(result),
            () = cancel.cancelled() => break None,
            () = paused(ctx, session.id), if !cancelling && !editor => {
                // A person paused the session (on any node): the turn stops; its retry leaves it be.
                cancelling = true;
                if let Err(err) = instance.cancel(acp).await {
                    tracing::debug!(session = %session.id, %err, "cannot cancel the paused session's turn");
                }
            }
            () = editor_cancel.cancelled(), if !cancelling => {
                // The editor cancelled: the agent stops and answers `cancelled`.
                cancelling = true;
                if let Err(err) = instance.cancel(acp).await {
                    tracing::debug!(session = %session.id, %err, "cannot cancel the editor's turn");
                }
            }
        }
    };
    let _ = done_tx.send(());
    let record = recorder.await.unwrap_or_default();
    // Paths as the session's commit wants them: relative to the (canonical) worktree.
    let root = worktree.canonicalize().unwrap_or_else(|_| worktree.to_path_buf());
    let touched: Vec<String> = record
        .touched
        .iter()
        .filter_map(|p| p.strip_prefix(&root).or_else(|_| p.strip_prefix(worktree)).ok())
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.display().to_string())
        .collect();
    ctx.store.add_touched_paths(session.id, &touched).await?;
    overlaps::report(&ctx.store, session, &touched).await?;
    let last_message = record.last_message.clone();
    let ran_commands = record.ran_commands;
    match result {
        None => {
            let _ = instance.cancel(acp).await;
            Err(TurnError::ShuttingDown)
        }
        Some(Ok(stop)) if stop == "end_turn" => {
            if !record.refused.is_empty() {
                let task = ctx.store.spec_task(session.spec_task_id).await?;
                if agents::uncommitted(ctx, &task).await?.is_empty() {
                    return Err(TurnError::Job(JobError::Fatal(only_refused(&record.refused))));
                }
            }
            Ok(Turned { stop, last_message, ran_commands })
        }
        Some(Ok(stop)) if editor => Ok(Turned { stop, last_message, ran_commands }),
        Some(Ok(stop)) if stop == "cancelled" => {
            Err(TurnError::Job(JobError::Retry("the agent's turn was cancelled".to_owned())))
        }
        Some(Ok(stop)) => {
            Err(TurnError::Job(JobError::Fatal(format!("the agent ended its turn with {stop}"))))
        }
        Some(Err(err)) => Err(TurnError::Agent(err)),
    }
}

/// Returns once a person has paused `session`, on whichever node: each committed transition of the
/// session (a pause is one; other nodes' arrive by `NOTIFY`) wakes it to read the session again.
async fn paused(ctx: &Ctx, session: WorkSessionId) {
    let mut changes = ctx.sessions.subscribe(&ctx.store, session).await;
    loop {
        match ctx.store.work_session(session).await {
            Ok(s) if s.status() == WorkSessionStatus::Interrupted && s.state.is_paused() => return,
            Ok(_) => {}
            Err(err) => tracing::debug!(%session, %err, "cannot read whether the session was paused"),
        }
        // At shutdown this never returns: the job's own cancellation stops the turn.
        changes.changed().await;
    }
}

/// The recorded thread, when this agent process still holds it (re-attached).
async fn live_thread(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
) -> Result<Option<AcpSessionId>, TurnError> {
    let recorded = ctx.store.thread_of(session.id).await?.and_then(|t| t.acp_session_id).map(AcpSessionId);
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    Ok(recorded.filter(|acp| instance.attach_thread(acp, events)))
}

/// Loads the recorded thread into this (new) agent process when the agent can, and otherwise
/// opens a new one.
async fn open_thread(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    worktree: &Path,
) -> Result<(AcpSessionId, Opened), TurnError> {
    // Events outside a turn (a load's replay) are not recorded again: drain them.
    let (events, mut rx) = instance.event_channel();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let recorded = ctx.store.thread_of(session.id).await?.and_then(|t| t.acp_session_id).map(AcpSessionId);
    // A thread opened in an agent gets the session's coordination tools, with a fresh credential.
    let tools = thread_tools::session_tools(ctx, session).await?;
    if let Some(acp) = recorded {
        match instance.load_thread_with_tools(&acp, worktree, &tools, events.clone()).await {
            Ok(()) => return Ok((acp, Opened::Resumed)),
            Err(err) => {
                tracing::info!(session = %session.id, %err, "cannot resume the recorded thread; opening a new one")
            }
        }
    }
    let acp = instance.new_thread_with_tools(worktree, &tools, events).await.map_err(TurnError::Agent)?;
    Ok((acp, Opened::New))
}

/// Why a turn whose only effects were refused fails.
fn only_refused(refused: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut reason = format!(
        "the sandbox refused the agent {} time(s) and nothing changed in the worktree:",
        refused.len()
    );
    for line in refused.iter().take(SHOWN) {
        reason.push(' ');
        reason.push_str(line.trim().trim_start_matches("- sandbox: "));
        reason.push(';');
    }
    if refused.len() > SHOWN {
        reason.push_str(&format!(" and {} more", refused.len() - SHOWN));
    }
    reason
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
    let progress = markers::progress(ctx, task).await?;
    let siblings = siblings(ctx, task, session).await?;
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

/// What the task's other sessions finished, for a prompt's context.
pub(crate) async fn siblings(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
) -> Result<Vec<Sibling>, JobError> {
    // Every sibling's summary in one query, not one per sibling.
    let mut details = ctx.store.work_session_details(task.id).await?;
    let mut siblings = Vec::new();
    for other in ctx.store.work_sessions_of(task.id).await? {
        if other.id != session.id && other.status() == WorkSessionStatus::Completed {
            let summary = details.remove(&other.id).and_then(|(_, summary)| summary).unwrap_or_default();
            siblings.push(Sibling { name: other.name, summary });
        }
    }
    Ok(siblings)
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
