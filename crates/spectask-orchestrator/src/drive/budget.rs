//! Budgets at work: before each turn a session would start, its task's spending is weighed against
//! the task's budget (its own, else the configuration's default). A line crossed (80%, 100%) is
//! recorded once; at 100% the session pauses (`paused by budget: …`) instead of prompting its
//! agent, and waits for a person to raise the budget (which resumes it) or cancel the task.

use spectask_core::{BUDGET_PAUSE, BudgetLevel, PAUSED_BY, SpecTaskId, WorkSession, WorkSessionCommand};
use spectask_store::BudgetCrossing;

use crate::dispatch::JobError;
use crate::engine::Ctx;

/// Records the budget lines `task` has newly crossed, and returns why its sessions must pause when
/// it has reached its budget.
pub(crate) async fn weigh(ctx: &Ctx, task: SpecTaskId) -> Result<Option<String>, JobError> {
    let standing = ctx.store.budget_standing(task, &ctx.config.default_budget).await?;
    if standing.budget.is_unlimited() {
        return Ok(None);
    }
    let level = standing.used.level();
    for line in [BudgetLevel::Warning, BudgetLevel::Reached] {
        if level >= line && standing.told < Some(line) {
            let crossing = BudgetCrossing {
                spec_task_id: task,
                level: line,
                budget: standing.budget.clone(),
                spent: standing.spent.clone(),
            };
            ctx.store.record_budget_crossing(&crossing).await?;
        }
    }
    Ok((level == BudgetLevel::Reached).then(|| {
        format!(
            "{PAUSED_BY}{BUDGET_PAUSE}: the task reached its budget of {} (spent {})",
            standing.budget.describe(),
            standing.spent.describe()
        )
    }))
}

/// Pauses `session` when its task has reached its budget: true when it did (the caller prompts no
/// further turn).
pub(crate) async fn pause_if_spent(ctx: &Ctx, session: &WorkSession) -> Result<bool, JobError> {
    let Some(reason) = weigh(ctx, session.spec_task_id).await? else {
        return Ok(false);
    };
    ctx.store.change_work_session(session.id, &WorkSessionCommand::Interrupt { reason }).await?;
    Ok(true)
}
