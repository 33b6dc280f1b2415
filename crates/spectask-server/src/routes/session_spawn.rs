//! Spawning work sessions: a child under a session (a person's, or an agent's through the
//! coordination API), or a new top-level session of a task in implementation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{SpecTask, WorkSession};
use spectask_orchestrator::SpawnRequest;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{SpawnBody, WorkSessionDto};
use crate::extract::{ApiJson, ApiPath};
use crate::params::{SessionPath, TaskSessionPath};
use crate::routes::spec_tasks::load;
use crate::routes::work_sessions::{load_session, session_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(spawn_in_task)).routes(routes!(spawn_work_session))
}

/// Spawn a child session under this one (same task, same agent instance, a new thread).
#[utoipa::path(post, path = "/work-sessions/{id}/spawn", tag = "work-sessions", params(SessionPath),
    request_body = SpawnBody,
    responses((status = 201, description = "The new session", body = WorkSessionDto)))]
async fn spawn_work_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let parent = load_session(&state, &caller, &id).await?;
    let task = state.store.spec_task(parent.spec_task_id).await?;
    spawn_session(&state, &task, Some(parent), body).await
}

/// Spawn a child session under a session of this task.
#[utoipa::path(post, path = "/spec-tasks/{id}/work-sessions/{session}/spawn", tag = "work-sessions",
    params(TaskSessionPath), request_body = SpawnBody,
    responses((status = 201, description = "The new session", body = WorkSessionDto)))]
async fn spawn_in_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskSessionPath { id: task, session }): ApiPath<TaskSessionPath>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let task = load(&state, &caller, &task).await?;
    let parent = load_session(&state, &caller, &session).await?;
    if parent.spec_task_id != task.id {
        return Err(ApiError::not_found(format!(
            "work session {} is not part of task {}",
            parent.id,
            task.handle()
        )));
    }
    spawn_session(&state, &task, Some(parent), body).await
}

/// A new top-level session of a task in implementation (`POST /tasks/{task_id}/work-sessions`).
pub(crate) async fn spawn_top_level(
    state: &AppState,
    task: &SpecTask,
    body: SpawnBody,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    spawn_session(state, task, None, body).await
}

async fn spawn_session(
    state: &AppState,
    task: &SpecTask,
    parent: Option<WorkSession>,
    body: SpawnBody,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_session", "a spawned session needs a name"));
    }
    if let Some(profile) = &body.agent_profile {
        state
            .profiles
            .get(profile)
            .map_err(|e| ApiError::new(axum::http::StatusCode::NOT_FOUND, "unknown_agent", e.to_string()))?;
    }
    let request = SpawnRequest {
        name: body.name.trim().to_owned(),
        description: body.description,
        agent_profile: body.agent_profile,
        priority: body.priority.or(parent.as_ref().map(|p| p.priority)).unwrap_or(task.priority),
    };
    let child = spectask_orchestrator::spawn(&state.store, task, parent.as_ref(), request).await?;
    Ok((StatusCode::CREATED, Json(session_dto(state, &child).await?)))
}
