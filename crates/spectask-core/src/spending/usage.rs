//! The usage and cost ledger: tokens each agent turn and planner call used, what they cost, and
//! their roll-ups per session and task. Money is kept in millionths of its unit (`micros`), so sums
//! are exact.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Tokens one turn (or call, or a roll-up of them) used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenCounts {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the model's cache (part of `input_tokens` when the agent counts them
    /// there, as ACP does), 0 when not reported.
    pub cached_tokens: u64,
}

impl TokenCounts {
    pub fn plus(self, other: TokenCounts) -> TokenCounts {
        TokenCounts {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            cached_tokens: self.cached_tokens.saturating_add(other.cached_tokens),
        }
    }

    pub fn is_zero(self) -> bool {
        self == TokenCounts::default()
    }
}

/// An amount of money (or of another unit an agent reports, such as credits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// Millionths of `currency`.
    pub micros: i64,
    pub currency: String,
}

impl Money {
    /// Whether `currency` can name one: 1 to 16 letters and digits (`USD`, `credits`).
    pub fn is_currency(currency: &str) -> bool {
        (1..=16).contains(&currency.len()) && currency.chars().all(|c| c.is_ascii_alphanumeric())
    }

    /// `amount` of `currency`, rounded to a millionth.
    pub fn from_amount(amount: f64, currency: &str) -> Money {
        Money { micros: (amount * 1_000_000.0).round() as i64, currency: currency.to_owned() }
    }

    pub fn amount(&self) -> f64 {
        self.micros as f64 / 1_000_000.0
    }
}

/// How many tokens a context window holds, and how many of them are in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContextFill {
    pub used: u64,
    pub size: u64,
}

/// A model's price per million tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
    /// Cached input tokens; unset: as other input tokens.
    #[serde(default)]
    pub cached_input_per_million: Option<f64>,
    /// Unset: `USD`.
    #[serde(default = "usd")]
    pub currency: String,
}

fn usd() -> String {
    "USD".to_owned()
}

impl Price {
    /// This price with its amounts and currency checked (the currency in upper case); a refusal
    /// names the field (`[prices."gpt-5"] input_per_million`).
    pub fn checked(self, model: &str) -> Result<Price, crate::AmountError> {
        use crate::spending::amount::{amount, currency};
        let field = |key: &str| format!("[prices.{model:?}] {key}");
        let cached = match self.cached_input_per_million {
            Some(c) => Some(amount(&field("cached_input_per_million"), c)?),
            None => None,
        };
        Ok(Price {
            input_per_million: amount(&field("input_per_million"), self.input_per_million)?,
            output_per_million: amount(&field("output_per_million"), self.output_per_million)?,
            cached_input_per_million: cached,
            currency: currency(&field("currency"), &self.currency)?,
        })
    }

    /// What `tokens` cost at this price. Cached tokens are counted among the input tokens (as ACP
    /// and the vendors report them) and priced at the cached rate.
    pub fn cost(&self, tokens: TokenCounts) -> Money {
        let cached = tokens.cached_tokens.min(tokens.input_tokens) as f64;
        let uncached = tokens.input_tokens as f64 - cached;
        let cached_rate = self.cached_input_per_million.unwrap_or(self.input_per_million);
        let amount = (uncached * self.input_per_million
            + cached * cached_rate
            + tokens.output_tokens as f64 * self.output_per_million)
            / 1_000_000.0;
        Money::from_amount(amount, &self.currency)
    }
}

/// Prices per model (`[prices."<model>"]` in the configuration over [`PriceTable::defaults`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTable(std::collections::BTreeMap<String, Price>);

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable::defaults()
    }
}

impl PriceTable {
    /// The vendors' public list prices in USD per million tokens (late 2025) of a few common
    /// models, standard tier; docs/configuration.md says where each comes from.
    pub fn defaults() -> PriceTable {
        let usd = |input, output, cached| Price {
            input_per_million: input,
            output_per_million: output,
            cached_input_per_million: Some(cached),
            currency: usd(),
        };
        let table = [
            ("claude-opus-4-1", usd(15.0, 75.0, 1.5)),
            ("claude-sonnet-4-5", usd(3.0, 15.0, 0.3)),
            ("claude-haiku-4-5", usd(1.0, 5.0, 0.1)),
            ("gpt-5", usd(1.25, 10.0, 0.125)),
            ("gpt-5-mini", usd(0.25, 2.0, 0.025)),
            ("gpt-5-codex", usd(1.25, 10.0, 0.125)),
            ("gemini-2.5-pro", usd(1.25, 10.0, 0.125)),
            ("gemini-2.5-flash", usd(0.3, 2.5, 0.03)),
        ];
        PriceTable(table.into_iter().map(|(m, p)| (m.to_owned(), p)).collect())
    }

    /// The table with `prices` added, each replacing a default of the same model.
    pub fn with(mut self, prices: impl IntoIterator<Item = (String, Price)>) -> PriceTable {
        self.0.extend(prices);
        self
    }

    pub fn get(&self, model: &str) -> Option<&Price> {
        self.0.get(model)
    }

    /// What `tokens` of `model` cost; unknown without a model or a price for it.
    pub fn cost(&self, model: Option<&str>, tokens: TokenCounts) -> Option<Money> {
        model.and_then(|m| self.get(m)).map(|p| p.cost(tokens))
    }
}

/// One part of a roll-up: a session's turns or the planning of a task (its planner's calls and
/// turns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsagePart {
    pub tokens: TokenCounts,
    /// The sum of the entries' costs (each reported by its agent or priced), when every entry had
    /// one (and in one currency).
    pub priced: Option<Money>,
    /// Entries whose cost is unknown (no cost reported, no model named, or no price for it).
    pub unpriced: u64,
    pub context: Option<ContextFill>,
}

impl UsagePart {
    /// What this part cost, unknown when an entry's cost is.
    pub fn cost(&self) -> Option<Money> {
        if self.unpriced > 0 { None } else { self.priced.clone() }
    }

    /// Nothing was used and nothing cost anything.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_zero() && self.priced.is_none() && self.unpriced == 0
    }
}

/// A roll-up: tokens summed; cost summed when every part that used something has a known cost in
/// one currency, else unknown (never a guess).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageTotals {
    pub tokens: TokenCounts,
    pub cost: Option<Money>,
    pub context: Option<ContextFill>,
}

impl UsageTotals {
    /// This spending and `other` together: tokens summed, costs summed when both are known in one
    /// currency (a side that used nothing costs nothing), else unknown.
    pub fn plus(&self, other: &UsageTotals) -> UsageTotals {
        let cost = match (&self.cost, &other.cost) {
            (Some(a), Some(b)) if a.currency == b.currency => {
                Some(Money { micros: a.micros.saturating_add(b.micros), currency: a.currency.clone() })
            }
            (Some(a), None) if other.tokens.is_zero() => Some(a.clone()),
            (None, Some(b)) if self.tokens.is_zero() => Some(b.clone()),
            _ => None,
        };
        UsageTotals { tokens: self.tokens.plus(other.tokens), cost, context: None }
    }

    pub fn of_part(part: &UsagePart) -> UsageTotals {
        UsageTotals { tokens: part.tokens, cost: part.cost(), context: part.context }
    }

    /// In one line for people: `1200 input tokens (300 cached), 350 output, cost 0.0123 USD`; the
    /// cost says `unknown` when tokens could not be priced.
    pub fn describe(&self) -> String {
        let t = self.tokens;
        let cached =
            if t.cached_tokens > 0 { format!(" ({} cached)", t.cached_tokens) } else { String::new() };
        let cost = match &self.cost {
            Some(m) => format!("{:.4} {}", m.amount(), m.currency),
            None => "unknown".to_owned(),
        };
        format!("{} input tokens{cached}, {} output, cost {cost}", t.input_tokens, t.output_tokens)
    }

    /// The sum of `parts` (the context fill is a session's own and is not summed).
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a UsagePart>) -> UsageTotals {
        let mut tokens = TokenCounts::default();
        let mut cost: Option<Option<Money>> = None;
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            tokens = tokens.plus(part.tokens);
            cost = Some(match (cost, part.cost()) {
                (None, this) => this,
                (Some(Some(sum)), Some(this)) if sum.currency == this.currency => {
                    Some(Money { micros: sum.micros.saturating_add(this.micros), currency: sum.currency })
                }
                _ => None,
            });
        }
        UsageTotals { tokens, cost: cost.flatten(), context: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price() -> Price {
        Price {
            input_per_million: 3.0,
            output_per_million: 15.0,
            cached_input_per_million: Some(0.3),
            currency: "USD".into(),
        }
    }

    #[test]
    fn prices_tokens_with_the_cached_rate() {
        let tokens = TokenCounts { input_tokens: 1_000_000, output_tokens: 100_000, cached_tokens: 500_000 };
        // 500k uncached × 3 + 500k cached × 0.3 + 100k × 15, per million: 1.5 + 0.15 + 1.5.
        assert_eq!(price().cost(tokens), Money { micros: 3_150_000, currency: "USD".into() });
    }

    #[test]
    fn a_price_is_checked_and_its_currency_upper_cased() {
        let lower = Price { currency: "eur".into(), ..price() };
        assert_eq!(lower.checked("local").map(|p| p.currency), Ok("EUR".to_owned()));
        let nan = Price { output_per_million: f64::NAN, ..price() };
        let err = nan.checked("local").expect_err("NaN");
        assert_eq!(err.field(), "[prices.\"local\"] output_per_million");
        let credits = Price { currency: "credits".into(), ..price() };
        assert!(credits.checked("local").is_err());
    }

    #[test]
    fn a_model_without_a_price_has_no_cost() {
        let tokens = TokenCounts { input_tokens: 10, output_tokens: 10, cached_tokens: 0 };
        let table = PriceTable::defaults().with([("local".to_owned(), price())]);
        assert!(table.cost(Some("local"), tokens).is_some());
        assert!(table.cost(Some("gpt-5"), tokens).is_some());
        assert_eq!(table.cost(Some("unheard-of"), tokens), None);
        assert_eq!(table.cost(None, tokens), None);
    }

    #[test]
    fn an_unpriced_entry_makes_the_cost_unknown() {
        let priced = Money { micros: 10, currency: "USD".into() };
        let part = UsagePart { priced: Some(priced.clone()), unpriced: 1, ..UsagePart::default() };
        assert_eq!(part.cost(), None);
        assert_eq!(UsagePart { unpriced: 0, ..part }.cost(), Some(priced));
    }

    #[test]
    fn sums_known_costs_and_refuses_to_guess() {
        let tokens = TokenCounts { input_tokens: 10, output_tokens: 5, cached_tokens: 0 };
        let usd = |micros| Some(Money { micros, currency: "USD".into() });
        let a = UsagePart { tokens, priced: usd(100), ..UsagePart::default() };
        let b = UsagePart { tokens, priced: usd(50), ..UsagePart::default() };
        let sum = UsageTotals::sum([&a, &b]);
        assert_eq!(sum.tokens.input_tokens, 20);
        assert_eq!(sum.cost, usd(150));
        let unknown = UsagePart { tokens, unpriced: 1, ..UsagePart::default() };
        assert_eq!(UsageTotals::sum([&a, &unknown]).cost, None);
        let credits = UsagePart {
            tokens,
            priced: Some(Money { micros: 1, currency: "credits".into() }),
            ..UsagePart::default()
        };
        assert_eq!(UsageTotals::sum([&a, &credits]).cost, None);
        assert_eq!(UsageTotals::sum([&UsagePart::default()]), UsageTotals::default());
        assert_eq!(sum.describe(), "20 input tokens, 10 output, cost 0.0001 USD");
    }
}
