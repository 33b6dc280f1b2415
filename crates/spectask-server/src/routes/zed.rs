//! The seeds' "Zed instance" and "Zed threads": a task's agent instance and the threads of its work
//! sessions, for an editor integration. Each route does its work through the lifecycle: stopping
//! the instance pauses its running sessions (resumable), opening a session's thread resumes or
//! schedules it, closing one pauses it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{
    PAUSED_BY, SpecTask, Thread, WorkSession, WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    CreateZedSessionBody, EditorThreadBody, EditorThreadDto, ZedEventBody, ZedEventResultDto, ZedInstanceDto,
    ZedThreadDto,
};
use crate::extract::{ApiJson, ApiPath};
use crate::params::{SessionPath, TaskPath};
use crate::routes::editor::open;
use crate::routes::progress::agent_instance;
use crate::routes::session_moves::{interrupt_editor, queue_message};
use crate::routes::spec_tasks::load;
use crate::routes::work_sessions::{load_session, session_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_zed_instance, stop_zed_instance))
        .routes(routes!(list_zed_threads))
        .routes(routes!(get_zed_thread, open_zed_thread, close_zed_thread))
        .routes(routes!(post_zed_event))
        .routes(routes!(create_zed_session))
}

fn thread_dto(session: &WorkSession, thread: Option<&Thread>, editor: Option<String>) -> ZedThreadDto {
    ZedThreadDto {
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
) -> Result<Vec<ZedThreadDto>, ApiError> {
    let threads: HashMap<WorkSessionId, Thread> = state.store.threads_of_task(task.id).await?;
    let mut editors = state.store.editor_clients_of(task.id).await?;
    Ok(sessions
        .iter()
        .filter_map(|s| threads.get(&s.id).map(|t| thread_dto(s, Some(t), editors.remove(&s.id))))
        .collect())
}

async fn instance(state: &AppState, task: &SpecTask) -> Result<ZedInstanceDto, ApiError> {
    let sessions = state.store.work_sessions_of(task.id).await?;
    let unserved = state.runtime.unserved_requests(task.id).await;
    Ok(ZedInstanceDto {
        spec_task_id: task.id,
        agent_instance: agent_instance(task, &sessions),
        on_this_node: unserved.is_some(),
        unserved_requests: unserved.unwrap_or_default(),
        threads: threads(state, task, &sessions).await?,
    })
}

/// The task's agent instance: whether it works, its profile, its threads.
#[utoipa::path(get, path = "/spec-tasks/{id}/zed-instance", tag = "editor", params(TaskPath),
    responses((status = 200, description = "The instance", body = ZedInstanceDto)))]
async fn get_zed_instance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ZedInstanceDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    Ok(Json(instance(&state, &task).await?))
}

/// Stop the task's agent process: its running sessions are paused (`interrupted`, resumable with
/// `PUT /work-sessions/{id}/status`), then the process on this node is shut down.
#[utoipa::path(delete, path = "/spec-tasks/{id}/zed-instance", tag = "editor", params(TaskPath),
    responses((status = 200, description = "The instance, stopped", body = ZedInstanceDto)))]
async fn stop_zed_instance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ZedInstanceDto>, ApiError> {
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
#[utoipa::path(get, path = "/spec-tasks/{id}/zed-threads", tag = "editor", params(TaskPath),
    responses((status = 200, description = "The threads", body = Vec<ZedThreadDto>)))]
async fn list_zed_threads(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<ZedThreadDto>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let sessions = state.store.work_sessions_of(task.id).await?;
    Ok(Json(threads(&state, &task, &sessions).await?))
}

async fn session_thread(state: &AppState, session: &WorkSession) -> Result<ZedThreadDto, ApiError> {
    let thread = state.store.thread_of(session.id).await?;
    let editor = state.store.editor_thread(session.id).await?.map(|e| e.client);
    Ok(thread_dto(session, thread.as_ref(), editor))
}

/// The thread of one work session (its fields are empty before it was opened).
#[utoipa::path(get, path = "/work-sessions/{id}/zed-thread", tag = "editor", params(SessionPath),
    responses((status = 200, description = "The thread", body = ZedThreadDto)))]
async fn get_zed_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<ZedThreadDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    Ok(Json(session_thread(&state, &session).await?))
}

/// Open the session's thread: an interrupted session resumes it; a pending one is scheduled (the
/// task's scheduling pass starts it when its dependencies and the session limit allow).
#[utoipa::path(post, path = "/work-sessions/{id}/zed-thread", tag = "editor", params(SessionPath),
    responses((status = 202, description = "The thread, opening", body = ZedThreadDto)))]
async fn open_zed_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<(StatusCode, Json<ZedThreadDto>), ApiError> {
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
#[utoipa::path(delete, path = "/work-sessions/{id}/zed-thread", tag = "editor", params(SessionPath),
    responses((status = 200, description = "The thread", body = ZedThreadDto)))]
async fn close_zed_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<ZedThreadDto>, ApiError> {
    let mut session = load_session(&state, &caller, &id).await?;
    if session.status() == WorkSessionStatus::Running {
        let reason = format!("{PAUSED_BY}{}: the thread was closed", caller.name);
        session = state.store.interrupt_if_running(session.id, &reason).await?;
    }
    Ok(Json(session_thread(&state, &session).await?))
}

/// What happened in an editor integration: a thread created (it becomes a work session), a
/// message added (queued for the session's agent), a thread closed (the session is interrupted,
/// resumable).
#[utoipa::path(post, path = "/zed/events", tag = "editor", request_body = ZedEventBody,
    responses((status = 200, description = "What the event did", body = ZedEventResultDto)))]
async fn post_zed_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ZedEventBody>,
) -> Result<Json<ZedEventResultDto>, ApiError> {
    let (event_type, session, message_id) = match body {
        ZedEventBody::ThreadCreated { cwd, spec_task, agent_profile } => {
            let client = Some("zed".into());
            let body =
                EditorThreadBody { cwd, task: spec_task, agent_profile, client, mcp_servers: Vec::new() };
            let opened = open(&state, &caller, body, None).await?;
            return Ok(Json(ZedEventResultDto {
                event_type: "thread_created".into(),
                work_session: opened.work_session,
                message_id: None,
            }));
        }
        ZedEventBody::MessageAdded { work_session_id, text } => {
            let session = load_session(&state, &caller, &work_session_id).await?;
            let queued = queue_message(&state, &session, &text).await?;
            ("message_added", session, Some(queued))
        }
        ZedEventBody::ThreadClosed { work_session_id, reason } => {
            let session = load_session(&state, &caller, &work_session_id).await?;
            ("thread_closed", interrupt_editor(&state, session, &reason).await?, None)
        }
    };
    Ok(Json(ZedEventResultDto {
        event_type: event_type.into(),
        work_session: session_dto(&state, &session).await?,
        message_id,
    }))
}

/// An editor thread becomes a work session of the given task (or the task whose worktree holds
/// `cwd`, or a new interactive task), spawned from `parent_session` when given.
#[utoipa::path(post, path = "/zed-threads/create-session", tag = "editor", request_body = CreateZedSessionBody,
    responses((status = 201, description = "The session and its task", body = EditorThreadDto)))]
async fn create_zed_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateZedSessionBody>,
) -> Result<(StatusCode, Json<EditorThreadDto>), ApiError> {
    let parent = match body.parent_session.as_deref() {
        Some(parent) => Some(load_session(&state, &caller, parent).await?),
        None => None,
    };
    let task = match (body.spec_task.as_deref(), &parent) {
        (Some(reference), _) => Some(load(&state, &caller, reference).await?),
        (None, Some(parent)) => Some(state.store.spec_task(parent.spec_task_id).await?),
        (None, None) => None,
    };
    if let (Some(task), Some(parent)) = (&task, &parent)
        && parent.spec_task_id != task.id
    {
        return Err(ApiError::bad_request(
            "invalid_parent",
            format!("work session {} is not part of task {}", parent.name, task.handle()),
        ));
    }
    let request = EditorThreadBody {
        cwd: body.cwd,
        task: task.map(|t| t.id.to_string()),
        agent_profile: body.agent_profile,
        client: Some(body.client.unwrap_or_else(|| "zed".into())),
        mcp_servers: Vec::new(),
    };
    let opened = open(&state, &caller, request, parent.map(|p| p.id)).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}
