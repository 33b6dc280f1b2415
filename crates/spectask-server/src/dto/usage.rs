//! The usage ledger on the wire: tokens, cost and context fill of a session or a task.

use serde::Serialize;
use spectask_core::{ContextFill, UsagePart, UsageTotals};
use utoipa::ToSchema;

/// What a session or a task used: tokens summed over its turns (and, for a task, its planner
/// calls), what they cost, and a session's context window fill.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct UsageDto {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the model's cache (counted among `input_tokens`).
    pub cached_tokens: u64,
    /// As the agent reported it, or priced by the configuration's price table; `null` when unknown
    /// (no model named, a model without a price, or parts in different currencies).
    pub cost: Option<CostDto>,
    /// A session's context window: tokens in use and its size, as its agent last reported them.
    pub context: Option<ContextDto>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CostDto {
    pub amount: f64,
    /// An ISO 4217 code (`USD`), or the unit the agent reports (`credits`).
    pub currency: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContextDto {
    pub used: u64,
    pub size: u64,
}

impl From<&UsageTotals> for UsageDto {
    fn from(t: &UsageTotals) -> Self {
        UsageDto {
            input_tokens: t.tokens.input_tokens,
            output_tokens: t.tokens.output_tokens,
            cached_tokens: t.tokens.cached_tokens,
            cost: t.cost.as_ref().map(|m| CostDto { amount: m.amount(), currency: m.currency.clone() }),
            context: t.context.map(|ContextFill { used, size }| ContextDto { used, size }),
        }
    }
}

impl From<&UsagePart> for UsageDto {
    fn from(part: &UsagePart) -> Self {
        (&UsageTotals::of_part(part)).into()
    }
}
