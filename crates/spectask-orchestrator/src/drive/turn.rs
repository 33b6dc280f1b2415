//! One prompt turn on a session's thread: what is said recorded, the agent's events recorded as
//! they stream, the turn stopped by a pause, an editor's cancel or shutdown, and judged by how it
//! ended.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AcpSessionId, AgentError, AgentInstance, PromptContent};
use spectask_core::{BudgetHold, HistoryFile, TurnMeter, WorkSession, WorkSessionId, WorkSessionStatus};
use spectask_git::HooksDir;
use spectask_store::{PendingMessage, StoreError};
use tokio_util::sync::CancellationToken;

use super::repo_check::JudgedIn;
use super::stall::{StallAction, StallWatch, Watched};
use super::stream;
use crate::coordination::overlaps;
use crate::ctx::Ctx;
use crate::history::record;
use crate::implementation::agents;
use crate::job_error::JobError;

/// Why a turn did not complete the session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TurnError {
    #[error(transparent)]
    Job(JobError),
    #[error(transparent)]
    Agent(AgentError),
    #[error("spectask stopped while the turn ran")]
    ShuttingDown,
    /// A budget that holds the task was reached while the turn ran: the turn was cancelled.
    #[error("{}", .0.why)]
    Budget(BudgetHold),
    /// The agent went silent and its profile says `on_stall = "interrupt"`: the turn was cancelled,
    /// for its thread to be prompted again.
    #[error("{0}")]
    Stalled(String),
    /// A person paused the session while the turn ran: the turn was cancelled, and the session is
    /// driven again only when resumed (its resume queues that drive).
    #[error("the session was paused while its turn ran")]
    Paused,
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
    /// The session's threads were prompted before (approvals of their turns may wait unanswered).
    pub prompted_before: bool,
    /// The task whose check judges the turn when it ends well (a turn of spectask's): where its
    /// repository's hooks are is looked up as it ends, beside its last records.
    pub judged_in: Option<JudgedIn>,
}

impl TurnPrompt {
    pub(super) fn spectask(text: String) -> Self {
        TurnPrompt {
            content: PromptContent::text(text),
            from: "spectask".to_owned(),
            editor_cancel: None,
            preface: None,
            new_thread: false,
            prompted_before: true,
            judged_in: None,
        }
    }
}

/// How a turn ended.
pub(crate) struct TurnEnd {
    pub stop: String,
    pub last_message: String,
    /// A command ran in the turn (it may have changed files nobody reported).
    pub ran_commands: bool,
    /// The turn reported changing files.
    pub touched: bool,
    /// The messages waiting for the session as the turn ended.
    pub waiting: Vec<PendingMessage>,
    /// Where the repository's hooks are, as looked up when the turn ended well.
    pub hooks: Option<HooksDir>,
}

/// One prompt turn on the thread, its events recorded; returns the agent's stop reason and last
/// message. A turn in which the agent was refused something (by the sandbox, the permission policy
/// or a person) and nothing changed in the worktree fails the session: its only effects were
/// refused, and completing it would hide that. A turn spectask
/// prompted fails on any stop but `end_turn`; an editor's turn ends however the agent stops it.
pub(crate) async fn turn(
    ctx: &Ctx,
    instance: &Arc<AgentInstance>,
    session: &WorkSession,
    acp: &AcpSessionId,
    worktree: &Path,
    prompt: TurnPrompt,
    cancel: &CancellationToken,
) -> Result<TurnEnd, TurnError> {
    let (events, rx) = instance.event_channel();
    if !instance.attach_thread(acp, events) {
        return Err(TurnError::Job(JobError::retry(format!("thread {} is gone from its agent", acp.0))));
    }
    // What an earlier turn asked and nobody answered waits for an agent that is gone (before the
    // prompt: what this turn asks must not be withdrawn).
    if prompt.prompted_before
        && let Err(err) = ctx.store.withdraw_approvals_of_session(session.id).await
    {
        tracing::warn!(%err, session = %session.id, "cannot withdraw the approvals of earlier turns");
    }
    let said = said(session, acp, &prompt);
    let content = match prompt.preface {
        Some(preface) => prompt.content.with_preface(preface),
        None => prompt.content,
    };
    // What is said is recorded by the turn's recorder, first, while the agent already hears it: a
    // failure to record it stops the turn.
    let (said_failed_tx, mut said_failed) = tokio::sync::oneshot::channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let worktree_path = worktree.to_path_buf();
    let said = (said, said_failed_tx);
    let editor = prompt.editor_cancel.is_some();
    let judged_in = prompt.judged_in;
    // The turn is weighed as it runs against the budgets that hold its task (a person's turn from
    // an editor is theirs to stop); at the update that reaches one, it is cancelled.
    let (metering, mut capped) = metering(ctx, instance, session, !editor, prompt.new_thread).await?;
    let recorder = tokio::spawn(stream::consume(
        ctx.clone(),
        session.clone(),
        worktree_path,
        said,
        rx,
        done_rx,
        metering,
    ));
    let editor_cancel = prompt.editor_cancel.unwrap_or_default();
    let prompting = instance.prompt_content(acp, content);
    tokio::pin!(prompting);
    let mut cancelling = false;
    let mut said_heard = false;
    let mut unrecorded = None;
    let mut stall = StallWatch::new(ctx.config.stall_after, instance.profile().on_stall());
    let mut stalled_out = None;
    let mut budget_stop = None;
    let mut paused_out = false;
    let result = loop {
        tokio::select! {
            result = &mut prompting => break Some(result),
            () = cancel.cancelled() => break None,
            hold = &mut capped, if budget_stop.is_none() && !cancelling => {
                let Ok(hold) = hold else {
                    // The recorder ended without reaching a budget: nothing more to wait for.
                    budget_stop = Some(None);
                    continue;
                };
                cancelling = true;
                budget_stop = Some(Some(hold));
                if let Err(err) = instance.cancel(acp).await {
                    tracing::debug!(session = %session.id, %err, "cannot cancel the turn that reached a budget");
                }
            }
            failed = &mut said_failed, if !said_heard => {
                said_heard = true;
                if let Ok(err) = failed {
                    unrecorded = Some(err);
                    cancelling = true;
                    if let Err(err) = instance.cancel(acp).await {
                        tracing::debug!(session = %session.id, %err, "cannot cancel a turn whose prompt was not recorded");
                    }
                }
            }
            () = paused(ctx, session.id), if !cancelling && !editor => {
                // A person paused the session (on any node): the turn stops, and the drive with it.
                cancelling = true;
                paused_out = true;
                if let Err(err) = instance.cancel(acp).await {
                    tracing::debug!(session = %session.id, %err, "cannot cancel the paused session's turn");
                }
            }
            () = stall.due(), if !cancelling && !editor => {
                // The agent went silent: marked, and the turn stopped when the profile says so.
                if let Some(action) = stall.look(ctx, instance, acp, Watched::Session(session)).await {
                    cancelling = true;
                    stalled_out = Some(action);
                    if let Err(err) = instance.cancel(acp).await {
                        tracing::debug!(session = %session.id, %err, "cannot cancel the stalled turn");
                    }
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
    // A turn of spectask's that ended well waits for its verdict (the check): kept until the next
    // prompt, so that a drive cut off before the verdict gives it on restart, prompting nothing.
    let judged = !editor
        && stalled_out.is_none()
        && !matches!(budget_stop, Some(Some(_)))
        && matches!(&result, Some(Ok(stop)) if stop == "end_turn");
    // The check's one git process that needs nothing from this turn's records runs beside them.
    let hooks = judged_in
        .filter(|_| judged)
        .map(|judged_in| tokio::spawn(super::repo_check::look_up_hooks(ctx.clone(), judged_in)));
    stall.end(ctx, Watched::Session(session)).await;
    let mut record = recorder.await.unwrap_or_default();
    if let Some(err) = unrecorded.or_else(|| if said_heard { None } else { said_failed.try_recv().ok() }) {
        let rest = std::mem::take(&mut record.rest);
        let spent = std::mem::take(&mut record.spent);
        record::append_turn_end(ctx, session, instance.profile().model(), rest, spent, None).await;
        return Err(err.into());
    }
    // Paths as the session's commit wants them: relative to the (canonical) worktree.
    let root = worktree.canonicalize().unwrap_or_else(|_| worktree.to_path_buf());
    let touched: Vec<String> = record
        .touched
        .iter()
        .filter_map(|p| p.strip_prefix(&root).or_else(|_| p.strip_prefix(worktree)).ok())
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.display().to_string())
        .collect();
    // Apart from each other, so at once: the turn's last history entries (a write), overlapping edits
    // (a read, and a write when there are some) and the messages that wait for the session (a read).
    let rest = std::mem::take(&mut record.rest);
    let spent = std::mem::take(&mut record.spent);
    let model = instance.profile().model();
    let ended = judged.then_some(record.last_message.as_str());
    let (_, reported, waiting) = tokio::join!(
        record::append_turn_end(ctx, session, model, rest, spent, ended),
        overlaps::report(&ctx.store, session, &touched),
        ctx.store.pending_session_messages(session.id)
    );
    // Stored as they were seen; again here only when one of those writes failed.
    if !record.touched_stored {
        ctx.store.add_touched_paths(session.id, &touched).await?;
    }
    reported?;
    let waiting = waiting?;
    // The lines of its budget this turn took the task over are told now, whatever comes next.
    if let Err(err) = crate::drive::budget::weigh(ctx, session.spec_task_id).await {
        tracing::warn!(session = %session.id, %err, "cannot weigh the task's spending against its budget");
    }
    let hooks = match hooks {
        Some(looking) => looking.await.ok().flatten(),
        None => None,
    };
    let last_message = record.last_message.clone();
    let ran_commands = record.ran_commands;
    let touched = !touched.is_empty();
    let ended = |stop| TurnEnd { stop, last_message, ran_commands, touched, waiting, hooks };
    match (result, stalled_out) {
        (None, _) => {
            let _ = instance.cancel(acp).await;
            Err(TurnError::ShuttingDown)
        }
        (Some(_), _) if matches!(budget_stop, Some(Some(_))) => {
            Err(TurnError::Budget(budget_stop.flatten().ok_or(TurnError::ShuttingDown)?))
        }
        (_, Some(StallAction::Interrupt(reason))) => Err(TurnError::Stalled(reason)),
        (Some(_), None) if paused_out => Err(TurnError::Paused),
        (_, Some(StallAction::Fail(reason))) => Err(TurnError::Job(JobError::fatal(reason))),
        (Some(result), None) => outcome_of_stop(ctx, session, result, editor, &record.refused, ended).await,
    }
}

/// The turn's meter, from the thread's running cost at the last turn's end (none for a thread just
/// opened: its agent counts from zero), and when `weighed` the budgets that hold the task, with the
/// channel on which the one reached is told.
async fn metering(
    ctx: &Ctx,
    instance: &AgentInstance,
    session: &WorkSession,
    weighed: bool,
    new_thread: bool,
) -> Result<(stream::Metering, tokio::sync::oneshot::Receiver<BudgetHold>), TurnError> {
    let baseline = if new_thread { None } else { ctx.store.thread_running_total(session.id).await? };
    let cap = if weighed {
        let model = instance.profile().model().map(str::to_owned);
        crate::drive::budget::cap(ctx, session.spec_task_id, model).await?
    } else {
        None
    };
    let (capped_tx, capped_rx) = tokio::sync::oneshot::channel();
    let metering = stream::Metering { meter: TurnMeter::new(baseline), cap, capped: Some(capped_tx) };
    Ok((metering, capped_rx))
}

/// What a turn that ran to its end comes to, by its stop reason.
async fn outcome_of_stop(
    ctx: &Ctx,
    session: &WorkSession,
    result: Result<String, AgentError>,
    editor: bool,
    refused: &[String],
    ended: impl FnOnce(String) -> TurnEnd,
) -> Result<TurnEnd, TurnError> {
    match result {
        Ok(stop) if stop == "end_turn" => {
            if !refused.is_empty() {
                let task = ctx.store.spec_task(session.spec_task_id).await?;
                if agents::uncommitted(ctx, &task).await?.is_empty() {
                    return Err(TurnError::Job(JobError::fatal(only_refused(refused))));
                }
            }
            Ok(ended(stop))
        }
        Ok(stop) if editor => Ok(ended(stop)),
        Ok(stop) if stop == "cancelled" => {
            Err(TurnError::Job(JobError::retry("the agent's turn was cancelled".to_owned())))
        }
        Ok(stop) => Err(TurnError::Job(JobError::fatal(format!("the agent ended its turn with {stop}")))),
        Err(err) => Err(TurnError::Agent(err)),
    }
}

/// What spectask says to open the turn (the preface and what is said apart: each entry is one
/// speaker's), with the thread when it is a new thread's first prompt.
fn said(session: &WorkSession, acp: &AcpSessionId, prompt: &TurnPrompt) -> stream::Said {
    let mut said = Vec::new();
    if let Some(preface) = &prompt.preface {
        let preface = format!("### spectask\n\n{preface}\n\n");
        said.push(record::entry(session, HistoryFile::Conversation, preface));
    }
    let text = format!("### {}\n\n{}\n\n", prompt.from, prompt.content.to_text());
    said.push(record::entry(session, HistoryFile::Conversation, text));
    if prompt.new_thread {
        stream::Said::NewThread { acp: acp.0.clone(), said }
    } else {
        stream::Said::Entries(said)
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

/// Why a turn whose only effects were refused fails.
fn only_refused(refused: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut reason = format!(
        "the agent was refused {} time(s) (by the sandbox, the permission policy or a person) and \
         nothing changed in the worktree:",
        refused.len()
    );
    for line in refused.iter().take(SHOWN) {
        reason.push(' ');
        reason.push_str(line.trim().trim_start_matches("- "));
        reason.push(';');
    }
    if refused.len() > SHOWN {
        reason.push_str(&format!(" and {} more", refused.len() - SHOWN));
    }
    reason
}
