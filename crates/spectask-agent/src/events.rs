//! Typed events of one thread: what the agent streamed and what spectask decided on its behalf;
//! and what spectask did about the agent's approval mode ([`ApprovalCheck`], selected in
//! `permission/approval.rs`).

use std::path::PathBuf;

use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, SessionUpdate, ToolCallContent, ToolCallLocation,
};
use serde::Serialize;

/// A tool call's kind, as ACP has it (`edit`, `execute` …; `other` when the agent said none).
pub use agent_client_protocol::v1::schema::ToolKind;

/// One event on a thread's channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// A chunk of the user's message (only seen when a loaded session replays its history).
    UserMessageChunk {
        text: String,
    },
    MessageChunk {
        text: String,
    },
    Thought {
        text: String,
    },
    ToolCall(ToolCallEvent),
    ToolCallUpdate(ToolCallEvent),
    /// The full plan, as the agent sent it (each update replaces the previous plan).
    Plan {
        entries: Vec<PlanEntryEvent>,
    },
    /// The thread's context window fill, and the cost the agent reports for it so far (cumulative).
    Usage {
        used: u64,
        size: u64,
        cost: Option<ReportedCost>,
    },
    PermissionRequested(PermissionRequest),
    PermissionDecided {
        tool_call_id: String,
        approval_id: Option<String>,
        decision: Decision,
        by: DecidedBy,
    },
    FsRead {
        path: PathBuf,
    },
    FsWrite {
        path: PathBuf,
        bytes: usize,
    },
    FsDenied {
        operation: FsOperation,
        path: PathBuf,
        reason: String,
    },
    TerminalStarted {
        terminal_id: String,
        command: String,
        cwd: PathBuf,
    },
    TerminalExited {
        terminal_id: String,
        exit_code: Option<u32>,
        signal: Option<String>,
    },
    TerminalDenied {
        command: String,
        cwd: Option<PathBuf>,
        reason: String,
    },
    TurnEnded {
        stop_reason: String,
        /// The tokens the turn used, when the agent reported them with its answer.
        usage: Option<TurnUsage>,
    },
    /// An edit tool call names paths outside the worktree (found by the thread's sandbox audit, `thread/sandbox_audit.rs`).
    EditOutsideWorktree(SandboxFinding),
    /// A tool call failed with a permission error: the sandbox refused an access.
    AccessRefused(SandboxFinding),
    /// The agent switched itself out of its approval mode; spectask switched it back.
    ApprovalModeRestored {
        from: String,
        to: String,
    },
}

/// A thread's cumulative cost as its agent reports it (`usage_update.cost`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportedCost {
    pub amount: f64,
    /// An ISO 4217 code, or another unit such as `credits`.
    pub currency: String,
}

/// The tokens one turn used (ACP's `PromptResponse.usage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TurnUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the cache, 0 when not reported.
    pub cached_tokens: u64,
}

impl TurnUsage {
    pub(crate) fn of(usage: &agent_client_protocol::v1::schema::Usage) -> Self {
        TurnUsage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_tokens: usage.cached_read_tokens.unwrap_or(0),
        }
    }
}

/// What the sandbox audit found in one tool call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SandboxFinding {
    pub tool_call_id: String,
    pub title: Option<String>,
    pub paths: Vec<PathBuf>,
    /// For an edit outside the worktree, what the sandbox does about it; for a refused access, the
    /// error the agent reported.
    pub detail: String,
    /// The sandbox stopped it.
    pub refused: bool,
}

/// A tool call or a patch to one (`tool_call_update` leaves unknown fields `None`/empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolCallEvent {
    pub id: String,
    pub title: Option<String>,
    pub kind: Option<ToolKind>,
    pub status: Option<String>,
    pub locations: Vec<PathBuf>,
    pub diffs: Vec<FileDiff>,
    pub text: Vec<String>,
    pub terminal_ids: Vec<String>,
}

impl ToolCallEvent {
    /// Whether a tool call of `kind` changes files: an edit, a deletion or a move.
    pub fn changes_files(kind: ToolKind) -> bool {
        matches!(kind, ToolKind::Edit | ToolKind::Delete | ToolKind::Move)
    }

    /// Its kind as ACP names it on the wire, for the log and the store.
    pub fn kind_name(&self) -> Option<String> {
        self.kind.as_ref().map(wire_name)
    }
}

/// A proposed or applied file change of a tool call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    pub path: PathBuf,
    pub old_text: Option<String>,
    pub new_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanEntryEvent {
    pub content: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
    /// `pending`, `in_progress` or `completed`.
    pub status: String,
}

/// A permission request as surfaced to people (and in `GET /api/v1/approvals`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PermissionRequest {
    /// Set when the request waits for a person (`ask` policy).
    pub approval_id: Option<String>,
    pub tool_call: ToolCallEvent,
    pub options: Vec<PermissionChoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PermissionChoice {
    pub option_id: String,
    pub name: String,
    /// `allow_once`, `allow_always`, `reject_once` or `reject_always`.
    pub kind: String,
}

/// The answer given to a permission request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    Allowed { option_id: String },
    Rejected { option_id: String },
    Cancelled,
}

/// Who answered a permission request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The `auto` or `deny` policy.
    Policy,
    /// A person, through the permission broker (`PermissionBroker`).
    User,
    /// The session was cancelled while the request was pending.
    SessionCancelled,
    /// A person, in the editor holding the thread (`editor/relay.rs`).
    Editor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FsOperation {
    Read,
    Write,
}

/// The snake_case wire name of a schema enum value (`in_progress`, `allow_once` …).
pub(crate) fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".to_owned(),
    }
}

fn chunk_text(chunk: &ContentChunk) -> String {
    block_text(&chunk.content)
}

fn block_text(block: &ContentBlock) -> String {
    match block {
        ContentBlock::Text(text) => text.text.clone(),
        ContentBlock::ResourceLink(link) => link.uri.clone(),
        _ => String::new(),
    }
}

fn locations(locations: &[ToolCallLocation]) -> Vec<PathBuf> {
    locations.iter().map(|l| l.path.clone()).collect()
}

fn fill_content(event: &mut ToolCallEvent, content: &[ToolCallContent]) {
    for item in content {
        match item {
            ToolCallContent::Diff(diff) => event.diffs.push(FileDiff {
                path: diff.path.clone(),
                old_text: diff.old_text.clone(),
                new_text: diff.new_text.clone(),
            }),
            ToolCallContent::Content(content) => event.text.push(block_text(&content.content)),
            ToolCallContent::Terminal(terminal) => {
                event.terminal_ids.push(terminal.terminal_id.0.to_string())
            }
            _ => {}
        }
    }
}

/// The event for a `session/update`, or `None` for updates spectask does not surface (commands, modes …).
pub(crate) fn from_update(update: &SessionUpdate) -> Option<AgentEvent> {
    Some(match update {
        SessionUpdate::UserMessageChunk(chunk) => AgentEvent::UserMessageChunk { text: chunk_text(chunk) },
        SessionUpdate::AgentMessageChunk(chunk) => AgentEvent::MessageChunk { text: chunk_text(chunk) },
        SessionUpdate::AgentThoughtChunk(chunk) => AgentEvent::Thought { text: chunk_text(chunk) },
        SessionUpdate::ToolCall(call) => {
            let mut event = ToolCallEvent {
                id: call.tool_call_id.0.to_string(),
                title: Some(call.title.clone()),
                kind: Some(call.kind),
                status: Some(wire_name(&call.status)),
                locations: locations(&call.locations),
                ..ToolCallEvent::default()
            };
            fill_content(&mut event, &call.content);
            AgentEvent::ToolCall(event)
        }
        SessionUpdate::ToolCallUpdate(update) => AgentEvent::ToolCallUpdate(tool_call_update(update)),
        SessionUpdate::Plan(plan) => AgentEvent::Plan {
            entries: plan
                .entries
                .iter()
                .map(|e| PlanEntryEvent {
                    content: e.content.clone(),
                    priority: wire_name(&e.priority),
                    status: wire_name(&e.status),
                })
                .collect(),
        },
        SessionUpdate::UsageUpdate(usage) => AgentEvent::Usage {
            used: usage.used,
            size: usage.size,
            cost: usage
                .cost
                .as_ref()
                .filter(|c| c.amount.is_finite() && c.amount >= 0.0)
                .map(|c| ReportedCost { amount: c.amount, currency: c.currency.clone() }),
        },
        _ => return None,
    })
}

/// A `ToolCallUpdate` (also the tool call of a permission request) as an event.
pub(crate) fn tool_call_update(update: &agent_client_protocol::v1::schema::ToolCallUpdate) -> ToolCallEvent {
    let fields = &update.fields;
    let mut event = ToolCallEvent {
        id: update.tool_call_id.0.to_string(),
        title: fields.title.clone(),
        kind: fields.kind,
        status: fields.status.as_ref().map(wire_name),
        locations: fields.locations.as_deref().map(locations).unwrap_or_default(),
        ..ToolCallEvent::default()
    };
    fill_content(&mut event, fields.content.as_deref().unwrap_or_default());
    event
}

/// Whether the agent's approval system is in the mode spectask's policy needs, for one session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// The agent was already in the mode.
    #[serde(rename = "took")]
    AlreadySelected,
    /// spectask switched the agent to the mode.
    Set,
    /// The agent does not offer the mode: it may act without asking.
    NotOffered,
    /// The agent refused to switch: it may act without asking.
    Failed,
    /// The agent reports no session modes: what the preset configured cannot be verified.
    NotReported,
    /// The profile names no approval mode.
    NotConfigured,
}

/// What spectask did about the agent's approval mode, as `agent probe` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApprovalCheck {
    /// The profile's `approval_mode`.
    pub mode: Option<String>,
    /// The agent's mode afterwards, as far as it reported it.
    pub current_mode: Option<String>,
    /// The modes the agent offers.
    pub available_modes: Vec<String>,
    pub status: ApprovalStatus,
    pub detail: Option<String>,
}

impl ApprovalCheck {
    /// Whether the agent asks before edits and commands as far as spectask can tell.
    pub fn asks_first(&self) -> bool {
        matches!(self.status, ApprovalStatus::AlreadySelected | ApprovalStatus::Set)
    }
}
