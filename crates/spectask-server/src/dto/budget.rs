//! Budgets on the wire: what a person asks for (at create, or later) and where a task, a
//! repository or a user stands.

use serde::{Deserialize, Serialize};
use spectask_core::{Budget, BudgetLevel, BudgetScope, Money};
use spectask_store::{BudgetStanding, DailyStanding};
use utoipa::ToSchema;

use super::CostDto;
use crate::ApiError;

/// A budget (a task's, or a repository's or user's daily one): tokens (input and output
/// together), money, or both; a limit left out does not stop anything. Both left out: no budget.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    /// Tokens the task may use.
    #[serde(default, deserialize_with = "spectask_core::wire::json_number::optional_integral")]
    #[schema(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub tokens: Option<u64>,
    /// Money the task may spend, in `currency`.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_f64)]
    pub cost: Option<f64>,
    /// The currency of `cost` (default `USD`): an ISO 4217 code, in any case (`usd` is `USD`).
    #[schema(min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
}

impl BudgetBody {
    /// The budget asked for, or a clear error naming the field at fault (NaN, infinities and
    /// negative amounts are refused, never read as no limit).
    pub fn budget(&self) -> Result<Budget, ApiError> {
        use spectask_core::spending::amount;
        let refused =
            |err: spectask_core::AmountError| ApiError::bad_request("invalid_budget", err.to_string());
        let currency =
            self.currency.as_deref().map(|c| amount::currency("currency", c)).transpose().map_err(refused)?;
        let cost = self
            .cost
            .map(|c| amount::money("cost", c, "currency", currency.as_deref()))
            .transpose()
            .map_err(refused)?;
        if self.tokens.is_some_and(|t| t > i64::MAX as u64) {
            return Err(ApiError::bad_request("invalid_budget", "tokens is too large"));
        }
        Ok(Budget { tokens: self.tokens, cost })
    }
}

/// Where a task stands against its budget.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BudgetDto {
    /// Tokens the task may use (input and output together); `null`: not limited.
    pub tokens: Option<u64>,
    /// Money the task may spend; `null`: not limited.
    pub cost: Option<CostDto>,
    /// Who set the budget; `null`: the configuration's default holds.
    pub set_by: Option<String>,
    /// Tokens used so far (input and output).
    pub spent_tokens: u64,
    /// The larger of the tokens' and the money's share of their limits (1 is the whole budget).
    pub share: f64,
    pub level: BudgetLevel,
    /// The task is paused by a budget: its own is reached, or a budget that holds it (its own, its
    /// repository's or its user's daily budget) stops it now (`held_by`). Its sessions pause
    /// before their next turn and its planning waits.
    pub paused: bool,
    /// The budget that stops the task now, when one does: which, why and how to raise it.
    pub held_by: Option<BudgetHoldDto>,
    /// A money limit is set but the spending's cost is unknown (an unpriced model, another
    /// currency): only tokens are counted.
    pub cost_unknown: bool,
}

/// A budget that stops a task: its own, or the daily budget of its repository or its user.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BudgetHoldDto {
    /// `task` (its own budget), `repository` or `user` (a daily budget).
    #[schema(value_type = String, example = "repository")]
    pub budget: &'static str,
    /// The task's id, the repository's id or the user's name.
    pub subject: String,
    /// Which budget is reached and what was spent.
    pub reason: String,
    /// How a person lifts it: the API call or command that raises it.
    pub raise: String,
    /// Since when it stops the task.
    #[schema(value_type = String, format = DateTime)]
    pub since: spectask_core::Timestamp,
}

impl From<&spectask_store::BudgetHoldRecord> for BudgetHoldDto {
    fn from(record: &spectask_store::BudgetHoldRecord) -> Self {
        let hold = &record.hold;
        BudgetHoldDto {
            budget: hold.scope.map_or("task", BudgetScope::as_str),
            subject: hold.subject.clone(),
            reason: hold.why.clone(),
            raise: hold.raise.clone(),
            since: record.since,
        }
    }
}

impl From<&BudgetStanding> for BudgetDto {
    fn from(s: &BudgetStanding) -> Self {
        let level = s.used.level();
        BudgetDto {
            tokens: s.budget.tokens,
            cost: s
                .budget
                .cost
                .as_ref()
                .map(|m| CostDto { amount: m.amount(), currency: m.currency.clone() }),
            set_by: s.own.as_ref().map(|o| o.set_by.clone()),
            spent_tokens: s.spent.tokens.input_tokens.saturating_add(s.spent.tokens.output_tokens),
            share: if s.used.share.is_finite() { s.used.share } else { 1.0 },
            level,
            paused: s.hold.is_some() || (level == BudgetLevel::Reached && !s.budget.is_unlimited()),
            held_by: s.hold.as_ref().map(BudgetHoldDto::from),
            cost_unknown: s.used.cost_unknown,
        }
    }
}

/// Where a repository or a user stands against its daily budget today (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DailyBudgetDto {
    pub scope: BudgetScope,
    /// The repository's id, or the user's name.
    pub subject: String,
    /// The day counted (UTC), `YYYY-MM-DD`.
    pub day: String,
    /// Tokens all its tasks may use in a day (input and output together); `null`: not limited.
    pub tokens: Option<u64>,
    /// Money all its tasks may spend in a day; `null`: not limited.
    pub cost: Option<CostDto>,
    /// Who set the budget; `null`: the configuration's default holds.
    pub set_by: Option<String>,
    /// Tokens used today (input and output).
    pub spent_tokens: u64,
    /// Money spent today, when known (priced by the price table).
    pub spent_cost: Option<CostDto>,
    /// The larger of the tokens' and the money's share of their limits (1 is the whole budget).
    pub share: f64,
    pub level: BudgetLevel,
    /// Its tasks' sessions pause before their next turn until the day ends or the budget is raised.
    pub paused: bool,
    /// A money limit is set but today's cost is unknown (an unpriced model, another currency).
    pub cost_unknown: bool,
}

impl From<&DailyStanding> for DailyBudgetDto {
    fn from(s: &DailyStanding) -> Self {
        let level = s.used.level();
        let cost = |m: &Money| CostDto { amount: m.amount(), currency: m.currency.clone() };
        DailyBudgetDto {
            scope: s.scope,
            subject: s.subject.clone(),
            day: s.day.clone(),
            tokens: s.budget.tokens,
            cost: s.budget.cost.as_ref().map(cost),
            set_by: s.own.as_ref().map(|o| o.set_by.clone()),
            spent_tokens: s.spent.tokens.input_tokens.saturating_add(s.spent.tokens.output_tokens),
            spent_cost: s.spent.cost.as_ref().map(cost),
            share: if s.used.share.is_finite() { s.used.share } else { 1.0 },
            level,
            paused: level == BudgetLevel::Reached && !s.budget.is_unlimited(),
            cost_unknown: s.used.cost_unknown,
        }
    }
}
