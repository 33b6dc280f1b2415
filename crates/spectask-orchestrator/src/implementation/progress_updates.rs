//! Progress snapshots of an implementation, for `sessions/<task>/progress-updates/` on the
//! design-docs branch: every scheduling decision makes one of the sessions as it leaves them, which
//! the store appends whenever it differs from the last one (a session started, blocked, finished …);
//! the recorder commits them with the rest of the history, one file per day.

use spectask_core::{WorkSession, WorkSessionStatus};

/// What the sessions stand at: how many are done, then the sessions by status.
pub(crate) fn snapshot(sessions: &[WorkSession]) -> String {
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
