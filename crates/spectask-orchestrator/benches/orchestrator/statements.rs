//! What the engine asks the database per session: the store's round trips (its own counter,
//! `spectask_store::testing::round_trips`: statements outside a transaction plus transactions begun),
//! and, with `BENCH_STATEMENTS=1` (or `full`), every statement by kind, counted from sqlx's statement
//! log (`sqlx::query` tracing events, one per statement, in a transaction or not). Each statement is
//! a hop to a connection's worker thread and back on SQLite, which is where the process's time went.
//!
//! Off by default: logging a statement formats its text, CPU the figures above should not include.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::metadata::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// How statements are told apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyed {
    /// By verb and table (`SELECT spec_tasks`).
    Table,
    /// By their whole text (whitespace folded, cut at 140 characters).
    Text,
}

static COUNTING: AtomicBool = AtomicBool::new(false);
static COUNTS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);
static KEYED: Mutex<Keyed> = Mutex::new(Keyed::Table);

/// Installs the counter when `BENCH_STATEMENTS` asks for it; returns whether it did.
pub(crate) fn install() -> bool {
    let keyed = match std::env::var("BENCH_STATEMENTS").as_deref() {
        Ok("1") => Keyed::Table,
        Ok("full") => Keyed::Text,
        _ => return false,
    };
    *KEYED.lock().unwrap() = keyed;
    tracing::subscriber::set_global_default(Counter).is_ok()
}

/// Counts statements from now until [`stop`].
pub(crate) fn start() {
    *COUNTS.lock().unwrap() = Some(HashMap::new());
    COUNTING.store(true, Ordering::Release);
}

/// Stops counting; returns the statements counted by kind (empty when not installed).
pub(crate) fn stop() -> HashMap<String, u64> {
    COUNTING.store(false, Ordering::Release);
    COUNTS.lock().unwrap().take().unwrap_or_default()
}

/// The kinds counted, most frequent first, per session.
pub(crate) fn print(counts: &HashMap<String, u64>, sessions: usize) {
    if counts.is_empty() {
        return;
    }
    let total: u64 = counts.values().sum();
    let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("    statements (in transactions or not) per session: {:.1}", total as f64 / sessions as f64);
    for (kind, n) in rows {
        println!("      {:>6.2}  {kind}", *n as f64 / sessions as f64);
    }
}

/// The kinds counted, most frequent first, per second of `seconds`.
pub(crate) fn print_rate(counts: &HashMap<String, u64>, seconds: f64) {
    if counts.is_empty() {
        return;
    }
    let total: u64 = counts.values().sum();
    let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("    statements (in transactions or not) per second: {:.1}", total as f64 / seconds);
    for (kind, n) in rows {
        println!("      {:>7.2}  {kind}", *n as f64 / seconds);
    }
}

/// The kind of a statement: its verb and first table, or its folded text.
fn kind(sql: &str, keyed: Keyed) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    if keyed == Keyed::Text {
        return words.join(" ").chars().take(140).collect();
    }
    let verb = words.first().map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let after = |keyword: &str| {
        words.iter().position(|w| w.eq_ignore_ascii_case(keyword)).and_then(|i| words.get(i + 1)).copied()
    };
    let table = match verb.as_str() {
        "SELECT" | "DELETE" | "WITH" => after("FROM"),
        "INSERT" => after("INTO"),
        "UPDATE" => words.get(1).copied(),
        _ => None,
    };
    let table = table.unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
    format!("{verb} {table}")
}

/// A subscriber interested in sqlx's statement log only.
struct Counter;

#[derive(Default)]
struct Statement {
    summary: String,
    text: String,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.text = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl Subscriber for Counter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == "sqlx::query" { Interest::sometimes() } else { Interest::never() }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query" && COUNTING.load(Ordering::Acquire)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut statement = Statement::default();
        event.record(&mut statement);
        // sqlx logs the whole text apart only when its summary is shorter.
        let sql = if statement.text.trim().is_empty() { &statement.summary } else { &statement.text };
        let kind = kind(sql, *KEYED.lock().unwrap());
        if let Some(counts) = COUNTS.lock().unwrap().as_mut() {
            *counts.entry(kind).or_default() += 1;
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
