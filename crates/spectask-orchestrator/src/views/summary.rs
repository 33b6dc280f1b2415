//! The implementation summary a person reviews: what each work session did (its summary, commits
//! and checks), what the task spent, and the files two sessions both changed.

use spectask_core::{CoordinationEvent, CoordinationKind, HistoryFile, SpecTask, UsageTotals};

/// How every check's decision in a session's history starts (`drive::repo_check` writes them, the
/// implementation summary lists them).
pub(crate) const DECISION_PREFIX: &str = "- check `";

/// What was done, per session, with the files the task branch changed: the implementation summary.
pub async fn implementation_summary(
    store: &spectask_store::Store,
    task: &SpecTask,
) -> Result<String, spectask_store::StoreError> {
    let mut out = format!(
        "# {}\n\nSpec task `{}` ({}), spec version {}.\n\n",
        task.title,
        task.id,
        task.handle(),
        task.spec_version
    );
    out.push_str("## Work sessions\n\n");
    // A constant number of queries however many sessions: summaries and history read for all.
    let mut summaries = store.work_session_details(task.id).await?;
    let history =
        store.history_of_task_files(task.id, &[HistoryFile::CodeChanges, HistoryFile::Decisions]).await?;
    let usage = store.task_usage(task.id).await?;
    for session in store.work_sessions_of(task.id).await? {
        let plan = session
            .plan_task
            .as_ref()
            .and_then(|p| p.id.clone())
            .map(|i| format!("[{i}] "))
            .unwrap_or_default();
        out.push_str(&format!("### {plan}{} — {}\n\n", session.name, session.status()));
        if let Some(summary) =
            summaries.remove(&session.id).and_then(|(_, summary)| summary).filter(|s| !s.trim().is_empty())
        {
            out.push_str(&format!("{}\n\n", summary.trim()));
        }
        let mut checks = String::new();
        for entry in history.iter().filter(|e| e.work_session_id == Some(session.id)) {
            // A commit belongs under its session's heading.
            if let Some(commit) =
                entry.content.strip_prefix("## Commit").filter(|_| entry.file == HistoryFile::CodeChanges)
            {
                out.push_str("#### Commit");
                out.push_str(commit);
            }
            // The repository's check after each turn that claimed completion (its first line).
            if entry.file == HistoryFile::Decisions && entry.content.starts_with(DECISION_PREFIX) {
                checks.push_str(entry.content.lines().next().unwrap_or_default());
                checks.push('\n');
            }
        }
        if !checks.is_empty() {
            out.push_str(&format!("Checks:\n\n{checks}\n"));
        }
        if let Some(part) = usage.sessions.get(&session.id).filter(|p| !p.is_empty()) {
            out.push_str(&format!("Usage: {}.\n\n", UsageTotals::of_part(part).describe()));
        }
    }
    let totals = usage.totals();
    if !totals.tokens.is_zero() || totals.cost.is_some() {
        out.push_str(&format!(
            "## Usage\n\nThe task's sessions and planner calls: {}.\n\n",
            totals.describe()
        ));
    }
    out.push_str(&overlaps_section(&store.coordination_log(task.id).await?));
    Ok(out)
}

/// The implementation review's section on overlapping edits (empty when there were none).
fn overlaps_section(log: &[CoordinationEvent]) -> String {
    let lines: Vec<String> = log
        .iter()
        .filter(|e| e.kind == CoordinationKind::OverlappingEdit)
        .map(|e| format!("- {}\n", e.message))
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "## Overlapping edits\n\nThese files were changed by more than one work session; check that \
         neither undid the other's work:\n\n{}\n",
        lines.concat()
    )
}
