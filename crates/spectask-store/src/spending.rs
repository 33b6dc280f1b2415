//! Spending: what agents and planners cost, and what they may spend.
//!
//! [`usage`] is the ledger: one entry per agent turn or planner call, written with the turn's end,
//! and each thread's last reported context fill and cost. [`budgets`] are what a task may spend and
//! the budget lines it has crossed; [`daily_budgets`] what a repository's or a user's tasks may
//! spend in a day; [`holds`] the budget that stops a task while it does. Each line crossed is told
//! once (a daily line once a day).

pub(crate) mod budgets;
pub(crate) mod budgets_set;
pub(crate) mod daily_budgets;
pub(crate) mod holds;
pub(crate) mod usage;
