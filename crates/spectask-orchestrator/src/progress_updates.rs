//! Progress snapshots of an implementation, for `sessions/<task>/progress-updates/` on the
//! design-docs branch: the scheduling pass writes one whenever the task's sessions stand differently
//! from the last one (a session started, blocked, finished …); the recorder commits them with the
//! rest of the history, one file per day.

use spectask_core::{HistoryFile, SpecTask, WorkSession, WorkSessionStatus};
use spectask_store::NewHistoryEntry;

use crate::dispatch::JobError;
use crate::engine::Ctx;

/// Appends a snapshot of the task's sessions (as the scheduling pass left them) unless the last one
/// says the same.
pub(crate) async fn record(ctx: &Ctx, task: &SpecTask, sessions: &[WorkSession]) -> Result<(), JobError> {
    if sessions.is_empty() {
        return Ok(());
    }
    let text = snapshot(sessions);
    let last = ctx.store.last_task_history(task.id, HistoryFile::ProgressUpdate).await?;
    if last.is_some_and(|entry| entry.content == text) {
        return Ok(());
    }
    ctx.store
        .append_history(&[NewHistoryEntry {
            spec_task_id: task.id,
            work_session_id: None,
            file: HistoryFile::ProgressUpdate,
            content: text,
        }])
        .await?;
    Ok(())
}

/// What the sessions stand at: how many are done, then the sessions by status.
fn snapshot(sessions: &[WorkSession]) -> String {
    let counted = sessions.iter().filter(|s| s.status() != WorkSessionStatus::Cancelled).count();
    let done = sessions.iter().filter(|s| s.status() == WorkSessionStatus::Completed).count();
    let mut out = format!("### {done} of {counted} sessions done\n\n");
    for status in [
        WorkSessionStatus::Running,
        WorkSessionStatus::Interrupted,
        WorkSessionStatus::Blocked,
        WorkSessionStatus::Pending,
        WorkSessionStatus::Failed,
        WorkSessionStatus::Completed,
        WorkSessionStatus::Cancelled,
    ] {
        let names: Vec<&str> =
            sessions.iter().filter(|s| s.status() == status).map(|s| s.name.as_str()).collect();
        if !names.is_empty() {
            out.push_str(&format!("- {status}: {}\n", names.join(", ")));
        }
    }
    out
}
