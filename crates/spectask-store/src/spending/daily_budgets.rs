//! Daily budgets: what every task of one repository, or every task one user created, may spend in
//! a day (UTC). `daily_budgets` holds the budgets people set (without one the configuration's
//! default holds); `daily_budget_alerts` the lines crossed, each told once a day, in the log of the
//! task whose turn crossed it. A day's spending is the ledger's entries of that day: a cost an agent
//! reports for its whole thread cannot be split into days, so money counts through the price table.

use spectask_core::{
    Budget, BudgetDefaults, BudgetLevel, BudgetScope, BudgetUse, SpecTaskId, Timestamp, UsagePart,
    UsageTotals, WorkSession, budget_day, budget_day_start,
};

use crate::database::codec::{get, millis, now, time};
use crate::spending::budgets::{TaskBudget, budget_amount, budget_from_row, budget_news, spent_amount};
use crate::spending::usage::add_entries;
use crate::{Store, StoreError};
use spectask_core::events::payload::SpecTaskBudget;

/// Where a repository or a user stands against its daily budget on one day.
#[derive(Clone, Debug, PartialEq)]
pub struct DailyStanding {
    pub scope: BudgetScope,
    /// The repository's id or the user's name.
    pub subject: String,
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub budget: Budget,
    /// The budget a person set; `None`: the configuration's default holds.
    pub own: Option<TaskBudget>,
    pub spent: UsageTotals,
    pub used: BudgetUse,
    /// The highest line crossed that day and told.
    pub told: Option<BudgetLevel>,
}

/// A daily budget line crossed by a turn of `spec_task_id`, to record once that day.
#[derive(Clone, Debug, PartialEq)]
pub struct DailyCrossing {
    pub scope: BudgetScope,
    pub subject: String,
    pub day: String,
    /// `Warning` or `Reached`.
    pub level: BudgetLevel,
    pub budget: Budget,
    pub spent: UsageTotals,
    pub spec_task_id: SpecTaskId,
}

impl DailyCrossing {
    /// `the repository's daily budget` / `ada's daily budget`, for messages.
    fn whose(&self) -> String {
        match self.scope {
            BudgetScope::Repository => "the repository's daily budget".to_owned(),
            BudgetScope::User => format!("{}'s daily budget", self.subject),
        }
    }
}

impl Store {
    /// The daily budget of a repository (`subject` its id) or user (`subject` the name): a
    /// person's, else `defaults`'; with the person's setting when there is one.
    pub async fn daily_budget(
        &self,
        scope: BudgetScope,
        subject: &str,
        defaults: &BudgetDefaults,
    ) -> Result<(Budget, Option<TaskBudget>), StoreError> {
        let row = sqlx::query(
            "SELECT tokens, cost_micros, currency, set_by, set_at FROM daily_budgets \
             WHERE scope = $1 AND subject = $2",
        )
        .bind(scope.as_str())
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok((defaults.daily(scope).clone(), None));
        };
        let budget = budget_from_row(&row)?;
        let own = TaskBudget {
            budget: budget.clone(),
            set_by: get(&row, "set_by")?,
            set_at: time(&row, "set_at")?,
        };
        Ok((budget, Some(own)))
    }

    /// What every task of the repository or user together spent on the day `at` falls in. Its
    /// cost is what was priced (a lower bound when some entries were not): a money limit holds
    /// whatever the price table lacks.
    pub async fn daily_spent(
        &self,
        scope: BudgetScope,
        subject: &str,
        at: Timestamp,
    ) -> Result<UsageTotals, StoreError> {
        let column = match scope {
            BudgetScope::Repository => "t.repository_id",
            BudgetScope::User => "t.created_by",
        };
        let sql = format!(
            "SELECT currency, {SUM} FROM usage_entries u JOIN spec_tasks t ON t.id = u.spec_task_id \
             WHERE {column} = $1 AND u.at >= $2 AND u.at < $3 GROUP BY currency",
            SUM = crate::spending::usage::SUM
        );
        let start = budget_day_start(at);
        let rows = sqlx::query(crate::database::connect::fixed_sql(sql))
            .bind(subject)
            .bind(millis(start))
            .bind(millis(start + chrono::Duration::days(1)))
            .fetch_all(&self.pool)
            .await?;
        let mut part = UsagePart::default();
        for row in &rows {
            add_entries(&mut part, row)?;
        }
        if part.priced.is_some() {
            // What was priced counts; the unpriced rest counts by its tokens.
            part.unpriced = 0;
        }
        Ok(UsageTotals::sum([&part]))
    }

    /// Where the repository or user stands against its daily budget on the day `at` falls in.
    pub async fn daily_standing(
        &self,
        scope: BudgetScope,
        subject: &str,
        defaults: &BudgetDefaults,
        at: Timestamp,
    ) -> Result<DailyStanding, StoreError> {
        let (budget, own) = self.daily_budget(scope, subject, defaults).await?;
        let spent = self.daily_spent(scope, subject, at).await?;
        let day = budget_day(at);
        let rows = sqlx::query(
            "SELECT level FROM daily_budget_alerts WHERE scope = $1 AND subject = $2 AND day = $3",
        )
        .bind(scope.as_str())
        .bind(subject)
        .bind(&day)
        .fetch_all(&self.pool)
        .await?;
        let mut told = None;
        for row in &rows {
            let level: BudgetLevel = crate::database::codec::parse(row, "level")?;
            told = told.max(Some(level));
        }
        let used = budget.use_of(&spent);
        Ok(DailyStanding { scope, subject: subject.to_owned(), day, budget, own, spent, used, told })
    }

    /// Records that a repository or user crossed a daily budget line, once that day: true when this
    /// call recorded it (in the log of the task whose turn crossed it, with a `spec_task.budget`
    /// event), false when it was known already.
    pub async fn record_daily_crossing(&self, crossing: &DailyCrossing) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO daily_budget_alerts (scope, subject, day, level, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(crossing.scope.as_str())
        .bind(&crossing.subject)
        .bind(&crossing.day)
        .bind(crossing.level.as_str())
        .bind(millis(at))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        let whose = crossing.whose();
        let (budget, spent) = (crossing.budget.describe(), crossing.spent.describe());
        let message = match crossing.level {
            BudgetLevel::Reached => format!(
                "{whose} of {budget} is reached for {} (spent {spent}): its tasks' sessions pause after \
                 their turn until a person raises it or the day ends (UTC)",
                crossing.day
            ),
            _ => format!("80% of {whose} of {budget} is used for {} (spent {spent})", crossing.day),
        };
        let payload = SpecTaskBudget {
            level: crossing.level.into(),
            scope: Some(crossing.scope),
            subject: Some(crossing.subject.clone()),
            day: Some(crossing.day.clone()),
            budget: budget_amount(&crossing.budget),
            spent: Some(spent_amount(&crossing.spent)),
            by: None,
            message: message.clone(),
        };
        budget_news(&mut w, crossing.spec_task_id, message, payload, at).await?;
        w.commit().await?;
        Ok(true)
    }

    /// A person sets the daily budget of a repository or user (who and when are kept with it);
    /// `today`'s lines the spending is now back under are cleared so they are told again when
    /// crossed again.
    pub async fn set_daily_budget(
        &self,
        scope: BudgetScope,
        subject: &str,
        budget: &Budget,
        by: &str,
        now_at: BudgetLevel,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "INSERT INTO daily_budgets (scope, subject, tokens, cost_micros, currency, set_by, set_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, subject) DO UPDATE SET \
             tokens = excluded.tokens, cost_micros = excluded.cost_micros, currency = excluded.currency, \
             set_by = excluded.set_by, set_at = excluded.set_at",
        )
        .bind(scope.as_str())
        .bind(subject)
        .bind(budget.tokens.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
        .bind(budget.cost.as_ref().map(|m| m.micros))
        .bind(budget.cost.as_ref().map(|m| m.currency.clone()))
        .bind(by)
        .bind(millis(at))
        .execute(&mut *w.tx)
        .await?;
        for level in [BudgetLevel::Warning, BudgetLevel::Reached].into_iter().filter(|l| *l > now_at) {
            sqlx::query(
                "DELETE FROM daily_budget_alerts WHERE scope = $1 AND subject = $2 AND day = $3 AND level = $4",
            )
            .bind(scope.as_str())
            .bind(subject)
            .bind(budget_day(at))
            .bind(level.as_str())
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    /// The sessions a budget paused (they go on once no budget holds their task).
    pub async fn sessions_paused_by_budget(&self) -> Result<Vec<WorkSession>, StoreError> {
        let pattern = format!("%{}{}:%", spectask_core::PAUSED_BY, spectask_core::BUDGET_PAUSE);
        let sessions = self.interrupted_work_sessions_like(&pattern).await?;
        Ok(sessions.into_iter().filter(|s| s.state.is_paused_by_budget()).collect())
    }
}
