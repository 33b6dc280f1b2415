//! The command line's budget arguments: a task's budget (`task create`, `task budget`) and a
//! repository's or user's daily budget (`repo budget`, `user budget`).

use clap::Args;
use spectask_core::spending::amount;

// Amounts and currencies by the one parser the API and the configuration use: `NaN`, `inf` and
// negative amounts are refused (never sent as no limit), `usd` is `USD`.
fn budget_cost(text: &str) -> Result<f64, String> {
    amount::parse_amount("--budget-cost", text).map_err(|e| e.to_string())
}

fn daily_cost(text: &str) -> Result<f64, String> {
    amount::parse_amount("--daily-cost", text).map_err(|e| e.to_string())
}

fn currency(text: &str) -> Result<String, String> {
    amount::currency("--currency", text).map_err(|e| e.to_string())
}

/// A task's budget: when it is reached, the task's sessions pause until a person raises it.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// Tokens (input and output together) the task may use.
    #[arg(long = "budget-tokens", value_name = "N")]
    pub tokens: Option<u64>,
    /// Money the task may spend, in --currency.
    #[arg(long = "budget-cost", value_name = "AMOUNT", value_parser = budget_cost, allow_hyphen_values = true)]
    pub cost: Option<f64>,
    /// The currency of --budget-cost (default USD): an ISO 4217 code.
    #[arg(long, requires = "cost", value_parser = currency)]
    pub currency: Option<String>,
}

/// A daily budget to set; nothing given: show it.
#[derive(Debug, Args)]
pub struct DailyBudgetArgs {
    /// Tokens (input and output together) that may be used in a day.
    #[arg(long = "daily-tokens", value_name = "N")]
    pub tokens: Option<u64>,
    /// Money that may be spent in a day, in --currency.
    #[arg(long = "daily-cost", value_name = "AMOUNT", value_parser = daily_cost, allow_hyphen_values = true)]
    pub cost: Option<f64>,
    /// The currency of --daily-cost (default USD): an ISO 4217 code.
    #[arg(long, requires = "cost", value_parser = currency)]
    pub currency: Option<String>,
    /// Remove the limit (no daily budget).
    #[arg(long, conflicts_with_all = ["tokens", "cost"])]
    pub unlimited: bool,
}

impl DailyBudgetArgs {
    /// The API's budget object to set; `None`: only show it.
    pub fn body(&self) -> Option<serde_json::Value> {
        if self.unlimited {
            return Some(serde_json::json!({}));
        }
        (self.tokens.is_some() || self.cost.is_some()).then(|| {
            let mut body = serde_json::Map::new();
            for (key, value) in [
                ("tokens", self.tokens.map(serde_json::Value::from)),
                ("cost", self.cost.map(serde_json::Value::from)),
                ("currency", self.currency.clone().map(serde_json::Value::from)),
            ] {
                if let Some(value) = value {
                    body.insert(key.to_owned(), value);
                }
            }
            serde_json::Value::Object(body)
        })
    }
}

impl BudgetArgs {
    /// The API's budget object; `None` when no limit was given.
    pub fn body(&self) -> Option<serde_json::Value> {
        (self.tokens.is_some() || self.cost.is_some()).then(
            || serde_json::json!({ "tokens": self.tokens, "cost": self.cost, "currency": self.currency }),
        )
    }
}
