//! The end of an implementation: the summary for review, the sessions addressing requested changes,
//! the merge (or a kept branch) and IMPLEMENTATION_COMPLETE.md.

use spectask_core::session::coordination::{HandoffData, HandoffStep, KeptBranch, ReviewStep};
use spectask_core::{
    CoordinationEvent, CoordinationKind, ReviewEntry, SpecTask, SpecTaskId, SpecTaskStatus, WorkSessionStatus,
};
use spectask_git::{DesignDocsCommit, FileWrite, MergeOutcome, TaskHandle, Trailer};
use spectask_store::NewCoordination;

use crate::ctx::Ctx;
use crate::implementation::follow_ups::changes_requested;
use crate::job_error::JobError;
use crate::repos;
use crate::views::implementation_summary;

/// The SummarizeImplementation step: the summary goes to the coordination log for the reviewer.
pub(crate) async fn summarize(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::ImplementationReview {
        return Ok(());
    }
    // Every session has ended: the idle agent would hold a slot of `max_live_agents` for as long as
    // people take to review (a follow-up session starts a new one).
    crate::implementation::agents::stop(ctx, id).await?;
    sweep_unreported_changes(ctx, &task).await?;
    if integrate::before_review(ctx, &task).await? == integrate::Review::SentBack {
        return Ok(());
    }
    // Before the summary, so whoever reads the summary reads whether the task converged.
    crate::landing::converge::record_if_converged(ctx, &task).await;
    // One entry per review round: a rerun after a crash finds this round's entry and adds none.
    let log = ctx.store.coordination_log(id).await?;
    let round = review_round(&log);
    let logged = log.iter().filter_map(ReviewEntry::of).any(
        |e| matches!(e, ReviewEntry::Step(ReviewStep::Summarize { round: logged, .. }) if logged == round),
    );
    if !logged {
        record_summary(ctx, &task, round).await?;
    }
    // Changes a reviewer asked on the task's pull request go back to it, not to a second review.
    crate::landing::pull_requests::return_fix(ctx, &task, &log).await
}

/// Logs the implementation summary of review round `round` for the reviewer.
async fn record_summary(ctx: &Ctx, task: &SpecTask, round: usize) -> Result<(), JobError> {
    let id = task.id;
    let sessions = ctx.store.work_sessions_of(id).await?;
    let done = sessions.iter().filter(|s| s.status() == WorkSessionStatus::Completed).count();
    ctx.store
        .record_coordination(NewCoordination {
            spec_task_id: id,
            kind: CoordinationKind::ReviewDecision,
            from_session: None,
            to_session: None,
            message: format!(
                "implementation ready for review: {done} of {} sessions completed",
                sessions.len()
            ),
            data: ReviewEntry::Step(ReviewStep::Summarize {
                round,
                summary: implementation_summary(&ctx.store, task).await?,
            })
            .data(),
        })
        .await?;
    Ok(())
}

/// Which implementation review the task is in (or the follow-up of): 1 + the changes requested so far.
fn review_round(log: &[CoordinationEvent]) -> usize {
    1 + log.iter().filter(|e| changes_requested(e).is_some()).count()
}

/// Commits what is left in the task worktree once every session committed its own files: changes
/// no session reported (made by commands an agent ran, say), so nothing is lost at the merge. The
/// worktree is made first on a node that has none (the sessions ran on another, which pushed).
async fn sweep_unreported_changes(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    crate::implementation::agents::worktree_in(ctx, &repo, task).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let commit = spectask_git::WorkSessionCommit {
        message: format!("{}: changes no work session reported", task.handle()),
        spec_task: task.id.to_string(),
        work_session: "none".to_owned(),
        implements: Vec::new(),
        paths: None,
        siblings_paths: Vec::new(),
    };
    let committing = repo.clone();
    if repos::blocking(move || committing.commit_work_session(&name, &commit)).await?.is_some() {
        repos::push_task_work(task, &repo).await?;
    }
    Ok(())
}

/// The MergeTaskBranch step: the task branch into the default branch (fast-forward or merge commit).
pub(crate) async fn merge(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    let repository = ctx.store.repository(task.repository_id).await?;
    // Fetched, and the task branch here holds what any node pushed of it.
    crate::implementation::agents::worktree_in(ctx, &repos::open(ctx, &repository).await?, &task).await?;
    if repository.merge_policy == spectask_core::MergePolicy::KeepBranch {
        let message = format!(
            "kept branch spectask/{} for a pull request (the repository's merge policy)",
            task.handle()
        );
        let repo = repos::open(ctx, &repository).await?;
        let branches = vec![format!("spectask/{}", task.handle()), repo.design_docs_branch().to_owned()];
        repos::push(&repo, branches).await?;
        ctx.store
            .record_coordination_unless_logged(NewCoordination {
                spec_task_id: id,
                kind: CoordinationKind::Handoff,
                from_session: None,
                to_session: None,
                message,
                data: HandoffData::KeptBranch(KeptBranch { branch: format!("spectask/{}", task.handle()) })
                    .data(),
            })
            .await?;
        return Ok(());
    }
    let repo = repos::open(ctx, &repository).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let spec_task = task.id.to_string();
    let merging = repo.clone();
    let merged = repos::blocking(move || match merging.merge_task(&name, &spec_task) {
        Err(spectask_git::GitError::MergeConflict { files, .. }) => Ok(Err(files)),
        other => other.map(Ok),
    })
    .await?;
    let outcome = match merged {
        Ok(outcome) => outcome,
        Err(files) => {
            // The default branch moved after the review: the agent resolves it, not the person.
            return integrate::send_back(ctx, &task, &repo, &files, integrate::When::AtMerge).await;
        }
    };
    // A repository registered by URL: the merge, the task's branch and its history reach the
    // remote (a rerun after a refused push merges nothing again and pushes again).
    let branches = vec![
        repository.default_branch.clone(),
        format!("spectask/{}", task.handle()),
        repo.design_docs_branch().to_owned(),
    ];
    repos::push(&repo, branches).await?;
    // The merge itself is idempotent; its entry is written once, even by a rerun after a crash.
    let logged = ctx
        .store
        .coordination_log(id)
        .await?
        .into_iter()
        .any(|e| HandoffData::of(&e).as_ref().and_then(HandoffData::step) == Some(&HandoffStep::Merge));
    if logged {
        return Ok(());
    }
    let message = match outcome {
        MergeOutcome::AlreadyMerged { tip } => {
            format!("{} already contained the task branch ({tip})", repository.default_branch)
        }
        MergeOutcome::FastForward { tip } => format!("{} fast-forwarded to {tip}", repository.default_branch),
        MergeOutcome::MergeCommit { tip } => format!("merged into {} as {tip}", repository.default_branch),
    };
    ctx.store
        .record_coordination(NewCoordination {
            spec_task_id: id,
            kind: CoordinationKind::Handoff,
            from_session: None,
            to_session: None,
            message,
            data: HandoffData::from(HandoffStep::Merge).data(),
        })
        .await?;
    Ok(())
}

/// The WriteImplementationComplete step: `sessions/<task>/IMPLEMENTATION_COMPLETE.md`.
pub(crate) async fn write_complete(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::Done {
        // The merge failed for good: the task's retry merges again and writes this then.
        return Ok(());
    }
    // The task's history (its coordination log included) and its state as done land before the
    // summary that closes it: whoever sees the summary on the branch sees the whole task.
    crate::history::commit_progress(&ctx.store, &ctx.config.here(), id).await?;
    let summary = implementation_summary(&ctx.store, &task).await?;
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let path = format!("sessions/{}/IMPLEMENTATION_COMPLETE.md", task.handle());
    let message = format!("complete({}): {}", task.handle(), task.title);
    let task_id = task.id.to_string();
    let writing = repo.clone();
    repos::blocking(move || {
        writing
            .commit_design_docs(&DesignDocsCommit {
                message,
                trailers: vec![Trailer::new("Spec-Task", task_id)?],
                writes: vec![FileWrite::put(path, summary.into_bytes())],
            })
            .map(drop)
    })
    .await?;
    // A repository registered by URL: the task's closing history reaches the remote too.
    repos::push(&repo, vec![repo.design_docs_branch().to_owned()]).await
}

pub(crate) mod integrate;
#[cfg(test)]
mod tests;
