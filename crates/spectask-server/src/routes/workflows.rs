//! Workflow templates: the ones a repository's tasks may follow, and the check of a chosen one at
//! task creation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use spectask_core::Repository;
use spectask_git::Repo;
use spectask_orchestrator::{JobError, Opening, WorkflowError};
use spectask_spec::{Template, Workflow};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::ApiPath;
use crate::params::RepoPath;
use crate::repositories::access::member_repository;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workflows))
}

/// The workflows a repository's tasks may follow, and its template files that are not valid.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowsDto {
    pub workflows: Vec<WorkflowDto>,
    /// One line per template file that cannot be used: its path and what is wrong.
    pub faults: Vec<String>,
}

/// One workflow template.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowDto {
    pub name: String,
    pub description: String,
    /// The built-in workflow it is built on (itself for a built-in).
    pub base: String,
    /// Whether spectask defines it (else the repository's `.spectask/templates/<name>.toml`).
    pub builtin: bool,
    /// The file name of its spec's first document: `requirements.md`, or `bugfix.md`.
    pub requirements_file: String,
}

impl From<&Template> for WorkflowDto {
    fn from(template: &Template) -> Self {
        WorkflowDto {
            name: template.name.clone(),
            description: template.description.clone(),
            base: template.base.name().to_owned(),
            builtin: Workflow::from_name(&template.name).is_some(),
            requirements_file: template.requirements_file().to_owned(),
        }
    }
}

/// The workflow templates a task of this repository may follow: feature, design-first and bugfix,
/// then the repository's own from `.spectask/templates/*.toml` on its default branch.
#[utoipa::path(get, path = "/repos/{id}/workflows", tag = "repos", params(RepoPath),
    responses((status = 200, description = "The workflows and the template files that are not valid", body = WorkflowsDto)))]
async fn list_workflows(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoPath { id }): ApiPath<RepoPath>,
) -> Result<Json<WorkflowsDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    let repo = open(&state, &repository).await?;
    let (templates, faults) = spectask_orchestrator::available_workflows(&repo).await.map_err(job_error)?;
    Ok(Json(WorkflowsDto {
        workflows: templates.iter().map(WorkflowDto::from).collect(),
        faults: faults.iter().map(ToString::to_string).collect(),
    }))
}

/// The template named `name` when a task of `repository` can follow it; else 400
/// `invalid_workflow` saying why.
pub(crate) async fn checked(
    state: &AppState,
    repository: &Repository,
    name: &str,
) -> Result<Template, ApiError> {
    if let Some(workflow) = Workflow::from_name(name) {
        return Ok(Template::builtin(workflow));
    }
    let repo = open(state, repository).await?;
    match spectask_orchestrator::resolve_workflow(&repo, name).await {
        Ok(template) => Ok(template),
        Err(WorkflowError::Job(err)) => Err(job_error(err)),
        Err(err) => Err(ApiError::bad_request("invalid_workflow", err.to_string())),
    }
}

pub(crate) async fn open(state: &AppState, repository: &Repository) -> Result<Repo, ApiError> {
    let (repository, clones_dir) = (repository.clone(), state.clones_dir.clone());
    let repo = tokio::task::spawn_blocking(move || {
        spectask_orchestrator::local_repo(&repository, clones_dir.as_deref(), Opening::Open)
    })
    .await??;
    Ok(repo)
}

pub(crate) fn job_error(err: JobError) -> ApiError {
    tracing::warn!(%err, "reading the repository's workflow templates or steering documents failed");
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the repository could not be read now; try again")
}
