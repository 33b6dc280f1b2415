//! Running one prompt turn of the scripted agent: each [`Step`] becomes ACP traffic to the client.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, Cost, CreateTerminalRequest, Diff, PermissionOption, PermissionOptionKind,
    Plan, PlanEntry, ReadTextFileRequest, ReleaseTerminalRequest, RequestPermissionOutcome,
    RequestPermissionRequest, SessionId, SessionNotification, SessionUpdate, StopReason,
    TerminalOutputRequest, TextContent, ToolCall, ToolCallContent, ToolCallLocation, ToolCallStatus,
    ToolCallUpdate, ToolCallUpdateFields, ToolKind, Usage, UsageUpdate, WaitForTerminalExitRequest,
    WriteTextFileRequest,
};
use agent_client_protocol::{Client, Error as AcpError, UntypedMessage};
use backon::{ConstantBuilder, Retryable};
use tokio_util::sync::CancellationToken;

use super::mcp::{McpStep, ThreadServers, ToolAnswer};
use super::{PlanItem, RunStep, Step, ToolCallStep};

/// How often an `mcp` step with `until` calls again.
const MCP_UNTIL_POLL_MS: u64 = 200;
const MCP_UNTIL_POLL: ConstantBuilder =
    ConstantBuilder::new().with_delay(Duration::from_millis(MCP_UNTIL_POLL_MS));

/// Why an `until` call is tried again (`NotYet`) or given up.
enum Poll {
    NotYet(String),
    Failed(String),
}

/// One running prompt turn.
pub(super) struct Turn {
    pub(super) cx: ConnectionTo<Client>,
    pub(super) session_id: SessionId,
    pub(super) cwd: PathBuf,
    pub(super) cancel: CancellationToken,
    pub(super) servers: ThreadServers,
    /// Everything said as agent message chunks, recorded in the session history.
    pub(super) reply: String,
    /// The session's current mode.
    pub(super) mode: super::modes::CurrentMode,
    /// Called with the reply so far after each step (the agent persists as it goes).
    pub(super) progress: Box<dyn Fn(&str) + Send + Sync>,
    /// The tokens the turn's `usage` steps reported, answered with the turn.
    pub(super) usage: Option<Usage>,
}

impl Turn {
    /// Runs the steps; returns the stop reason, the agent's reply text and the turn's tokens.
    pub(super) async fn run(mut self, steps: Vec<Step>) -> (StopReason, String, Option<Usage>) {
        for step in steps {
            if self.cancel.is_cancelled() {
                return (StopReason::Cancelled, self.reply, self.usage);
            }
            if let Step::Stop(reason) = step {
                return (reason, self.reply, self.usage);
            }
            if let Err(error) = self.step(step).await {
                // Whatever the client refused is reported back in the conversation; the turn goes on.
                self.say(&format!("error: {}", describe(&error)));
            }
            (self.progress)(&self.reply);
        }
        let stop = if self.cancel.is_cancelled() { StopReason::Cancelled } else { StopReason::EndTurn };
        (stop, self.reply, self.usage)
    }

    /// Adds tokens to the turn's usage.
    fn count(&mut self, input: u64, output: u64, cached: u64) {
        let usage = self.usage.get_or_insert_with(|| Usage::new(0, 0, 0));
        usage.input_tokens += input;
        usage.output_tokens += output;
        usage.total_tokens += input + output;
        if cached > 0 {
            usage.cached_read_tokens = Some(usage.cached_read_tokens.unwrap_or(0) + cached);
        }
    }

    pub(super) fn update(&self, update: SessionUpdate) {
        // A failed notification means the connection is closing; the turn ends on its own then.
        let _ = self.cx.send_notification(SessionNotification::new(self.session_id.clone(), update));
    }

    pub(super) fn say(&mut self, text: &str) {
        self.reply.push_str(text);
        self.update(SessionUpdate::AgentMessageChunk(text_chunk(text)));
    }

    pub(super) fn resolve(&self, path: &str) -> PathBuf {
        let path = Path::new(path);
        if path.is_absolute() { path.to_path_buf() } else { self.cwd.join(path) }
    }

    async fn step(&mut self, step: Step) -> Result<(), AcpError> {
        match step {
            Step::Message(text) => self.say(&text),
            Step::Thought(text) => self.update(SessionUpdate::AgentThoughtChunk(text_chunk(&text))),
            Step::Plan(items) => self.update(SessionUpdate::Plan(plan(items))),
            Step::ToolCall(call) => self.tool_call(call),
            Step::Usage { used, size, input, output, cached, cost, currency } => {
                let currency = currency.unwrap_or_else(|| "USD".to_owned());
                let cost = cost.map(|amount| Cost::new(amount, currency));
                self.update(SessionUpdate::UsageUpdate(UsageUpdate::new(used, size).cost(cost)));
                if input + output + cached > 0 {
                    self.count(input, output, cached);
                }
            }
            Step::WriteFile { path, content } => {
                let path = self.resolve(&path);
                let request = WriteTextFileRequest::new(self.session_id.clone(), path.clone(), content);
                self.cx.send_request(request).block_task().await?;
                self.say(&format!("wrote {}", path.display()));
            }
            Step::ReadFile { path } => {
                let path = self.resolve(&path);
                let request = ReadTextFileRequest::new(self.session_id.clone(), path.clone());
                let response = self.cx.send_request(request).block_task().await?;
                self.say(&format!("read {}: {}", path.display(), response.content));
            }
            Step::Run(run) => self.run_command(run).await?,
            Step::Permission { title, path, kind } => {
                let outcome = self.ask_permission(&title, path.as_deref(), kind).await?;
                self.say(&format!("permission: {outcome}"));
            }
            Step::Sleep(ms) => {
                tokio::select! {
                    () = sleep_for(Duration::from_millis(ms)) => {}
                    () = self.cancel.cancelled() => {}
                }
            }
            Step::Crash(code) => {
                eprintln!("scripted agent: crashing on purpose with exit code {code}");
                std::process::exit(code);
            }
            // Ends the turn: handled by `run` before any step runs.
            Step::Stop(_) => {}
            Step::Hang => {
                eprintln!("scripted agent: hanging on purpose");
                std::future::pending::<()>().await;
            }
            Step::Garbage(text) => {
                eprintln!("scripted agent: printing garbage on purpose");
                raw_stdout_line(&text);
            }
            Step::Oversize(bytes) => {
                eprintln!("scripted agent: printing an oversized line on purpose");
                raw_stdout_line(&oversized_line(&self.session_id, bytes));
            }
            Step::Mcp(step) => self.mcp(step).await,
            Step::OsWrite(write) => self.os_write(write).await,
            Step::OsRead { path } => self.os_read(&path).await,
            Step::SwitchMode(mode) => self.switch_mode(&mode),
            Step::ReportMode => self.report_mode(),
            Step::Vendor(method) => {
                let request = UntypedMessage::new(&method, serde_json::json!({}))?;
                let answer = self.cx.send_request(request).block_task().await;
                let code = answer.err().map_or(0, |e| i32::from(e.code));
                self.say(&format!("{method}: {code}\n"));
            }
            Step::PermissionFlood(count) => {
                eprintln!("scripted agent: flooding permission requests on purpose");
                let requests = (0..count).map(|i| self.ask_permission_owned(format!("flood {i}")));
                futures::future::join_all(requests).await;
            }
        }
        Ok(())
    }

    fn tool_call(&self, call: ToolCallStep) {
        let locations = call.path.iter().map(|p| ToolCallLocation::new(self.resolve(p))).collect();
        let start = ToolCall::new(call.id.clone(), call.title)
            .kind(call.kind)
            .status(ToolCallStatus::InProgress)
            .locations(locations);
        self.update(SessionUpdate::ToolCall(start));
        let content = call.path.map(|path| {
            let diff = Diff::new(self.resolve(&path), call.new_text).old_text(call.old_text);
            vec![ToolCallContent::Diff(diff)]
        });
        let fields = ToolCallUpdateFields::new().status(call.status).content(content);
        self.update(SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(call.id, fields)));
    }

    /// One MCP tool call, reported as a tool call (input, then output) and its answer said.
    async fn mcp(&mut self, step: McpStep) {
        let id = format!("mcp-{}", uuid::Uuid::now_v7());
        let title = format!("{}: {}", step.server.as_deref().unwrap_or("mcp"), step.tool);
        let input = serde_json::Value::Object(step.arguments.clone());
        let start = ToolCall::new(id.clone(), title).kind(ToolKind::Other).status(ToolCallStatus::InProgress);
        self.update(SessionUpdate::ToolCall(start.raw_input(input)));
        // One call, or (with `until`) calls until the answer has the text, as an agent polls.
        let wanted = step.until.clone();
        let call = || async {
            match (self.servers.call(&step).await, &wanted) {
                (Ok(answer), Some(wanted)) if !answer.text.contains(wanted.as_str()) => {
                    Err(Poll::NotYet(answer.text))
                }
                (Ok(answer), _) => Ok(answer),
                (Err(error), _) => Err(Poll::Failed(error)),
            }
        };
        let polls = (step.timeout_ms / MCP_UNTIL_POLL_MS).max(1) as usize;
        let polled = call.retry(MCP_UNTIL_POLL.with_max_times(polls)).when(|e| matches!(e, Poll::NotYet(_)));
        let outcome = tokio::select! {
            outcome = polled => outcome.map_err(|e| match e {
                Poll::NotYet(last) => format!("{:?} not in the answer after {} ms: {last}", step.until.clone().unwrap_or_default(), step.timeout_ms),
                Poll::Failed(error) => error,
            }),
            () = self.cancel.cancelled() => Err("cancelled".to_owned()),
        };
        let (status, text) = match outcome {
            Ok(ToolAnswer { text, is_error: false }) => (ToolCallStatus::Completed, text),
            Ok(ToolAnswer { text, is_error: true }) => (ToolCallStatus::Failed, format!("error: {text}")),
            Err(error) => (ToolCallStatus::Failed, format!("error: {error}")),
        };
        let content = vec![ToolCallContent::from(ContentBlock::Text(TextContent::new(text.clone())))];
        let fields = ToolCallUpdateFields::new().status(status).content(content);
        self.update(SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(id, fields)));
        self.say(&format!("{}: {text}\n", step.tool));
    }

    async fn run_command(&mut self, run: RunStep) -> Result<(), AcpError> {
        let mut request = CreateTerminalRequest::new(self.session_id.clone(), run.command).args(run.args);
        request.cwd = Some(run.cwd.map_or_else(|| self.cwd.clone(), |cwd| self.resolve(&cwd)));
        request.output_byte_limit = run.output_byte_limit;
        let terminal = self.cx.send_request(request).block_task().await?.terminal_id;
        let sid = self.session_id.clone();
        let waited = self
            .cx
            .send_request(WaitForTerminalExitRequest::new(sid.clone(), terminal.clone()))
            .block_task()
            .await;
        let output = self
            .cx
            .send_request(TerminalOutputRequest::new(sid.clone(), terminal.clone()))
            .block_task()
            .await;
        self.cx.send_request(ReleaseTerminalRequest::new(sid, terminal)).block_task().await?;
        let exit = waited?.exit_status;
        let output = output?;
        self.say(&format!(
            "exit {}: {}{}",
            exit.exit_code.map_or_else(|| exit.signal.unwrap_or_default(), |code| code.to_string()),
            output.output,
            if output.truncated { " (truncated)" } else { "" },
        ));
        Ok(())
    }

    fn ask_permission_owned(&self, title: String) -> impl Future<Output = Result<String, AcpError>> + use<> {
        let request = permission_request(&self.session_id, &title, None, None);
        let sent = self.cx.send_request(request);
        async move { Ok(outcome_name(sent.block_task().await?.outcome)) }
    }

    async fn ask_permission(
        &self,
        title: &str,
        path: Option<&str>,
        kind: Option<ToolKind>,
    ) -> Result<String, AcpError> {
        let path = path.map(|p| self.resolve(p));
        let request = permission_request(&self.session_id, title, path, kind);
        Ok(outcome_name(self.cx.send_request(request).block_task().await?.outcome))
    }
}

fn permission_request(
    session_id: &SessionId,
    title: &str,
    path: Option<PathBuf>,
    kind: Option<ToolKind>,
) -> RequestPermissionRequest {
    // By default, with a path it is an edit of that file, as agents ask before they write; else a command.
    let kind = kind.unwrap_or(if path.is_some() { ToolKind::Edit } else { ToolKind::Execute });
    let fields = ToolCallUpdateFields::new()
        .title(title.to_owned())
        .kind(kind)
        .locations(path.map(|p| vec![ToolCallLocation::new(p)]));
    let tool_call = ToolCallUpdate::new(format!("permission-{}", uuid::Uuid::now_v7()), fields);
    let options = vec![
        PermissionOption::new("allow", "Allow once", PermissionOptionKind::AllowOnce),
        PermissionOption::new("always", "Allow always", PermissionOptionKind::AllowAlways),
        PermissionOption::new("reject", "Reject", PermissionOptionKind::RejectOnce),
    ];
    RequestPermissionRequest::new(session_id.clone(), tool_call, options)
}

fn outcome_name(outcome: RequestPermissionOutcome) -> String {
    match outcome {
        RequestPermissionOutcome::Selected(selected) => selected.option_id.0.to_string(),
        _ => "cancelled".to_owned(),
    }
}

fn describe(error: &AcpError) -> String {
    match &error.data {
        Some(serde_json::Value::String(data)) => format!("{}: {data}", error.message),
        Some(data) => format!("{}: {data}", error.message),
        None => error.message.clone(),
    }
}

fn text_chunk(text: &str) -> ContentChunk {
    ContentChunk::new(ContentBlock::Text(TextContent::new(text.to_owned())))
}

fn plan(items: Vec<PlanItem>) -> Plan {
    Plan::new(items.into_iter().map(|i| PlanEntry::new(i.content, i.priority, i.status)).collect())
}

/// A valid `session/update` line of at least `bytes` bytes.
fn oversized_line(session_id: &SessionId, bytes: usize) -> String {
    let chunk = SessionUpdate::AgentMessageChunk(text_chunk(&"x".repeat(bytes)));
    let params =
        serde_json::to_value(SessionNotification::new(session_id.clone(), chunk)).unwrap_or_default();
    serde_json::json!({"jsonrpc": "2.0", "method": "session/update", "params": params}).to_string()
}

/// Writes one line straight to stdout, past the ACP transport (which writes whole lines too).
fn raw_stdout_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
}

/// Sleeps for `duration`, as exactly as the system's sleep allows. tokio's timer wakes on the
/// millisecond after a deadline, so it takes all but the last 2 ms and a blocking sleep on the
/// runtime's pool takes the rest. The benchmarks then do not count the agent's oversleep as
/// spectask's overhead.
async fn sleep_for(duration: Duration) {
    let deadline = std::time::Instant::now() + duration;
    if let Some(coarse) = duration.checked_sub(Duration::from_millis(2)) {
        tokio::time::sleep(coarse).await;
    }
    let rest = deadline.saturating_duration_since(std::time::Instant::now());
    if !rest.is_zero() {
        // A pool thread gone (the runtime shutting down) ends the sleep early; nothing waits on it then.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}
