//! What a session's agent streams, turned into durable history (conversation, code changes,
//! decisions, activity) and live plan events.

use serde_json::json;
use spectask_agent::AgentEvent;
use spectask_core::{EventKind, HistoryFile, WorkSession};
use spectask_store::NewHistoryEntry;
use tokio::sync::{mpsc, oneshot};

use crate::audit::{self, Finding};
use crate::code_diff::code_change;
use crate::dispatch::JobError;
use crate::engine::Ctx;

/// Entries buffered before one append (they are acknowledged once appended).
const BATCH: usize = 32;

pub(crate) async fn history(
    ctx: &Ctx,
    session: &WorkSession,
    file: HistoryFile,
    content: String,
) -> Result<(), JobError> {
    ctx.store
        .append_history(&[NewHistoryEntry {
            spec_task_id: session.spec_task_id,
            work_session_id: Some(session.id),
            file,
            content,
        }])
        .await?;
    Ok(())
}

/// What a turn left: the agent's last message (its summary), the files it reported changing and
/// what the sandbox refused it (as decision lines).
#[derive(Debug, Default)]
pub(crate) struct TurnRecord {
    pub last_message: String,
    pub touched: Vec<std::path::PathBuf>,
    pub refused: Vec<String>,
}

/// Drains a thread's events until the turn ends (or `done` fires and the channel is empty), writing
/// history as it goes.
pub(crate) async fn consume(
    ctx: Ctx,
    session: WorkSession,
    worktree: std::path::PathBuf,
    mut events: mpsc::Receiver<AgentEvent>,
    mut done: oneshot::Receiver<()>,
) -> TurnRecord {
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
        refused: Vec::new(),
    };
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = &mut done => {
                while let Ok(event) = events.try_recv() {
                    recorder.on(event).await;
                }
                break;
            }
        };
        match event {
            Some(AgentEvent::TurnEnded { stop_reason }) => {
                recorder.activity(format!("turn ended: {stop_reason}"));
                break;
            }
            Some(event) => recorder.on(event).await,
            None => break,
        }
    }
    recorder.flush_message();
    recorder.flush().await;
    TurnRecord { last_message: recorder.last_message, touched: recorder.touched, refused: recorder.refused }
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
    /// Decision lines of what the sandbox refused.
    refused: Vec<String>,
}

impl Recorder<'_> {
    async fn on(&mut self, event: AgentEvent) {
        if !matches!(event, AgentEvent::MessageChunk { .. }) {
            self.flush_message();
        }
        match event {
            AgentEvent::MessageChunk { text } => self.message.push_str(&text),
            AgentEvent::Thought { text } => self.thought.push_str(&text),
            AgentEvent::UserMessageChunk { .. } | AgentEvent::Usage { .. } | AgentEvent::TurnEnded { .. } => {
            }
            AgentEvent::ToolCall(call) | AgentEvent::ToolCallUpdate(call) => {
                let mut paths: Vec<std::path::PathBuf> = call.diffs.iter().map(|d| d.path.clone()).collect();
                if matches!(call.kind.as_deref(), Some("edit" | "delete" | "move")) {
                    paths.extend(call.locations.iter().cloned());
                }
                self.touch(paths).await;
                let status = call.status.as_deref().unwrap_or("");
                let title = call.title.as_deref().unwrap_or("");
                if !title.is_empty() || !status.is_empty() {
                    self.activity(format!("tool call {} {title} {status}", call.id));
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
                let payload = json!({ "entries": entries, "done": done, "current": current });
                if let Err(err) = self
                    .ctx
                    .store
                    .publish_event(
                        EventKind::WorkSessionPlan,
                        Some(self.session.spec_task_id),
                        Some(self.session.id),
                        payload,
                    )
                    .await
                {
                    tracing::warn!(%err, "cannot publish a plan update");
                }
            }
            AgentEvent::PermissionRequested(request) => {
                let title = request.tool_call.title.as_deref().unwrap_or("a tool call");
                self.activity(format!("permission asked: {title}"));
            }
            AgentEvent::PermissionDecided { tool_call_id, decision, by, .. } => {
                self.push(
                    HistoryFile::Decisions,
                    format!("- permission for {tool_call_id}: {decision:?} (by {by:?})\n"),
                );
            }
            AgentEvent::FsRead { path } => self.activity(format!("read {}", path.display())),
            AgentEvent::FsWrite { path, bytes } => {
                self.activity(format!("wrote {} ({bytes} bytes)", path.display()));
                self.touch(vec![path]).await;
            }
            AgentEvent::FsDenied { operation, path, reason } => {
                self.activity(format!("denied {operation:?} {}: {reason}", path.display()));
            }
            AgentEvent::TerminalStarted { command, cwd, .. } => {
                self.activity(format!("ran `{command}` in {}", cwd.display()));
            }
            AgentEvent::TerminalExited { exit_code, signal, .. } => {
                self.activity(format!("command exited: code {exit_code:?} signal {signal:?}"));
            }
            AgentEvent::TerminalDenied { command, reason, .. } => {
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

    /// Files the agent changed are recorded at once, not at the end of the turn: after a crash the
    /// resumed turn may change nothing, and the session's commit must still hold its files.
    async fn touch(&mut self, paths: Vec<std::path::PathBuf>) {
        let relative: Vec<String> = paths
            .iter()
            .filter_map(|p| self.relative(p))
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.display().to_string())
            .collect();
        if let Err(err) = self.ctx.store.add_touched_paths(self.session.id, &relative).await {
            tracing::warn!(%err, session = %self.session.id, "cannot record the files a session changed");
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
        self.pending.push(NewHistoryEntry {
            spec_task_id: self.session.spec_task_id,
            work_session_id: Some(self.session.id),
            file,
            content,
        });
    }

    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.pending);
        if let Err(err) = self.ctx.store.append_history(&entries).await {
            tracing::error!(%err, session = %self.session.id, lost = entries.len(), "cannot record session history");
        }
    }
}
