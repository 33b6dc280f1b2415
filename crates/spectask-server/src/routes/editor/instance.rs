//! A task's agent instance and the threads of its work sessions, as an editor integration sees
//! them: `/spec-tasks/{id}/editor/instance`, `/spec-tasks/{id}/editor/threads` and
//! `/work-sessions/{id}/editor/thread`, each also at its older `zed-…` path. Each route does its
//! work through the lifecycle: stopping the instance pauses its running sessions (resumable),
//! opening a session's thread resumes or schedules it, closing one pauses it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{
    PAUSED_BY, SpecTask, Thread, WorkSession, WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::with_alias;
use crate::dto::{EditorInstanceDto, SessionThreadDto};
use crate::extract::ApiPath;
use crate::params::{SessionPath, TaskPath};
use crate::routes::progress::agent_instance;
use crate::routes::spec_tasks::load;
use crate::routes::work_sessions::load_session;
use crate::{ApiError, AppState, Caller};

pub(super) fn router() -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::new();
    let router = with_alias(
        router,
        routes!(get_editor_instance, stop_editor_instance),
        "/spec-tasks/{id}/zed-instance",
    );
    let router = with_alias(router, routes!(list_editor_threads), "/spec-tasks/{id}/zed-threads");
    with_alias(
        router,
        routes!(get_editor_thread, open_editor_thread, close_editor_thread),
        "/work-sessions/{id}/zed-thread",
    )
}

fn thread_dto(session: &WorkSession, thread: Option<&Thread>, editor: Option<String>) -> SessionThreadDto {
    SessionThreadDto {
        work_session_id: session.id,
        work_session_name: session.name.clone(),
        work_session_status: session.status(),
        acp_session_id: thread.and_then(|t| t.acp_session_id.clone()),
        thread_status: thread.map(|t| t.status.as_str().to_owned()),
        opened_from_editor: editor,
        last_activity_at: thread.and_then(|t| t.last_activity_at),
    }
}

/// The threads of a task's sessions that were opened, in three queries.
async fn threads(
    state: &AppState,
    task: &SpecTask,
    sessions: &[WorkSession],
) -> Result<Vec<SessionThreadDto>, ApiError> {
    let threads: HashMap<WorkSessionId, Thread> = state.store.threads_of_task(task.id).await?;
    let mut editors = state.store.editor_clients_of(task.id).await?;
    Ok(sessions
        .iter()
        .filter_map(|s| threads.get(&s.id).map(|t| thread_dto(s, Some(t), editors.remove(&s.id))))
        .collect())
}

async fn instance(state: &AppState, task: &SpecTask) -> Result<EditorInstanceDto, ApiError> {
    let sessions = state.store.work_sessions_of(task.id).await?;
    let unserved = state.runtime.unserved_requests(task.id).await;
    Ok(EditorInstanceDto {
        spec_task_id: task.id,
        agent_instance: agent_instance(task, &sessions),
        on_this_node: unserved.is_some(),
        unserved_requests: unserved.unwrap_or_default(),
        threads: threads(state, task, &sessions).await?,
    })
}

/// The task's agent instance: whether it works, its profile, its threads.
#[utoipa::path(get, path = "/spec-tasks/{id}/editor/instance", tag = "editor", params(TaskPath),
    responses((status = 200, description = "The instance", body = EditorInstanceDto)))]
async fn get_editor_instance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<EditorInstanceDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    Ok(Json(instance(&state, &task).await?))
}

/// Stop the task's agent process: its running sessions are paused (`interrupted`, resumable with
/// `PUT /work-sessions/{id}/status`), then the process on this node is shut down.
#[utoipa::path(delete, path = "/spec-tasks/{id}/editor/instance", tag = "editor", params(TaskPath),
    responses((status = 200, description = "The instance, stopped", body = EditorInstanceDto)))]
async fn stop_editor_instance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<EditorInstanceDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let reason = format!("{PAUSED_BY}{}: the agent instance was stopped", caller.name);
    for session in state.store.work_sessions_of(task.id).await? {
        if session.status() == WorkSessionStatus::Running {
            state.store.interrupt_if_running(session.id, &reason).await?;
        }
    }
    state.runtime.stop(task.id).await;
    Ok(Json(instance(&state, &task).await?))
}

/// The threads of the task's work sessions (those opened), in creation order.
#[utoipa::path(get, path = "/spec-tasks/{id}/editor/threads", tag = "editor", params(TaskPath),
    responses((status = 200, description = "The threads", body = Vec<SessionThreadDto>)))]
async fn list_editor_threads(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<SessionThreadDto>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let sessions = state.store.work_sessions_of(task.id).await?;
    Ok(Json(threads(&state, &task, &sessions).await?))
}

async fn session_thread(state: &AppState, session: &WorkSession) -> Result<SessionThreadDto, ApiError> {
    let thread = state.store.thread_of(session.id).await?;
    let editor = state.store.editor_thread(session.id).await?.map(|e| e.client);
    Ok(thread_dto(session, thread.as_ref(), editor))
}

/// The thread of one work session (its fields are empty before it was opened).
#[utoipa::path(get, path = "/work-sessions/{id}/editor/thread", tag = "editor", params(SessionPath),
    responses((status = 200, description = "The thread", body = SessionThreadDto)))]
async fn get_editor_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<SessionThreadDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    Ok(Json(session_thread(&state, &session).await?))
}

/// Open the session's thread: an interrupted session resumes it; a pending one is scheduled (the
/// task's scheduling pass starts it when its dependencies and the session limit allow).
#[utoipa::path(post, path = "/work-sessions/{id}/editor/thread", tag = "editor", params(SessionPath),
    responses((status = 202, description = "The thread, opening", body = SessionThreadDto)))]
async fn open_editor_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<(StatusCode, Json<SessionThreadDto>), ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let session = match session.status() {
        WorkSessionStatus::Interrupted => {
            crate::routes::session_moves::refuse_while_budget_holds(&state, session.spec_task_id).await?;
            state.store.change_work_session(session.id, &WorkSessionCommand::Resume).await?.value
        }
        WorkSessionStatus::Pending | WorkSessionStatus::Blocked => {
            state.store.request_advance(session.spec_task_id).await?;
            session
        }
        WorkSessionStatus::Running => session,
        ended => {
            return Err(ApiError::conflict(
                "illegal_transition",
                format!("work session {} is {ended}; its thread cannot be opened", session.name),
            ));
        }
    };
    Ok((StatusCode::ACCEPTED, Json(session_thread(&state, &session).await?)))
}

/// Close the session's thread: a running session is paused (`interrupted`, resumable); its work so
/// far stays in the worktree.
#[utoipa::path(delete, path = "/work-sessions/{id}/editor/thread", tag = "editor", params(SessionPath),
    responses((status = 200, description = "The thread", body = SessionThreadDto)))]
async fn close_editor_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<SessionThreadDto>, ApiError> {
    let mut session = load_session(&state, &caller, &id).await?;
    if session.status() == WorkSessionStatus::Running {
        let reason = format!("{PAUSED_BY}{}: the thread was closed", caller.name);
        session = state.store.interrupt_if_running(session.id, &reason).await?;
    }
    Ok(Json(session_thread(&state, &session).await?))
}
