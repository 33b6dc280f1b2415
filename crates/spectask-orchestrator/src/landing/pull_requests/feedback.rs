//! What comes back from an open pull request to the task's agent: a review requesting changes, a
//! comment on a line, and failing checks (CI) of its head. Each goes back once, in one review
//! decision naming each item (file and line, or check and summary), and the task returns to work;
//! when that work is done it returns to the pull request without a second review
//! ([`return_fix`]). Failing checks go back `check_rounds` times; then the task waits on its pull
//! request for a person, and the log says so.

use spectask_core::session::coordination::{DecisionSource, FixAnswers, PullRequestEvent, ReviewerDecision};
use spectask_core::{
    CheckState, CoordinationEvent, CoordinationKind, ImplementationDecision, PullRequestCheck,
    PullRequestReview, ReviewEntry, ReviewVerdict, SpecTask, SpecTaskCommand, SpecTaskStatus,
    TaskPullRequest,
};
use spectask_forge::{Feedback, FeedbackKind, Forge, ForgeClient, Verdict};
use spectask_store::NewCoordination;

use super::forge_error;
use crate::ctx::Ctx;
use crate::job_error::JobError;

/// A check as the forge crate read it, as the task shows it.
pub(super) fn check(check: spectask_forge::Check) -> PullRequestCheck {
    PullRequestCheck {
        name: check.name,
        state: match check.state {
            spectask_forge::CheckState::Pending => CheckState::Pending,
            spectask_forge::CheckState::Passed => CheckState::Passed,
            spectask_forge::CheckState::Failed => CheckState::Failed,
        },
        url: check.url,
        summary: check.summary,
    }
}

/// A reviewer's verdict as the forge crate read it, as the task shows it.
pub(super) fn review(reviewer: &spectask_forge::Reviewer) -> PullRequestReview {
    PullRequestReview {
        author: reviewer.login.clone(),
        verdict: match reviewer.verdict {
            Verdict::Approved => ReviewVerdict::Approved,
            Verdict::ChangesRequested => ReviewVerdict::ChangesRequested,
            Verdict::Commented => ReviewVerdict::Commented,
        },
    }
}

/// Sends what is new on an open pull request (`feedback`, as just read) back to the task's agent;
/// see the module docs. Whether the task went back to work.
pub(super) async fn send_back(
    ctx: &Ctx,
    forge: &Forge,
    pull_request: &TaskPullRequest,
    feedback: &[Feedback],
) -> Result<bool, JobError> {
    let task_id = pull_request.spec_task_id;
    let before = ctx.store.pull_request_feedback_seen(task_id).await?;
    let mut seen = before.clone();
    let mut items = Vec::new();
    let mut authors: Vec<String> = Vec::new();
    // What the round answers: the reviewers who asked, the checks that failed.
    let mut failed: Vec<String> = Vec::new();
    let name = forge.kind.pull_request_name(pull_request.number);

    let client = ForgeClient::new(forge);
    let is_new = |f: &&Feedback| match f.kind {
        FeedbackKind::Review { .. } => f.id > before.reviews,
        FeedbackKind::LineComment { .. } => f.id > before.comments,
    };
    if feedback.iter().filter(is_new).any(asks) {
        // spectask's own comments (as the token's user, where the token may say who) are not a
        // reviewer's.
        let own = client.token_report().await.map_err(forge_error)?.login;
        let new: Vec<&Feedback> =
            feedback.iter().filter(is_new).filter(|f| own.as_deref() != Some(f.author.as_str())).collect();
        if new.iter().any(|f| asks(f)) {
            items.extend(new.iter().filter_map(|f| feedback_line(f)));
            for f in &new {
                if !authors.contains(&f.author) {
                    authors.push(f.author.clone());
                }
            }
        }
        for f in feedback {
            match f.kind {
                FeedbackKind::Review { .. } => seen.reviews = seen.reviews.max(f.id),
                FeedbackKind::LineComment { .. } => seen.comments = seen.comments.max(f.id),
            }
        }
    }

    let failing: Vec<&PullRequestCheck> =
        pull_request.checks.iter().filter(|c| c.state == CheckState::Failed).collect();
    let head = pull_request.head_sha.as_str();
    let checks_news = !failing.is_empty() && before.checks_for.as_deref() != Some(head);
    let rounds = u64::from(ctx.config.checks.rounds);
    if checks_news {
        seen.checks_for = Some(head.to_owned());
        if before.check_rounds < rounds {
            seen.check_rounds += 1;
            items.extend(failing.iter().map(|c| check_line(c)));
            failed.extend(failing.iter().map(|c| c.name.clone()));
        } else if items.is_empty() {
            // Past its rounds: a person decides; said once per head.
            let names: Vec<&str> = failing.iter().map(|c| c.name.as_str()).collect();
            let message = format!(
                "checks of {name} still fail after {rounds} rounds ({}): waiting for a person",
                names.join(", ")
            );
            let entry = super::handoff(
                task_id,
                pull_request.number,
                message,
                PullRequestEvent::ChecksFailing { checks: names.iter().map(|n| (*n).to_owned()).collect() },
            );
            ctx.store.mark_pull_request_feedback(task_id, pull_request.number, &seen, entry).await?;
            return Ok(false);
        }
    }
    if items.is_empty() {
        return Ok(false);
    }
    let task = ctx.store.spec_task(task_id).await?;
    if task.status() != SpecTaskStatus::PullRequest {
        return Ok(false);
    }
    let comments = format!(
        "On {name} ({}):\n\n{}\n\nYour changes are pushed to the same {}.",
        pull_request.url,
        items.join("\n"),
        forge.kind.pull_request_noun()
    );
    let mut who = authors.clone();
    if !failed.is_empty() {
        who.push("CI".to_owned());
    }
    let entry = NewCoordination {
        spec_task_id: task_id,
        kind: CoordinationKind::ReviewDecision,
        from_session: None,
        to_session: None,
        message: format!("changes requested on {name} by {}: sent to the agent", who.join(", ")),
        data: ReviewEntry::from(ImplementationDecision::RequestChanges(ReviewerDecision {
            comments,
            reviewer: who.join(", "),
            source: Some(DecisionSource::PullRequest {
                number: pull_request.number,
                answers: FixAnswers { reviewers: authors, checks: failed },
            }),
        }))
        .data(),
    };
    ctx.store.send_pull_request_feedback_back(&task, pull_request.number, &seen, entry).await?;
    Ok(true)
}

/// Whether a piece of feedback asks for a change: a review requesting changes, or a line comment.
fn asks(feedback: &Feedback) -> bool {
    matches!(
        feedback.kind,
        FeedbackKind::Review { changes_requested: true } | FeedbackKind::LineComment { .. }
    )
}

/// Returns a task in implementation review to its pull request when the changes it addressed came
/// from there (the last review decision is one [`send_back`] logged): the fix is pushed to the
/// same pull request by the OpenPullRequest step.
pub(crate) async fn return_fix(
    ctx: &Ctx,
    task: &SpecTask,
    log: &[CoordinationEvent],
) -> Result<(), JobError> {
    let last =
        log.iter().rev().filter_map(ReviewEntry::of).find_map(|e| e.decision()?.by_reviewer().cloned());
    let Some(ReviewerDecision { source: Some(DecisionSource::PullRequest { number, answers }), .. }) = last
    else {
        return Ok(());
    };
    let forge = ctx.store.pull_request_of(task.id).await?.map(|p| p.forge).unwrap_or_default();
    let name = super::name_on(ctx, &forge, number);
    let message = format!("the changes asked on {name} are made: pushing them to it");
    let fix = PullRequestEvent::Fix { fix: true, answers: Some(answers) };
    let entry = super::handoff(task.id, number, message, fix);
    ctx.store.transition_spec_task_logged(task, &SpecTaskCommand::OpenPullRequest, entry).await?;
    Ok(())
}

/// One piece of feedback as the agent reads it; `None` for a review that says nothing.
fn feedback_line(feedback: &Feedback) -> Option<String> {
    let body = feedback.body.trim();
    match &feedback.kind {
        FeedbackKind::LineComment { path, line } => {
            let at = line.map(|l| format!("{path}:{l}")).unwrap_or_else(|| path.clone());
            Some(format!("- `{at}` ({}): {body}", feedback.author))
        }
        FeedbackKind::Review { changes_requested } if *changes_requested || !body.is_empty() => {
            let verdict = if *changes_requested { "requested changes" } else { "commented" };
            Some(format!("- {} {verdict}: {body}", feedback.author))
        }
        FeedbackKind::Review { .. } => None,
    }
}

/// A failing check as the agent reads it.
fn check_line(check: &PullRequestCheck) -> String {
    let details = check.url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
    let said =
        if check.summary.trim().is_empty() { String::new() } else { format!(": {}", check.summary.trim()) };
    format!("- check `{}` failed{said}{details}", check.name)
}
