//! spectask merging a task's pull request itself, where the repository says so
//! (`pull_request_merge` = `merge`, `squash` or `rebase`): once its head has checks and every one
//! passed (a head without any may be one whose CI has not started: people merge those), through
//! the forge, naming the head so that a later push is never merged unseen. A merge the
//! forge refuses (a protection, a conflict) is said once per head in the log, and left to people.
//! The task becomes done only when a reading says merged.

use serde_json::json;
use spectask_core::{CheckState, CoordinationKind, PullRequestMerge, SpecTaskStatus, TaskPullRequest};
use spectask_forge::{Forge, ForgeClient, ForgeRepo, MergeMethod};

use super::forge_error;
use crate::dispatch::JobError;
use crate::engine::Ctx;

/// Merges the open pull request when the repository lets spectask and its head is green.
pub(super) async fn when_green(
    ctx: &Ctx,
    forge: &Forge,
    repo: &ForgeRepo,
    pull_request: &TaskPullRequest,
) -> Result<(), JobError> {
    let task = ctx.store.spec_task(pull_request.spec_task_id).await?;
    if task.status() != SpecTaskStatus::PullRequest {
        return Ok(());
    }
    let repository = ctx.store.repository(task.repository_id).await?;
    let method = match repository.pull_request_merge {
        PullRequestMerge::People => return Ok(()),
        PullRequestMerge::Merge => MergeMethod::Merge,
        PullRequestMerge::Squash => MergeMethod::Squash,
        PullRequestMerge::Rebase => MergeMethod::Rebase,
    };
    // No check yet may be CI not started on this head: only a head with checks, all passed.
    if pull_request.checks.is_empty() || pull_request.checks.iter().any(|c| c.state != CheckState::Passed) {
        return Ok(());
    }
    let head = &pull_request.head_sha;
    let short = head.get(..10).unwrap_or(head);
    let refused = format!("merging pull request #{} at {short} was refused", pull_request.number);
    let log = ctx.store.coordination_of_kind(task.id, CoordinationKind::Handoff).await?;
    if log.iter().any(|e| e.message.starts_with(&refused)) {
        return Ok(());
    }
    let client = ForgeClient::new(forge);
    let message = match client.merge_pull_request(repo, pull_request.number, method, head).await {
        Ok(()) => format!(
            "merged pull request #{} by {} once its checks passed",
            pull_request.number,
            repository.pull_request_merge.as_str()
        ),
        Err(err) if err.is_transient() => return Err(forge_error(err)),
        Err(err) => format!("{refused}: {err}; left to people"),
    };
    ctx.store
        .record_coordination_unless_logged(super::handoff(
            task.id,
            pull_request.number,
            message,
            json!({ "merge": repository.pull_request_merge }),
        ))
        .await?;
    Ok(())
}
