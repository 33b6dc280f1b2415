//! Budgets set by people: a task's (a recorded decision in its log) and a repository's daily budget
//! (kept with who set it, at most the configuration's). Either resumes the sessions a budget paused
//! once no budget holds their task.

use spectask_core::{Budget, BudgetDefaults, BudgetScope, Repository, SpecTask, SpecTaskStatus};
use spectask_store::{Store, StoreError};

use super::{budget_hold, release};

/// Why a budget was not set.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The task ended: its budget no longer matters.
    #[error("task {handle} is {status}: its budget no longer matters")]
    Ended { handle: String, status: SpecTaskStatus },
    /// A repository's daily budget past the configuration's (`ceiling`, described).
    #[error(
        "a repository's daily budget is at most the configuration's, {ceiling} a day ([budget] \
         repository_daily_tokens and repository_daily_cost, set by an operator)"
    )]
    OverCeiling { ceiling: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sets `task`'s budget as `by` asks, recorded in its log with the line its spending stands at,
/// and resumes its sessions a budget paused when none holds it now. Returns the task as it now is.
/// `budget` is as the request gave it: its error is the answer, once the task is known to be
/// going on.
pub async fn set_task_budget<E: From<BudgetError>>(
    store: &Store,
    defaults: &BudgetDefaults,
    task: &SpecTask,
    budget: Result<Budget, E>,
    by: &str,
) -> Result<SpecTask, E> {
    if task.state.is_terminal() {
        return Err(BudgetError::Ended { handle: task.handle(), status: task.status() }.into());
    }
    let budget = budget?;
    Ok(set_open_task_budget(store, defaults, task, &budget, by).await?)
}

async fn set_open_task_budget(
    store: &Store,
    defaults: &BudgetDefaults,
    task: &SpecTask,
    budget: &Budget,
    by: &str,
) -> Result<SpecTask, BudgetError> {
    let spent = store.task_usage(task.id).await?.totals();
    let level = budget.use_of(&spent).level();
    store.set_task_budget(task.id, budget, by, level).await?;
    resume_unheld(store, defaults, task).await?;
    Ok(store.spec_task(task.id).await?)
}

/// Sets `repository`'s daily budget as `by` asks (at most the configuration's), and resumes the
/// sessions a budget paused in its tasks that no budget holds now.
pub async fn set_repository_budget(
    store: &Store,
    defaults: &BudgetDefaults,
    repository: &Repository,
    budget: &Budget,
    by: &str,
) -> Result<(), BudgetError> {
    let ceiling = &defaults.repository_daily;
    if budget.exceeds(ceiling) {
        return Err(BudgetError::OverCeiling { ceiling: ceiling.describe() });
    }
    let subject = repository.id.to_string();
    let spent = store.daily_spent(BudgetScope::Repository, &subject, chrono::Utc::now()).await?;
    let level = budget.use_of(&spent).level();
    store.set_daily_budget(BudgetScope::Repository, &subject, budget, by, level).await?;
    let mut tasks: Vec<_> = store.sessions_paused_by_budget().await?.iter().map(|s| s.spec_task_id).collect();
    tasks.extend(store.budget_held_tasks().await?.iter().map(|h| h.spec_task_id));
    tasks.sort();
    tasks.dedup();
    for task in tasks {
        let task = store.spec_task(task).await?;
        if task.repository_id == repository.id {
            resume_unheld(store, defaults, &task).await?;
        }
    }
    Ok(())
}

/// Resumes the sessions of `task` a budget paused, when no budget holds it any more.
async fn resume_unheld(store: &Store, defaults: &BudgetDefaults, task: &SpecTask) -> Result<(), StoreError> {
    if budget_hold(store, defaults, task).await?.is_some() {
        return Ok(());
    }
    let sessions = store.work_sessions_of(task.id).await?;
    let paused = sessions.iter().filter(|s| s.state.is_paused_by_budget());
    release(store, task, paused).await
}
