//! Main moved under the task: before the person reviews, the task branch takes in the default
//! branch. A clean merge is recorded and the review shows it. A merge that conflicts goes back to
//! the task's agent: the task returns to implementation with a session of its own, "Resolve merge
//! conflicts", whose drive begins the merge in the worktree (leaving git's conflict markers in the
//! files, [`begin`]), whose check refuses markers left behind, and whose commit concludes the merge.
//! The person never receives a conflict the agent could have resolved.

use serde_json::json;
use spectask_core::session::coordination::{ConflictStep, MergeConflicts};
use spectask_core::{
    CoordinationEvent, CoordinationKind, ImplementationDecision, ReviewEntry, SpecTask, SpecTaskCommand,
    WorkSession,
};
use spectask_git::{Integration, Repo, TaskHandle};
use spectask_store::{NewCoordination, NewWorkSession};

use crate::ctx::Ctx;
use crate::implementation::sessions::new_session;
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
    let name = handle(task)?;
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
                data: json!({ "step": "integrate", "commit": commit.to_string() }),
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
/// with a review decision naming them, from which [`missing_sessions`] makes the agent's session.
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

/// The sessions resolving the conflicts [`before_review`] sent back that are not made yet, from the
/// task's review decisions: one per time, named "Resolve merge conflicts", then "… (2)", …, each
/// naming the files.
pub(crate) fn missing_sessions(
    task: &SpecTask,
    decisions: &[CoordinationEvent],
    existing: &[WorkSession],
) -> Vec<NewWorkSession> {
    let conflicts = decisions.iter().filter_map(ReviewEntry::of).filter_map(|e| match e {
        ReviewEntry::Decision(ImplementationDecision::ResolveConflicts(conflicts)) => Some(conflicts),
        _ => None,
    });
    conflicts
        .enumerate()
        .map(|(i, entry)| (session_name(i + 1), entry))
        .filter(|(name, _)| !existing.iter().any(|s| s.parent_id.is_none() && s.name == *name))
        .map(|(name, entry)| {
            let files: Vec<&str> = entry.files.iter().map(String::as_str).collect();
            let default = Some(entry.default_branch.as_str()).filter(|b| !b.is_empty());
            new_session(task, name, instructions(default.unwrap_or("the default branch"), &files), None)
        })
        .collect()
}

/// Whether `session` is one [`missing_sessions`] made.
pub(crate) fn resolves_conflicts(session: &WorkSession) -> bool {
    session.parent_id.is_none()
        && session.name.strip_prefix(RESOLVE).is_some_and(|rest| rest.is_empty() || rest.starts_with(" ("))
}

/// Begins the merge of the default branch in the task's worktree for a session resolving
/// conflicts, unless it is under way: on whichever node drives the session, from what the task
/// branch holds. Nothing when the branch holds the default branch by now.
pub(crate) async fn begin(repo: &Repo, task: &SpecTask) -> Result<(), JobError> {
    let name = handle(task)?;
    let repo = repo.clone();
    let outcome = repos::blocking(move || repo.begin_integration(&name)).await?;
    tracing::info!(task = %task.id, ?outcome, "merge of the default branch begun for the agent to resolve");
    Ok(())
}

/// The files of the merge under way in the task's worktree that still hold conflict markers.
pub(crate) async fn unresolved(ctx: &Ctx, task: &SpecTask) -> Result<Vec<String>, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let name = handle(task)?;
    repos::blocking(move || repo.unresolved_conflicts(&name)).await
}

fn handle(task: &SpecTask) -> Result<TaskHandle, JobError> {
    TaskHandle::new(task.handle()).map_err(|e| JobError::Fatal(e.to_string()))
}

/// The name of a session resolving merge conflicts.
const RESOLVE: &str = "Resolve merge conflicts";

/// The session made for the n-th conflicting merge (from 1).
fn session_name(n: usize) -> String {
    match n {
        0 | 1 => RESOLVE.to_owned(),
        n => format!("{RESOLVE} ({n})"),
    }
}

/// What the session resolving conflicts in `files` is asked to do.
fn instructions(default: &str, files: &[&str]) -> String {
    let listed: Vec<String> = files.iter().map(|f| format!("- `{f}`")).collect();
    format!(
        "`{default}` moved while this task was at work, and merging it into the task branch conflicts \
         in:\n\n{}\n\nThe merge is under way in your worktree: these files hold git's conflict markers \
         (`<<<<<<<`, `=======`, `>>>>>>>`). Resolve each so that this task's work and what `{default}` \
         brought both hold, and remove every marker. Do not stage, commit or abort the merge: when you \
         end your turn, spectask checks that no marker is left and concludes the merge with your changes.",
        listed.join("\n")
    )
}
