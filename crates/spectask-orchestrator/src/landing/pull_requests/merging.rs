//! spectask merging a task's pull request itself, where the repository says so
//! (`pull_request_merge` = `merge`, `squash` or `rebase`): once its head has checks and every one
//! passed (a head without any may be one whose CI has not started: people merge those), and its
//! reviewers allow it ([`review_wait`]: no reviewer's latest verdict asks for changes, and the
//! repository's `required_approvals` approved), through the forge, naming the head so that a
//! later push is never merged unseen. What a green head waits for is said once per head in the
//! log. A merge the forge refuses (a protection, a conflict) is said once per head in the log,
//! and left to people. The task becomes done only when a reading says merged.

use spectask_core::session::coordination::PullRequestEvent;
use spectask_core::{
    CheckState, CoordinationKind, PullRequestMerge, PullRequestReview, ReviewVerdict, SpecTaskStatus,
    TaskPullRequest,
};
use spectask_forge::{Forge, ForgeClient, ForgeRepo, MergeMethod};

use super::forge_error;
use crate::ctx::Ctx;
use crate::job_error::JobError;

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
    if let Some(wait) = review_wait(&pull_request.reviews, repository.required_approvals) {
        let message =
            format!("merging {} at {short} waits: {wait}", forge.kind.pull_request_name(pull_request.number));
        let data = PullRequestEvent::Merge { merge: repository.pull_request_merge, waiting: Some(wait) };
        ctx.store
            .record_coordination_unless_logged(super::handoff(task.id, pull_request.number, message, data))
            .await?;
        return Ok(());
    }
    let refused =
        format!("merging {} at {short} was refused", forge.kind.pull_request_name(pull_request.number));
    let log = ctx.store.coordination_of_kind(task.id, CoordinationKind::Handoff).await?;
    if log.iter().any(|e| e.message.starts_with(&refused)) {
        return Ok(());
    }
    let client = ForgeClient::new(forge);
    let message = match client.merge_pull_request(repo, pull_request.number, method, head).await {
        Ok(()) => format!(
            "merged {} by {} once its checks passed",
            forge.kind.pull_request_name(pull_request.number),
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
            PullRequestEvent::Merge { merge: repository.pull_request_merge, waiting: None },
        ))
        .await?;
    Ok(())
}

/// What the reviewers' latest verdicts leave a merge to wait for, when anything: a reviewer asking
/// for changes (until they approve), or fewer approvals than `required`.
fn review_wait(reviews: &[PullRequestReview], required: u32) -> Option<String> {
    let asking: Vec<&str> = reviews
        .iter()
        .filter(|r| r.verdict == ReviewVerdict::ChangesRequested)
        .map(|r| r.author.as_str())
        .collect();
    if !asking.is_empty() {
        return Some(format!("{} asked for changes, and has not approved since", asking.join(", ")));
    }
    let approved = reviews.iter().filter(|r| r.verdict == ReviewVerdict::Approved).count();
    let required = usize::try_from(required).unwrap_or(usize::MAX);
    (approved < required).then(|| format!("{approved} of the {required} approval(s) the repository asks"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(author: &str, verdict: ReviewVerdict) -> PullRequestReview {
        PullRequestReview { author: author.to_owned(), verdict }
    }

    #[test]
    fn a_merge_waits_for_whoever_asked_for_changes_and_for_the_approvals_asked() {
        use ReviewVerdict::{Approved, ChangesRequested, Commented};
        assert_eq!(review_wait(&[], 0), None, "by default nothing to wait for");
        assert_eq!(review_wait(&[review("bob", Commented)], 0), None);
        let asked = [review("alice", ChangesRequested), review("bob", Approved)];
        assert_eq!(
            review_wait(&asked, 0).as_deref(),
            Some("alice asked for changes, and has not approved since")
        );
        assert_eq!(
            review_wait(&[review("bob", Approved)], 2).as_deref(),
            Some("1 of the 2 approval(s) the repository asks")
        );
        assert_eq!(review_wait(&[review("bob", Approved), review("carol", Approved)], 2), None);
    }
}
