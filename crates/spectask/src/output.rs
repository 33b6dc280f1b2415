//! Human-readable output: tables for lists, key/value blocks for single records.

use comfy_table::presets::NOTHING;
use comfy_table::{ContentArrangement, Table};
use serde_json::Value;

/// A text field of a JSON object, or an empty string.
pub fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// "2026-11-21T06:59:45.123Z" → "2026-11-21 06:59".
pub fn short_time(v: &Value, key: &str) -> String {
    let t = text(v, key);
    if t.len() >= 16 { t[..16].replace('T', " ") } else { t }
}

pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_style(NOTHING).set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header.iter().map(|h| h.to_uppercase()));
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

pub fn fields(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .filter(|(_, v)| !v.is_empty())
        // A value of several lines keeps them under its first.
        .map(|(k, v)| format!("{k:width$}  {}", v.replace('\n', &format!("\n{:width$}  ", ""))))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `println!` that returns the write's error instead of panicking: when the reader goes away (`| head`)
/// the error ends the command, and `main` exits quietly on a broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns the write's error instead of panicking (see [`outln`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `eprintln!` that ignores a closed stderr rather than panicking: there is no one left to tell.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub(crate) use {errln, out, outln};
