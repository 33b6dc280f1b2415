//! spectask as an ACP agent for an editor (`spectask acp`): the editor (Zed) launches it on
//! stdin/stdout and each of its threads is a work session of a SpecTask. This module speaks ACP to
//! the editor; everything a thread does goes through an [`EditorBackend`] (the server's API), so the
//! ACP session id is the work session's id. A prompt is a turn the server runs on the thread
//! ([`EditorBackend::prompt`]): its frames are relayed to the editor as they come — updates as
//! `session/update`, requests as the same requests, whose answers go back to the server.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    AgentCapabilities, CancelNotification, CloseSessionRequest, CloseSessionResponse, ContentBlock,
    ContentChunk, Implementation, InitializeRequest, InitializeResponse, ListSessionsRequest,
    ListSessionsResponse, LoadSessionRequest, LoadSessionResponse, NewSessionRequest, NewSessionResponse,
    PromptCapabilities, PromptRequest, PromptResponse, ResumeSessionRequest, ResumeSessionResponse,
    SessionCapabilities, SessionCloseCapabilities, SessionId, SessionInfo, SessionListCapabilities,
    SessionNotification, SessionResumeCapabilities, SessionUpdate, StopReason, TextContent,
};
use agent_client_protocol::{Agent, Client, Error as AcpError, ErrorCode, Stdio, UntypedMessage};
use tokio::sync::mpsc;

use crate::McpServerSpec;
use crate::editor::relay::{EditorOffers, EditorRefusal};

/// A work session as the editor sees its thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditorThread {
    /// The work session's id: the thread's ACP session id.
    pub id: String,
    /// The thread's directory.
    pub cwd: PathBuf,
    /// The work session's name and task, shown in the editor's thread list.
    pub title: String,
}

/// Why the server did not do what the editor asked: the message names the problem and reaches the
/// editor as the ACP error's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    pub kind: BackendErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendErrorKind {
    /// The editor's request names something wrong (a directory outside every repository, a task in
    /// the wrong state).
    Invalid,
    /// It names something that does not exist (an unknown task or session).
    NotFound,
    /// The server could not be reached or failed.
    Unavailable,
}

impl BackendError {
    fn to_acp(&self) -> AcpError {
        let code = match self.kind {
            BackendErrorKind::Invalid => ErrorCode::INVALID_PARAMS,
            BackendErrorKind::NotFound => ErrorCode::RESOURCE_NOT_FOUND,
            BackendErrorKind::Unavailable => ErrorCode::INTERNAL_ERROR,
        };
        AcpError::new(code, self.message.clone())
    }
}

/// What `spectask acp` does for the editor, through the server.
pub trait EditorBackend: Send + Sync + 'static {
    /// A new thread in `cwd`, opened by the editor named `client`, which gives its agent
    /// `mcp_servers`: its work session.
    fn open_thread(
        &self,
        cwd: PathBuf,
        client: String,
        mcp_servers: Vec<McpServerSpec>,
    ) -> impl Future<Output = Result<EditorThread, BackendError>> + Send;

    /// The threads (work sessions) of the task this editor works on, for `cwd` when given.
    fn list_threads(
        &self,
        cwd: Option<PathBuf>,
    ) -> impl Future<Output = Result<Vec<EditorThread>, BackendError>> + Send;

    /// The editor closed the thread: its work session ends.
    fn close_thread(&self, id: String) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The editor takes up thread `id` again (`session/load`, `session/resume`), giving its agent
    /// `mcp_servers` from now on: its conversation as recorded, in order.
    fn reopen_thread(
        &self,
        id: String,
        mcp_servers: Vec<McpServerSpec>,
    ) -> impl Future<Output = Result<Vec<Said>, BackendError>> + Send;

    /// Runs the editor's prompt on thread `id`: the turn's frames, in order, ending with
    /// [`TurnFrame::End`] or [`TurnFrame::Failed`].
    fn prompt(
        &self,
        id: String,
        prompt: EditorPrompt,
    ) -> impl Future<Output = Result<mpsc::Receiver<TurnFrame>, BackendError>> + Send;

    /// The editor's answer to request `request` of the thread's running turn.
    fn reply(
        &self,
        id: String,
        request: u64,
        answer: Result<serde_json::Value, EditorRefusal>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The editor cancels the thread's turn.
    fn cancel(&self, id: String) -> impl Future<Output = Result<(), BackendError>> + Send;
}

/// A prompt from the editor, with what the editor serves for the thread.
#[derive(Clone, Debug, PartialEq)]
pub struct EditorPrompt {
    /// ACP content blocks, as the editor sent them.
    pub content: Vec<serde_json::Value>,
    pub offers: EditorOffers,
    /// The thread's directories in the editor (its `cwd` and additional directories).
    pub roots: Vec<PathBuf>,
}

/// One recorded message of a thread's conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    /// The agent said it (otherwise the person, or spectask, prompted it).
    pub by_agent: bool,
    pub text: String,
}

/// One frame of a turn the server runs for the editor.
#[derive(Clone, Debug, PartialEq)]
pub enum TurnFrame {
    /// A `session/update`'s `update`, as the agent sent it.
    Update(serde_json::Value),
    /// A request for the editor (`session/request_permission`, `fs/…`, `terminal/…`), numbered for
    /// its answer; its params carry the agent's session id.
    Request { number: u64, method: String, params: serde_json::Value },
    /// The turn ended with the agent's stop reason.
    End(String),
    /// The turn failed: why.
    Failed(String),
}

/// What the editor told spectask in `initialize`, and the directories of its threads.
#[derive(Debug, Default)]
struct EditorState {
    client: Mutex<Option<String>>,
    offers: Mutex<EditorOffers>,
    roots: Mutex<HashMap<String, Vec<PathBuf>>>,
}

impl EditorState {
    fn client(&self) -> String {
        self.client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "editor".to_owned())
    }

    fn offers(&self) -> EditorOffers {
        *self.offers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn roots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<PathBuf>>> {
        self.roots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn initialize_response() -> InitializeResponse {
    let sessions = SessionCapabilities::new()
        .list(SessionListCapabilities::new())
        .close(SessionCloseCapabilities::new())
        .resume(SessionResumeCapabilities::new());
    InitializeResponse::new(ProtocolVersion::V1)
        .agent_capabilities(
            AgentCapabilities::new()
                .load_session(true)
                .prompt_capabilities(PromptCapabilities::new().embedded_context(true))
                .session_capabilities(sessions),
        )
        .agent_info(Implementation::new("spectask", env!("CARGO_PKG_VERSION")))
}

/// Serves ACP to the editor on this process's stdin/stdout until stdin closes.
pub async fn serve_editor<B: EditorBackend>(backend: Arc<B>) -> Result<(), AcpError> {
    let state = Arc::new(EditorState::default());
    let (b1, b2, b3, b4, b5) =
        (backend.clone(), backend.clone(), backend.clone(), backend.clone(), backend.clone());
    let (b6, b7) = (backend.clone(), backend);
    let (s1, s2, s3, s4, s5) = (state.clone(), state.clone(), state.clone(), state.clone(), state);
    Agent
        .v1()
        .name("spectask")
        .on_receive_request(
            async move |request: InitializeRequest, responder, _cx| {
                let client = request.client_info.as_ref().map(|info| info.name.to_ascii_lowercase());
                *s1.client.lock().unwrap_or_else(PoisonError::into_inner) = client;
                let capabilities = &request.client_capabilities;
                *s1.offers.lock().unwrap_or_else(PoisonError::into_inner) = EditorOffers {
                    read_text_file: capabilities.fs.read_text_file,
                    write_text_file: capabilities.fs.write_text_file,
                    terminal: capabilities.terminal,
                };
                responder.respond(initialize_response())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: NewSessionRequest, responder, cx| {
                let (backend, state) = (b1.clone(), s2.clone());
                cx.spawn(async move {
                    let mut roots = vec![request.cwd.clone()];
                    roots.extend(request.additional_directories.iter().cloned());
                    let servers = crate::thread::mcp_servers::from_acp(request.mcp_servers);
                    let opened = backend.open_thread(request.cwd, state.client(), servers).await;
                    if let Ok(thread) = &opened {
                        state.roots().insert(thread.id.clone(), roots);
                    }
                    responder.respond_with_result(
                        opened.map(|t| NewSessionResponse::new(SessionId::new(t.id))).map_err(|e| e.to_acp()),
                    )
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ListSessionsRequest, responder, cx| {
                let backend = b2.clone();
                cx.spawn(async move {
                    let listed = backend.list_threads(request.cwd).await.map(|threads| {
                        let sessions = threads
                            .into_iter()
                            .map(|t| SessionInfo::new(SessionId::new(t.id), t.cwd).title(t.title))
                            .collect();
                        ListSessionsResponse::new(sessions)
                    });
                    responder.respond_with_result(listed.map_err(|e| e.to_acp()))
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: CloseSessionRequest, responder, cx| {
                let backend = b3.clone();
                cx.spawn(async move {
                    let closed = backend.close_thread(request.session_id.0.to_string()).await;
                    responder.respond_with_result(
                        closed.map(|()| CloseSessionResponse::new()).map_err(|e| e.to_acp()),
                    )
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: PromptRequest, responder, cx| {
                let (backend, state, editor) = (b4.clone(), s3.clone(), cx.clone());
                cx.spawn(async move {
                    let ended = prompt(&*backend, &state, &editor, request).await;
                    responder.respond_with_result(ended.map(PromptResponse::new))
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: LoadSessionRequest, responder, cx| {
                let (backend, state, editor) = (b6.clone(), s4.clone(), cx.clone());
                cx.spawn(async move {
                    let id = request.session_id.0.to_string();
                    let mut roots = vec![request.cwd];
                    roots.extend(request.additional_directories);
                    let servers = crate::thread::mcp_servers::from_acp(request.mcp_servers);
                    let loaded = reopen(&*backend, &state, &id, roots, servers).await.and_then(|said| {
                        // The conversation so far, before the answer, as ACP's load wants it.
                        for message in said {
                            let chunk = ContentChunk::new(ContentBlock::Text(TextContent::new(message.text)));
                            let update = match message.by_agent {
                                true => SessionUpdate::AgentMessageChunk(chunk),
                                false => SessionUpdate::UserMessageChunk(chunk),
                            };
                            editor.send_notification(SessionNotification::new(
                                request.session_id.clone(),
                                update,
                            ))?;
                        }
                        Ok(LoadSessionResponse::new())
                    });
                    responder.respond_with_result(loaded)
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ResumeSessionRequest, responder, cx| {
                let (backend, state) = (b7.clone(), s5.clone());
                cx.spawn(async move {
                    let id = request.session_id.0.to_string();
                    let mut roots = vec![request.cwd];
                    roots.extend(request.additional_directories);
                    let servers = crate::thread::mcp_servers::from_acp(request.mcp_servers);
                    let resumed = reopen(&*backend, &state, &id, roots, servers).await;
                    responder.respond_with_result(resumed.map(|_| ResumeSessionResponse::new()))
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_notification(
            async move |notification: CancelNotification, cx| {
                let backend = b5.clone();
                cx.spawn(async move {
                    if let Err(error) = backend.cancel(notification.session_id.0.to_string()).await {
                        tracing::warn!(%error, "cannot cancel the turn");
                    }
                    Ok(())
                })
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .connect_to(Stdio::new())
        .await
}

/// Takes up a recorded thread in the editor's directories, with the MCP servers it gives now: its
/// conversation.
async fn reopen<B: EditorBackend>(
    backend: &B,
    state: &EditorState,
    id: &str,
    roots: Vec<PathBuf>,
    servers: Vec<McpServerSpec>,
) -> Result<Vec<Said>, AcpError> {
    let said = backend.reopen_thread(id.to_owned(), servers).await.map_err(|e| e.to_acp())?;
    state.roots().insert(id.to_owned(), roots);
    Ok(said)
}

/// Relays one prompt's turn to the editor and answers with its stop reason.
async fn prompt<B: EditorBackend>(
    backend: &B,
    state: &EditorState,
    editor: &ConnectionTo<Client>,
    request: PromptRequest,
) -> Result<StopReason, AcpError> {
    let id = request.session_id.0.to_string();
    let content = request
        .prompt
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(AcpError::into_internal_error)?;
    let roots = state.roots().get(&id).cloned().unwrap_or_default();
    let turn = EditorPrompt { content, offers: state.offers(), roots };
    let mut frames = backend.prompt(id.clone(), turn).await.map_err(|e| e.to_acp())?;
    while let Some(frame) = frames.recv().await {
        match frame {
            TurnFrame::Update(update) => {
                let params = serde_json::json!({ "sessionId": id, "update": update });
                let notification = UntypedMessage { method: "session/update".to_owned(), params };
                editor.send_notification(notification)?;
            }
            TurnFrame::Request { number, method, mut params } => {
                // The editor knows the thread by its own session id, not the agent's.
                params["sessionId"] = serde_json::Value::String(id.clone());
                let sent = editor.send_request(UntypedMessage { method, params });
                let answer = sent.block_task().await.map_err(|error| EditorRefusal {
                    code: error.code.into(),
                    message: error.message,
                    data: error.data,
                });
                backend.reply(id.clone(), number, answer).await.map_err(|e| e.to_acp())?;
            }
            TurnFrame::End(stop) => return Ok(stop_reason(&stop)),
            TurnFrame::Failed(reason) => {
                return Err(AcpError::new(ErrorCode::INTERNAL_ERROR, format!("spectask: {reason}")));
            }
        }
    }
    Err(AcpError::new(
        ErrorCode::INTERNAL_ERROR,
        "spectask: the server stopped streaming the turn before it ended",
    ))
}

/// The agent's stop reason as ACP names it; one spectask does not know reads as the end of the turn.
fn stop_reason(stop: &str) -> StopReason {
    serde_json::from_value(serde_json::Value::String(stop.to_owned())).unwrap_or_else(|_| {
        tracing::warn!(stop, "an unknown stop reason ends the turn");
        StopReason::EndTurn
    })
}
