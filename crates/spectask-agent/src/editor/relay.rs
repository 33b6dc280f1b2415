//! Threads relayed to an editor (`spectask acp`). While an editor holds a thread, the agent's updates
//! are forwarded to it as they come, its permission requests are answered there, and its `fs/*` and
//! `terminal/*` requests are served by the editor when the editor offers them and the path lies
//! inside both the thread's worktree and the editor's roots; otherwise spectask serves them, confined,
//! as for every thread. Everything is still recorded through the thread's events.
//!
//! Frames are sent in the order the agent sent its messages (updates and requests share one channel,
//! which applies back-pressure like the thread's events); only the wait for an editor's answer runs
//! outside the connection's dispatch loop.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use agent_client_protocol::v1::Responder;
use agent_client_protocol::v1::schema::{
    CreateTerminalRequest, CreateTerminalResponse, ReadTextFileRequest, ReadTextFileResponse,
    RequestPermissionOutcome, RequestPermissionRequest, RequestPermissionResponse, SessionId,
    SessionNotification, TerminalId, WriteTextFileRequest, WriteTextFileResponse,
};
use agent_client_protocol::{Error as AcpError, ErrorCode, JsonRpcResponse};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::confinement::fs::confine;
use crate::events::{AgentEvent, DecidedBy, Decision, PermissionChoice, PermissionRequest, tool_call_update};
use crate::thread::{Registry, ThreadEntry};

/// What the editor serves itself (the client capabilities it sent in `initialize`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorOffers {
    #[serde(default)]
    pub read_text_file: bool,
    #[serde(default)]
    pub write_text_file: bool,
    #[serde(default)]
    pub terminal: bool,
}

/// One message for the editor, in the thread's order.
#[derive(Debug)]
pub enum RelayFrame {
    /// A `session/update` of the thread: its `update` object, as the agent sent it.
    Update(serde_json::Value),
    /// A request only the editor answers.
    Request(RelayRequest),
}

/// `session/request_permission`, `fs/…` or `terminal/…` for the editor: the params as the agent sent
/// them (with the agent's session id, which the editor's side replaces by its own).
#[derive(Debug)]
pub struct RelayRequest {
    pub method: &'static str,
    pub params: serde_json::Value,
    pub reply: oneshot::Sender<Result<serde_json::Value, EditorRefusal>>,
}

/// The editor's error answer to a relayed request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("the editor answered {code}: {message}")]
pub struct EditorRefusal {
    pub code: i32,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// An editor holding one thread: what it serves, where, and the channel to it.
#[derive(Debug)]
pub struct EditorRelay {
    offers: EditorOffers,
    /// The editor's directories for the thread (canonical): its `cwd` and additional directories.
    roots: Vec<PathBuf>,
    frames: mpsc::Sender<RelayFrame>,
    /// Terminals the editor created for this thread (their ids are the editor's).
    terminals: Mutex<HashSet<String>>,
}

impl EditorRelay {
    pub fn new(offers: EditorOffers, roots: Vec<PathBuf>, frames: mpsc::Sender<RelayFrame>) -> Self {
        let roots = roots.into_iter().map(|root| root.canonicalize().unwrap_or(root)).collect();
        EditorRelay { offers, roots, frames, terminals: Mutex::new(HashSet::new()) }
    }

    /// Whether the editor serves `path`: inside the thread's `root` (confined as always) and inside one
    /// of the editor's roots.
    fn serves(&self, root: &Path, path: &Path) -> bool {
        confine(root, path).is_ok_and(|resolved| self.roots.iter().any(|r| resolved.starts_with(r)))
    }

    fn terminals(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.terminals.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn owns_terminal(&self, id: &str) -> bool {
        self.terminals().contains(id)
    }
}

/// The relayed threads of one agent instance, by the agent's session id.
#[derive(Debug, Default)]
pub(crate) struct Relays {
    map: Mutex<HashMap<String, Arc<EditorRelay>>>,
}

impl Relays {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<EditorRelay>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<EditorRelay>> {
        self.map().get(id).cloned()
    }

    pub(crate) fn insert(&self, id: &str, relay: EditorRelay) {
        self.map().insert(id.to_owned(), Arc::new(relay));
    }

    pub(crate) fn remove(&self, id: &str) {
        self.map().remove(id);
    }
}

/// What the relay reads of its instance: the threads editors hold, and every live thread.
#[derive(Clone, Copy)]
pub(crate) struct Held<'a> {
    pub(crate) relays: &'a Relays,
    pub(crate) sessions: &'a Registry,
}

fn gone() -> AcpError {
    AcpError::new(ErrorCode::INTERNAL_ERROR, "the editor holding this thread went away")
}

/// Forwards an update to the thread's editor, when one holds it.
pub(crate) async fn update(held: Held<'_>, notification: &SessionNotification) {
    let Some(relay) = held.relays.get(&notification.session_id.0) else { return };
    match serde_json::to_value(&notification.update) {
        // A closed channel means the editor left; its thread is recorded all the same.
        Ok(update) => drop(relay.frames.send(RelayFrame::Update(update)).await),
        Err(error) => tracing::warn!(%error, "cannot relay an update"),
    }
}

/// Sends a request to the editor in order, then waits for its answer outside the dispatch loop (the
/// thread counts as busy meanwhile) and answers the agent; `then` reports a success as an event.
async fn forward<Resp>(
    relay: &EditorRelay,
    entry: Arc<ThreadEntry>,
    method: &'static str,
    params: serde_json::Value,
    responder: Responder<Resp>,
    then: impl FnOnce(&Resp) -> Option<AgentEvent> + Send + 'static,
) -> Result<(), AcpError>
where
    Resp: JsonRpcResponse + for<'de> Deserialize<'de>,
{
    let (reply, answer) = oneshot::channel();
    let request = RelayRequest { method, params, reply };
    if relay.frames.send(RelayFrame::Request(request)).await.is_err() {
        return responder.respond_with_error(gone());
    }
    let busy = entry.busy();
    tokio::spawn(async move {
        let result = match answer.await {
            Ok(Ok(value)) => serde_json::from_value::<Resp>(value).map_err(|error| {
                AcpError::new(
                    ErrorCode::INTERNAL_ERROR,
                    format!("the editor's answer to {method} is invalid: {error}"),
                )
            }),
            Ok(Err(refusal)) => Err(AcpError::new(refusal.code, refusal.message).data(refusal.data)),
            Err(_) => Err(gone()),
        };
        if let Some(event) = result.as_ref().ok().and_then(then) {
            entry.emit(event).await;
        }
        drop(busy);
        let _ = responder.respond_with_result(result);
    });
    Ok(())
}

fn params(request: &impl Serialize) -> Result<serde_json::Value, AcpError> {
    serde_json::to_value(request).map_err(AcpError::into_internal_error)
}

fn lookup(held: Held<'_>, id: &SessionId) -> Option<(Arc<EditorRelay>, Arc<ThreadEntry>)> {
    Some((held.relays.get(&id.0)?, held.sessions.get(&id.0)?))
}

/// A request and its responder, given back when no editor takes it.
type NotRelayed<Req, Resp> = Option<(Req, Responder<Resp>)>;

/// `session/request_permission` on a relayed thread: the person in the editor decides; an editor that
/// went away is the answer `cancelled`.
pub(crate) async fn permission(
    held: Held<'_>,
    entry: &Arc<ThreadEntry>,
    request: RequestPermissionRequest,
    responder: Responder<RequestPermissionResponse>,
) -> Result<NotRelayed<RequestPermissionRequest, RequestPermissionResponse>, AcpError> {
    let Some(relay) = held.relays.get(&request.session_id.0) else { return Ok(Some((request, responder))) };
    let tool_call = tool_call_update(&request.tool_call);
    let options: Vec<PermissionChoice> = crate::permission::choices(&request.options);
    let requested = PermissionRequest { approval_id: None, tool_call: tool_call.clone(), options };
    entry.emit(AgentEvent::PermissionRequested(requested)).await;
    let (reply, answer) = oneshot::channel();
    let frame = RelayRequest { method: "session/request_permission", params: params(&request)?, reply };
    let sent = relay.frames.send(RelayFrame::Request(frame)).await.is_ok();
    let (entry, busy) = (entry.clone(), entry.busy());
    tokio::spawn(async move {
        let outcome = match answer.await {
            Ok(Ok(value)) if sent => serde_json::from_value::<RequestPermissionResponse>(value)
                .map(|response| response.outcome)
                .unwrap_or(RequestPermissionOutcome::Cancelled),
            _ => RequestPermissionOutcome::Cancelled,
        };
        let decision = match &outcome {
            RequestPermissionOutcome::Selected(selected) => request
                .options
                .iter()
                .find(|o| o.option_id == selected.option_id)
                .map_or(Decision::Cancelled, crate::permission::decision_for),
            _ => Decision::Cancelled,
        };
        let decided = AgentEvent::PermissionDecided {
            tool_call_id: tool_call.id,
            approval_id: None,
            decision,
            by: DecidedBy::Editor,
        };
        entry.emit(decided).await;
        drop(busy);
        let _ = responder.respond(RequestPermissionResponse::new(outcome));
    });
    Ok(None)
}

/// `fs/read_text_file`: to the editor when it serves the path (its buffers hold unsaved text).
pub(crate) async fn read(
    held: Held<'_>,
    request: &ReadTextFileRequest,
    responder: Responder<ReadTextFileResponse>,
) -> Result<Option<Responder<ReadTextFileResponse>>, AcpError> {
    let Some((relay, entry)) = lookup(held, &request.session_id) else { return Ok(Some(responder)) };
    if !relay.offers.read_text_file || !relay.serves(&entry.root, &request.path) {
        return Ok(Some(responder));
    }
    let path = request.path.clone();
    let then = move |_: &ReadTextFileResponse| Some(AgentEvent::FsRead { path });
    forward(&relay, entry, "fs/read_text_file", params(request)?, responder, then).await?;
    Ok(None)
}

/// `fs/write_text_file`: to the editor when it serves the path; the write counts as the session's
/// change like one spectask made.
pub(crate) async fn write(
    held: Held<'_>,
    request: &WriteTextFileRequest,
    responder: Responder<WriteTextFileResponse>,
) -> Result<Option<Responder<WriteTextFileResponse>>, AcpError> {
    let Some((relay, entry)) = lookup(held, &request.session_id) else { return Ok(Some(responder)) };
    if !relay.offers.write_text_file || !relay.serves(&entry.root, &request.path) {
        return Ok(Some(responder));
    }
    let (path, bytes) = (request.path.clone(), request.content.len());
    let then = move |_: &WriteTextFileResponse| Some(AgentEvent::FsWrite { path, bytes });
    forward(&relay, entry, "fs/write_text_file", params(request)?, responder, then).await?;
    Ok(None)
}

/// `terminal/create`: in the editor when it offers terminals and the command's directory (the thread's
/// worktree unless given) is one it serves; the terminal's later requests follow it there.
pub(crate) async fn create_terminal(
    held: Held<'_>,
    request: &CreateTerminalRequest,
    responder: Responder<CreateTerminalResponse>,
) -> Result<Option<Responder<CreateTerminalResponse>>, AcpError> {
    let Some((relay, entry)) = lookup(held, &request.session_id) else { return Ok(Some(responder)) };
    let cwd = request.cwd.clone().unwrap_or_else(|| entry.root.clone());
    if !relay.offers.terminal || !relay.serves(&entry.root, &cwd) {
        return Ok(Some(responder));
    }
    let (owner, command) = (relay.clone(), request.command.clone());
    let then = move |response: &CreateTerminalResponse| {
        let terminal_id = response.terminal_id.0.to_string();
        owner.terminals().insert(terminal_id.clone());
        Some(AgentEvent::TerminalStarted { terminal_id, command, cwd })
    };
    forward(&relay, entry, "terminal/create", params(request)?, responder, then).await?;
    Ok(None)
}

/// A request about a terminal (`terminal/output`, `wait_for_exit`, `kill`, `release`): to the editor
/// when the editor created that terminal.
pub(crate) async fn terminal<Req, Resp>(
    held: Held<'_>,
    session: &SessionId,
    terminal: &TerminalId,
    method: &'static str,
    request: &Req,
    responder: Responder<Resp>,
) -> Result<Option<Responder<Resp>>, AcpError>
where
    Req: Serialize,
    Resp: JsonRpcResponse + for<'de> Deserialize<'de>,
{
    let Some((relay, entry)) = lookup(held, session) else { return Ok(Some(responder)) };
    let terminal_id = terminal.0.to_string();
    if !relay.owns_terminal(&terminal_id) {
        return Ok(Some(responder));
    }
    let owner = relay.clone();
    let then = move |_: &Resp| {
        if method == "terminal/release" {
            owner.terminals().remove(&terminal_id);
        }
        None
    };
    forward(&relay, entry, method, params(request)?, responder, then).await?;
    Ok(None)
}
