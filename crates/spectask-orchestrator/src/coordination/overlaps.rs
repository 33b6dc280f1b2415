//! Overlapping edits: two work sessions of a task changing the same file in the shared worktree.
//! Noticed as each session reports its changes, logged once per pair and file as a coordination
//! event (live, in the coordination log in git), and listed in the implementation review
//! (`views::summary`).

use serde_json::json;
use spectask_core::{CoordinationKind, WorkSession};
use spectask_store::{NewCoordination, Store, StoreError};

/// Logs each file `touched` by `session` that another session of its task changed too.
pub(crate) async fn report(
    store: &Store,
    session: &WorkSession,
    touched: &[String],
) -> Result<(), StoreError> {
    if touched.is_empty() {
        return Ok(());
    }
    // Every session's files in one query; the sessions themselves only when two overlap.
    let touched_by = store.touched_paths_of_task(session.spec_task_id).await?;
    let overlaps = |id| touched_by.get(&id).is_some_and(|theirs| touched.iter().any(|p| theirs.contains(p)));
    if !touched_by.keys().any(|&id| id != session.id && overlaps(id)) {
        return Ok(());
    }
    for other in store.work_sessions_of(session.spec_task_id).await? {
        if other.id == session.id {
            continue;
        }
        let Some(theirs) = touched_by.get(&other.id) else { continue };
        for path in touched.iter().filter(|p| theirs.contains(p)) {
            // The same words whichever session notices first: the pair in id order.
            let (a, b) = if session.id < other.id { (session, &other) } else { (&other, session) };
            store
                .record_coordination_unless_logged(NewCoordination {
                    spec_task_id: session.spec_task_id,
                    kind: CoordinationKind::OverlappingEdit,
                    from_session: Some(session.id),
                    to_session: Some(other.id),
                    message: format!("{} and {} both changed {path}", a.name, b.name),
                    data: json!({ "path": path, "sessions": [a.id, b.id], "names": [a.name, b.name] }),
                })
                .await?;
        }
    }
    Ok(())
}
