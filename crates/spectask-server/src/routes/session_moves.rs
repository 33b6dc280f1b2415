//! A person moving one work session: its status through the state machine (pause, resume, complete,
//! cancel), messages to an interactive task's main session or an editor thread, completing it, and
//! an editor thread left when its editor went away.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{PAUSED_BY, SpecTaskId, WorkSession, WorkSessionCommand, WorkSessionStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{InterruptBody, MessageBody, QueuedMessageDto, WorkSessionDto, WorkSessionStatusBody};
use crate::extract::{ApiJson, ApiPath};
use crate::params::SessionPath;
use crate::routes::work_sessions::{load_session, session_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message))
        .routes(routes!(complete_work_session))
        .routes(routes!(interrupt_editor_thread))
        .routes(routes!(set_work_session_status))
}

/// Say something to the main session of an interactive task; the agent answers in its next turn.
#[utoipa::path(post, path = "/work-sessions/{id}/messages", tag = "work-sessions", params(SessionPath),
    request_body = MessageBody,
    responses((status = 202, description = "The message is queued", body = QueuedMessageDto)))]
async fn send_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<(StatusCode, Json<QueuedMessageDto>), ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let queued = queue_message(&state, &session, &body.text).await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedMessageDto { message_id: queued, work_session_id: session.id })))
}

/// Queues a person's message for an open interactive session or editor thread.
pub(crate) async fn queue_message(
    state: &AppState,
    session: &WorkSession,
    text: &str,
) -> Result<i64, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_message", "the message is empty"));
    }
    interactive_and_open(state, session).await?;
    Ok(state.store.queue_session_message(session, text.trim()).await?)
}

/// End the main session of an interactive task: its changes are committed, and the task moves on
/// to review when nothing else runs.
#[utoipa::path(post, path = "/work-sessions/{id}/complete", tag = "work-sessions", params(SessionPath),
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn complete_work_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    interactive_and_open(&state, &session).await?;
    let applied =
        state.store.transition_work_session(&session, &spectask_core::WorkSessionCommand::Complete).await?;
    Ok(Json(session_dto(&state, &applied.value).await?))
}

/// The editor holding a thread went away (Zed closed): its work session is left `interrupted`, and
/// the next prompt from an editor resumes it.
#[utoipa::path(post, path = "/work-sessions/{id}/interrupt", tag = "editor", params(SessionPath),
    request_body = InterruptBody,
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn interrupt_editor_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<InterruptBody>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let session = interrupt_editor(&state, session, &body.reason).await?;
    Ok(Json(session_dto(&state, &session).await?))
}

/// An editor thread whose editor went away: interrupted (when it ran) and resumable.
pub(crate) async fn interrupt_editor(
    state: &AppState,
    session: WorkSession,
    reason: &str,
) -> Result<WorkSession, ApiError> {
    if state.store.editor_thread(session.id).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_editor_thread",
            format!(
                "work session {} was not opened from an editor; only editor threads are interrupted this way",
                session.name
            ),
        ));
    }
    let reason = reason.trim();
    let reason: String =
        if reason.is_empty() { "the editor closed" } else { reason }.chars().take(200).collect();
    // Read again in the write: a retried drive may have moved the session since it was loaded.
    Ok(state.store.interrupt_if_running(session.id, &reason).await?)
}

/// Messages and completion are for the running session of an interactive task, and for editor threads.
pub(crate) async fn interactive_and_open(state: &AppState, session: &WorkSession) -> Result<(), ApiError> {
    let task = state.store.spec_task(session.spec_task_id).await?;
    let editor = state.store.editor_thread(session.id).await?.is_some();
    if !editor && (task.kind != spectask_core::TaskKind::Interactive || session.parent_id.is_some()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_interactive",
            format!(
                "work session {} is not the main session of an interactive task; only that one takes messages",
                session.name
            ),
        ));
    }
    // An editor thread takes prompts before it starts and after an interruption too: they wait for
    // (and resume) its turn.
    use spectask_core::WorkSessionStatus::{Interrupted, Pending, Running};
    let open = match session.status() {
        Running => true,
        Pending | Interrupted => editor,
        _ => false,
    };
    if !open {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "illegal_transition",
            format!("work session {} is {}", session.name, session.status()),
        ));
    }
    Ok(())
}

/// Move one session through its state machine as a person: pause a running session
/// (`interrupted`; the turn under way stops, on whichever node runs it, and the session waits for a
/// person to resume it), resume it
/// (`running`), complete a running session (`completed`; its changes are committed) or cancel it
/// (`cancelled`). A session that ends this way lets its task's scheduling go on.
#[utoipa::path(put, path = "/work-sessions/{id}/status", tag = "work-sessions", params(SessionPath),
    request_body = WorkSessionStatusBody,
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn set_work_session_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<WorkSessionStatusBody>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let command = match body.status {
        WorkSessionStatus::Interrupted => {
            let reason = match body.reason.trim() {
                "" => format!("{PAUSED_BY}{}", caller.name),
                why => format!("{PAUSED_BY}{}: {}", caller.name, why.chars().take(200).collect::<String>()),
            };
            WorkSessionCommand::Interrupt { reason }
        }
        WorkSessionStatus::Running => {
            refuse_while_budget_holds(&state, session.spec_task_id).await?;
            WorkSessionCommand::Resume
        }
        WorkSessionStatus::Completed => WorkSessionCommand::Complete,
        WorkSessionStatus::Cancelled => WorkSessionCommand::Cancel,
        other => {
            return Err(ApiError::bad_request(
                "invalid_status",
                format!(
                    "a person cannot move a session to {other}; choose interrupted, running, completed or cancelled"
                ),
            ));
        }
    };
    let applied = state.store.change_work_session(session.id, &command).await?;
    Ok(Json(session_dto(&state, &applied.value).await?))
}

/// Refuses to resume a session of `task` while a budget holds the task (409 `budget_reached`,
/// saying which budget and how to raise it).
pub(crate) async fn refuse_while_budget_holds(state: &AppState, task: SpecTaskId) -> Result<(), ApiError> {
    let task = state.store.spec_task(task).await?;
    match spectask_orchestrator::budget_hold(&state.store, &state.budgets, &task).await? {
        Some(hold) => Err(ApiError::conflict(
            "budget_reached",
            format!("{}: raise it ({}) or cancel the task", hold.why, hold.raise),
        )),
        None => Ok(()),
    }
}
