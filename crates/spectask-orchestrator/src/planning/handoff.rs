//! The spec hand-off: on approval, one forward-only commit of `specs/<task>/` on the design-docs
//! branch, then the task is queued for implementation.

use spectask_core::{ReviewDecision, SpecReview, SpecTask, SpecTaskCommand, SpecTaskId, SpecTaskStatus};
use spectask_git::{ReviewDocument, SpecFile, SpecHandOff, TaskHandle};
use spectask_spec::{
    Agent, Approval, ApprovalDecision, Plan, ProgressStatus, SpecMetadata, SpecVersion, Workflow,
    render_progress,
};
use spectask_store::StoreError;

use crate::ctx::Ctx;
use crate::job_error::JobError;
use crate::repos;

pub(crate) async fn run(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::SpecApproved {
        return Ok(());
    }
    let repository = ctx.store.repository(task.repository_id).await?;
    let versions = ctx.store.spec_versions(id).await?;
    let reviews = ctx.store.reviews_of(id).await?;
    let current = versions.iter().find(|v| v.version == task.spec_version).ok_or_else(|| {
        JobError::fatal(format!("spec version {} of task {id} is missing", task.spec_version))
    })?;
    let plan = Plan::parse(&current.documents.tasks);
    let metadata = metadata(ctx, &task, &versions, &reviews, &plan);
    let repo = repos::open(ctx, &repository).await?;
    let requirements_file = requirements_file(&task);
    let hand_off = SpecHandOff {
        task: TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?,
        spec_task: task.id.to_string(),
        version: task.spec_version,
        requirements_file,
        requirements: current.documents.requirements.clone(),
        design: current.documents.design.clone(),
        tasks: current.documents.tasks.clone(),
        progress: render_progress(&plan, &ProgressStatus::default()),
        metadata_json: metadata.to_json().map_err(JobError::fatal_from)?,
        reviews: reviews.iter().enumerate().map(|(i, r)| review_document(i, r)).collect(),
    };
    // A repository registered by URL: implement on what the team has now, and share the spec.
    repos::fetch(&repo).await?;
    let pushed = repo.clone();
    let commit = repos::blocking(move || repo.hand_off_spec(&hand_off)).await?;
    repos::push(&pushed, vec![pushed.design_docs_branch().to_owned()]).await?;
    tracing::info!(task = %task.handle(), %commit, version = task.spec_version, "spec handed off");
    match ctx.store.transition_spec_task(&task, &SpecTaskCommand::QueueImplementation).await {
        Ok(_) | Err(StoreError::Conflict { .. } | StoreError::Transition(_)) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Where the spec's first document goes: `bugfix.md` for a bugfix workflow (or a template on it).
fn requirements_file(task: &SpecTask) -> SpecFile {
    match Workflow::from_name(&task.workflow_base) {
        Some(Workflow::Bugfix) => SpecFile::Bugfix,
        _ => SpecFile::Requirements,
    }
}

fn metadata(
    ctx: &Ctx,
    task: &SpecTask,
    versions: &[spectask_core::SpecVersion],
    reviews: &[SpecReview],
    plan: &Plan,
) -> SpecMetadata {
    let mut metadata = SpecMetadata::new(task.id.to_string(), task.title.clone());
    metadata.versions = versions
        .iter()
        .map(|v| SpecVersion {
            version: v.version,
            created_at: v.created_at.to_rfc3339(),
            author: Some(v.planner.clone()),
            commit: None,
            summary: None,
        })
        .collect();
    let planner = versions.last().map(|v| v.planner.clone()).unwrap_or_default();
    metadata.agents = vec![
        Agent { role: "planner".into(), profile: planner, session: None },
        Agent {
            role: "implementer".into(),
            profile: task
                .implementation_agent
                .clone()
                .or_else(|| ctx.config.default_implementation_agent.clone())
                .unwrap_or_default(),
            session: None,
        },
    ];
    metadata.approvals = reviews
        .iter()
        .map(|r| Approval {
            version: r.version,
            decision: match r.decision {
                ReviewDecision::Approve => ApprovalDecision::Approve,
                ReviewDecision::RequestChanges => ApprovalDecision::RequestChanges,
                ReviewDecision::Reject => ApprovalDecision::Reject,
            },
            by: r.reviewer.clone(),
            at: r.created_at.to_rfc3339(),
            comment: Some(r.comments.clone()).filter(|c| !c.is_empty()),
        })
        .collect();
    metadata.implementation_tasks = SpecMetadata::implementation_tasks_from(plan);
    metadata
}

/// `reviews/<n>-<decision>.md`: who decided what on which version, with the comments.
fn review_document(index: usize, review: &SpecReview) -> ReviewDocument {
    let mut body = format!(
        "# Review {}: {}\n\n- Version: {}\n- Reviewer: {}\n- Date: {}\n",
        index + 1,
        review.decision.as_str().replace('_', " "),
        review.version,
        review.reviewer,
        review.created_at.to_rfc3339(),
    );
    if !review.comments.is_empty() {
        body.push_str(&format!("\n## Comments\n\n{}\n", review.comments));
    }
    if !review.line_comments.is_empty() {
        body.push_str("\n## Line comments\n\n");
        for c in &review.line_comments {
            let at = c.line.map(|l| format!(":{l}")).unwrap_or_default();
            body.push_str(&format!("- `{}{at}`: {}\n", c.document.file_name(), c.comment));
        }
    }
    ReviewDocument {
        number: u32::try_from(index + 1).unwrap_or(u32::MAX),
        decision: review.decision.as_str().replace('_', "-"),
        body,
    }
}
