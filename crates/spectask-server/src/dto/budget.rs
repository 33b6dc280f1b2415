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
    /// The currency of `cost` (default `USD`): letters and digits.
    #[schema(min_length = 1, max_length = 16, pattern = "^[A-Za-z0-9]{1,16}$")]
    pub currency: Option<String>,
}

impl BudgetBody {
    /// The budget asked for, or a clear error naming what is wrong.
    pub fn budget(&self) -> Result<Budget, ApiError> {
        let currency = match self.currency.as_deref() {
            None => "USD",
            Some(c) if Money::is_currency(c) => c,
            Some(c) => {
                return Err(ApiError::bad_request(
                    "invalid_budget",
                    format!("currency {c:?} is not a currency code (letters and digits, at most 16)"),
                ));
            }
        };
        let cost = match self.cost {
            Some(c) if !c.is_finite() || !(0.0..=1e12).contains(&c) => {
                return Err(ApiError::bad_request(
                    "invalid_budget",
                    format!("cost {c} is not an amount between 0 and 1e12"),
                ));
            }
            Some(c) => Some(Money::from_amount(c, currency)),
            None => None,
        };
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
    /// The task's sessions pause before their next turn: the budget is reached.
    pub paused: bool,
    /// A money limit is set but the spending's cost is unknown (an unpriced model, another
    /// currency): only tokens are counted.
    pub cost_unknown: bool,
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
            paused: level == BudgetLevel::Reached && !s.budget.is_unlimited(),
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
