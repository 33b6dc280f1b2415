//! Review tasks: the target checked at create, the report as the design-docs branch holds it, and
//! follow-up tasks made from its findings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{REVIEW_WORKFLOW, Repository, TaskKind};
use spectask_git::GitError;
use spectask_orchestrator::{FollowUpRequest, make_follow_up, review_report};
use spectask_spec::Finding;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{CreateFollowUp, FindingDto, ReviewReportDto, SpecTaskDto};
use crate::extract::{ApiJson, ApiPath};
use crate::params::TaskPath;
use crate::routes::demo::follow_up_agents;
use crate::routes::spec_tasks::{load, task_dto};
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
    let report = review_report(&state.store, state.clones_dir.as_deref(), &task).await?;
    Ok(Json(ReviewReportDto {
        spec_task_id: task.id,
        target: task.review_target.clone().unwrap_or_default(),
        path: report.path,
        markdown: report.markdown,
        findings: report.findings.iter().zip(1..).map(|(f, number)| finding_dto(number, f)).collect(),
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
    let (planning_agent, implementation_agent) = follow_up_agents(&state, &task, &body.workflow).await?;
    let request = FollowUpRequest {
        workflow: body.workflow,
        findings: body.findings,
        created_by: caller.name.clone(),
        planning_agent,
        implementation_agent,
    };
    let made = make_follow_up(&state.store, &state.budgets, state.clones_dir.as_deref(), &task, request);
    let made = made.await?;
    Ok((StatusCode::CREATED, Json(task_dto(&state, &made).await?)))
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
