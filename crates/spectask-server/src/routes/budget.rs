//! A task's budget: set by a person (a recorded decision), which resumes the sessions the budget
//! paused once the task is back under it.

use axum::Json;
use axum::extract::State;
use spectask_core::{BUDGET_PAUSE, BudgetLevel, PAUSED_BY, WorkSessionCommand, WorkSessionState};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::spec_tasks::{load, task_dto};
use crate::dto::{BudgetBody, SpecTaskDto};
use crate::extract::{ApiJson, ApiPath};
use crate::params::TaskPath;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_budget))
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
    if level < BudgetLevel::Reached {
        for session in state.store.work_sessions_of(task.id).await? {
            if paused_by_budget(&session.state) {
                state.store.change_work_session(session.id, &WorkSessionCommand::Resume).await?;
            }
        }
    }
    let task = state.store.spec_task(task.id).await?;
    task_dto(&state, &task).await.map(Json)
}

/// A session its task's budget paused.
pub(crate) fn paused_by_budget(state: &WorkSessionState) -> bool {
    matches!(state, WorkSessionState::Interrupted { reason }
        if reason.strip_prefix(PAUSED_BY).is_some_and(|r| r.starts_with(BUDGET_PAUSE)))
}
