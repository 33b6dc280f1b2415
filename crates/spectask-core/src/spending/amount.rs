//! Amounts people give spectask (budgets, prices), checked in one place for the command line, the
//! API and the configuration. An amount is a finite number from 0 to [`MAX_AMOUNT`]; a currency is
//! an ISO 4217 code, kept in upper case (`usd` is `USD`: prices and agents report upper case, and a
//! budget in another spelling would never be compared with them). A refusal names the field.

use crate::spending::usage::Money;

/// The largest amount accepted: far above any budget, and exact in millionths within an `i64`.
pub const MAX_AMOUNT: f64 = 1e12;

/// The currency of an amount given without one.
pub const DEFAULT_CURRENCY: &str = "USD";

/// Why an amount or a currency was refused; `field` is the name the person used (`--budget-cost`,
/// `cost`, `[budget] task_cost`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{field} is {value}: an amount is a finite number from 0 to 1e12")]
    NotAnAmount { field: String, value: String },
    #[error("{field} is {value:?}: a currency is an ISO 4217 code, such as USD or EUR")]
    NotACurrency { field: String, value: String },
}

impl AmountError {
    /// The field refused.
    pub fn field(&self) -> &str {
        match self {
            AmountError::NotAnAmount { field, .. } | AmountError::NotACurrency { field, .. } => field,
        }
    }
}

/// `value` when it is an amount: finite, at least 0, at most [`MAX_AMOUNT`] (NaN, infinities and
/// negative numbers are refused, never read as "no limit").
pub fn amount(field: &str, value: f64) -> Result<f64, AmountError> {
    if value.is_finite() && (0.0..=MAX_AMOUNT).contains(&value) {
        // -0 is 0.
        Ok(value.abs())
    } else {
        Err(AmountError::NotAnAmount { field: field.to_owned(), value: value.to_string() })
    }
}

/// An amount written as text (the command line): a decimal number, then [`amount`]'s rules.
pub fn parse_amount(field: &str, text: &str) -> Result<f64, AmountError> {
    let refused = || AmountError::NotAnAmount { field: field.to_owned(), value: text.to_owned() };
    let trimmed = text.trim();
    // `f64::from_str` also reads `inf`, `NaN` and `infinity`: only digits, a point and an exponent
    // make an amount.
    if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit() || ".eE+-".contains(c)) {
        return Err(refused());
    }
    let value: f64 = trimmed.parse().map_err(|_| refused())?;
    amount(field, value).map_err(|_| refused())
}

/// `code` as an ISO 4217 currency code in upper case (`usd` → `USD`), or refused.
pub fn currency(field: &str, code: &str) -> Result<String, AmountError> {
    let upper = code.trim().to_ascii_uppercase();
    match iso_currency::Currency::from_code(&upper) {
        Some(known) => Ok(known.code().to_owned()),
        None => Err(AmountError::NotACurrency { field: field.to_owned(), value: code.to_owned() }),
    }
}

/// `value` of `code` (default [`DEFAULT_CURRENCY`]) as money, each checked: `field` names the
/// amount, `currency_field` the currency.
pub fn money(
    field: &str,
    value: f64,
    currency_field: &str,
    code: Option<&str>,
) -> Result<Money, AmountError> {
    let value = amount(field, value)?;
    let code = match code {
        Some(code) => currency(currency_field, code)?,
        None => DEFAULT_CURRENCY.to_owned(),
    };
    Ok(Money::from_amount(value, &code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_finite_and_not_negative() {
        assert_eq!(amount("cost", 5.0), Ok(5.0));
        assert_eq!(amount("cost", 0.0), Ok(0.0));
        assert_eq!(amount("cost", -0.0), Ok(0.0));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.01, 1e13] {
            let err = amount("cost", bad).expect_err("refused");
            assert_eq!(err.field(), "cost", "{bad}");
            assert!(err.to_string().starts_with("cost is "), "{err}");
        }
    }

    #[test]
    fn text_that_rust_reads_as_infinite_or_nan_is_refused() {
        assert_eq!(parse_amount("--budget-cost", "2.50"), Ok(2.5));
        assert_eq!(parse_amount("--budget-cost", " 1e3 "), Ok(1000.0));
        for bad in ["NaN", "nan", "inf", "-inf", "infinity", "-1", "", "1,5", "5 USD", "1e400"] {
            let err = parse_amount("--budget-cost", bad).expect_err(bad);
            assert_eq!(err, AmountError::NotAnAmount { field: "--budget-cost".into(), value: bad.into() });
        }
    }

    #[test]
    fn a_currency_is_an_iso_code_in_upper_case() {
        assert_eq!(currency("currency", "usd").as_deref(), Ok("USD"));
        assert_eq!(currency("currency", "Eur").as_deref(), Ok("EUR"));
        for bad in ["", "credits", "US", "XYZW", "U$D", "ZZZ"] {
            let err = currency("currency", bad).expect_err(bad);
            assert_eq!(err.field(), "currency");
            assert!(err.to_string().contains("ISO 4217"), "{err}");
        }
    }

    #[test]
    fn money_defaults_to_usd_and_names_the_field_at_fault() {
        assert_eq!(
            money("cost", 1.5, "currency", None),
            Ok(Money { micros: 1_500_000, currency: "USD".into() })
        );
        assert_eq!(money("cost", 1.0, "currency", Some("eur")).map(|m| m.currency), Ok("EUR".into()));
        assert_eq!(
            money("cost", f64::NAN, "currency", Some("usd")).map_err(|e| e.field().to_owned()),
            Err("cost".into())
        );
        assert_eq!(
            money("cost", 1.0, "currency", Some("bits")).map_err(|e| e.field().to_owned()),
            Err("currency".into())
        );
    }
}
