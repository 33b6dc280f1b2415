//! Progress markers in `specs/<task>/progress.md` and `tasks.md` on the design-docs branch: ticking
//! a plan task is a one-byte edit, committed as `progress(<task>): <id> done` by the node's
//! design-docs writer, with whatever else waits for it (`ctx::design_docs_writer`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use spectask_core::{SpecTask, WorkSession, WorkSessionStanding, WorkSessionStatus};
use spectask_git::{FileWrite, GitError, Trailer};
use spectask_spec::{Plan, PlanTaskState, set_all_markers, set_current_tasks};

use crate::ctx::Ctx;
use crate::ctx::design_docs_writer::{AtTip, CommitDraft, Contribution};
use crate::job_error::JobError;
use crate::repos;

/// An edit of one document: `None` when it has nothing to change.
type Edit = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Sets the markers of plan tasks (`(id, state)`, in order) in both documents, in one commit: a
/// session's "done" with the "in progress" of the sessions its commit started ("in progress" only
/// where the plan task is still pending). A plan without one of the ids (a spawned session's work)
/// has nothing to tick for it; unchanged documents are not rewritten.
///
/// The documents are read at the design-docs tip and the edit is committed only directly on that tip:
/// when anyone else (another node's tick, the history recorder) moved the branch in between, the
/// edit is made again on what they wrote, so no tick is overwritten.
pub(crate) async fn set_each(
    ctx: &Ctx,
    task: &SpecTask,
    marks: Vec<(String, PlanTaskState)>,
) -> Result<(), JobError> {
    if marks.is_empty() {
        return Ok(());
    }
    let what: Vec<String> = marks.iter().map(|(id, state)| format!("{id} {}", word(*state))).collect();
    let edit: Edit = Arc::new(move |text: &str| {
        let mut plan = Plan::parse(text);
        let mut changed = false;
        for (id, state) in &marks {
            // "In progress" marks a plan task still pending only: it never undoes a "done" that a
            // quick session's commit ticked first, nor a person's edit.
            if *state != PlanTaskState::InProgress || pending(&plan, id) {
                changed |= plan.set_marker(id, *state).is_ok();
            }
        }
        changed.then(|| plan.into_text())
    });
    tick(ctx, task, what.join(", "), edit).await
}

/// The marks of the plan tasks of `started` sessions, in progress (sessions without a plan task,
/// spawned ones, have none).
pub(crate) fn in_progress(started: &[WorkSession]) -> Vec<(String, PlanTaskState)> {
    started
        .iter()
        .filter_map(|s| s.plan_task.as_ref().and_then(|p| p.id.clone()))
        .map(|id| (id, PlanTaskState::InProgress))
        .collect()
}

/// Sets every marker of the plan (but optional tasks') in both documents, in one commit: what one
/// session implementing the whole plan of a simple task finishes.
pub(crate) async fn set_all(ctx: &Ctx, task: &SpecTask, state: PlanTaskState) -> Result<(), JobError> {
    let edit: Edit = Arc::new(move |text: &str| Some(set_all_markers(text, state)));
    tick(ctx, task, format!("every plan task {}", word(state)), edit).await
}

fn word(state: PlanTaskState) -> &'static str {
    match state {
        PlanTaskState::Done => "done",
        PlanTaskState::InProgress => "in progress",
        PlanTaskState::Pending => "pending",
    }
}

/// Edits progress.md and tasks.md with `edit` and commits what changed, with whatever else waits
/// for the node's design-docs writer, as `progress(<task>): <what>`.
///
/// The documents are read at the tip the commit goes on (with the edits of the parts before this
/// one in it) and the commit is made only directly on that tip: when anyone else (another node's
/// tick, a person's commit) moved the branch in between, the edit is made again on what they
/// wrote, so no tick is overwritten.
async fn tick(ctx: &Ctx, task: &SpecTask, what: String, edit: Edit) -> Result<(), JobError> {
    if task.kind != spectask_core::TaskKind::Spec {
        return Ok(());
    }
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let subject = format!("progress({}): {what}", task.handle());
    let (handle, task_id) = (task.handle(), task.id.to_string());
    let part = Box::new(move |staged: &CommitDraft<'_>| -> Result<AtTip, GitError> {
        let writes = edited_documents(staged, &handle, &edit)?;
        if writes.is_empty() {
            return Ok(AtTip::Nothing);
        }
        let trailers = vec![Trailer::new("Spec-Task", task_id.clone())?];
        Ok(AtTip::Write(Contribution { subject: subject.clone(), trailers, writes }))
    });
    ctx.design_docs.write(&repo, part).await.map(drop)
}

/// progress.md and tasks.md of the task `handle` as the commit holds them, with `edit` applied
/// (and progress.md's Current Task set from its markers); only the documents that change.
fn edited_documents(staged: &CommitDraft<'_>, handle: &str, edit: &Edit) -> Result<Vec<FileWrite>, GitError> {
    let mut writes = Vec::new();
    for name in ["progress.md", "tasks.md"] {
        let path = format!("specs/{handle}/{name}");
        let Some(bytes) = staged.read(&path)? else { continue };
        let text = String::from_utf8_lossy(&bytes);
        // progress.md's Status block names what is in progress now.
        let edited = edit(&text).map(|e| if name == "progress.md" { set_current_tasks(&e) } else { e });
        if let Some(edited) = edited.filter(|edited| *edited != text) {
            writes.push(FileWrite::put(path, edited.into_bytes()));
        }
    }
    Ok(writes)
}

/// The task's progress.md as it is on the design-docs branch, if handed off (for a prompt's progress,
/// after [`as_sessions_stand`]).
pub(crate) async fn progress_document(ctx: &Ctx, task: &SpecTask) -> Result<Option<String>, JobError> {
    if task.kind != spectask_core::TaskKind::Spec {
        return Ok(None);
    }
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let path = format!("specs/{}/progress.md", task.handle());
    let bytes = repos::blocking(move || repo.read_design_doc(&path)).await?;
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// The progress document `text` with the plan task of every completed session of `sessions` (the
/// task's) marked done, and that of every running one in progress where the document still has it
/// pending: a scheduling write starts sessions before the tick that marks them in progress, and a
/// commit's write before the tick that marks its own plan task done. Parsed once, and each plan task
/// found by its id in a map, so the cost grows with the plan and the sessions, not their product.
pub(crate) fn as_sessions_stand(text: String, task: &SpecTask, sessions: &[WorkSessionStanding]) -> String {
    let mut plan = Plan::parse(&text);
    // Where each id is in the plan; `None` for an id named twice (a marker is set only by an id
    // the plan names once, as `Plan::set_marker` does).
    let mut at: HashMap<String, Option<usize>> = HashMap::new();
    for t in plan.tasks() {
        if let Some(id) = &t.id {
            at.entry(id.clone()).and_modify(|i| *i = None).or_insert(Some(t.index));
        }
    }
    let index = |id: Option<&str>| id.and_then(|id| at.get(id).copied().flatten());
    // A simple task's plan tasks that sessions of their own implement (a converge round's).
    let owned: HashSet<&str> = sessions.iter().filter_map(|s| s.plan_task_id.as_deref()).collect();
    for session in sessions {
        let plan_id = session.plan_task_id.as_deref();
        match session.status() {
            WorkSessionStatus::Completed if task.is_whole_plan_standing(session) => {
                let covered: Vec<usize> = plan
                    .tasks()
                    .iter()
                    .filter(|t| t.id.as_deref().is_none_or(|id| !owned.contains(id)))
                    .map(|t| t.index)
                    .collect();
                for index in covered {
                    // Read from the plan just now: only a heading without a checkbox refuses.
                    let _ = plan.set_marker_at(index, PlanTaskState::Done);
                }
            }
            // A plan task the document no longer names (or names twice) keeps its text, as before.
            WorkSessionStatus::Completed => {
                if let Some(i) = index(plan_id) {
                    let _ = plan.set_marker_at(i, PlanTaskState::Done);
                }
            }
            WorkSessionStatus::Running => {
                let pending =
                    |i: &usize| plan.tasks().get(*i).is_some_and(|t| t.state == PlanTaskState::Pending);
                if let Some(i) = index(plan_id).filter(pending) {
                    let _ = plan.set_marker_at(i, PlanTaskState::InProgress);
                }
            }
            _ => {}
        }
    }
    plan.into_text()
}

/// Whether the plan has plan task `id` still pending.
fn pending(plan: &Plan, id: &str) -> bool {
    plan.tasks().iter().any(|t| t.id.as_deref() == Some(id) && t.state == PlanTaskState::Pending)
}

#[cfg(test)]
mod tests;
