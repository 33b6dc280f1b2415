//! Main moved under the task: before the person reviews, the task branch takes in the default
//! branch. A clean merge is recorded and the review shows it. A merge that conflicts goes back to
//! the task's agent: the task returns to implementation with a session of its own, "Resolve merge
//! conflicts", whose drive begins the merge in the worktree (leaving git's conflict markers in the
//! files, [`begin`]), whose check refuses markers left behind, and whose commit concludes the merge.
//! The person never receives a conflict the agent could have resolved.

use spectask_core::session::coordination::{
    ConflictStep, HandoffData, HandoffStep, Integrated, MergeConflicts,
};
use spectask_core::{CoordinationKind, ImplementationDecision, ReviewEntry, SpecTask, SpecTaskCommand};
use spectask_git::{Integration, Repo};
use spectask_store::NewCoordination;

use crate::ctx::Ctx;
use crate::implementation::follow_ups::task_handle;
use crate::job_error::JobError;
use crate::repos;

/// What [`before_review`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Review {
    /// The branch holds the default branch: the review goes on.
    Ready,
    /// Merging conflicts: the task went back to implementation for its agent to resolve it.
    SentBack,
}

/// Brings the task branch up to date with the default branch (fetched first, for a repository
/// registered by URL) and says in the coordination log what that did; sends the task back to
/// implementation when merging conflicts.
pub(crate) async fn before_review(ctx: &Ctx, task: &SpecTask) -> Result<Review, JobError> {
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    repos::fetch(&repo).await?;
    let name = task_handle(task)?;
    let integrating = repo.clone();
    let outcome = repos::blocking(move || integrating.integrate_default_branch(&name)).await?;
    let default = &repository.default_branch;
    match outcome {
        Integration::UpToDate => Ok(Review::Ready),
        Integration::Merged { commit } => {
            let entry = NewCoordination {
                spec_task_id: task.id,
                kind: CoordinationKind::Handoff,
                from_session: None,
                to_session: None,
                message: format!("{default} moved: merged into the task branch as {commit}"),
                data: HandoffData::from(HandoffStep::Integrate(Integrated::Merged {
                    commit: commit.to_string(),
                }))
                .data(),
            };
            ctx.store.record_coordination_unless_logged(entry).await?;
            repos::push_task_work(task, &repo).await?;
            Ok(Review::Ready)
        }
        Integration::Conflicts { files } => {
            send_back(ctx, task, &repo, &files, When::BeforeReview).await?;
            Ok(Review::SentBack)
        }
    }
}

/// When merging the default branch conflicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Bringing the task branch up to date before the person's review.
    BeforeReview,
    /// Merging the approved task branch: the default branch moved after the review.
    AtMerge,
}

/// Sends a task whose branch conflicts with the default branch in `files` back to implementation,
/// with a review decision naming them, from which `implementation::follow_ups::missing_sessions`
/// makes the agent's session.
pub(crate) async fn send_back(
    ctx: &Ctx,
    task: &SpecTask,
    repo: &Repo,
    files: &[String],
    when: When,
) -> Result<(), JobError> {
    let default = repo.default_branch().to_owned();
    let reading = repo.clone();
    let tip = repos::blocking(move || reading.branch_tip(reading.default_branch())).await?;
    let onto = tip.map(|t| t.to_string()).unwrap_or_default();
    let short = onto.get(..10).unwrap_or(&onto);
    let message = match when {
        When::BeforeReview => format!(
            "{default} moved (to {short}), and merging it into the task branch conflicts in: {}; \
             sent back to the agent to resolve",
            files.join(", ")
        ),
        When::AtMerge => format!(
            "approved, but {default} moved (to {short}) after the review, and merging it conflicts \
             in: {}; sent back to the agent to resolve, then to review again",
            files.join(", ")
        ),
    };
    // A decision of the review's own: it cannot go on until the agent resolved this.
    let entry = NewCoordination {
        spec_task_id: task.id,
        kind: CoordinationKind::ReviewDecision,
        from_session: None,
        to_session: None,
        message,
        data: ReviewEntry::from(ImplementationDecision::ResolveConflicts(MergeConflicts {
            step: match when {
                When::BeforeReview => ConflictStep::Integrate,
                When::AtMerge => ConflictStep::Merge,
            },
            files: files.to_vec(),
            onto,
            default_branch: default,
        }))
        .data(),
    };
    ctx.store.transition_spec_task_logged(task, &SpecTaskCommand::ResolveConflicts, entry).await?;
    Ok(())
}
