//! Budgets: how much a task may spend (tokens, money or both), and how much every task of one
//! repository or of one user may spend in a day (UTC), and how far each has got. At 80% a person is
//! warned; at 100% the task's sessions pause after their turn until a person raises the budget,
//! the day ends (for a daily budget) or the task is cancelled. Pure: the store keeps budgets and
//! alerts, the orchestrator acts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Timestamp;
use crate::named_enum;
use crate::spending::usage::{Money, UsageTotals};

/// The share of a budget at which a person is warned.
pub const WARNING_SHARE: f64 = 0.8;

/// How the reason of a session paused by its task's budget begins (after
/// [`crate::PAUSED_BY`]): `paused by budget: …`.
pub const BUDGET_PAUSE: &str = "budget";

/// What a task may spend: tokens (input and output together), money, or both; a limit that is
/// not set does not stop anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub tokens: Option<u64>,
    pub cost: Option<Money>,
}

impl Budget {
    /// Neither tokens nor money is limited.
    pub fn is_unlimited(&self) -> bool {
        self.tokens.is_none() && self.cost.is_none()
    }

    /// How far `spent` has got. Money counts only when the spending's cost is known in the
    /// budget's currency; [`BudgetUse::cost_unknown`] says when it is not.
    pub fn use_of(&self, spent: &UsageTotals) -> BudgetUse {
        let used_tokens = spent.tokens.input_tokens.saturating_add(spent.tokens.output_tokens);
        let token_share = self.tokens.map(|limit| share(used_tokens as f64, limit as f64));
        let (cost_share, cost_unknown) = match (&self.cost, &spent.cost) {
            (None, _) => (None, false),
            (Some(limit), Some(cost)) if cost.currency == limit.currency => {
                (Some(share(cost.micros as f64, limit.micros as f64)), false)
            }
            // Nothing spent yet is known to cost nothing.
            (Some(_), None) if spent.tokens.is_zero() => (Some(0.0), false),
            (Some(_), _) => (None, true),
        };
        let share = token_share.into_iter().chain(cost_share).fold(0.0_f64, f64::max);
        BudgetUse { share, cost_unknown }
    }

    /// Whether this budget allows more than `ceiling` in any limit the ceiling sets (no limit
    /// allows more than any; money in another currency cannot be compared, so it is more).
    pub fn exceeds(&self, ceiling: &Budget) -> bool {
        let tokens_over = ceiling.tokens.is_some_and(|c| self.tokens.is_none_or(|t| t > c));
        let cost_over = ceiling.cost.as_ref().is_some_and(|c| {
            self.cost.as_ref().is_none_or(|m| m.currency != c.currency || m.micros > c.micros)
        });
        tokens_over || cost_over
    }

    /// In a few words for people: `100000 tokens`, `5.00 USD`, `100000 tokens or 5.00 USD`.
    pub fn describe(&self) -> String {
        let tokens = self.tokens.map(|t| format!("{t} tokens"));
        let cost = self.cost.as_ref().map(|m| format!("{:.2} {}", m.amount(), m.currency));
        match (tokens, cost) {
            (Some(t), Some(c)) => format!("{t} or {c}"),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => "no limit".to_owned(),
        }
    }
}

fn share(used: f64, limit: f64) -> f64 {
    if limit <= 0.0 { if used > 0.0 { f64::INFINITY } else { 1.0 } } else { used / limit }
}

/// What a daily budget limits: the spending of every task of one repository, or of every task one
/// user created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetScope {
    Repository,
    User,
}
named_enum!(BudgetScope, "budget scope", {
    Repository => "repository",
    User => "user",
});

/// A budget that holds a task: whose it is, why it holds and how a person lifts it. While one
/// holds, the task's sessions pause before their next turn and its planning waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetHold {
    /// `None`: the task's own budget; else the daily budget of its repository or its user.
    pub scope: Option<BudgetScope>,
    /// The task's id, the repository's id or the user's name.
    pub subject: String,
    /// Which budget is reached and what was spent.
    pub why: String,
    /// How to raise it: the API call or command.
    pub raise: String,
}

impl BudgetHold {
    /// The reason of a session this hold pauses: `paused by budget: …`.
    pub fn pause_reason(&self) -> String {
        format!("{}{BUDGET_PAUSE}: {}", crate::PAUSED_BY, self.why)
    }
}

/// The budgets that hold where a person set none: a task's, and each repository's and each
/// user's daily budget (`[budget]` in the configuration; no limit by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BudgetDefaults {
    pub task: Budget,
    pub repository_daily: Budget,
    pub user_daily: Budget,
}

impl BudgetDefaults {
    /// The daily budget of `scope` where a person set none.
    pub fn daily(&self, scope: BudgetScope) -> &Budget {
        match scope {
            BudgetScope::Repository => &self.repository_daily,
            BudgetScope::User => &self.user_daily,
        }
    }
}

/// The day (UTC, `YYYY-MM-DD`) `at` falls in: daily budgets count what was spent in it.
pub fn budget_day(at: Timestamp) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// When the day (UTC) `at` falls in began.
pub fn budget_day_start(at: Timestamp) -> Timestamp {
    at.date_naive().and_time(chrono::NaiveTime::MIN).and_utc()
}

/// How far a task has got through its budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetUse {
    /// The larger of the tokens' and the money's share of their limits (1.0 is the whole budget).
    pub share: f64,
    /// A money limit is set but the spending's cost is unknown (an unpriced model, another
    /// currency): only the tokens are counted.
    pub cost_unknown: bool,
}

impl BudgetUse {
    pub fn level(&self) -> BudgetLevel {
        if self.share >= 1.0 {
            BudgetLevel::Reached
        } else if self.share >= WARNING_SHARE {
            BudgetLevel::Warning
        } else {
            BudgetLevel::Within
        }
    }
}

/// Where a task stands against its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLevel {
    Within,
    /// At 80% or more: a person was told.
    Warning,
    /// At 100% or more: the task's sessions pause after their turn.
    Reached,
}
named_enum!(BudgetLevel, "budget level", {
    Within => "within",
    Warning => "warning",
    Reached => "reached",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spending::usage::TokenCounts;

    fn spent(input: u64, output: u64, cost: Option<(i64, &str)>) -> UsageTotals {
        UsageTotals {
            tokens: TokenCounts { input_tokens: input, output_tokens: output, cached_tokens: 0 },
            cost: cost.map(|(micros, currency)| Money { micros, currency: currency.into() }),
            context: None,
        }
    }

    #[test]
    fn tokens_count_input_and_output_against_the_limit() {
        let budget = Budget { tokens: Some(1000), cost: None };
        assert_eq!(budget.use_of(&spent(400, 300, None)).level(), BudgetLevel::Within);
        assert_eq!(budget.use_of(&spent(500, 300, None)).level(), BudgetLevel::Warning);
        assert_eq!(budget.use_of(&spent(700, 300, None)).level(), BudgetLevel::Reached);
    }

    #[test]
    fn the_larger_share_of_tokens_and_money_counts() {
        let budget = Budget {
            tokens: Some(1_000_000),
            cost: Some(Money { micros: 1_000_000, currency: "USD".into() }),
        };
        let used = budget.use_of(&spent(10, 10, Some((900_000, "USD"))));
        assert_eq!(used.level(), BudgetLevel::Warning);
        assert!(!used.cost_unknown);
    }

    #[test]
    fn an_unknown_cost_is_said_and_does_not_count_as_nothing() {
        let budget = Budget { tokens: Some(100), cost: Some(Money { micros: 1, currency: "USD".into() }) };
        let used = budget.use_of(&spent(10, 10, None));
        assert!(used.cost_unknown);
        assert_eq!(used.level(), BudgetLevel::Within);
        let other_currency = budget.use_of(&spent(10, 10, Some((5, "credits"))));
        assert!(other_currency.cost_unknown);
        assert!(!budget.use_of(&spent(0, 0, None)).cost_unknown);
    }

    #[test]
    fn a_budget_exceeds_a_ceiling_in_any_limit_the_ceiling_sets() {
        let usd = |micros| Some(Money { micros, currency: "USD".into() });
        let ceiling = Budget { tokens: Some(100), cost: usd(5) };
        assert!(!Budget { tokens: Some(100), cost: usd(5) }.exceeds(&ceiling));
        assert!(!Budget { tokens: Some(0), cost: usd(0) }.exceeds(&ceiling));
        assert!(Budget { tokens: Some(101), cost: usd(5) }.exceeds(&ceiling));
        assert!(Budget { tokens: None, cost: usd(5) }.exceeds(&ceiling), "no token limit is more");
        assert!(Budget { tokens: Some(1), cost: None }.exceeds(&ceiling), "no money limit is more");
        let euros = Some(Money { micros: 1, currency: "EUR".into() });
        assert!(Budget { tokens: Some(1), cost: euros }.exceeds(&ceiling));
        assert!(!Budget::default().exceeds(&Budget::default()), "no ceiling, nothing exceeds it");
    }

    #[test]
    fn a_budget_day_is_the_utc_calendar_day() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T23:59:59+02:00").map(|t| t.to_utc());
        let at = at.expect("a valid time");
        assert_eq!(budget_day(at), "2026-11-25");
        assert_eq!(budget_day_start(at).to_rfc3339(), "2026-11-25T00:00:00+00:00");
        let next = at + chrono::Duration::hours(3);
        assert_eq!(budget_day(next), "2026-11-26");
    }

    #[test]
    fn no_limit_stops_nothing_and_a_zero_limit_stops_any_spending() {
        assert_eq!(Budget::default().use_of(&spent(1 << 40, 0, None)).level(), BudgetLevel::Within);
        let zero = Budget { tokens: Some(0), cost: None };
        assert_eq!(zero.use_of(&spent(1, 0, None)).level(), BudgetLevel::Reached);
        assert_eq!(Budget { tokens: Some(100), cost: None }.describe(), "100 tokens");
    }
}
