//! A task's implementation as a whole: its coordination log, its summary, and the person's decision
//! of the implementation review (approve, or request changes).

use axum::Json;
use axum::extract::State;
use spectask_core::session::coordination::ReviewerDecision;
use spectask_core::{CoordinationEvent, Repository};
use spectask_orchestrator::landing::decision::{Decision, review_implementation};
use spectask_orchestrator::repository_settings::forge_of;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    ImplementationChangesBody, ImplementationReviewBody, ImplementationSummaryDto, SpecTaskDto,
};
use crate::extract::{ApiJson, ApiPath};
use crate::params::TaskPath;
use crate::routes::spec_tasks::{load, task_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_coordination_log))
        .routes(routes!(get_implementation_summary))
        .routes(routes!(approve_implementation))
        .routes(routes!(request_implementation_changes))
}

/// What the task's sessions told each other and what happened to them, in order.
#[utoipa::path(get, path = "/spec-tasks/{id}/coordination-log", tag = "work-sessions", params(TaskPath),
    responses((status = 200, description = "The log", body = Vec<CoordinationEvent>)))]
async fn get_coordination_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<CoordinationEvent>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    Ok(Json(state.store.coordination_log(task.id).await?))
}

/// The implementation summary: what each session did, its commits and the open plan tasks.
#[utoipa::path(get, path = "/spec-tasks/{id}/implementation-summary", tag = "work-sessions",
    params(TaskPath),
    responses((status = 200, description = "The summary", body = ImplementationSummaryDto)))]
async fn get_implementation_summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ImplementationSummaryDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let markdown = spectask_orchestrator::implementation_summary(&state.store, &task).await?;
    Ok(Json(ImplementationSummaryDto { spec_task_id: task.id, status: task.status(), summary: markdown }))
}

/// Approve the implementation: the task is done and its branch merged (or kept, per repository);
/// where the repository's merge policy is `pull_request`, its pull request is opened and the task
/// waits in `pull_request` until the forge merges it.
#[utoipa::path(post, path = "/spec-tasks/{id}/approve-implementation", tag = "work-sessions",
    params(TaskPath),
    request_body(content = Option<ImplementationReviewBody>, description = "Optional comments"),
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn approve_implementation(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    body: Option<ApiJson<ImplementationReviewBody>>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    review(state, caller, id, Decision::Approve, body.map(|b| b.0).unwrap_or_default()).await
}

/// Ask for more implementation work: a follow-up session gets the comments.
#[utoipa::path(post, path = "/spec-tasks/{id}/request-implementation-changes", tag = "work-sessions",
    params(TaskPath), request_body = ImplementationChangesBody,
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn request_implementation_changes(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    ApiJson(body): ApiJson<ImplementationChangesBody>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    if body.comments.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_review", "request-implementation-changes needs comments"));
    }
    let body = ImplementationReviewBody { comments: body.comments };
    review(state, caller, id, Decision::RequestChanges, body).await
}

async fn review(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    decision: Decision,
    body: ImplementationReviewBody,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let reviewer = ReviewerDecision {
        comments: body.comments.trim().to_owned(),
        reviewer: caller.signature(),
        source: None,
    };
    // Approved where the repository hands off through its forge: a pull request, not a merge.
    let forge_ready =
        |repository: &Repository| forge_of(&state.forges, repository).map(drop).map_err(ApiError::from);
    let applied = review_implementation(&state.store, &task, decision, reviewer, forge_ready).await?;
    Ok(Json(task_dto(&state, &applied).await?))
}
