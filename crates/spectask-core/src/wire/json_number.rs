//! JSON numbers as JSON Schema counts them: `7` and `7.0` are the same integer, so a request an
//! OpenAPI document calls valid is read as valid.

use serde::Deserialize;

/// An integer as JSON Schema counts them: `7` and `7.0` alike (a JSON number with no fraction).
pub fn integral<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    let out_of_range = || D::Error::custom(format!("{number} is out of range"));
    if let Some(n) = number.as_u64() {
        return T::try_from(n).map_err(|_| out_of_range());
    }
    if let Some(n) = number.as_i64() {
        return T::try_from(n).map_err(|_| out_of_range());
    }
    match number.as_f64() {
        // Exact: an integral float within ±2^53 converts without loss.
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            T::try_from(f as i64).map_err(|_| out_of_range())
        }
        _ => Err(D::Error::custom(format!("{number} is not an integer"))),
    }
}

/// [`integral`] for an optional field (`null` or absent is `None`; use with `#[serde(default)]`).
pub fn optional_integral<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    #[derive(Deserialize)]
    struct Integral<T: TryFrom<i64> + TryFrom<u64>>(#[serde(deserialize_with = "integral")] T);
    Ok(Option::<Integral<T>>::deserialize(deserializer)?.map(|Integral(n)| n))
}

/// [`integral`] for each element of a list.
pub fn integral_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    #[derive(Deserialize)]
    struct Integral<T: TryFrom<i64> + TryFrom<u64>>(#[serde(deserialize_with = "integral")] T);
    Ok(Vec::<Integral<T>>::deserialize(deserializer)?.into_iter().map(|Integral(n)| n).collect())
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Line {
        #[serde(default, deserialize_with = "super::optional_integral")]
        line: Option<u32>,
    }

    #[test]
    fn integral_floats_are_integers_and_fractions_are_not() {
        let line = |json: &str| serde_json::from_str::<Line>(json).map(|l| l.line);
        assert_eq!(line(r#"{"line": 7}"#).unwrap(), Some(7));
        assert_eq!(line(r#"{"line": 7.0}"#).unwrap(), Some(7));
        assert_eq!(line(r#"{"line": null}"#).unwrap(), None);
        assert_eq!(line("{}").unwrap(), None);
        assert!(line(r#"{"line": 7.5}"#).is_err());
        assert!(line(r#"{"line": -1}"#).is_err());
        assert!(line(r#"{"line": 1e300}"#).is_err());
    }

    #[derive(serde::Deserialize)]
    struct Lines {
        #[serde(deserialize_with = "super::integral_list")]
        lines: Vec<u32>,
    }

    #[test]
    fn each_element_of_a_list_is_an_integer() {
        let lines = |json: &str| serde_json::from_str::<Lines>(json).map(|l| l.lines);
        assert_eq!(lines(r#"{"lines": [1, 2.0]}"#).unwrap(), [1, 2]);
        assert!(lines(r#"{"lines": [1.5]}"#).is_err());
    }
}
