//! The speed table of the orchestrator's goals: each figure as measured in this run, its goal and
//! the ratio of the two (at most 1 meets the goal). The git commit row is `cargo bench -p
//! spectask-git`'s.

/// One figure of the table: what is measured, and the goal for each of its values.
pub(crate) struct Goal {
    pub figure: String,
    /// Measured values (ms, ms per second, or a ratio), in the order of `goals`.
    pub now: Vec<f64>,
    pub goals: Vec<f64>,
    pub unit: &'static str,
}

/// The `p`-quantile of `samples` (nearest rank), NaN when there are none.
pub(crate) fn quantile(samples: &[f64], p: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}

pub(crate) fn print(rows: &[Goal]) {
    println!(
        "\nthe orchestrator's goals: this run's figures on this machine, goal, figure / goal (≤ 1 meets it)"
    );
    println!("  {:<66} {:>16} {:>16} {:>12}", "figure", "now", "goal", "now / goal");
    let join = |values: Vec<String>| values.join(" / ");
    for row in rows {
        let now = join(row.now.iter().map(|v| format!("{v:.2}")).collect());
        let goal = join(row.goals.iter().map(|v| format!("≤ {v}")).collect());
        let ratio = join(row.now.iter().zip(&row.goals).map(|(n, g)| format!("{:.2}", n / g)).collect());
        println!("  {:<66} {:>16} {:>16} {:>12}", row.figure, format!("{now} {}", row.unit), goal, ratio);
    }
}
