//! Budgets set by people: a task's (a recorded decision in its log) and a repository's daily budget
//! (kept with who set it); either resumes the sessions a budget paused once no budget holds their
//! task. A user's daily budget is an operator's to set (`spectask user budget`); each user can read
//! where they stand.

use axum::Json;
use axum::extract::State;
use spectask_core::BudgetScope;
use spectask_orchestrator::set_task_budget;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::spec_tasks::{load, task_dto};
use crate::dto::{BudgetBody, DailyBudgetDto, SpecTaskDto};
use crate::extract::{ApiJson, ApiPath};
use crate::params::{RepoPath, TaskPath};
use crate::repositories::access::member_repository;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_budget))
        .routes(routes!(repository_budget, set_repository_budget))
        .routes(routes!(my_budget))
}

/// Set a SpecTask's budget (tokens, money or both; both left out: no limit). The change is
/// recorded in the task's coordination log; when the task is back under its budget, the sessions
/// the budget paused resume.
#[utoipa::path(put, path = "/spec-tasks/{id}/budget", tag = "spec-tasks", params(TaskPath),
    request_body = BudgetBody,
    responses((status = 200, description = "The task with its budget", body = SpecTaskDto)))]
async fn set_budget(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    ApiJson(body): ApiJson<BudgetBody>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let task = set_task_budget(&state.store, &state.budgets, &task, body.budget(), &caller.name).await?;
    task_dto(&state, &task).await.map(Json)
}

/// Where a repository stands against its daily budget today (UTC): what all its tasks together
/// may spend in a day, and what they spent today.
#[utoipa::path(get, path = "/repos/{id}/budget", tag = "repos", params(RepoPath),
    responses((status = 200, description = "The repository's daily budget and today's spending", body = DailyBudgetDto)))]
async fn repository_budget(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoPath { id }): ApiPath<RepoPath>,
) -> Result<Json<DailyBudgetDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    daily(&state, BudgetScope::Repository, &repository.id.to_string()).await
}

/// Set a repository's daily budget (its owner only: a member may not lower or lift what the owner
/// set; tokens, money or both; both left out: no limit), at most the configuration's (`[budget] repository_daily_*`), which an operator sets.
/// Sessions its budget paused go on once no budget holds their task.
#[utoipa::path(put, path = "/repos/{id}/budget", tag = "repos", params(RepoPath), request_body = BudgetBody,
    responses((status = 200, description = "The repository's daily budget as it now is", body = DailyBudgetDto)))]
async fn set_repository_budget(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoPath { id }): ApiPath<RepoPath>,
    ApiJson(body): ApiJson<BudgetBody>,
) -> Result<Json<DailyBudgetDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    if !crate::repositories::access::owns(&caller, &repository) {
        return Err(ApiError::forbidden(
            "not_the_owner",
            "only the repository's owner sets its daily budget; members read it",
        ));
    }
    let budget = body.budget()?;
    spectask_orchestrator::set_repository_budget(
        &state.store,
        &state.budgets,
        &repository,
        &budget,
        &caller.name,
    )
    .await?;
    daily(&state, BudgetScope::Repository, &repository.id.to_string()).await
}

/// Where the caller stands against their daily budget today (UTC): what all the tasks they
/// created may spend in a day (set by an operator), and what they spent today.
#[utoipa::path(get, path = "/auth/me/budget", tag = "auth",
    responses((status = 200, description = "The caller's daily budget and today's spending", body = DailyBudgetDto)))]
async fn my_budget(State(state): State<AppState>, caller: Caller) -> Result<Json<DailyBudgetDto>, ApiError> {
    daily(&state, BudgetScope::User, &caller.name).await
}

async fn daily(
    state: &AppState,
    scope: BudgetScope,
    subject: &str,
) -> Result<Json<DailyBudgetDto>, ApiError> {
    let standing = state.store.daily_standing(scope, subject, &state.budgets, chrono::Utc::now()).await?;
    Ok(Json(DailyBudgetDto::from(&standing)))
}
