//! Which budgets people set for a task, its repository and its owner, in one read: a turn's
//! budgets are weighed as it starts and as it ends, and most tasks have none set (the
//! configuration's defaults hold), so what else is read depends on this.

use spectask_core::{Budget, BudgetScope, SpecTaskId};

use crate::database::codec::get;
use crate::spending::budgets::budget_from_row;
use crate::{Store, StoreError};

/// The budgets people set (`None`: none is set, the configuration's default holds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BudgetsSet {
    /// The task's own budget.
    pub task: Option<Budget>,
    /// The repository's daily budget.
    pub repository: Option<Budget>,
    /// The owner's daily budget.
    pub user: Option<Budget>,
}

impl BudgetsSet {
    /// The daily budget set in `scope`.
    pub fn daily(&self, scope: BudgetScope) -> Option<&Budget> {
        match scope {
            BudgetScope::Repository => self.repository.as_ref(),
            BudgetScope::User => self.user.as_ref(),
        }
    }
}

impl Store {
    /// The budgets set for `task` (when given), the daily one of `repository` (its id) and that of
    /// `user`, in one statement.
    pub async fn budgets_set(
        &self,
        task: Option<SpecTaskId>,
        repository: &str,
        user: &str,
    ) -> Result<BudgetsSet, StoreError> {
        let rows = sqlx::query(
            "SELECT 'task' AS whose, tokens, cost_micros, currency FROM task_budgets WHERE spec_task_id = $1 \
             UNION ALL SELECT scope AS whose, tokens, cost_micros, currency FROM daily_budgets \
             WHERE (scope = $2 AND subject = $3) OR (scope = $4 AND subject = $5)",
        )
        .bind(task.map(|t| t.to_string()))
        .bind(BudgetScope::Repository.as_str())
        .bind(repository)
        .bind(BudgetScope::User.as_str())
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        let mut set = BudgetsSet::default();
        for row in &rows {
            let budget = budget_from_row(row)?;
            let whose: String = get(row, "whose")?;
            let slot = match whose.as_str() {
                "task" => &mut set.task,
                w if w == BudgetScope::Repository.as_str() => &mut set.repository,
                w if w == BudgetScope::User.as_str() => &mut set.user,
                other => return Err(StoreError::corrupt(format!("daily budget scope {other}"))),
            };
            *slot = Some(budget);
        }
        Ok(set)
    }
}
