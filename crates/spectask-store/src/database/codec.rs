//! Conversions between domain values and the portable column types (text, 64-bit integers).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use spectask_core::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;

/// Lowercase hex digits of `bytes` (credentials, tokens and their hashes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn millis(ts: Timestamp) -> i64 {
    ts.timestamp_millis()
}

/// `now + ttl` in milliseconds: when a lease taken now expires.
pub(crate) fn deadline(now: Timestamp, ttl: std::time::Duration) -> i64 {
    millis(now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(30)))
}

pub(crate) fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::corrupt(format!("timestamp {ms} is out of range")))
}

/// The current time, truncated to the millisecond precision the database keeps.
pub(crate) fn now() -> Timestamp {
    let now = Utc::now();
    DateTime::<Utc>::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

pub(crate) fn get<T>(row: &AnyRow, column: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(StoreError::from)
}

pub(crate) fn time(row: &AnyRow, column: &str) -> Result<Timestamp, StoreError> {
    from_millis(get(row, column)?)
}

pub(crate) fn opt_time(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    get::<Option<i64>>(row, column)?.map(from_millis).transpose()
}

/// Parses a column holding a name or id, reporting the column on failure.
pub(crate) fn parse<T>(row: &AnyRow, column: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    parse_text(column, &get::<String>(row, column)?)
}

/// Parses the text of a column holding a name or id, reporting the column on failure.
pub(crate) fn parse_text<T>(column: &str, text: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| StoreError::corrupt(format!("column {column}: {e}")))
}

pub(crate) fn opt_parse<T>(row: &AnyRow, column: &str) -> Result<Option<T>, StoreError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    get::<Option<String>>(row, column)?.map(|text| parse_text(column, &text)).transpose()
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::corrupt(format!("column {column}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt(format!("cannot encode json: {e}")))
}
