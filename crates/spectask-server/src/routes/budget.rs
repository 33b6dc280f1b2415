//! Budgets set by people: a task's (a recorded decision in its log) and a repository's daily budget
//! (kept with who set it); either resumes the sessions a budget paused once no budget holds their
//! task. A user's daily budget is an operator's to set (`spectask user budget`); each user can read
//! where they stand.

use axum::Json;
use axum::extract::State;
use spectask_core::{BudgetScope, SpecTask};
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
    if task.state.is_terminal() {
        return Err(ApiError::conflict(
            "illegal_transition",
            format!("task {} is {}: its budget no longer matters", task.handle(), task.status()),
        ));
    }
    let budget = body.budget()?;
    let spent = state.store.task_usage(task.id).await?.totals();
    let level = budget.use_of(&spent).level();
    state.store.set_task_budget(task.id, &budget, &caller.name, level).await?;
    resume_unheld(&state, &task).await?;
    let task = state.store.spec_task(task.id).await?;
    task_dto(&state, &task).await.map(Json)
}

/// Resumes the sessions of `task` a budget paused, when no budget holds it any more.
pub(crate) async fn resume_unheld(state: &AppState, task: &SpecTask) -> Result<(), ApiError> {
    if spectask_orchestrator::budget_hold(&state.store, &state.budgets, task).await?.is_some() {
        return Ok(());
    }
    let sessions = state.store.work_sessions_of(task.id).await?;
    let paused = sessions.iter().filter(|s| s.state.is_paused_by_budget());
    spectask_orchestrator::release_budget_hold(&state.store, task, paused).await?;
    Ok(())
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
    let ceiling = &state.budgets.repository_daily;
    if budget.exceeds(ceiling) {
        return Err(ApiError::bad_request(
            "invalid_budget",
            format!(
                "a repository's daily budget is at most the configuration's, {} a day ([budget] \
                 repository_daily_tokens and repository_daily_cost, set by an operator)",
                ceiling.describe()
            ),
        ));
    }
    let subject = repository.id.to_string();
    let spent = state.store.daily_spent(BudgetScope::Repository, &subject, chrono::Utc::now()).await?;
    let level = budget.use_of(&spent).level();
    state.store.set_daily_budget(BudgetScope::Repository, &subject, &budget, &caller.name, level).await?;
    let mut tasks: Vec<_> =
        state.store.sessions_paused_by_budget().await?.iter().map(|s| s.spec_task_id).collect();
    tasks.extend(state.store.budget_held_tasks().await?.iter().map(|h| h.spec_task_id));
    tasks.sort();
    tasks.dedup();
    for task in tasks {
        let task = state.store.spec_task(task).await?;
        if task.repository_id == repository.id {
            resume_unheld(&state, &task).await?;
        }
    }
    daily(&state, BudgetScope::Repository, &subject).await
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
