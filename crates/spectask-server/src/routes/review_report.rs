//! Review tasks: the target checked at create, the report as the design-docs branch holds it, and
//! follow-up tasks made from its findings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{REVIEW_WORKFLOW, Repository, SpecTask, TaskKind};
use spectask_git::{GitError, review_report_path};
use spectask_orchestrator::{FollowUp, follow_up};
use spectask_spec::{Finding, parse_findings};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{CreateFollowUp, CreateSpecTask, FindingDto, ReviewReportDto, SpecTaskDto};
use crate::extract::{ApiJson, ApiPath};
use crate::params::TaskPath;
use crate::routes::design_docs::task_repo;
use crate::routes::spec_tasks::{create_in, load};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_review_report)).routes(routes!(create_follow_up))
}

/// The review target a new task keeps: required by the `review` workflow and resolved in the
/// repository (400 `invalid_review_target` naming what is wrong), refused with any other.
pub(crate) async fn checked_target(
    state: &AppState,
    repository: &Repository,
    workflow: &str,
    kind: TaskKind,
    target: Option<String>,
) -> Result<Option<String>, ApiError> {
    let invalid = |message: String| ApiError::bad_request("invalid_review_target", message);
    match (workflow == REVIEW_WORKFLOW, target) {
        (false, None) => Ok(None),
        (false, Some(_)) => {
            Err(invalid(format!("review_target is for the review workflow; this task follows {workflow}")))
        }
        (true, None) => {
            Err(invalid("a review task needs review_target: a branch, or a commit range A..B".into()))
        }
        (true, Some(_)) if kind != TaskKind::Spec => {
            Err(invalid(format!("a review task is of kind spec, not {kind}")))
        }
        (true, Some(target)) => {
            let repo = crate::routes::workflows::open(state, repository).await?;
            match tokio::task::spawn_blocking(move || repo.review_range(&target)).await? {
                Ok(range) => Ok(Some(range.target)),
                Err(err @ GitError::InvalidReviewTarget { .. }) => Err(invalid(err.to_string())),
                Err(err) => Err(err.into()),
            }
        }
    }
}

/// A review task's report, once its agent's findings are committed on the design-docs branch
/// (404 before, and for a task of another workflow).
#[utoipa::path(get, path = "/spec-tasks/{id}/review-report", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The report and its findings", body = ReviewReportDto)))]
async fn get_review_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ReviewReportDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let (markdown, findings) = report(&state, &task).await?;
    let name = spectask_git::TaskHandle::new(task.handle())
        .map_err(|e| ApiError::bad_request("invalid_task", e.to_string()))?;
    Ok(Json(ReviewReportDto {
        spec_task_id: task.id,
        target: task.review_target.clone().unwrap_or_default(),
        path: review_report_path(&name),
        markdown,
        findings: findings.iter().zip(1..).map(|(f, number)| finding_dto(number, f)).collect(),
    }))
}

/// Makes one task (feature or bugfix) of the chosen findings of a review: its prompt names each
/// finding's file, line and detail, and the review task it came from.
#[utoipa::path(post, path = "/spec-tasks/{id}/follow-ups", tag = "specs", params(TaskPath),
    request_body = CreateFollowUp,
    responses((status = 201, description = "The follow-up task, in backlog", body = SpecTaskDto)))]
async fn create_follow_up(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    ApiJson(body): ApiJson<CreateFollowUp>,
) -> Result<(StatusCode, Json<SpecTaskDto>), ApiError> {
    if !matches!(body.workflow.as_str(), "feature" | "bugfix") {
        return Err(ApiError::bad_request(
            "invalid_workflow",
            format!("a follow-up is a feature or a bugfix, not {}", body.workflow),
        ));
    }
    if body.findings.is_empty() || body.findings.len() > 100 {
        return Err(ApiError::bad_request(
            "invalid_finding",
            format!("name 1 to 100 findings to follow up, not {}", body.findings.len()),
        ));
    }
    let task = load(&state, &caller, &id).await?;
    let (_, findings) = report(&state, &task).await?;
    let FollowUp { title, prompt } = follow_up(&task, &findings, &body.findings)?;
    let repository = state.store.repository(task.repository_id).await?;
    let request = CreateSpecTask {
        prompt,
        repo: repository.path.display().to_string(),
        title: Some(title),
        kind: None,
        complexity: None,
        priority: Some(task.priority),
        planning_agent: None,
        implementation_agent: task.implementation_agent.clone(),
        created_by: None,
        depends_on: None,
        hold_before: None,
        budget: None,
        workflow: Some(body.workflow),
        review_target: None,
    };
    Ok((StatusCode::CREATED, Json(create_in(&state, &caller, repository, request).await?)))
}

/// The report's text and findings (404 for a task of another workflow, or before it is written).
async fn report(state: &AppState, task: &SpecTask) -> Result<(String, Vec<Finding>), ApiError> {
    if task.workflow != REVIEW_WORKFLOW {
        return Err(ApiError::not_found(format!("task {} is not a review task", task.handle())));
    }
    let (repo, name) = task_repo(state, task).await?;
    let path = review_report_path(&name);
    let read = tokio::task::spawn_blocking(move || repo.read_design_doc(&path)).await??;
    let text = read.map(|b| String::from_utf8_lossy(&b).into_owned()).ok_or_else(|| {
        ApiError::not_found(format!("the review of task {} is not written yet", task.handle()))
    })?;
    // Written by spectask; edited on the branch since, it is read as far as it makes sense.
    let findings = parse_findings(&text, |_| Some(u32::MAX)).map_err(|errors| {
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        ApiError::conflict(
            "invalid_report",
            format!("the report was edited and cannot be read: {}", said.join("; ")),
        )
    })?;
    Ok((text, findings))
}

fn finding_dto(number: u32, finding: &Finding) -> FindingDto {
    FindingDto {
        number,
        title: finding.title.clone(),
        file: finding.file.clone(),
        line: finding.line,
        severity: finding.severity.name().to_owned(),
        detail: finding.detail.clone(),
    }
}
