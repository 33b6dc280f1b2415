//! Budgets at work. Three budgets can hold a task: its own (else the configuration's default), the
//! daily budget of its repository and the daily budget of the user who created it. Before each
//! turn a session would start, and after each turn, the task's spending is weighed against each.
//! A line crossed (80%, 100%) is recorded once (once a day for daily budgets); at 100% the session
//! pauses (`paused by budget: …`) instead of prompting its agent. Paused sessions go on by
//! themselves once no budget holds their task: a person raised it, or a new day began (UTC).

use spectask_core::{
    BUDGET_PAUSE, Budget, BudgetDefaults, BudgetLevel, BudgetScope, BudgetUse, PAUSED_BY, SpecTask,
    SpecTaskId, SpecTaskStatus, Timestamp, UsageTotals, WorkSession, WorkSessionCommand,
};
use spectask_store::{BudgetCrossing, DailyCrossing, Store, StoreError};

use crate::dispatch::JobError;
use crate::engine::Ctx;

/// Which budget was weighed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Whose {
    Task(SpecTaskId),
    /// The daily budget of a repository (its id) or a user (the name), on `day`.
    Daily {
        scope: BudgetScope,
        subject: String,
        day: String,
    },
}

/// One budget that holds a task, weighed.
#[derive(Clone, Debug)]
struct BudgetReading {
    whose: Whose,
    budget: Budget,
    spent: UsageTotals,
    used: BudgetUse,
    /// The highest line already told.
    told: Option<BudgetLevel>,
}

impl BudgetReading {
    fn reached(&self) -> bool {
        self.used.level() == BudgetLevel::Reached
    }

    /// Why this budget holds its tasks.
    fn hold(&self) -> BudgetHold {
        let (budget, spent) = (self.budget.describe(), self.spent.describe());
        match &self.whose {
            Whose::Task(task) => BudgetHold {
                why: format!("the task reached its budget of {budget} (spent {spent})"),
                raise: format!("PUT /api/v1/spec-tasks/{task}/budget"),
            },
            Whose::Daily { scope, subject, day } => {
                let (whose, raise) = match scope {
                    BudgetScope::Repository => {
                        ("the repository's".to_owned(), format!("PUT /api/v1/repos/{subject}/budget"))
                    }
                    BudgetScope::User => {
                        (format!("{subject}'s"), format!("`spectask user budget {subject}` (an operator)"))
                    }
                };
                BudgetHold {
                    why: format!(
                        "{whose} daily budget of {budget} is reached for {day} (spent {spent}); the task \
                         goes on when the day ends (UTC) or a person raises it"
                    ),
                    raise,
                }
            }
        }
    }
}

/// Why a budget holds a task's sessions, and how a person lifts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetHold {
    /// Which budget is reached and what was spent.
    pub why: String,
    /// How to raise it: the API call or command.
    pub raise: String,
}

impl BudgetHold {
    /// The reason of a session this hold pauses: `paused by budget: …`.
    pub fn pause_reason(&self) -> String {
        format!("{PAUSED_BY}{BUDGET_PAUSE}: {}", self.why)
    }
}

/// Every budget that limits `task`, weighed at `at`; budgets without a limit are left out.
async fn weigh_all(
    store: &Store,
    defaults: &BudgetDefaults,
    task: &SpecTask,
    at: Timestamp,
) -> Result<Vec<BudgetReading>, StoreError> {
    let mut out = Vec::new();
    let own = store.task_budgets(&[task.id]).await?;
    if own.contains_key(&task.id) || !defaults.task.is_unlimited() {
        let s = store.budget_standing(task.id, &defaults.task).await?;
        if !s.budget.is_unlimited() {
            let whose = Whose::Task(task.id);
            out.push(BudgetReading { whose, budget: s.budget, spent: s.spent, used: s.used, told: s.told });
        }
    }
    out.extend(weigh_daily(store, defaults, &task.repository_id.to_string(), &task.created_by, at).await?);
    Ok(out)
}

/// The daily budgets of a repository (its id) and a user that limit anything, weighed at `at`.
async fn weigh_daily(
    store: &Store,
    defaults: &BudgetDefaults,
    repository: &str,
    user: &str,
    at: Timestamp,
) -> Result<Vec<BudgetReading>, StoreError> {
    let mut out = Vec::new();
    for (scope, subject) in [(BudgetScope::Repository, repository), (BudgetScope::User, user)] {
        if store.daily_budget(scope, subject, defaults).await?.0.is_unlimited() {
            continue;
        }
        let d = store.daily_standing(scope, subject, defaults, at).await?;
        let whose = Whose::Daily { scope, subject: subject.to_owned(), day: d.day };
        out.push(BudgetReading { whose, budget: d.budget, spent: d.spent, used: d.used, told: d.told });
    }
    Ok(out)
}

/// Why `task`'s sessions must not prompt their agents now: the first budget that holds it, if any.
/// Records nothing (the server asks this before a person's Resume).
pub async fn budget_hold(
    store: &Store,
    defaults: &BudgetDefaults,
    task: &SpecTask,
) -> Result<Option<BudgetHold>, StoreError> {
    let weighed = weigh_all(store, defaults, task, chrono::Utc::now()).await?;
    Ok(weighed.iter().find(|w| w.reached()).map(BudgetReading::hold))
}

/// Why no new task of `user` on the repository `repository` may start spending today: the first
/// of their daily budgets that is reached, if any.
pub async fn daily_hold(
    store: &Store,
    defaults: &BudgetDefaults,
    repository: &str,
    user: &str,
) -> Result<Option<BudgetHold>, StoreError> {
    let weighed = weigh_daily(store, defaults, repository, user, chrono::Utc::now()).await?;
    Ok(weighed.iter().find(|w| w.reached()).map(BudgetReading::hold))
}

/// Records the budget lines `task` has newly crossed, and returns why its sessions must pause when
/// a budget that holds it is reached.
pub(crate) async fn weigh(ctx: &Ctx, task: SpecTaskId) -> Result<Option<String>, JobError> {
    let task = ctx.store.spec_task(task).await?;
    let weighed = weigh_all(&ctx.store, &ctx.config.budgets, &task, chrono::Utc::now()).await?;
    for w in &weighed {
        let level = w.used.level();
        for line in [BudgetLevel::Warning, BudgetLevel::Reached] {
            if level >= line && w.told < Some(line) {
                record_crossing(&ctx.store, &task, w, line).await?;
            }
        }
    }
    Ok(weighed.iter().find(|w| w.reached()).map(|w| w.hold().pause_reason()))
}

async fn record_crossing(
    store: &Store,
    task: &SpecTask,
    w: &BudgetReading,
    line: BudgetLevel,
) -> Result<(), StoreError> {
    let (budget, spent) = (w.budget.clone(), w.spent.clone());
    match &w.whose {
        Whose::Task(_) => {
            let crossing = BudgetCrossing { spec_task_id: task.id, level: line, budget, spent };
            store.record_budget_crossing(&crossing).await?;
        }
        Whose::Daily { scope, subject, day } => {
            let crossing = DailyCrossing {
                scope: *scope,
                subject: subject.clone(),
                day: day.clone(),
                level: line,
                budget,
                spent,
                spec_task_id: task.id,
            };
            store.record_daily_crossing(&crossing).await?;
        }
    }
    Ok(())
}

/// Pauses `session` when a budget that holds its task is reached: true when it did (the caller
/// prompts no further turn).
pub(crate) async fn pause_if_spent(ctx: &Ctx, session: &WorkSession) -> Result<bool, JobError> {
    let Some(reason) = weigh(ctx, session.spec_task_id).await? else {
        return Ok(false);
    };
    ctx.store.change_work_session(session.id, &WorkSessionCommand::Interrupt { reason }).await?;
    Ok(true)
}

/// Resumes the sessions a budget paused whose task no budget holds any more (a person raised it,
/// or a daily budget's day ended). Any node may do it: a session another node resumed first is
/// no longer paused and is left alone.
pub(crate) async fn wake(ctx: &Ctx) {
    if let Err(err) = wake_paused(ctx).await {
        tracing::warn!(%err, "cannot resume the sessions a budget paused; trying again shortly");
    }
}

async fn wake_paused(ctx: &Ctx) -> Result<(), StoreError> {
    let paused = ctx.store.sessions_paused_by_budget().await?;
    let mut tasks: Vec<SpecTaskId> = paused.iter().map(|s| s.spec_task_id).collect();
    tasks.sort();
    tasks.dedup();
    for id in tasks {
        let sessions = paused.iter().filter(|s| s.spec_task_id == id);
        // One task's failure leaves the others to be woken.
        if let Err(err) = wake_task(ctx, id, sessions).await {
            tracing::warn!(task = %id, %err, "cannot resume the sessions a budget paused");
        }
    }
    Ok(())
}

/// Resumes `sessions` of the task `id` when it is being implemented and no budget holds it.
async fn wake_task<'a>(
    ctx: &Ctx,
    id: SpecTaskId,
    sessions: impl Iterator<Item = &'a WorkSession>,
) -> Result<(), StoreError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::Implementation
        || budget_hold(&ctx.store, &ctx.config.budgets, &task).await?.is_some()
    {
        return Ok(());
    }
    for session in sessions {
        resume_paused(&ctx.store, session).await?;
    }
    Ok(())
}

/// Resumes a session a budget paused; one that another node or a person resumed first is left
/// as it is.
pub async fn resume_paused(store: &Store, session: &WorkSession) -> Result<(), StoreError> {
    match store.change_work_session(session.id, &WorkSessionCommand::Resume).await {
        Ok(_) => {
            tracing::info!(session = %session.id, "resumed: no budget holds its task any more");
            Ok(())
        }
        Err(StoreError::Transition(_) | StoreError::Conflict { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}
