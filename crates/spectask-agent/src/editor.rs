//! spectask as an ACP agent for an editor (`spectask acp`): the editor (Zed) launches it on
//! stdin/stdout and each of its threads is a work session of a SpecTask. This module speaks ACP to
//! the editor; everything a thread does goes through an [`EditorBackend`] (the server's API), so the
//! ACP session id is the work session's id.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::schema::{
    AgentCapabilities, CloseSessionRequest, CloseSessionResponse, Implementation, InitializeRequest,
    InitializeResponse, ListSessionsRequest, ListSessionsResponse, NewSessionRequest, NewSessionResponse,
    PromptCapabilities, SessionCapabilities, SessionCloseCapabilities, SessionId, SessionInfo,
    SessionListCapabilities,
};
use agent_client_protocol::{Agent, Error as AcpError, ErrorCode, Stdio};

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
    /// A new thread in `cwd`, opened by the editor named `client`: its work session.
    fn open_thread(
        &self,
        cwd: PathBuf,
        client: String,
    ) -> impl Future<Output = Result<EditorThread, BackendError>> + Send;

    /// The threads (work sessions) of the task this editor works on, for `cwd` when given.
    fn list_threads(
        &self,
        cwd: Option<PathBuf>,
    ) -> impl Future<Output = Result<Vec<EditorThread>, BackendError>> + Send;

    /// The editor closed the thread: its work session ends.
    fn close_thread(&self, id: String) -> impl Future<Output = Result<(), BackendError>> + Send;
}

/// What the editor told spectask in `initialize`.
#[derive(Debug, Default)]
struct EditorState {
    client: Mutex<Option<String>>,
}

impl EditorState {
    fn client(&self) -> String {
        self.client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "editor".to_owned())
    }
}

fn initialize_response() -> InitializeResponse {
    let sessions = SessionCapabilities::new()
        .list(SessionListCapabilities::new())
        .close(SessionCloseCapabilities::new());
    InitializeResponse::new(ProtocolVersion::V1)
        .agent_capabilities(
            AgentCapabilities::new()
                .prompt_capabilities(PromptCapabilities::new().embedded_context(true))
                .session_capabilities(sessions),
        )
        .agent_info(Implementation::new("spectask", env!("CARGO_PKG_VERSION")))
}

/// Serves ACP to the editor on this process's stdin/stdout until stdin closes.
pub async fn serve_editor<B: EditorBackend>(backend: Arc<B>) -> Result<(), AcpError> {
    let state = Arc::new(EditorState::default());
    let (b1, b2, b3) = (backend.clone(), backend.clone(), backend);
    let (s1, s2) = (state.clone(), state);
    Agent
        .v1()
        .name("spectask")
        .on_receive_request(
            async move |request: InitializeRequest, responder, _cx| {
                let client = request.client_info.as_ref().map(|info| info.name.to_ascii_lowercase());
                *s1.client.lock().unwrap_or_else(PoisonError::into_inner) = client;
                responder.respond(initialize_response())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: NewSessionRequest, responder, cx| {
                let (backend, client) = (b1.clone(), s2.client());
                cx.spawn(async move {
                    let opened = backend.open_thread(request.cwd, client).await;
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
        .connect_to(Stdio::new())
        .await
}
