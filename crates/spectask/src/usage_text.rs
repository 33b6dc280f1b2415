//! A task's or session's usage (the API's `usage` object) in one line for people.

use serde_json::Value;

/// `1,200 in (300 cached), 350 out, 0.0123 USD, context 40%`; the cost says `cost unknown` when
/// tokens were used but nobody could price them; empty when nothing was used.
pub fn usage(u: &Value) -> String {
    let count = |key: &str| u[key].as_u64().unwrap_or(0);
    let (input, output, cached) = (count("input_tokens"), count("output_tokens"), count("cached_tokens"));
    let mut parts = Vec::new();
    if input + output > 0 {
        let cached = if cached > 0 { format!(" ({} cached)", grouped(cached)) } else { String::new() };
        parts.push(format!("{} in{cached}, {} out", grouped(input), grouped(output)));
    }
    match (u["cost"]["amount"].as_f64(), u["cost"]["currency"].as_str()) {
        (Some(amount), Some(currency)) => parts.push(format!("{amount:.4} {currency}")),
        _ if input + output > 0 => parts.push("cost unknown".to_owned()),
        _ => {}
    }
    if let (Some(used), Some(size)) = (u["context"]["used"].as_u64(), u["context"]["size"].as_u64())
        && size > 0
    {
        parts.push(format!("context {}% of {}", used * 100 / size, grouped(size)));
    }
    parts.join(", ")
}

/// A task's budget in one line: `40% of 100,000 tokens`, `paused: budget reached (105% of 5.00 USD)`;
/// when a budget stops the task (its own, its repository's or its user's daily budget), which, why
/// and how to raise it; empty when the task has none and none stops it.
pub fn budget(b: &Value) -> String {
    let own = own_budget(b);
    match (b["held_by"]["reason"].as_str(), b["held_by"]["raise"].as_str()) {
        (Some(reason), Some(raise)) if own.is_empty() => {
            format!("paused by budget: {reason}; raise it: {raise}")
        }
        (Some(reason), Some(raise)) => format!("paused by budget: {reason}; raise it: {raise} ({own})"),
        _ => own,
    }
}

/// The task's own budget (or the default) in one line; empty when it has none.
fn own_budget(b: &Value) -> String {
    let tokens = b["tokens"].as_u64().map(|t| format!("{} tokens", grouped(t)));
    let cost = match (b["cost"]["amount"].as_f64(), b["cost"]["currency"].as_str()) {
        (Some(amount), Some(currency)) => Some(format!("{amount:.2} {currency}")),
        _ => None,
    };
    let limit = match (tokens, cost) {
        (Some(t), Some(c)) => format!("{t} or {c}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return String::new(),
    };
    let share = (b["share"].as_f64().unwrap_or(0.0) * 100.0).round();
    let set = match b["set_by"].as_str() {
        Some(by) => format!(", set by {by}"),
        None => ", the default".to_owned(),
    };
    let unknown = if b["cost_unknown"] == true { "; cost unknown, tokens counted" } else { "" };
    let line = format!("{share}% of {limit}{set}{unknown}");
    let reached = b["paused"] == true && b["level"] == "reached";
    if reached && b["held_by"].is_null() { format!("paused: budget reached ({line})") } else { line }
}

/// A daily budget (`DailyBudgetDto`) in one line: `2026-11-25: 12,000 tokens spent; 40% of …`.
pub fn daily_budget(b: &Value) -> String {
    let spent = b["spent_tokens"].as_u64().unwrap_or(0);
    let cost = match (b["spent_cost"]["amount"].as_f64(), b["spent_cost"]["currency"].as_str()) {
        (Some(amount), Some(currency)) => format!(" ({amount:.2} {currency})"),
        _ => String::new(),
    };
    let day = b["day"].as_str().unwrap_or_default();
    let limit = own_budget(b);
    let limit = if limit.is_empty() { "no daily budget".to_owned() } else { format!("{limit} a day") };
    format!("{day}: {} tokens spent{cost}; {limit}", grouped(spent))
}

/// `1234567` → `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn says_tokens_cost_and_context_and_never_guesses_a_cost() {
        let u = json!({"input_tokens": 1200, "output_tokens": 350, "cached_tokens": 300,
            "cost": {"amount": 0.0123, "currency": "USD"}, "context": {"used": 40, "size": 100}});
        assert_eq!(usage(&u), "1,200 in (300 cached), 350 out, 0.0123 USD, context 40% of 100");
        let u =
            json!({"input_tokens": 5, "output_tokens": 1, "cached_tokens": 0, "cost": null, "context": null});
        assert_eq!(usage(&u), "5 in, 1 out, cost unknown");
        let u =
            json!({"input_tokens": 0, "output_tokens": 0, "cached_tokens": 0, "cost": null, "context": null});
        assert_eq!(usage(&u), "");
    }

    #[test]
    fn a_budget_that_stops_the_task_is_named_whichever_it_is() {
        let own = json!({"tokens": 1000, "cost": null, "share": 1.05, "set_by": "ana", "level": "reached",
            "paused": true, "held_by": null, "cost_unknown": false});
        assert_eq!(budget(&own), "paused: budget reached (105% of 1,000 tokens, set by ana)");
        let daily = json!({"tokens": null, "cost": null, "share": 0.0, "set_by": null, "level": "within",
            "paused": true, "cost_unknown": false, "held_by": {"budget": "repository", "subject": "r",
            "reason": "the repository's daily budget of 10 tokens is reached", "raise": "PUT /api/v1/repos/r/budget"}});
        assert_eq!(
            budget(&daily),
            "paused by budget: the repository's daily budget of 10 tokens is reached; raise it: PUT /api/v1/repos/r/budget"
        );
        let none = json!({"tokens": null, "cost": null, "paused": false, "held_by": null});
        assert_eq!(budget(&none), "");
    }
}
