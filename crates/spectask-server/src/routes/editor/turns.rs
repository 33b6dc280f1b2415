//! An editor's turns on its thread (`session/prompt`, `session/cancel`): each prompt runs as a turn
//! in the task's agent instance, streamed back to the editor, and the editor answers the requests
//! only it can serve.

use std::path::PathBuf;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use spectask_agent::{
    AgentRuntime, EditorOffers, EditorRefusal, EditorRelay, HeldTurn, PromptContent, RelayFrame, TurnEnd,
};
use spectask_core::{EditorThread, WorkSession, WorkSessionId};
use spectask_store::TaskLeaseHolder;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::threads::editor_tools;
use crate::dto::{EditorCancelDto, EditorReplyBody, EditorTurnBody, EditorTurnFrame};
use crate::error::OtherNode;
use crate::extract::{ApiJson, ApiPath};
use crate::params::SessionPath;
use crate::routes::session_moves::interactive_and_open;
use crate::routes::work_sessions::load_session;
use crate::{ApiError, AppState, Caller};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(editor_turn))
        .routes(routes!(editor_reply))
        .routes(routes!(editor_cancel))
}

/// A prompt from the editor holding the thread (`session/prompt`): queued as the session's message,
/// run on its thread in the task's agent instance with the thread relayed to this request, recorded
/// like any turn. The answer streams the turn (`application/x-ndjson`, one [`EditorTurnFrame`] a
/// line): the agent's updates and requests in order, then how the turn ended. Closing the stream
/// cancels the turn.
#[utoipa::path(post, path = "/work-sessions/{id}/editor/turn", tag = "editor", params(SessionPath),
    request_body = EditorTurnBody,
    responses((status = 200, description = "The turn, one frame a line", body = EditorTurnFrame,
        content_type = "application/x-ndjson")))]
async fn editor_turn(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<EditorTurnBody>,
) -> Result<Response, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let thread = editor_thread(&state, &session).await?;
    interactive_and_open(&state, &session).await?;
    let prompt = PromptContent::from_json(body.prompt)
        .map_err(|e| ApiError::bad_request("invalid_prompt", e.to_string()))?;
    let mut roots = Vec::new();
    for root in &body.roots {
        let path = PathBuf::from(root);
        if !path.is_absolute() {
            return Err(ApiError::bad_request(
                "invalid_roots",
                format!("root {root:?} is not an absolute path"),
            ));
        }
        roots.push(path);
    }
    let offers = EditorOffers {
        read_text_file: body.offers.read_text_file,
        write_text_file: body.offers.write_text_file,
        terminal: body.offers.terminal,
    };
    let tools = body.mcp_servers.map(editor_tools).transpose()?;
    // The turn runs where the task's agent lives: this node takes the task's lease (so the drive
    // delivering the prompt runs here, where the turn waits), or names the node holding it.
    if let Some(holder) =
        state.store.take_task_lease(session.spec_task_id, &state.node, state.task_lease).await?
    {
        return Err(on_other_node(&session, holder));
    }
    if let Some(tools) = tools {
        state.runtime.editor_turns().set_tools(session.id, tools);
    }
    let (frames_tx, frames) = mpsc::channel(32);
    let (ended_tx, ended) = oneshot::channel();
    let relay = EditorRelay::new(offers, roots, frames_tx);
    let held =
        HeldTurn { from: thread.client, relay, cancel: CancellationToken::new(), ended: ended_tx, prompt };
    let text = held.prompt.to_text();
    let offering = state.runtime.editor_turns().offering().await;
    let message = state.store.queue_session_message(&session, &text).await?;
    offering.offer(session.id, message, held);
    let (lines_tx, lines) = mpsc::channel(32);
    let turn = StreamedTurn { runtime: state.runtime.clone(), session: session.id, message, lines: lines_tx };
    tokio::spawn(turn.stream(frames, ended));
    let body = futures::stream::unfold(lines, |mut lines| async move {
        let line = lines.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(line), lines))
    });
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(body)).into_response())
}

/// One editor turn's stream to its editor.
struct StreamedTurn {
    runtime: AgentRuntime,
    session: WorkSessionId,
    message: i64,
    lines: mpsc::Sender<String>,
}

impl StreamedTurn {
    /// Writes the turn's frames until it ends; an editor that goes away cancels the turn.
    async fn stream(self, mut frames: mpsc::Receiver<RelayFrame>, mut ended: oneshot::Receiver<TurnEnd>) {
        let turns = self.runtime.editor_turns();
        let mut relayed = 0;
        let mut open = self.send(EditorTurnFrame::Queued { message_id: self.message }).await;
        let mut frames_open = true;
        let mut end = None;
        while open {
            tokio::select! {
                biased;
                frame = frames.recv(), if frames_open => match frame {
                    Some(frame) => open = self.relay(frame, &mut relayed).await,
                    None => frames_open = false,
                },
                result = &mut ended => {
                    // Every frame of the turn was sent before it ended.
                    while let Ok(frame) = frames.try_recv() {
                        self.relay(frame, &mut relayed).await;
                    }
                    end = Some(match result {
                        Ok(Ok(stop_reason)) => EditorTurnFrame::End { stop_reason },
                        Ok(Err(message)) => EditorTurnFrame::Failed { message },
                        Err(_) => EditorTurnFrame::Failed { message: "the turn ended without an answer".into() },
                    });
                    break;
                },
                () = self.lines.closed() => open = false,
            }
        }
        match end {
            Some(frame) => drop(self.send(frame).await),
            None => {
                turns.cancel(self.session);
            }
        }
        turns.forget(self.session, self.message);
    }

    /// Sends a frame of the thread; a request's answer channel waits under its number.
    async fn relay(&self, frame: RelayFrame, relayed: &mut u64) -> bool {
        let frame = match frame {
            RelayFrame::Update(update) => EditorTurnFrame::Update { update },
            RelayFrame::Request(request) => {
                *relayed += 1;
                self.runtime.editor_turns().await_reply(self.session, *relayed, request.reply);
                EditorTurnFrame::Request {
                    request_id: *relayed,
                    method: request.method.to_owned(),
                    params: request.params,
                }
            }
        };
        self.send(frame).await
    }

    async fn send(&self, frame: EditorTurnFrame) -> bool {
        let Ok(mut line) = serde_json::to_string(&frame) else { return false };
        line.push('\n');
        self.lines.send(line).await.is_ok()
    }
}

/// The editor's answer to a request relayed in its turn's stream.
#[utoipa::path(post, path = "/work-sessions/{id}/editor/replies", tag = "editor", params(SessionPath),
    request_body = EditorReplyBody,
    responses((status = 204, description = "The answer reached the agent")))]
async fn editor_reply(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<EditorReplyBody>,
) -> Result<StatusCode, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let answer = match (body.result, body.error) {
        (_, Some(error)) => Err(EditorRefusal { code: error.code, message: error.message, data: error.data }),
        (Some(result), None) => Ok(result),
        (None, None) => {
            return Err(ApiError::bad_request("invalid_reply", "the reply has neither result nor error"));
        }
    };
    if !state.runtime.editor_turns().reply(session.id, body.request_id, answer) {
        return Err(ApiError::not_found(format!(
            "no request {} of work session {} waits for an answer on this node",
            body.request_id, session.name
        )));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The editor cancels its turn (`session/cancel`): the agent is told to stop, and the turn's stream
/// ends with `cancelled`; a prompt still queued never reaches the agent.
#[utoipa::path(post, path = "/work-sessions/{id}/editor/cancel", tag = "editor", params(SessionPath),
    responses((status = 200, description = "Whether a turn was there to cancel", body = EditorCancelDto)))]
async fn editor_cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<EditorCancelDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    Ok(Json(EditorCancelDto { cancelled: state.runtime.editor_turns().cancel(session.id) }))
}

/// 409: the session's task's agent runs on another node, which takes its editor turns.
fn on_other_node(session: &WorkSession, holder: TaskLeaseHolder) -> ApiError {
    let at = match &holder.address {
        Some(address) => format!("at {address}"),
        None => "(its address is not recorded)".to_owned(),
    };
    let message = format!(
        "the agent of work session {}'s task runs on node {} {at}: its turns run there, send the \
         prompt to that node",
        session.name, holder.node
    );
    let node = OtherNode { name: holder.node, address: holder.address };
    ApiError { node: Some(node), ..ApiError::conflict("task_on_other_node", message) }
}

/// The session's editor mark; a session not opened from an editor has no editor turns.
async fn editor_thread(state: &AppState, session: &WorkSession) -> Result<EditorThread, ApiError> {
    state.store.editor_thread(session.id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "not_editor_thread",
            format!("work session {} was not opened from an editor", session.name),
        )
    })
}
