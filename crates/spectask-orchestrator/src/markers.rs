//! Progress markers in `specs/<task>/progress.md` and `tasks.md` on the design-docs branch: ticking
//! a plan task is a one-byte edit, committed as `progress(<task>): <id> done`.

use spectask_core::SpecTask;
use spectask_git::{DesignDocsCommit, FileWrite, Trailer};
use spectask_spec::{TaskState, set_marker};

use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::repos;

/// Sets the marker of plan task `id` in both documents (unchanged documents are not rewritten).
pub(crate) async fn set(ctx: &Ctx, task: &SpecTask, id: &str, state: TaskState) -> Result<(), JobError> {
    if task.kind != spectask_core::TaskKind::Spec {
        return Ok(());
    }
    // Read-modify-write: edits of one task happen on this node (it holds the task's lease), so a
    // process-wide lock keeps two sessions from overwriting each other's tick.
    let _guard = ctx.markers.lock().await;
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let dir = format!("specs/{}", task.handle());
    let (task_id, handle, plan_id) = (task.id.to_string(), task.handle(), id.to_owned());
    repos::blocking(move || {
        let mut writes = Vec::new();
        for name in ["progress.md", "tasks.md"] {
            let path = format!("{dir}/{name}");
            let Some(bytes) = repo.read_design_doc(&path)? else { continue };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            // A plan without this id (a spawned session's work) has nothing to tick.
            let Ok(edited) = set_marker(&text, &plan_id, state) else { continue };
            if edited != text {
                writes.push(FileWrite::put(path, edited.into_bytes()));
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        let word = match state {
            TaskState::Done => "done",
            TaskState::InProgress => "in progress",
            TaskState::Pending => "pending",
        };
        repo.commit_design_docs(&DesignDocsCommit {
            message: format!("progress({handle}): {plan_id} {word}"),
            trailers: vec![Trailer::new("Spec-Task", task_id)?],
            writes,
        })
        .map(drop)
    })
    .await
}

/// The task's progress.md as it is on the design-docs branch, if handed off.
pub(crate) async fn progress(ctx: &Ctx, task: &SpecTask) -> Result<Option<String>, JobError> {
    if task.kind != spectask_core::TaskKind::Spec {
        return Ok(None);
    }
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let path = format!("specs/{}/progress.md", task.handle());
    let bytes = repos::blocking(move || repo.read_design_doc(&path)).await?;
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}
