//! What agents spend and what they may: the usage ledger of tokens and cost, rolled up per session
//! and task, and the budgets that pause a task's sessions at their limit. Money is kept in
//! millionths of its unit, so sums are exact. Amounts people give are checked by [`amount`].

pub mod amount;
pub mod budget;
pub mod meter;
pub mod usage;
