//! A turn's spending while it runs, from its agent's usage updates (ACP `usage_update`): the
//! thread's cost so far (a running total) and its context fill. The turn's own token count comes
//! only with its end, so until then each update's context fill counts as tokens the turn used:
//! every model call reads its whole context, and an agent reports a fill after each call. A budget
//! weighs the turn with this while it runs, and stops it at the update that reaches its limit.
//!
//! An agent reports its thread's cost as a running total. The ledger keeps each turn's part of it
//! (the total now less the total at the last turn's end), so a new agent process counting again
//! from zero after a restart adds to what was spent and never takes from it.

use crate::spending::usage::{Money, TokenCounts, UsageTotals};

/// What one turn has spent so far, as its agent reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnMeter {
    /// The thread's running total as recorded at the last turn's end (none: nothing reported).
    baseline: Option<Money>,
    /// The last running total reported in this turn.
    last_cost: Option<Money>,
    /// The context fills reported in this turn, summed (each repeated fill counted once).
    fills: u64,
    last_fill: Option<u64>,
    /// What the last update added to `fills`.
    last_step: u64,
    updates: u64,
}

impl TurnMeter {
    /// A turn on a thread whose running total was `baseline` at the last turn's end.
    pub fn new(baseline: Option<Money>) -> TurnMeter {
        TurnMeter { baseline, ..TurnMeter::default() }
    }

    /// One usage update: the context fill `used` and the thread's running total, when reported.
    pub fn report(&mut self, used: u64, cost: Option<Money>) {
        self.updates += 1;
        self.last_step = 0;
        if self.last_fill != Some(used) {
            self.fills = self.fills.saturating_add(used);
            self.last_step = used;
            self.last_fill = Some(used);
        }
        if let Some(cost) = cost {
            // A total below the baseline (or in another currency) is a count started again from
            // zero: the baseline is no part of this turn's totals, whatever they reach later.
            if self.baseline.as_ref().is_some_and(|b| b.currency != cost.currency || cost.micros < b.micros) {
                self.baseline = None;
            }
            self.last_cost = Some(cost);
        }
    }

    /// The usage updates seen.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The tokens the turn has used by its context fills.
    pub fn estimated_tokens(&self) -> u64 {
        self.fills
    }

    /// The tokens the last update added to the estimate.
    pub fn last_step(&self) -> u64 {
        self.last_step
    }

    /// The turn's part of the thread's running total: the total now less the total at the last
    /// turn's end; the whole total when the count started again (a report of this turn went
    /// below that: a new agent process) or changed currency. `None`: no cost reported in this turn.
    pub fn cost(&self) -> Option<Money> {
        self.cost_of(self.last_cost.as_ref())
    }

    /// The thread's running total as last reported (the next turn's baseline).
    pub fn running_total(&self) -> Option<&Money> {
        self.last_cost.as_ref().or(self.baseline.as_ref())
    }

    fn cost_of(&self, total: Option<&Money>) -> Option<Money> {
        let total = total?;
        match &self.baseline {
            Some(base) if base.currency == total.currency && total.micros >= base.micros => {
                Some(Money { micros: total.micros - base.micros, currency: total.currency.clone() })
            }
            _ => Some(total.clone()),
        }
    }

    /// What the turn has spent so far: its estimated tokens (as input), and its reported cost,
    /// else those tokens as `priced` prices them.
    pub fn so_far(&self, priced: impl Fn(TokenCounts) -> Option<Money>) -> UsageTotals {
        let tokens = TokenCounts { input_tokens: self.fills, output_tokens: 0, cached_tokens: 0 };
        let cost = self.cost().or_else(|| priced(tokens));
        UsageTotals { tokens, cost, context: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(micros: i64) -> Money {
        Money { micros, currency: "USD".into() }
    }

    #[test]
    fn a_turn_costs_its_part_of_the_running_total() {
        let mut meter = TurnMeter::new(Some(usd(500_000)));
        assert_eq!(meter.cost(), None, "nothing reported yet");
        meter.report(1000, Some(usd(600_000)));
        meter.report(2000, Some(usd(750_000)));
        assert_eq!(meter.cost(), Some(usd(250_000)));
        assert_eq!(meter.running_total(), Some(&usd(750_000)));
    }

    #[test]
    fn a_total_that_went_down_counted_again_from_zero_and_adds() {
        // $0.50 recorded; a new agent process reports $0.20: the turn cost $0.20, never -$0.30.
        let mut meter = TurnMeter::new(Some(usd(500_000)));
        meter.report(10, Some(usd(200_000)));
        assert_eq!(meter.cost(), Some(usd(200_000)));
        // It counts on from zero past the old total: still all of it is this turn's.
        meter.report(20, Some(usd(650_000)));
        assert_eq!(meter.cost(), Some(usd(650_000)));
        assert_eq!(meter.running_total(), Some(&usd(650_000)));
        let euros = Money { micros: 7, currency: "EUR".into() };
        let mut meter = TurnMeter::new(Some(usd(500_000)));
        meter.report(10, Some(euros.clone()));
        assert_eq!(meter.cost(), Some(euros), "another currency is a total of its own");
    }

    #[test]
    fn context_fills_estimate_the_tokens_and_a_repeated_fill_counts_once() {
        let mut meter = TurnMeter::new(None);
        meter.report(1000, None);
        meter.report(1000, None);
        meter.report(3000, None);
        assert_eq!((meter.estimated_tokens(), meter.last_step(), meter.updates()), (4000, 3000, 3));
        let price = |t: TokenCounts| Some(usd(t.input_tokens as i64));
        assert_eq!(meter.so_far(price).cost, Some(usd(4000)), "priced when no cost is reported");
        meter.report(3500, Some(usd(9)));
        assert_eq!(meter.so_far(price).cost, Some(usd(9)), "a reported cost wins");
        assert_eq!(meter.so_far(price).tokens.input_tokens, 7500);
    }
}
