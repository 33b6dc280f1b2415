//! Budgets at work. Three budgets can hold a task: its own (else the configuration's default), the
//! daily budget of its repository and the daily budget of the user who created it. Before each
//! turn a session would start, and after each turn, the task's spending is weighed against each.
//! A line crossed (80%, 100%) is recorded once (once a day for daily budgets); at 100% the session
//! pauses (`paused by budget: …`) instead of prompting its agent. Paused sessions go on by
//! themselves once no budget holds their task: a person raised it (`setting`), or a new day began
//! (UTC).

use spectask_core::{
    Budget, BudgetDefaults, BudgetHold, BudgetLevel, BudgetScope, BudgetUse, PriceTable, SpecTask,
    SpecTaskId, SpecTaskStatus, Timestamp, TurnMeter, UsageTotals, WorkSession, WorkSessionCommand,
};
use spectask_store::{BudgetCrossing, BudgetsSet, DailyCrossing, Store, StoreError};

use crate::ctx::Ctx;
use crate::job_error::JobError;

mod setting;

pub use self::setting::{BudgetError, set_repository_budget, set_task_budget};

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
                scope: None,
                subject: task.to_string(),
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
                    scope: Some(*scope),
                    subject: subject.clone(),
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

/// The budgets that hold a task, weighed as one of its turns starts: the turn is weighed with them
/// at each of its agent's usage updates, and stopped at the one that reaches a limit.
pub(crate) struct TurnCap {
    readings: Vec<BudgetReading>,
    /// The agent's model, to price the turn's tokens when its agent reports no cost.
    model: Option<String>,
}

impl TurnCap {
    /// The hold of the first budget the turn so far (`meter`) takes to its limit, saying how far
    /// over it went: at most what the last usage update added.
    pub(crate) fn crossed(&self, meter: &TurnMeter, prices: &PriceTable) -> Option<BudgetHold> {
        let turn = meter.so_far(|tokens| prices.cost(self.model.as_deref(), tokens));
        let mut hold = self.reached(&turn)?;
        hold.why = format!(
            "{} while a turn ran: the turn was cancelled at the usage update that reached it, which \
             added {} tokens",
            hold.why,
            meter.last_step()
        );
        Some(hold)
    }

    /// The hold of the first budget that `more` spending, on top of what was spent as the cap was
    /// taken, takes to its limit.
    pub(crate) fn reached(&self, more: &UsageTotals) -> Option<BudgetHold> {
        self.readings.iter().find_map(|reading| {
            let spent = reading.spent.plus(more);
            let used = reading.budget.use_of(&spent);
            if used.level() != BudgetLevel::Reached {
                return None;
            }
            Some(BudgetReading { spent, used, ..reading.clone() }.hold())
        })
    }
}

/// The budgets that limit `task` as a turn of its starts, for the turn to be weighed with as it
/// runs; `None` when nothing limits it.
pub(crate) async fn cap(
    ctx: &Ctx,
    task: SpecTaskId,
    model: Option<String>,
) -> Result<Option<TurnCap>, JobError> {
    let task = ctx.store.spec_task(task).await?;
    let readings = weigh_all(&ctx.store, &ctx.config.budgets, &task, chrono::Utc::now()).await?;
    Ok((!readings.is_empty()).then_some(TurnCap { readings, model }))
}

/// Every budget that limits `task`, weighed at `at`; budgets without a limit are left out.
async fn weigh_all(
    store: &Store,
    defaults: &BudgetDefaults,
    task: &SpecTask,
    at: Timestamp,
) -> Result<Vec<BudgetReading>, StoreError> {
    let repository = task.repository_id.to_string();
    // One read says which budgets are set; with none set and no default limit, nothing more.
    let set = store.budgets_set(Some(task.id), &repository, &task.created_by).await?;
    // Apart from each other, so at once: the task's own budget and the daily ones (a turn's start
    // waits for them).
    let (own, daily) = tokio::join!(
        weigh_task(store, defaults, task.id, &set),
        weigh_daily(store, defaults, (&repository, &task.created_by), &set, at)
    );
    let mut out: Vec<BudgetReading> = own?.into_iter().collect();
    out.extend(daily?);
    Ok(out)
}

/// The task's own budget (else the configuration's default) when it limits anything, weighed now.
async fn weigh_task(
    store: &Store,
    defaults: &BudgetDefaults,
    task: SpecTaskId,
    set: &BudgetsSet,
) -> Result<Option<BudgetReading>, StoreError> {
    if set.task.as_ref().unwrap_or(&defaults.task).is_unlimited() {
        return Ok(None);
    }
    let s = store.budget_standing(task, &defaults.task).await?;
    let whose = Whose::Task(task);
    Ok((!s.budget.is_unlimited()).then_some(BudgetReading {
        whose,
        budget: s.budget,
        spent: s.spent,
        used: s.used,
        told: s.told,
    }))
}

/// The daily budgets of a repository (its id) and a user that limit anything, weighed at `at`.
async fn weigh_daily(
    store: &Store,
    defaults: &BudgetDefaults,
    (repository, user): (&str, &str),
    set: &BudgetsSet,
    at: Timestamp,
) -> Result<Vec<BudgetReading>, StoreError> {
    // The repository's and the user's, at once.
    let (repository, user) = tokio::join!(
        weigh_one_daily(store, defaults, (BudgetScope::Repository, repository), set, at),
        weigh_one_daily(store, defaults, (BudgetScope::User, user), set, at)
    );
    Ok(repository?.into_iter().chain(user?).collect())
}

/// The daily budget of `subject` in `scope` when it limits anything, weighed at `at`.
async fn weigh_one_daily(
    store: &Store,
    defaults: &BudgetDefaults,
    (scope, subject): (BudgetScope, &str),
    set: &BudgetsSet,
    at: Timestamp,
) -> Result<Option<BudgetReading>, StoreError> {
    if set.daily(scope).unwrap_or_else(|| defaults.daily(scope)).is_unlimited() {
        return Ok(None);
    }
    let d = store.daily_standing(scope, subject, defaults, at).await?;
    let whose = Whose::Daily { scope, subject: subject.to_owned(), day: d.day };
    Ok(Some(BudgetReading { whose, budget: d.budget, spent: d.spent, used: d.used, told: d.told }))
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
    let set = store.budgets_set(None, repository, user).await?;
    let weighed = weigh_daily(store, defaults, (repository, user), &set, chrono::Utc::now()).await?;
    Ok(weighed.iter().find(|w| w.reached()).map(BudgetReading::hold))
}

/// Records the budget lines `task` has newly crossed, and returns the budget that holds it when
/// one is reached.
pub(crate) async fn weigh(ctx: &Ctx, task: SpecTaskId) -> Result<Option<BudgetHold>, JobError> {
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
    Ok(weighed.iter().find(|w| w.reached()).map(BudgetReading::hold))
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
    let Some(hold) = weigh(ctx, session.spec_task_id).await? else {
        return Ok(false);
    };
    // The pause and the hold in one write: a task paused by a budget says so, whichever budget.
    ctx.store.pause_for_budget(session.id, &hold).await?;
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
    // The tasks a hold is on record for, and those with sessions a budget paused before holds were
    // recorded.
    let held = ctx.store.budget_held_tasks().await?;
    let mut tasks: Vec<SpecTaskId> = held.iter().map(|h| h.spec_task_id).collect();
    tasks.extend(paused.iter().map(|s| s.spec_task_id));
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

/// Lets the task `id` go on when no budget holds it any more (see [`release`]); a task that ended
/// only loses its hold.
async fn wake_task<'a>(
    ctx: &Ctx,
    id: SpecTaskId,
    sessions: impl Iterator<Item = &'a WorkSession>,
) -> Result<(), StoreError> {
    let task = ctx.store.spec_task(id).await?;
    if !task.state.is_terminal() && budget_hold(&ctx.store, &ctx.config.budgets, &task).await?.is_some() {
        return Ok(());
    }
    release(&ctx.store, &task, sessions).await
}

/// No budget holds `task` any more: its hold goes, its planning is queued again when the hold put
/// it off, and its `sessions` a budget paused resume when it is being implemented.
pub async fn release<'a>(
    store: &Store,
    task: &SpecTask,
    sessions: impl Iterator<Item = &'a WorkSession>,
) -> Result<(), StoreError> {
    let plan_again = task.status() == SpecTaskStatus::SpecGeneration;
    store.release_budget_hold(task.id, plan_again).await?;
    if task.status() == SpecTaskStatus::Implementation {
        for session in sessions {
            resume_paused(store, session).await?;
        }
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
