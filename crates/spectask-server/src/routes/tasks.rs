//! The generic task view: `/tasks` over the same SpecTasks as `/spec-tasks` (not a second
//! store). Deleting a task cancels and hides it; its git history stays.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{ReviewDecision, SpecTask, SpecTaskCommand, SpecTaskStatus};
use spectask_store::NewSpecReview;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    CreateSpecTask, CreateTaskBody, ListSpecTasks, PageDto, SpawnBody, TaskDto, TaskStatusBody,
    WorkSessionDto,
};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{TaskIdPath, TaskPath};
use crate::routes::session_spawn::spawn_top_level;
use crate::routes::spec_tasks::{create, load, page, task_dto};
use crate::routes::work_sessions::list_sessions;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, delete_task))
        .routes(routes!(set_task_status))
        .routes(routes!(list_task_sessions, create_task_session))
}

/// The caller's tasks, newest first, one page at a time (deleted ones are not listed).
#[utoipa::path(get, path = "/tasks", tag = "tasks", params(ListSpecTasks),
    responses((status = 200, description = "One page of tasks", body = PageDto<TaskDto>)))]
async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListSpecTasks>,
) -> Result<Json<PageDto<TaskDto>>, ApiError> {
    let found = page(&state, &caller, query).await?;
    Ok(Json(PageDto {
        items: found.items.into_iter().map(TaskDto::from).collect(),
        total: found.total,
        limit: found.limit,
        offset: found.offset,
    }))
}

/// Create a task: a SpecTask in backlog, of the given type.
#[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = CreateTaskBody,
    responses((status = 201, description = "The task", body = TaskDto)))]
async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTaskBody>,
) -> Result<(StatusCode, Json<TaskDto>), ApiError> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_name", "name is empty"));
    }
    let prompt = match body.description.trim() {
        "" => body.name.clone(),
        description => description.to_owned(),
    };
    let request = CreateSpecTask {
        prompt,
        repo: body.repo,
        title: Some(body.name),
        kind: body.task_type,
        complexity: None,
        priority: body.priority,
        planning_agent: None,
        implementation_agent: body.implementation_agent,
        created_by: None,
        depends_on: None,
        hold_before: None,
        budget: None,
        workflow: None,
        review_target: None,
    };
    Ok((StatusCode::CREATED, Json(create(&state, &caller, request).await?.into())))
}

/// A task that was not deleted.
async fn load_visible(state: &AppState, caller: &Caller, id: &str) -> Result<SpecTask, ApiError> {
    let task = load(state, caller, id).await?;
    if state.store.spec_task_hidden(task.id).await? {
        return Err(ApiError::not_found(format!("task {id} was deleted")));
    }
    Ok(task)
}

/// One task.
#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(TaskPath),
    responses((status = 200, description = "The task", body = TaskDto)))]
async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<TaskDto>, ApiError> {
    let task = load_visible(&state, &caller, &id).await?;
    Ok(Json(task_dto(&state, &task).await?.into()))
}

/// Delete a task: it is cancelled (unless it has ended) and hidden from listings; its branches,
/// worktree and design-docs history stay.
#[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", params(TaskPath),
    responses((status = 204, description = "Deleted")))]
async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<StatusCode, ApiError> {
    let task = load_visible(&state, &caller, &id).await?;
    state.store.hide_spec_task(task.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a task to a status a person may choose, through its lifecycle: approve (`spec_approved`)
/// or reject (`rejected`) the spec under review, cancel (`cancelled`), or retry a failed task (the
/// status its retry leads to).
#[utoipa::path(put, path = "/tasks/{id}/status", tag = "tasks", params(TaskPath),
    request_body = TaskStatusBody,
    responses((status = 200, description = "The task", body = TaskDto)))]
async fn set_task_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    ApiJson(body): ApiJson<TaskStatusBody>,
) -> Result<Json<TaskDto>, ApiError> {
    let task = load_visible(&state, &caller, &id).await?;
    let target = body.status;
    let review = match (task.status(), target) {
        (SpecTaskStatus::SpecReview, SpecTaskStatus::SpecApproved) => Some(ReviewDecision::Approve),
        (SpecTaskStatus::SpecReview, SpecTaskStatus::Rejected) => Some(ReviewDecision::Reject),
        _ => None,
    };
    let moved = if let Some(decision) = review {
        let review = NewSpecReview {
            decision,
            comments: body.comments.trim().to_owned(),
            line_comments: Vec::new(),
            reviewer: caller.signature(),
        };
        state.store.review_spec(&task, review).await?.0.value
    } else {
        let command = [SpecTaskCommand::Cancel, SpecTaskCommand::Retry]
            .into_iter()
            .find(|c| task.state.apply(task.kind, c).is_ok_and(|t| t.to.status() == target))
            .ok_or_else(|| {
                ApiError::conflict(
                    "illegal_transition",
                    format!(
                        "a person cannot move task {} from {} to {target}; allowed: spec_approved or \
                         rejected from spec_review, cancelled, and a failed task's retry",
                        task.handle(),
                        task.status()
                    ),
                )
            })?;
        state.store.apply_to_spec_task(task.id, &command).await?.value
    };
    Ok(Json(task_dto(&state, &moved).await?.into()))
}

/// The work sessions of a task, in creation order.
#[utoipa::path(get, path = "/tasks/{task_id}/work-sessions", tag = "tasks", params(TaskIdPath),
    responses((status = 200, description = "The sessions", body = Vec<WorkSessionDto>)))]
async fn list_task_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskIdPath { task_id }): ApiPath<TaskIdPath>,
) -> Result<Json<Vec<WorkSessionDto>>, ApiError> {
    let task = load_visible(&state, &caller, &task_id).await?;
    Ok(Json(list_sessions(&state, &task).await?))
}

/// Add a work session to a task in implementation: a top-level session, scheduled with the others.
#[utoipa::path(post, path = "/tasks/{task_id}/work-sessions", tag = "tasks", params(TaskIdPath),
    request_body = SpawnBody,
    responses((status = 201, description = "The new session", body = WorkSessionDto)))]
async fn create_task_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskIdPath { task_id }): ApiPath<TaskIdPath>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let task = load_visible(&state, &caller, &task_id).await?;
    spawn_top_level(&state, &task, body).await
}
