//! The sessions that follow an implementation's first ones: those a person's changes request asks
//! for ("Address review comments"), and those resolving the merge conflicts the landing sent back
//! ("Resolve merge conflicts"). A scheduling pass makes the missing ones ([`missing_follow_ups`]);
//! the drive of a session resolving conflicts begins the merge in the worktree ([`begin`]), and its
//! check refuses the conflict markers left ([`unresolved`]). [`rounds`] counts the converge rounds,
//! whose plan tasks get sessions of their own.

use spectask_core::session::coordination::{ConvergeData, ReviewerDecision};
use spectask_core::{
    CoordinationEvent, CoordinationKind, ImplementationDecision, ReviewEntry, SpecTask, WorkSession,
};
use spectask_git::{Repo, TaskHandle};
use spectask_store::{NewWorkSession, Store};

use crate::ctx::Ctx;
use crate::implementation::sessions::new_session;
use crate::job_error::JobError;
use crate::repos;

/// The sessions addressing the implementation reviews' changes requests that are not made yet (and
/// those resolving merge conflicts sent back, [`missing_sessions`]): one per request, named for it
/// ("Address review comments", then "… (2)", …), carrying its comments.
/// A scheduling pass makes them before it decides anything, so a task whose review asked for
/// changes is never submitted again without them, whichever of its jobs runs first after the
/// request, and a rerun finds each by its name.
pub(crate) async fn missing_follow_ups(
    store: &Store,
    task: &SpecTask,
    existing: &[WorkSession],
) -> Result<Vec<NewWorkSession>, JobError> {
    let decisions = store.coordination_of_kind(task.id, CoordinationKind::ReviewDecision).await?;
    let requests = decisions.iter().filter_map(changes_requested);
    let conflicts = missing_sessions(task, &decisions, existing);
    Ok(requests
        .enumerate()
        .map(|(i, request)| (follow_up_name(i + 1), request))
        .filter(|(name, _)| !existing.iter().any(|s| s.parent_id.is_none() && s.name == *name))
        .map(|(name, request)| {
            let description =
                format!("The reviewer asked for changes to the implementation:\n\n{}", request.comments);
            new_session(task, name, description, None)
        })
        .chain(conflicts)
        .collect())
}

/// The session made for the n-th changes request (from 1).
fn follow_up_name(n: usize) -> String {
    match n {
        0 | 1 => FOLLOW_UP.to_owned(),
        n => format!("{FOLLOW_UP} ({n})"),
    }
}

/// The name of the session made for a review's requested changes.
pub(crate) const FOLLOW_UP: &str = "Address review comments";

/// The reviewer's verdict of a review decision asking for changes.
pub(crate) fn changes_requested(event: &CoordinationEvent) -> Option<ReviewerDecision> {
    match ReviewEntry::of(event)? {
        ReviewEntry::Decision(ImplementationDecision::RequestChanges(verdict)) => Some(verdict),
        _ => None,
    }
}

/// Rounds approved: the log's converge entries that added plan tasks.
pub(crate) fn rounds(log: &[CoordinationEvent]) -> u32 {
    let added = log.iter().filter(|e| matches!(ConvergeData::of(e), Some(ConvergeData::Round { .. })));
    u32::try_from(added.count()).unwrap_or(u32::MAX)
}

/// The sessions resolving the conflicts the landing sent back (`landing::finish::integrate`) that
/// are not made yet, from the
/// task's review decisions: one per time, named "Resolve merge conflicts", then "… (2)", …, each
/// naming the files.
fn missing_sessions(
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
    let name = task_handle(task)?;
    let repo = repo.clone();
    let outcome = repos::blocking(move || repo.begin_integration(&name)).await?;
    tracing::info!(task = %task.id, ?outcome, "merge of the default branch begun for the agent to resolve");
    Ok(())
}

/// The files of the merge under way in the task's worktree that still hold conflict markers.
pub(crate) async fn unresolved(ctx: &Ctx, task: &SpecTask) -> Result<Vec<String>, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let name = task_handle(task)?;
    repos::blocking(move || repo.unresolved_conflicts(&name)).await
}

/// The task's handle as git names its branch.
pub(crate) fn task_handle(task: &SpecTask) -> Result<TaskHandle, JobError> {
    TaskHandle::new(task.handle()).map_err(JobError::fatal_from)
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
