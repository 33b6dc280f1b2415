//! The client side of the connection: handlers for everything an agent may send to spectask.
//!
//! Handlers run inside the connection's dispatch loop, so none of them awaits a request to the agent;
//! work that waits (terminal exits, pending approvals) moves its responder into a task or the broker.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use agent_client_protocol::v1::schema::{
    CreateTerminalRequest, CreateTerminalResponse, KillTerminalRequest, KillTerminalResponse,
    ReadTextFileRequest, ReadTextFileResponse, ReleaseTerminalRequest, ReleaseTerminalResponse,
    RequestPermissionRequest, SessionId, SessionNotification, SessionUpdate, TerminalExitStatus,
    TerminalOutputRequest, TerminalOutputResponse, WaitForTerminalExitRequest, WaitForTerminalExitResponse,
    WriteTextFileRequest, WriteTextFileResponse,
};
use agent_client_protocol::v1::{ConnectionTo, Responder};
use agent_client_protocol::{Agent, Client, Error as AcpError, ErrorCode, UntypedMessage};
use spectask_sandbox::Confinement;
use tokio::sync::{Semaphore, oneshot};
use tokio_util::sync::CancellationToken;

use crate::config::RuntimeConfig;
use crate::confinement::fs::{read_text_file, write_text_file};
use crate::confinement::terminal::{ExitInfo, Terminals};
use crate::confinement::{Access, ConfinementError};
use crate::editor::relay::{self, Held, Relays};
use crate::events::{self, AgentEvent, Decision, FsOperation};
use crate::instance::unserved::UnservedCounts;
use crate::permission::approval::{ApprovalCheck, set_mode};
use crate::permission::served::{self, ServedAction, Verdict};
use crate::permission::{PermissionBroker, answer_by_policy, auto_allows};
use crate::process::fault::{FaultKind, FaultLatch};
use crate::process::transport::{LineSink, LineStream};
use crate::profiles::PermissionPolicy;
use crate::thread::{Registry, ThreadEntry};

/// State shared by the handlers and the `AgentInstance` of one agent process.
pub(crate) struct InstanceState {
    pub(crate) config: Arc<RuntimeConfig>,
    pub(crate) policy: PermissionPolicy,
    pub(crate) broker: PermissionBroker,
    pub(crate) terminals: Terminals,
    pub(crate) latch: FaultLatch,
    pub(crate) sessions: Registry,
    /// Threads an editor holds (see [`crate::editor::relay`]).
    pub(crate) relays: Relays,
    permission_times: Mutex<VecDeque<Instant>>,
    /// Credits for `session/update` lines in flight (taken by the stdout reader).
    pub(crate) update_credits: Arc<Semaphore>,
    /// The sandbox of the agent and its terminals.
    pub(crate) confinement: Arc<Confinement>,
    /// The profile's approval mode, kept selected in every session.
    pub(crate) approval_mode: Option<String>,
    /// What selecting it gave, per session.
    pub(crate) approvals: Mutex<HashMap<String, ApprovalCheck>>,
    /// Requests of methods spectask does not serve, counted.
    pub(crate) unserved: UnservedCounts,
}

/// Returns one update credit when dropped, whatever path the update handler took.
struct Credit<'a>(&'a Semaphore);

impl Drop for Credit<'_> {
    fn drop(&mut self) {
        self.0.add_permits(1);
    }
}

impl InstanceState {
    pub(crate) fn new(
        config: Arc<RuntimeConfig>,
        policy: PermissionPolicy,
        broker: PermissionBroker,
        latch: FaultLatch,
        update_credits: Arc<Semaphore>,
        confinement: Arc<Confinement>,
        approval_mode: Option<String>,
    ) -> Self {
        let terminals = Terminals::new(
            config.terminal.clone(),
            config.base_env(),
            confinement.clone(),
            config.process_record.clone(),
        );
        InstanceState {
            config,
            policy,
            broker,
            terminals,
            latch,
            sessions: Registry::default(),
            relays: Relays::default(),
            permission_times: Mutex::new(VecDeque::new()),
            update_credits,
            confinement,
            approval_mode,
            approvals: Mutex::new(HashMap::new()),
            unserved: UnservedCounts::default(),
        }
    }

    /// What the editor relay reads: the threads editors hold, and every live thread.
    fn held(&self) -> Held<'_> {
        Held { relays: &self.relays, sessions: &self.sessions }
    }

    fn session(&self, id: &SessionId) -> Result<Arc<ThreadEntry>, AcpError> {
        let entry = self.sessions.get(&id.0).ok_or_else(|| invalid(format!("unknown session {:?}", id.0)))?;
        entry.touch();
        Ok(entry)
    }

    /// Counts a permission request; over the rate limit it is a flood fault.
    fn permission_flood(&self) -> bool {
        let limit = self.config.permission_rate;
        let mut times = self.permission_times.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        while times.front().is_some_and(|t| now.duration_since(*t) > limit.per) {
            times.pop_front();
        }
        times.push_back(now);
        times.len() > limit.max as usize
    }
}

/// An `Invalid params` error whose message is the reason: agents show their model the message
/// (often not the data), and the model can only correct what it is told.
fn invalid(message: String) -> AcpError {
    AcpError::new(ErrorCode::INVALID_PARAMS, message)
}

/// A refused request, with the reason and what the agent may do instead.
fn denied(error: &ConfinementError, root: &Path, access: Access) -> AcpError {
    invalid(format!("denied: {}", error.advice(root, access)))
}

/// A refused request about a terminal (unknown id …), which no worktree path explains.
fn terminal_denied(error: &ConfinementError) -> AcpError {
    denied(error, Path::new(""), Access::Run)
}

fn exit_status(info: &ExitInfo) -> TerminalExitStatus {
    let mut status = TerminalExitStatus::new();
    status.exit_code = info.code;
    status.signal = info.signal.clone();
    status
}

async fn on_update(shared: &Arc<InstanceState>, cx: &ConnectionTo<Agent>, notification: SessionNotification) {
    let _credit = Credit(&shared.update_credits);
    let Some(entry) = shared.sessions.get(&notification.session_id.0) else {
        tracing::debug!(session = %notification.session_id.0, "update for an unknown session");
        return;
    };
    entry.touch();
    relay::update(shared.held(), &notification).await;
    // A thread an editor holds is the editor's to put in a mode (its user decides there).
    let relayed = shared.relays.get(&notification.session_id.0).is_some();
    if let (SessionUpdate::CurrentModeUpdate(update), Some(want), false) =
        (&notification.update, &shared.approval_mode, relayed)
        && update.current_mode_id.0.as_ref() != want.as_str()
    {
        // The agent left the mode in which it asks before acting: put it back (outside the
        // dispatch loop, which must not wait for the agent).
        let (shared, cx, session, want) =
            (shared.clone(), cx.clone(), notification.session_id.0.to_string(), want.clone());
        let from = update.current_mode_id.0.to_string();
        entry.emit(AgentEvent::ApprovalModeRestored { from, to: want.clone() }).await;
        tokio::spawn(async move {
            let limit = shared.config.request_timeout;
            if let Err(error) = set_mode(&cx, &shared.latch, limit, &session, &want).await {
                tracing::warn!(%session, %error, "cannot put the agent back into its approval mode");
            }
        });
        return;
    }
    let Some(event) = events::from_update(&notification.update) else { return };
    let findings = match &event {
        AgentEvent::ToolCall(call) | AgentEvent::ToolCallUpdate(call) => entry
            .audit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .observe(call, &entry.root, &shared.confinement),
        _ => Vec::new(),
    };
    entry.emit(event).await;
    for finding in findings {
        entry.emit(finding).await;
    }
}

async fn on_permission(
    shared: &InstanceState,
    request: RequestPermissionRequest,
    responder: Responder<agent_client_protocol::v1::schema::RequestPermissionResponse>,
) -> Result<(), AcpError> {
    if shared.permission_flood() {
        let rate = shared.config.permission_rate;
        shared.latch.trip(FaultKind::PermissionFlood { max: rate.max, per: rate.per });
        let message = format!("too many permission requests (over {} per {:?})", rate.max, rate.per);
        return responder.respond_with_error(AcpError::new(ErrorCode::INTERNAL_ERROR, message));
    }
    let entry = match shared.session(&request.session_id) {
        Ok(entry) => entry,
        Err(error) => return responder.respond_with_error(error),
    };
    let Some((request, responder)) = relay::permission(shared.held(), &entry, request, responder).await?
    else {
        return Ok(());
    };
    match shared.policy {
        PermissionPolicy::Ask => {
            shared.broker.hold(request, responder, entry.events.clone(), entry.grants.clone()).await;
        }
        PermissionPolicy::Deny => {
            answer_by_policy(&request, responder, false, &entry.events, &entry.grants).await;
        }
        PermissionPolicy::Auto => {
            let allow = auto_allows(&request, &entry.root);
            answer_by_policy(&request, responder, allow, &entry.events, &entry.grants).await;
        }
    }
    Ok(())
}

/// Whether the permission policy lets spectask carry out `action` for the thread; `Err` holds the
/// reason for the agent's model. Under `ask` it waits for a person's answer (the pending approval
/// keeps the turn from counting as stalled), so it must not run in the dispatch loop.
async fn policy_allows(
    shared: &InstanceState,
    entry: &ThreadEntry,
    session: &str,
    action: ServedAction<'_>,
) -> Result<(), String> {
    let verdict = {
        let mut grants = entry.grants.lock().unwrap_or_else(PoisonError::into_inner);
        served::verdict(shared.policy, &mut grants, action)
    };
    match verdict {
        Verdict::Serve => Ok(()),
        Verdict::Refuse(reason) => Err(reason),
        Verdict::Ask => {
            let tool_call = action.tool_call(&entry.root);
            let answer = shared.broker.hold_served(session, tool_call, entry.events.clone()).await;
            match answer.await {
                Ok(Decision::Allowed { .. }) => Ok(()),
                Ok(_) | Err(_) => Err(served::refused_by_person(action)),
            }
        }
    }
}

async fn on_read(
    shared: &InstanceState,
    request: ReadTextFileRequest,
) -> Result<ReadTextFileResponse, AcpError> {
    let entry = shared.session(&request.session_id)?;
    let max = shared.config.max_file_bytes;
    match read_text_file(&entry.root, &request.path, request.line, request.limit, max).await {
        Ok((path, content)) => {
            entry.emit(AgentEvent::FsRead { path }).await;
            Ok(ReadTextFileResponse::new(content))
        }
        // As in Zed, a file that does not exist yet reads as empty: agents read a file before
        // writing it (Gemini CLI cannot tell an error answer for a missing file from a failure).
        Err(ConfinementError::NotFound(path)) => {
            entry.emit(AgentEvent::FsRead { path }).await;
            Ok(ReadTextFileResponse::new(String::new()))
        }
        Err(error) => Err(fs_denied(&entry, FsOperation::Read, &request.path, &error).await),
    }
}

/// A write: under `ask` it may wait for a person, so it runs outside the dispatch loop.
fn on_write(
    shared: &Arc<InstanceState>,
    request: WriteTextFileRequest,
    responder: Responder<WriteTextFileResponse>,
) -> Result<(), AcpError> {
    let shared = shared.clone();
    tokio::spawn(async move {
        let _ = responder.respond_with_result(write(&shared, request).await);
    });
    Ok(())
}

async fn write(
    shared: &InstanceState,
    request: WriteTextFileRequest,
) -> Result<WriteTextFileResponse, AcpError> {
    let entry = shared.session(&request.session_id)?;
    let session = request.session_id.0.to_string();
    if let Err(reason) = policy_allows(shared, &entry, &session, ServedAction::Write(&request.path)).await {
        let error = ConfinementError::Policy(reason);
        return Err(fs_denied(&entry, FsOperation::Write, &request.path, &error).await);
    }
    let max = shared.config.max_file_bytes;
    match write_text_file(&entry.root, &request.path, &request.content, max).await {
        Ok(path) => {
            entry.emit(AgentEvent::FsWrite { path, bytes: request.content.len() }).await;
            Ok(WriteTextFileResponse::new())
        }
        Err(error) => Err(fs_denied(&entry, FsOperation::Write, &request.path, &error).await),
    }
}

async fn fs_denied(
    entry: &ThreadEntry,
    operation: FsOperation,
    path: &Path,
    error: &ConfinementError,
) -> AcpError {
    let reason = error.to_string();
    entry.emit(AgentEvent::FsDenied { operation, path: path.to_path_buf(), reason }).await;
    let access = match operation {
        FsOperation::Read => Access::Read,
        FsOperation::Write => Access::Write,
    };
    denied(error, &entry.root, access)
}

/// A terminal: under `ask` it may wait for a person, so it runs outside the dispatch loop.
fn on_create_terminal(
    shared: &Arc<InstanceState>,
    request: CreateTerminalRequest,
    responder: Responder<CreateTerminalResponse>,
) -> Result<(), AcpError> {
    let shared = shared.clone();
    tokio::spawn(async move {
        let _ = responder.respond_with_result(create_terminal(&shared, request).await);
    });
    Ok(())
}

async fn create_terminal(
    shared: &InstanceState,
    request: CreateTerminalRequest,
) -> Result<CreateTerminalResponse, AcpError> {
    let entry = shared.session(&request.session_id)?;
    let line = std::iter::once(request.command.as_str())
        .chain(request.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let session = request.session_id.0.to_string();
    if let Err(reason) = policy_allows(shared, &entry, &session, ServedAction::Run(&line)).await {
        let error = ConfinementError::Policy(reason);
        entry
            .emit(AgentEvent::TerminalDenied {
                command: request.command,
                cwd: request.cwd,
                reason: error.to_string(),
            })
            .await;
        return Err(denied(&error, &entry.root, Access::Run));
    }
    match shared.terminals.create(&request.session_id.0, &entry.root, &request) {
        Ok((id, cwd, proc)) => {
            entry
                .emit(AgentEvent::TerminalStarted { terminal_id: id.clone(), command: request.command, cwd })
                .await;
            let (watcher, terminal_id) = (entry.clone(), id.clone());
            tokio::spawn(async move {
                let info = proc.wait().await;
                let event =
                    AgentEvent::TerminalExited { terminal_id, exit_code: info.code, signal: info.signal };
                watcher.emit(event).await;
            });
            Ok(CreateTerminalResponse::new(id))
        }
        Err(error) => {
            let reason = error.to_string();
            entry
                .emit(AgentEvent::TerminalDenied { command: request.command, cwd: request.cwd, reason })
                .await;
            Err(denied(&error, &entry.root, Access::Run))
        }
    }
}

fn on_wait_for_exit(
    shared: &InstanceState,
    request: &WaitForTerminalExitRequest,
    responder: Responder<WaitForTerminalExitResponse>,
) -> Result<(), AcpError> {
    let found = shared.session(&request.session_id).and_then(|entry| {
        let proc = shared
            .terminals
            .get(&request.session_id.0, &request.terminal_id.0)
            .map_err(|e| terminal_denied(&e))?;
        Ok((entry, proc))
    });
    let (entry, proc) = match found {
        Ok(found) => found,
        Err(error) => return responder.respond_with_error(error),
    };
    // Waiting happens outside the dispatch loop; the session counts as busy, not stalled.
    let busy = entry.busy();
    tokio::spawn(async move {
        let info = proc.wait().await;
        drop(busy);
        let _ = responder.respond(WaitForTerminalExitResponse::new(exit_status(&info)));
    });
    Ok(())
}

fn on_output(
    shared: &InstanceState,
    request: &TerminalOutputRequest,
) -> Result<TerminalOutputResponse, AcpError> {
    shared.session(&request.session_id)?;
    let proc = shared
        .terminals
        .get(&request.session_id.0, &request.terminal_id.0)
        .map_err(|e| terminal_denied(&e))?;
    let (output, truncated, exit) = proc.output();
    let mut response = TerminalOutputResponse::new(output, truncated);
    response.exit_status = exit.as_ref().map(exit_status);
    Ok(response)
}

/// Runs the connection until `shutdown`; hands the connection to the caller through `cx_tx`.
pub(crate) async fn serve(
    shared: Arc<InstanceState>,
    sink: LineSink,
    stream: LineStream,
    cx_tx: oneshot::Sender<ConnectionTo<Agent>>,
    shutdown: CancellationToken,
) -> Result<(), AcpError> {
    let (s1, s2, s3, s4, s5, s6, s7, s8, s9, s10) = (
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
    );
    Client
        .v1()
        .name("spectask")
        .on_receive_notification(
            async move |notification: SessionNotification, cx| {
                on_update(&s1, &cx, notification).await;
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .on_receive_request(
            async move |request: RequestPermissionRequest, responder, _cx| {
                on_permission(&s2, request, responder).await
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ReadTextFileRequest, responder, _cx| {
                let Some(responder) = relay::read(s3.held(), &request, responder).await? else {
                    return Ok(());
                };
                responder.respond_with_result(on_read(&s3, request).await)
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: WriteTextFileRequest, responder, _cx| {
                let Some(responder) = relay::write(s4.held(), &request, responder).await? else {
                    return Ok(());
                };
                on_write(&s4, request, responder)
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: CreateTerminalRequest, responder, _cx| {
                let relayed = relay::create_terminal(s5.held(), &request, responder).await?;
                let Some(responder) = relayed else { return Ok(()) };
                on_create_terminal(&s5, request, responder)
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: WaitForTerminalExitRequest, responder, _cx| {
                let (session, terminal) = (&request.session_id, &request.terminal_id);
                let method = "terminal/wait_for_exit";
                let relayed =
                    relay::terminal(s6.held(), session, terminal, method, &request, responder).await?;
                let Some(responder) = relayed else { return Ok(()) };
                on_wait_for_exit(&s6, &request, responder)
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: TerminalOutputRequest, responder, _cx| {
                let (session, terminal) = (&request.session_id, &request.terminal_id);
                let relayed =
                    relay::terminal(s7.held(), session, terminal, "terminal/output", &request, responder)
                        .await?;
                let Some(responder) = relayed else { return Ok(()) };
                responder.respond_with_result(on_output(&s7, &request))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: KillTerminalRequest, responder, _cx| {
                let (session, terminal) = (&request.session_id, &request.terminal_id);
                let relayed =
                    relay::terminal(s8.held(), session, terminal, "terminal/kill", &request, responder)
                        .await?;
                let Some(responder) = relayed else { return Ok(()) };
                let result = s8.session(&request.session_id).and_then(|_| {
                    s8.terminals
                        .kill(&request.session_id.0, &request.terminal_id.0)
                        .map_err(|e| terminal_denied(&e))
                });
                responder.respond_with_result(result.map(|()| KillTerminalResponse::new()))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ReleaseTerminalRequest, responder, _cx| {
                let (session, terminal) = (&request.session_id, &request.terminal_id);
                let method = "terminal/release";
                let relayed =
                    relay::terminal(s9.held(), session, terminal, method, &request, responder).await?;
                let Some(responder) = relayed else { return Ok(()) };
                let result = s9.session(&request.session_id).and_then(|_| {
                    s9.terminals
                        .release(&request.session_id.0, &request.terminal_id.0)
                        .map_err(|e| terminal_denied(&e))
                });
                responder.respond_with_result(result.map(|()| ReleaseTerminalResponse::new()))
            },
            agent_client_protocol::on_receive_request!(),
        )
        // Last: every other request (a vendor's own methods) is answered and counted.
        .on_receive_request(
            async move |request: UntypedMessage, responder, _cx| {
                responder.respond_with_error(s10.unserved.answer(&request.method))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .connect_with(
            agent_client_protocol::Lines::new(sink, stream),
            async move |cx: ConnectionTo<Agent>| {
                let _ = cx_tx.send(cx);
                shutdown.cancelled().await;
                Ok(())
            },
        )
        .await
}
