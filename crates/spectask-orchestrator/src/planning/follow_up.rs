//! A follow-up of a review task: one task (feature or bugfix) made of chosen findings of its
//! report, in backlog, as one use case: the report read, the findings chosen, the task made unless a
//! daily budget holds. Its title is the finding's, or says how many; its prompt names each
//! finding's file, line and detail, and the review task it came from (a link the dashboard
//! follows).

use std::path::Path;

use spectask_core::{BudgetDefaults, BudgetHold, Complexity, NewSpecTask, SpecTask, TaskKind};
use spectask_spec::{Finding, render_finding};
use spectask_store::{Prerequisites, Store, StoreError};

use super::review_report::{ReportError, review_report};
use crate::drive::daily_hold;

/// Longest prompt a task is made of, in bytes.
pub const MAX_PROMPT_BYTES: usize = 64 * 1024;

/// What a person asks of a follow-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpRequest {
    /// `feature` or `bugfix`.
    pub workflow: String,
    /// The findings' numbers in the report, from 1.
    pub findings: Vec<u32>,
    /// Whose task it is.
    pub created_by: String,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
}

/// Why no follow-up was made.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    NoFinding(#[from] NoFinding),
    #[error("prompt is {bytes} bytes; the limit is {MAX_PROMPT_BYTES}")]
    PromptTooLarge { bytes: usize },
    /// A daily budget of the repository or of the person holds: nothing new starts.
    #[error("{}: raise it ({}) first", .0.why, .0.raise)]
    BudgetReached(BudgetHold),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes the follow-up `request` asks of the review task `review`, in backlog, with the review's
/// priority (`clones_dir` as for [`review_report`]).
pub async fn make_follow_up(
    store: &Store,
    budgets: &BudgetDefaults,
    clones_dir: Option<&Path>,
    review: &SpecTask,
    request: FollowUpRequest,
) -> Result<SpecTask, FollowUpError> {
    let report = review_report(store, clones_dir, review).await?;
    let FollowUp { title, prompt } = follow_up(review, &report.findings, &request.findings)?;
    let prompt = prompt.trim();
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(FollowUpError::PromptTooLarge { bytes: prompt.len() });
    }
    // Planning spends too: nothing new starts while a daily budget of its repository or user holds.
    let repository = review.repository_id.to_string();
    if let Some(hold) = daily_hold(store, budgets, &repository, &request.created_by).await? {
        return Err(FollowUpError::BudgetReached(hold));
    }
    let new = NewSpecTask {
        title,
        prompt: prompt.to_owned(),
        kind: TaskKind::Spec,
        complexity: Complexity::default(),
        repository_id: review.repository_id,
        planning_agent: request.planning_agent,
        implementation_agent: request.implementation_agent,
        workflow_base: request.workflow.clone(),
        workflow: request.workflow,
        review_target: None,
        priority: review.priority,
        created_by: request.created_by,
    };
    Ok(store.create_spec_task_after(new, &Prerequisites::default(), None).await?)
}

/// What a follow-up task is asked.
struct FollowUp {
    title: String,
    prompt: String,
}

/// The report has no finding of that number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the report has no finding {number} (it has {count})")]
pub struct NoFinding {
    pub number: u32,
    pub count: usize,
}

/// The follow-up of `review` addressing its report's `findings` numbered `chosen` (from 1; each
/// once, in the order first named).
fn follow_up(review: &SpecTask, findings: &[Finding], chosen: &[u32]) -> Result<FollowUp, NoFinding> {
    let mut picked: Vec<(u32, &Finding)> = Vec::new();
    for &number in chosen {
        let finding = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| findings.get(i))
            .ok_or(NoFinding { number, count: findings.len() })?;
        if !picked.iter().any(|(n, _)| *n == number) {
            picked.push((number, finding));
        }
    }
    let title = match picked.as_slice() {
        [(_, only)] => only.title.clone(),
        _ => format!("Follow up {} findings of: {}", picked.len(), review.title),
    };
    Ok(FollowUp { title, prompt: prompt(review, &picked) })
}

/// What a follow-up task is asked: each finding where it is, and where it came from.
fn prompt(review: &SpecTask, findings: &[(u32, &Finding)]) -> String {
    let target = review.review_target.as_deref().unwrap_or_default();
    let mut text = format!(
        "Follow up on the review task [{}](/tasks/{}) of {target}: address {}.\n",
        review.handle(),
        review.id,
        if findings.len() == 1 { "this finding" } else { "these findings" }
    );
    for (number, f) in findings {
        text.push_str(&render_finding(&format!("Finding {number}: {}", f.title), f));
    }
    text
}
