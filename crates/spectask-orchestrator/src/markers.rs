//! Progress markers in `specs/<task>/progress.md` and `tasks.md` on the design-docs branch: ticking
//! a plan task is a one-byte edit, committed as `progress(<task>): <id> done`.

use spectask_core::SpecTask;
use spectask_git::{DesignDocsCommit, FileWrite, GitError, Trailer};
use spectask_spec::{PlanTaskState, set_all_markers, set_marker};

use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::repos;

/// Sets the marker of plan task `id` in both documents (unchanged documents are not rewritten).
///
/// The documents are read at the design-docs tip and the edit is committed only directly on that tip:
/// when anyone else (another node's tick, the history recorder) moved the branch in between, the
/// edit is made again on what they wrote, so no tick is overwritten.
pub(crate) async fn set(ctx: &Ctx, task: &SpecTask, id: &str, state: PlanTaskState) -> Result<(), JobError> {
    let plan_id = id.to_owned();
    // A plan without this id (a spawned session's work) has nothing to tick.
    let edit = move |text: &str| set_marker(text, &plan_id, state).ok();
    commit(ctx, task, id, state, edit).await
}

/// Sets every marker of the plan (but optional tasks') in both documents, in one commit: what one
/// session implementing the whole plan of a simple task finishes.
pub(crate) async fn set_all(ctx: &Ctx, task: &SpecTask, state: PlanTaskState) -> Result<(), JobError> {
    commit(ctx, task, "every plan task", state, move |text: &str| Some(set_all_markers(text, state))).await
}

/// Edits progress.md and tasks.md with `edit` (None: nothing to change) and commits what changed as
/// `progress(<task>): <what> <state>`, on the tip it read.
async fn commit(
    ctx: &Ctx,
    task: &SpecTask,
    what: &str,
    state: PlanTaskState,
    edit: impl Fn(&str) -> Option<String> + Clone + Send + 'static,
) -> Result<(), JobError> {
    if task.kind != spectask_core::TaskKind::Spec {
        return Ok(());
    }
    // Ticks on this node wait for each other rather than racing for the tip.
    let _guard = ctx.markers.lock().await;
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let dir = format!("specs/{}", task.handle());
    let (task_id, handle, label) = (task.id.to_string(), task.handle(), what.to_owned());
    let tick = move || -> Result<Result<(), GitError>, GitError> {
        let Some(tip) = repo.branch_tip(repo.design_docs_branch())? else {
            return Ok(Ok(()));
        };
        let mut writes = Vec::new();
        for name in ["progress.md", "tasks.md"] {
            let path = format!("{dir}/{name}");
            let Some(bytes) = repo.read_design_doc(&path)? else { continue };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let Some(edited) = edit(&text) else { continue };
            if edited != text {
                writes.push(FileWrite::put(path, edited.into_bytes()));
            }
        }
        if writes.is_empty() {
            return Ok(Ok(()));
        }
        let word = match state {
            PlanTaskState::Done => "done",
            PlanTaskState::InProgress => "in progress",
            PlanTaskState::Pending => "pending",
        };
        let commit = DesignDocsCommit {
            message: format!("progress({handle}): {label} {word}"),
            trailers: vec![Trailer::new("Spec-Task", task_id.clone())?],
            writes,
        };
        // Read at `tip`, written only on `tip`: the documents cannot have changed in between.
        match repo.commit_design_docs_on(&commit, tip) {
            Ok(_) => Ok(Ok(())),
            Err(err @ GitError::ConcurrentUpdate { .. }) => Ok(Err(err)),
            Err(err) => Err(err),
        }
    };
    for _ in 0..MAX_TICK_ATTEMPTS {
        let attempt = tick.clone();
        match repos::blocking(attempt).await? {
            Ok(()) => return Ok(()),
            Err(moved) => tracing::debug!(%moved, "the design-docs branch moved under a tick; ticking again"),
        }
    }
    Err(JobError::Retry(format!(
        "the design-docs branch kept moving while {what} was ticked ({MAX_TICK_ATTEMPTS} attempts)"
    )))
}

/// How often a tick is made again on a branch that moved under it, before the step is retried.
const MAX_TICK_ATTEMPTS: usize = 20;

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

#[cfg(test)]
mod tests;
