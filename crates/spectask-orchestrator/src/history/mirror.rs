//! The design-docs branch holds what the database knows about each SpecTask, so that
//! `spectask recover` can rebuild it: at every milestone the recorder writes the task's rows as
//! `specs/<task>/state.json` (the store's snapshot) and every spec version's documents under
//! `specs/<task>/versions/<n>/` (taken out of the snapshot to keep it readable).

use serde_json::Value;
use spectask_core::SpecTaskId;
use spectask_git::{FileWrite, GitError, TaskHandle, Trailer};
use spectask_spec::Workflow;
use spectask_store::Store;

use crate::config::Node;
use crate::ctx::Ctx;
use crate::ctx::design_docs_writer::{AtTip, CommitDraft, Contribution, Writer};
use crate::history::recorder::{FlushReport, flush_history, repo_for};
use crate::job_error::JobError;

/// The documents of a spec version: snapshot column and file name under `versions/<n>/`. The first
/// is named as the task's workflow names it (`bugfix.md` for a bugfix), from its `workflow_base`.
pub(crate) fn version_files(workflow_base: &str) -> [(&'static str, &'static str); 3] {
    [
        ("requirements", Workflow::requirements_file_of(workflow_base)),
        ("design", "design.md"),
        ("tasks", "tasks.md"),
    ]
}

/// `specs/<task>/state.json`.
pub(crate) fn state_path(task: &TaskHandle) -> String {
    format!("specs/{task}/state.json")
}

/// `specs/<task>/versions/<n>/<file>`.
pub(crate) fn version_path(task: &TaskHandle, version: i64, file: &str) -> String {
    format!("specs/{task}/versions/{version}/{file}")
}

/// Commits the task's pending history, then its state: what "commit progress" means.
pub async fn commit_progress(store: &Store, node: &Node, task: SpecTaskId) -> Result<FlushReport, JobError> {
    let repository = store.spec_task(task).await?.repository_id;
    let report = flush_history(store, node, repository).await?;
    mirror_task(store, (node, None), task).await?;
    Ok(report)
}

/// Writes the task's state and spec versions to the design-docs branch through `node`'s design-docs
/// writer (no commit when nothing changed), in the repository as the engine `kept` keeps it open,
/// when given (see `recorder::repo_for`). Skips repositories that need attention.
pub(crate) async fn mirror_task(
    store: &Store,
    (node, kept): (&Node, Option<&Ctx>),
    id: SpecTaskId,
) -> Result<(), JobError> {
    let task = store.spec_task(id).await?;
    let repository = store.repository(task.repository_id).await?;
    if repository.attention.is_some() {
        return Ok(());
    }
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let mut snapshot = store.export_task(id).await?;
    // Where the repository lives and whether it needs attention are this machine's business.
    if let Some(row) = snapshot["repositories"].get_mut(0) {
        row["attention"] = Value::Null;
    }
    let mut writes = Vec::new();
    for version in snapshot["spec_versions"].as_array_mut().into_iter().flatten() {
        let number = version["version"].as_i64().unwrap_or_default();
        for (column, file) in version_files(&task.workflow_base) {
            let text = version[column].take();
            writes.push(FileWrite::put(version_path(&name, number, file), text.as_str().unwrap_or_default()));
        }
    }
    let mut state = serde_json::to_string_pretty(&snapshot).map_err(JobError::fatal_from)?;
    state.push('\n');
    writes.push(FileWrite::put(state_path(&name), state));
    let trailer = Trailer::new("Spec-Task", id.to_string()).map_err(JobError::fatal_from)?;
    let subject = format!("state({name}): {}", task.status());
    let part = Box::new(move |_: &CommitDraft<'_>| -> Result<AtTip, GitError> {
        let (subject, trailers, writes) = (subject.clone(), vec![trailer.clone()], writes.clone());
        Ok(AtTip::Write(Contribution { subject, trailers, writes }))
    });
    let repo = repo_for(store, (node, kept), &repository).await?;
    // A person's request to the server writes on its own writer: the branch's tip, which it
    // commits on only, keeps it from overwriting the engine's writes, and theirs from it.
    let writer = match kept {
        Some(ctx) => ctx.design_docs.of(&repo),
        None => std::sync::Arc::new(Writer::default()),
    };
    match writer.write(&repo, part).await {
        Err(err @ JobError::Fatal { .. }) => {
            // A rewritten branch: the repository needs attention, as `recorder::git` marks it.
            let reason = err.to_string();
            tracing::warn!(repository = %repository.id, %reason, "the repository needs attention");
            if let Err(err) = store.set_repository_attention(repository.id, Some(&reason)).await {
                tracing::warn!(repository = %repository.id, %err, "marking the repository failed");
            }
            Err(err)
        }
        other => other.map(drop),
    }
}
