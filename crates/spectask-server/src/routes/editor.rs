//! Threads opened from an editor (`spectask acp`): each new editor thread becomes a work session.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_orchestrator::{EditorThreadError, EditorThreadRequest, open_editor_thread};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{EditorThreadBody, EditorThreadDto};
use crate::extract::ApiJson;
use crate::routes::spec_tasks::{load, task_dto};
use crate::routes::work_sessions::session_dto;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(open_thread))
}

/// A new thread in an editor: its work session, in the named task, the task whose worktree holds
/// `cwd`, or a new interactive task for the registered repository holding `cwd`. The session gets
/// no prompt from spectask; the editor's prompts reach it as messages.
#[utoipa::path(post, path = "/editor/threads", tag = "editor", request_body = EditorThreadBody,
    responses((status = 201, description = "The thread's work session and task", body = EditorThreadDto)))]
async fn open_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EditorThreadBody>,
) -> Result<(StatusCode, Json<EditorThreadDto>), ApiError> {
    let cwd = std::path::PathBuf::from(body.cwd.trim());
    if !cwd.is_absolute() {
        return Err(ApiError::bad_request(
            "invalid_cwd",
            format!("cwd {:?} is not an absolute path", body.cwd),
        ));
    }
    let task = match body.task.as_deref() {
        Some(reference) => Some(load(&state, &caller, reference).await?.id),
        None => None,
    };
    if let Some(profile) = &body.agent_profile {
        state.profiles.get(profile).map_err(|e| ApiError::bad_request("unknown_agent", e.to_string()))?;
    }
    let client = body.client.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or("editor");
    let request = EditorThreadRequest {
        cwd,
        task,
        agent_profile: body.agent_profile,
        client: client.chars().take(40).collect(),
        created_by: caller.name.clone(),
        owner: caller.owner_filter().map(str::to_owned),
    };
    let (task, session) = open_editor_thread(&state.store, request).await.map_err(|err| match err {
        EditorThreadError::Store(err) => ApiError::from(err),
        EditorThreadError::OutsideRepositories(_) => {
            ApiError::bad_request("cwd_outside_repositories", err.to_string())
        }
        EditorThreadError::BadCwd { .. } => ApiError::bad_request("invalid_cwd", err.to_string()),
        EditorThreadError::TaskNotOpen { .. } => {
            ApiError::new(StatusCode::CONFLICT, "task_not_open", err.to_string())
        }
    })?;
    let dto = EditorThreadDto {
        spec_task: task_dto(&state, &task).await?,
        work_session: session_dto(&state, &session).await?,
    };
    Ok((StatusCode::CREATED, Json(dto)))
}
