//! Budgets: a task's own budget (`task_budgets`; a task without one follows the configuration's
//! default) and the budget lines it has crossed (`budget_alerts`: each line is told once, in the
//! task's coordination log and as a `spec_task.budget` event, which the recorder mirrors to git).

use std::collections::HashMap;

use spectask_core::events::payload::{BudgetAmount, BudgetNews, SpecTaskBudget};
use spectask_core::{Budget, BudgetLevel, CoordinationKind, Money, SpecTaskId, Timestamp, UsageTotals};

use crate::database::codec::{get, millis, now, parse, time};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::history::coordination::NewCoordination;
use crate::{Store, StoreError};

/// A budget a person set for one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskBudget {
    pub budget: Budget,
    pub set_by: String,
    pub set_at: Timestamp,
}

/// A budget line a task crossed, to record once.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetCrossing {
    pub spec_task_id: SpecTaskId,
    /// `Warning` or `Reached`.
    pub level: BudgetLevel,
    pub budget: Budget,
    pub spent: UsageTotals,
}

impl Store {
    /// The budgets people set for `tasks` (tasks without one are absent).
    pub async fn task_budgets(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<HashMap<SpecTaskId, TaskBudget>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT spec_task_id, tokens, cost_micros, currency, set_by, set_at FROM task_budgets \
                 WHERE spec_task_id IN ({ids})"
            )
        })
        .await?;
        let mut out = HashMap::new();
        for row in &rows {
            let entry = TaskBudget {
                budget: budget_from_row(row)?,
                set_by: get(row, "set_by")?,
                set_at: time(row, "set_at")?,
            };
            out.insert(parse(row, "spec_task_id")?, entry);
        }
        Ok(out)
    }

    /// The highest budget line each of `tasks` has crossed and was told of (absent: none).
    pub async fn budget_alerts(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<HashMap<SpecTaskId, BudgetLevel>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!("SELECT spec_task_id, level FROM budget_alerts WHERE spec_task_id IN ({ids})")
        })
        .await?;
        let mut out: HashMap<SpecTaskId, BudgetLevel> = HashMap::new();
        for row in &rows {
            let level: BudgetLevel = parse(row, "level")?;
            let task: SpecTaskId = parse(row, "spec_task_id")?;
            let highest = out.entry(task).or_insert(level);
            *highest = (*highest).max(level);
        }
        Ok(out)
    }

    /// Records that a task crossed a budget line, once: true when this call recorded it (its
    /// coordination entry and its `spec_task.budget` event), false when it was known already.
    pub async fn record_budget_crossing(&self, crossing: &BudgetCrossing) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO budget_alerts (spec_task_id, level, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(crossing.spec_task_id.to_string())
        .bind(crossing.level.as_str())
        .bind(millis(at))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        let message = match crossing.level {
            BudgetLevel::Reached => format!(
                "the task reached its budget of {}: its sessions pause after their turn until a person \
                 raises the budget or cancels the task (spent {})",
                crossing.budget.describe(),
                crossing.spent.describe()
            ),
            _ => format!(
                "the task used 80% of its budget of {} (spent {})",
                crossing.budget.describe(),
                crossing.spent.describe()
            ),
        };
        let payload = SpecTaskBudget {
            level: crossing.level.into(),
            scope: None,
            subject: None,
            day: None,
            budget: budget_amount(&crossing.budget),
            spent: Some(spent_amount(&crossing.spent)),
            by: None,
            message: message.clone(),
        };
        budget_news(&mut w, crossing.spec_task_id, message, payload, at).await?;
        w.commit().await?;
        Ok(true)
    }

    /// A person sets a task's budget (a recorded decision: the coordination log and a
    /// `spec_task.budget` event with `level: raised`); the lines the task is now back under are
    /// cleared so they are told again when crossed again.
    pub async fn set_task_budget(
        &self,
        task: SpecTaskId,
        budget: &Budget,
        by: &str,
        now_at: BudgetLevel,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        let at = now();
        write_budget(&mut w, task, budget, by, at).await?;
        for level in [BudgetLevel::Warning, BudgetLevel::Reached].into_iter().filter(|l| *l > now_at) {
            sqlx::query("DELETE FROM budget_alerts WHERE spec_task_id = $1 AND level = $2")
                .bind(task.to_string())
                .bind(level.as_str())
                .execute(&mut *w.tx)
                .await?;
        }
        let message = format!("{by} set the task's budget to {}", budget.describe());
        let payload = SpecTaskBudget {
            level: BudgetNews::Raised,
            scope: None,
            subject: None,
            day: None,
            budget: budget_amount(budget),
            spent: None,
            by: Some(by.to_owned()),
            message: message.clone(),
        };
        budget_news(&mut w, task, message, payload, at).await?;
        w.commit().await
    }
}

/// Writes a task's budget in a larger write (its creation, or a person's change).
pub(crate) async fn write_budget(
    w: &mut WriteTx<'_>,
    task: SpecTaskId,
    budget: &Budget,
    by: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO task_budgets (spec_task_id, tokens, cost_micros, currency, set_by, set_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (spec_task_id) DO UPDATE SET \
         tokens = excluded.tokens, cost_micros = excluded.cost_micros, currency = excluded.currency, \
         set_by = excluded.set_by, set_at = excluded.set_at",
    )
    .bind(task.to_string())
    .bind(budget.tokens.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
    .bind(budget.cost.as_ref().map(|m| m.micros))
    .bind(budget.cost.as_ref().map(|m| m.currency.clone()))
    .bind(by)
    .bind(millis(at))
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// The coordination entry (which goes to git) and the outbox event of budget news.
pub(crate) async fn budget_news(
    w: &mut WriteTx<'_>,
    task: SpecTaskId,
    message: String,
    payload: SpecTaskBudget,
    at: Timestamp,
) -> Result<(), StoreError> {
    let data = serde_json::to_value(&payload)
        .map_err(|e| StoreError::corrupt(format!("cannot encode budget news: {e}")))?;
    w.record_coordination(NewCoordination {
        spec_task_id: task,
        kind: CoordinationKind::Budget,
        from_session: None,
        to_session: None,
        message,
        data,
    })
    .await?;
    w.append_event(NewEvent { spec_task_id: Some(task), work_session_id: None, payload, at }).await?;
    Ok(())
}

/// The budget a row's `tokens`, `cost_micros` and `currency` columns hold.
pub(crate) fn budget_from_row(row: &sqlx::any::AnyRow) -> Result<Budget, StoreError> {
    let tokens: Option<i64> = get(row, "tokens")?;
    let micros: Option<i64> = get(row, "cost_micros")?;
    let currency: Option<String> = get(row, "currency")?;
    Ok(Budget {
        tokens: tokens.map(|t| t.max(0) as u64),
        cost: micros.zip(currency).map(|(micros, currency)| Money { micros, currency }),
    })
}

pub(crate) fn budget_amount(budget: &Budget) -> BudgetAmount {
    BudgetAmount {
        tokens: budget.tokens,
        cost_micros: budget.cost.as_ref().map(|m| m.micros),
        currency: budget.cost.as_ref().map(|m| m.currency.clone()),
    }
}

pub(crate) fn spent_amount(spent: &UsageTotals) -> BudgetAmount {
    BudgetAmount {
        tokens: Some(spent.tokens.input_tokens.saturating_add(spent.tokens.output_tokens)),
        cost_micros: spent.cost.as_ref().map(|m| m.micros),
        currency: spent.cost.as_ref().map(|m| m.currency.clone()),
    }
}

/// Where a task stands against its budget: the budget that holds (its own, else the default), what
/// it spent, how far that got, and the highest line it was told of.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetStanding {
    pub budget: Budget,
    /// The budget a person set for the task; `None`: the configuration's default holds.
    pub own: Option<TaskBudget>,
    pub spent: UsageTotals,
    pub used: spectask_core::BudgetUse,
    pub told: Option<BudgetLevel>,
    /// The budget that stops the task now (its own or a daily one), when one does.
    pub hold: Option<crate::BudgetHoldRecord>,
}

impl Store {
    /// How each of `tasks` stands against its budget, `default` standing for tasks without their
    /// own, with the budget hold of each; in a fixed number of queries.
    pub async fn budget_standings(
        &self,
        tasks: &[SpecTaskId],
        default: &Budget,
    ) -> Result<HashMap<SpecTaskId, BudgetStanding>, StoreError> {
        let (mut own, mut told, mut usage, mut holds) = (
            self.task_budgets(tasks).await?,
            self.budget_alerts(tasks).await?,
            self.usage_of_tasks(tasks).await?,
            self.budget_holds(tasks).await?,
        );
        let mut out = HashMap::new();
        for task in tasks {
            let own = own.remove(task);
            let budget = own.as_ref().map_or_else(|| default.clone(), |o| o.budget.clone());
            let spent = usage.remove(task).unwrap_or_default().totals();
            let used = budget.use_of(&spent);
            let (told, hold) = (told.remove(task), holds.remove(task));
            out.insert(*task, BudgetStanding { budget, own, spent, used, told, hold });
        }
        Ok(out)
    }

    /// How one task stands against its budget.
    pub async fn budget_standing(
        &self,
        task: SpecTaskId,
        default: &Budget,
    ) -> Result<BudgetStanding, StoreError> {
        self.budget_standings(&[task], default)
            .await?
            .remove(&task)
            .ok_or_else(|| StoreError::NotFound { entity: "spec task", reference: task.to_string() })
    }
}
