//! What a session's agent streams, turned into durable history (conversation, code changes,
//! decisions, activity) and live plan events as the turn runs. What it records reaches the store
//! within about [`LIVE_WINDOW`] (`history::record` appends and announces it), so that a transcript
//! on screen follows the agent as it works; a permission request waiting for a person is held in
//! the store (`approvals`), and the turn is weighed against the task's budgets (`budget`).

use std::collections::HashMap;
use std::time::Duration;

use spectask_agent::AgentEvent;
use spectask_agent::events::{DecidedBy, Decision, FsOperation, PermissionChoice, ToolCallEvent, ToolKind};
use spectask_agent::{ReportedCost, TurnUsage};
use spectask_core::events::payload::{AgentPlanEntry, WorkSessionPlan};
use spectask_core::{BudgetHold, ContextFill, HistoryFile, Money, TurnMeter, WorkSession};
use spectask_store::{NewHistoryEntry, StoreError};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::ctx::Ctx;
use crate::history::audit::{self, Finding};
use crate::history::record::{TurnSpent, announce, append};
use crate::history::{code_change, decision_line};

/// Entries buffered before one append (they are acknowledged once appended).
const BATCH: usize = 32;

/// How long what a turn recorded waits before it is appended: entries that are whole wait at most
/// this long, a message still streaming until the agent has been quiet this long.
const LIVE_WINDOW: Duration = Duration::from_secs(1);

/// What a turn left: the agent's last message (its summary), the files it reported changing, whether
/// it ran commands (which may change files unreported) and what was refused it (by the sandbox,
/// the permission policy or a person, one line each).
#[derive(Debug, Default)]
pub(crate) struct TurnRecord {
    pub last_message: String,
    pub touched: Vec<std::path::PathBuf>,
    /// Every file in `touched` was stored as the session's as it was seen (none is left to store).
    pub touched_stored: bool,
    pub ran_commands: bool,
    pub refused: Vec<String>,
    /// The turn's last history entries, not appended yet ([`append`] appends them).
    pub rest: Vec<NewHistoryEntry>,
    /// What the turn spent.
    pub spent: TurnSpent,
}

/// A turn's spending as it runs, and the budgets it is weighed against.
pub(crate) struct Metering {
    pub meter: TurnMeter,
    /// The budgets that hold the task (none: nothing stops the turn).
    pub cap: Option<crate::drive::budget::TurnCap>,
    /// Told the hold of the budget the turn reached, once.
    pub capped: Option<oneshot::Sender<BudgetHold>>,
}

impl Metering {
    /// A turn weighed against no budget, on a thread that reported no cost before.
    #[cfg(test)]
    pub(crate) fn none() -> Self {
        Metering { meter: TurnMeter::default(), cap: None, capped: None }
    }
}

/// What spectask said to open a turn: recorded before anything the agent answers, while the agent
/// already hears it.
#[derive(Debug)]
pub(crate) enum Said {
    /// Entries of the session's conversation (none: nothing to record).
    Entries(Vec<NewHistoryEntry>),
    /// The first prompt of a thread just opened, recorded with the thread in one write: a thread on
    /// record has always been told its task.
    NewThread { acp: String, said: Vec<NewHistoryEntry> },
}

impl Said {
    async fn record(self, ctx: &Ctx, session: &WorkSession) -> Result<(), StoreError> {
        let count = match self {
            Said::Entries(entries) if entries.is_empty() => return Ok(()),
            Said::Entries(entries) => {
                ctx.store.record_prompt(session.id, &entries).await.map(|()| entries.len())?
            }
            Said::NewThread { acp, said } => {
                ctx.store.record_thread_prompted(session.id, &acp, &said).await.map(|()| said.len())?
            }
        };
        announce(ctx, session.spec_task_id, session.id, count).await;
        Ok(())
    }
}

/// Records what was `said` (a failure is sent on `said_failed`), then drains the thread's events
/// until the turn ends (or `done` fires and the channel is empty), writing history as it goes; the
/// last entries are left to the caller to append (`rest`), beside its own reads.
pub(crate) async fn consume(
    ctx: Ctx,
    session: WorkSession,
    worktree: std::path::PathBuf,
    (said, said_failed): (Said, oneshot::Sender<StoreError>),
    mut events: mpsc::Receiver<AgentEvent>,
    mut done: oneshot::Receiver<()>,
    metering: Metering,
) -> TurnRecord {
    if let Err(err) = said.record(&ctx, &session).await {
        // The turn is stopped; what the agent still sends is drained (and recorded) below.
        let _ = said_failed.send(err);
    }
    let root = worktree.canonicalize().unwrap_or_else(|_| worktree.clone());
    let mut recorder = Recorder {
        ctx: &ctx,
        session: &session,
        worktree: (root, worktree),
        pending: Vec::new(),
        message: String::new(),
        thought: String::new(),
        last_message: String::new(),
        touched: Vec::new(),
        touched_stored: true,
        ran_commands: false,
        refused: Vec::new(),
        tool_calls: HashMap::new(),
        permission_options: HashMap::new(),
        usage: None,
        metering,
        capped: false,
        pending_since: None,
        last_event: Instant::now(),
    };
    loop {
        let due = recorder.due();
        let event = tokio::select! {
            event = events.recv() => event,
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                recorder.flush_due().await;
                continue;
            }
            _ = &mut done => {
                while let Ok(event) = events.try_recv() {
                    recorder.record_event(event).await;
                }
                break;
            }
        };
        match event {
            Some(event @ AgentEvent::TurnEnded { .. }) => {
                recorder.record_event(event).await;
                break;
            }
            Some(event) => recorder.record_event(event).await,
            None => break,
        }
    }
    recorder.flush_message();
    TurnRecord {
        last_message: recorder.last_message,
        touched: recorder.touched,
        touched_stored: recorder.touched_stored,
        ran_commands: recorder.ran_commands,
        refused: recorder.refused,
        rest: recorder.pending,
        spent: TurnSpent { usage: recorder.usage, meter: recorder.metering.meter, capped: recorder.capped },
    }
}

struct Recorder<'a> {
    ctx: &'a Ctx,
    session: &'a WorkSession,
    /// The task's worktree, canonical and as given.
    worktree: (std::path::PathBuf, std::path::PathBuf),
    pending: Vec<NewHistoryEntry>,
    message: String,
    thought: String,
    last_message: String,
    /// Files the agent wrote through spectask or showed as edits (absolute paths).
    touched: Vec<std::path::PathBuf>,
    /// No write of `touched` failed.
    touched_stored: bool,
    /// A command ran: through spectask's terminal, or the agent's own (an `execute` tool call).
    ran_commands: bool,
    /// Lines naming what was refused the agent: by the sandbox, the permission policy or a person.
    refused: Vec<String>,
    /// How each tool call of the turn is named in the activity log (updates often omit the title).
    tool_calls: HashMap<String, String>,
    /// The choices offered with each permission request of the turn, by tool call.
    permission_options: HashMap<String, Vec<PermissionChoice>>,
    usage: Option<TurnUsage>,
    metering: Metering,
    /// A budget the turn reached was told.
    capped: bool,
    /// When the first of the `pending` entries was buffered.
    pending_since: Option<Instant>,
    /// When the agent last sent something.
    last_event: Instant,
}

impl Recorder<'_> {
    /// When what is buffered is due to be appended, if anything is: once the agent has been quiet
    /// for [`LIVE_WINDOW`], and whole entries at most that long after the first of them.
    fn due(&self) -> Option<Instant> {
        let message = !self.message.trim().is_empty();
        let thought = !self.thought.trim().is_empty() && self.message.is_empty();
        if self.pending.is_empty() && !message && !thought {
            return None;
        }
        let quiet = self.last_event + LIVE_WINDOW;
        Some(self.pending_since.map_or(quiet, |since| quiet.min(since + LIVE_WINDOW)))
    }

    /// Appends what is due (see [`Self::due`]): the message too once the agent is quiet, so that a
    /// message still streaming stays one entry.
    async fn flush_due(&mut self) {
        if self.last_event.elapsed() >= LIVE_WINDOW {
            self.flush_message();
        }
        self.flush().await;
    }

    async fn record_event(&mut self, event: AgentEvent) {
        self.last_event = Instant::now();
        if !matches!(event, AgentEvent::MessageChunk { .. }) {
            self.flush_message();
        }
        match event {
            AgentEvent::MessageChunk { text } => self.message.push_str(&text),
            AgentEvent::Thought { text } => self.thought.push_str(&text),
            AgentEvent::UserMessageChunk { .. } => {}
            AgentEvent::Usage { used, size, cost } => self.thread_usage(ContextFill { used, size }, cost).await,
            // Recorded here whether the prompt's answer came before the last updates were drained;
            // left with its tokens for the turn's last write (never flushed alone).
            AgentEvent::TurnEnded { stop_reason, usage } => {
                self.usage = usage;
                self.activity(format!("turn ended: {stop_reason}"));
                return;
            }
            AgentEvent::ToolCall(call) | AgentEvent::ToolCallUpdate(call) => {
                let mut paths: Vec<std::path::PathBuf> = call.diffs.iter().map(|d| d.path.clone()).collect();
                if call.kind.is_some_and(ToolCallEvent::changes_files) {
                    paths.extend(call.locations.iter().cloned());
                }
                self.ran_commands |= call.kind == Some(ToolKind::Execute);
                self.touch(paths).await;
                let label = self.tool_call_label(&call);
                if let Some(status) = call.status.as_deref().filter(|s| !s.is_empty()) {
                    self.activity(format!("tool call {} {label}{status}", call.id));
                } else if call.title.is_some() {
                    self.activity(format!("tool call {} {label}", call.id).trim_end().to_owned());
                }
                for diff in &call.diffs {
                    let reasoning = std::mem::take(&mut self.thought);
                    let path = self.relative(&diff.path).unwrap_or(&diff.path).display().to_string();
                    let mut text = format!("### {path}\n\n");
                    if !reasoning.trim().is_empty() {
                        text.push_str(&format!("Reasoning: {}\n\n", reasoning.trim()));
                    }
                    text.push_str(&code_change(&path, diff.old_text.as_deref(), &diff.new_text));
                    text.push('\n');
                    self.push(HistoryFile::CodeChanges, text);
                }
            }
            AgentEvent::Plan { entries } => {
                let done = entries.iter().filter(|e| e.status == "completed").count();
                let current = entries.iter().find(|e| e.status == "in_progress").map(|e| e.content.clone());
                self.activity(format!(
                    "plan: {done}/{} done{}",
                    entries.len(),
                    current.as_deref().map(|c| format!(", now: {c}")).unwrap_or_default()
                ));
                let entries = entries
                    .iter()
                    .map(|e| AgentPlanEntry {
                        content: e.content.clone(),
                        priority: e.priority.clone(),
                        status: e.status.clone(),
                    })
                    .collect();
                let payload = WorkSessionPlan { entries, done, current };
                if let Err(err) =
                    self.ctx.store.publish_event(Some(self.session.spec_task_id), Some(self.session.id), &payload).await
                {
                    tracing::warn!(%err, "cannot publish a plan update");
                }
            }
            AgentEvent::PermissionRequested(request) => {
                let title = request.tool_call.title.as_deref().unwrap_or("a tool call");
                self.activity(format!("permission asked: {title}"));
                self.permission_options.insert(request.tool_call.id.clone(), request.options.clone());
                if let Some(title) = &request.tool_call.title {
                    self.tool_calls.entry(request.tool_call.id.clone()).or_insert_with(|| title.clone());
                }
                if let Some(approval_id) = &request.approval_id {
                    // A person must answer: the transcript up to the question is recorded first.
                    self.flush_message();
                    self.flush().await;
                    crate::drive::approvals::held(self.ctx, self.session, approval_id, &request).await;
                }
            }
            AgentEvent::PermissionDecided { tool_call_id, approval_id, decision, by } => {
                let asked = self.tool_calls.get(&tool_call_id).map_or("", String::as_str);
                let options = self.permission_options.get(&tool_call_id).map_or(&[][..], Vec::as_slice);
                let line = decision_line(asked, &tool_call_id, &decision, options, by);
                if refuses(&decision, by) {
                    self.refused.push(line.clone());
                }
                self.push(HistoryFile::Decisions, line);
                if let Some(approval_id) = approval_id {
                    crate::drive::approvals::decided(self.ctx, &approval_id, &decision, by).await;
                }
            }
            AgentEvent::FsRead { path } => {
                let shown = self.relative(&path).unwrap_or(&path).display().to_string();
                self.activity(format!("read {shown}"));
            }
            AgentEvent::FsWrite { path, bytes } => {
                let shown = self.relative(&path).unwrap_or(&path).display().to_string();
                self.activity(format!("wrote {shown} ({bytes} bytes)"));
                self.touch(vec![path]).await;
            }
            AgentEvent::FsDenied { operation, path, reason } => {
                if operation == FsOperation::Write {
                    self.refused.push(format!("- write of {} refused: {reason}\n", path.display()));
                }
                self.activity(format!("denied {operation:?} {}: {reason}", path.display()));
            }
            AgentEvent::TerminalStarted { command, cwd, .. } => {
                self.ran_commands = true;
                self.activity(format!("ran `{command}` in {}", cwd.display()));
            }
            AgentEvent::TerminalExited { exit_code, signal, .. } => {
                self.activity(format!("command exited: code {exit_code:?} signal {signal:?}"));
            }
            AgentEvent::TerminalDenied { command, reason, .. } => {
                self.refused.push(format!("- command `{command}` refused: {reason}\n"));
                self.activity(format!("denied `{command}`: {reason}"))
            }
            AgentEvent::EditOutsideWorktree(finding) => {
                self.sandbox(Finding::EditOutsideWorktree, &finding).await
            }
            AgentEvent::AccessRefused(finding) => self.sandbox(Finding::AccessRefused, &finding).await,
            AgentEvent::ApprovalModeRestored { from, to } => self.push(
                HistoryFile::Decisions,
                format!("- the agent switched itself to mode {from:?}; spectask set it back to {to:?}, its approval mode\n"),
            ),
        }
        if self.pending.len() >= BATCH {
            self.flush().await;
        }
    }

    /// What names a tool call in the activity log, followed by a space when not empty: its title, or
    /// when the agent sent none, its kind and locations (an update without them keeps the name
    /// the call had).
    fn tool_call_label(&mut self, call: &ToolCallEvent) -> String {
        let title = call.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let described = match title {
            Some(title) => Some(title.to_owned()),
            None if call.kind.is_some() || !call.locations.is_empty() => {
                let mut parts: Vec<String> = call.kind_name().into_iter().collect();
                let shown =
                    call.locations.iter().map(|p| self.relative(p).unwrap_or(p).display().to_string());
                parts.extend(shown);
                Some(parts.join(" "))
            }
            None => None,
        };
        let label = match described {
            Some(label) => {
                self.tool_calls.insert(call.id.clone(), label.clone());
                label
            }
            None => self.tool_calls.get(&call.id).cloned().unwrap_or_default(),
        };
        if label.is_empty() { label } else { format!("{label} ") }
    }

    /// Files the agent changed are recorded at once, not at the end of the turn: after a crash the
    /// resumed turn may change nothing, and the session's commit must still hold its files. A file
    /// the turn already recorded (its write, then its tool call's update) is not written again.
    async fn touch(&mut self, paths: Vec<std::path::PathBuf>) {
        let relative: Vec<String> = paths
            .iter()
            .filter(|p| !self.touched.contains(p))
            .filter_map(|p| self.relative(p))
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.display().to_string())
            .collect();
        if let Err(err) = self.ctx.store.add_touched_paths(self.session.id, &relative).await {
            tracing::warn!(%err, session = %self.session.id, "cannot record the files a session changed");
            self.touched_stored = false;
        }
        self.touched.extend(paths);
    }

    /// `path` inside the task's worktree, relative to it.
    fn relative<'p>(&self, path: &'p std::path::Path) -> Option<&'p std::path::Path> {
        let (root, given) = &self.worktree;
        path.strip_prefix(root).or_else(|_| path.strip_prefix(given)).ok()
    }

    /// A sandbox finding: a decision in the history, an event on the stream.
    async fn sandbox(&mut self, kind: Finding, finding: &spectask_agent::events::SandboxFinding) {
        let line = audit::decision(kind, finding);
        if finding.refused {
            self.refused.push(line.clone());
        }
        self.push(HistoryFile::Decisions, line);
        let session = self.session;
        audit::publish(self.ctx, session.spec_task_id, Some(session.id), kind, finding).await;
    }

    /// A usage update: the thread's context fill, recorded at once (each report replaces the last);
    /// its cost, counted in the turn's meter, which the budgets weigh as the turn runs.
    async fn thread_usage(&mut self, context: ContextFill, cost: Option<ReportedCost>) {
        let cost = cost.map(|c| Money::from_amount(c.amount, &c.currency));
        self.metering.meter.report(context.used, cost);
        if let Some(cap) = &self.metering.cap
            && let Some(hold) = cap.crossed(&self.metering.meter, &self.ctx.config.prices)
            && let Some(capped) = self.metering.capped.take()
        {
            self.capped = true;
            let _ = capped.send(hold);
        }
        let session = self.session;
        let recorded = self.ctx.store.record_thread_usage(session.spec_task_id, session.id, context).await;
        if let Err(err) = recorded {
            tracing::warn!(%err, session = %session.id, "cannot record the thread's usage");
        }
    }

    fn activity(&mut self, line: String) {
        let at = chrono::Utc::now().format("%H:%M:%S");
        self.push(HistoryFile::ActivityLog, format!("- {at} {line}\n"));
    }

    fn flush_message(&mut self) {
        if !self.thought.trim().is_empty() && self.message.is_empty() {
            let thought = std::mem::take(&mut self.thought);
            self.push(HistoryFile::Decisions, format!("- {}\n", thought.trim()));
        }
        if self.message.trim().is_empty() {
            return;
        }
        let message = std::mem::take(&mut self.message);
        self.push(HistoryFile::Conversation, format!("### agent\n\n{}\n\n", message.trim()));
        self.last_message = message;
    }

    fn push(&mut self, file: HistoryFile, content: String) {
        self.pending_since.get_or_insert_with(Instant::now);
        self.pending.push(NewHistoryEntry {
            spec_task_id: self.session.spec_task_id,
            work_session_id: Some(self.session.id),
            file,
            content,
        });
    }

    async fn flush(&mut self) {
        self.pending_since = None;
        append(self.ctx, self.session.id, std::mem::take(&mut self.pending)).await;
    }
}

/// Whether a permission answer refused the agent something (a cancelled turn's is no refusal).
fn refuses(decision: &Decision, by: DecidedBy) -> bool {
    match decision {
        Decision::Allowed { .. } => false,
        Decision::Rejected { .. } => true,
        Decision::Cancelled => by == DecidedBy::Policy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(
        id: &str,
        title: Option<&str>,
        kind: Option<ToolKind>,
        status: &str,
        at: &[&std::path::Path],
    ) -> ToolCallEvent {
        ToolCallEvent {
            id: id.to_owned(),
            title: title.map(str::to_owned),
            kind,
            status: Some(status.to_owned()),
            locations: at.iter().map(|p| p.to_path_buf()).collect(),
            ..ToolCallEvent::default()
        }
    }

    /// Each turn's tool calls without titles are named by kind and location, and "turn ended" is
    /// recorded whether the consumer is told the prompt was answered before or after it drains
    /// the last updates (`done` fires first in some rounds, the events branch in others).
    #[tokio::test(flavor = "multi_thread")]
    async fn tool_calls_without_titles_and_turn_end_are_recorded_in_any_order() {
        const TURNS: usize = 16;
        let dir = tempfile::tempdir().unwrap();
        let (ctx, _task, session) = crate::testing::ctx_with_session(dir.path()).await;
        let worktree = dir.path().join("wt");
        std::fs::create_dir_all(&worktree).unwrap();
        let file = worktree.canonicalize().unwrap().join("src/a.rs");
        for round in 0..TURNS {
            let (tx, rx) = mpsc::channel(16);
            let (done_tx, done_rx) = oneshot::channel();
            let events = [
                AgentEvent::ToolCall(call("e1", Some(""), Some(ToolKind::Edit), "pending", &[&file])),
                AgentEvent::ToolCallUpdate(call("e1", None, None, "completed", &[])),
                AgentEvent::ToolCall(call("x1", None, Some(ToolKind::Execute), "completed", &[])),
                AgentEvent::TurnEnded { stop_reason: "end_turn".into(), usage: None },
            ];
            for event in events {
                tx.send(event).await.unwrap();
            }
            let consuming = consume(
                ctx.clone(),
                session.clone(),
                worktree.clone(),
                (Said::Entries(Vec::new()), oneshot::channel().0),
                rx,
                done_rx,
                Metering::none(),
            );
            let record = if round % 2 == 0 {
                done_tx.send(()).unwrap();
                consuming.await
            } else {
                let consumer = tokio::spawn(consuming);
                tokio::task::yield_now().await;
                let _ = done_tx.send(());
                consumer.await.unwrap()
            };
            append(&ctx, session.id, record.rest).await;
        }
        let activity: String = ctx
            .store
            .history_of_session(session.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.file == HistoryFile::ActivityLog)
            .map(|e| e.content)
            .collect();
        assert_eq!(activity.matches("turn ended: end_turn").count(), TURNS, "{activity}");
        assert_eq!(activity.matches("tool call e1 edit src/a.rs pending").count(), TURNS, "{activity}");
        assert_eq!(activity.matches("tool call e1 edit src/a.rs completed").count(), TURNS, "{activity}");
        assert_eq!(activity.matches("tool call x1 execute completed").count(), TURNS, "{activity}");
    }
}
