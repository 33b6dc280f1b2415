//! A task's steering documents as its agents are given them: what a reviewer reads beside the spec.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use spectask_spec::steering::{Inclusion, STEERING_DIRS, STEERING_FILES, is_steering_path, parse_steering};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::spec_tasks::load;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(task_steering))
}

/// One steering document of a repository.
#[derive(Debug, Serialize, ToSchema)]
pub struct SteeringDocumentDto {
    /// Its path in the repository (`.kiro/steering/product.md`).
    pub path: String,
    /// `always`, `file_match` (with `pattern`) or `manual` (not given to agents).
    pub inclusion: String,
    pub pattern: Option<String>,
    /// Its text without the front matter.
    pub text: String,
}

/// The steering documents of the task's repository, at the tip of its default branch: what its
/// planner and sessions are given (a `manual` one is listed but not given).
#[utoipa::path(get, path = "/spec-tasks/{id}/steering", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The steering documents", body = Vec<SteeringDocumentDto>)))]
async fn task_steering(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<SteeringDocumentDto>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let repository = state.store.repository(task.repository_id).await?;
    let repo = crate::routes::workflows::open(&state, &repository).await?;
    let files = tokio::task::spawn_blocking(move || repo.default_branch_files(STEERING_DIRS, STEERING_FILES))
        .await??;
    let documents = files
        .into_iter()
        .filter(|(path, _)| is_steering_path(path))
        .filter_map(|(path, bytes)| {
            let text = String::from_utf8(bytes).ok()?;
            let (inclusion, body) = parse_steering(&text);
            let (inclusion, pattern) = match inclusion {
                Inclusion::Always => ("always", None),
                Inclusion::FileMatch(pattern) => ("file_match", Some(pattern)),
                Inclusion::Manual => ("manual", None),
            };
            Some(SteeringDocumentDto {
                path,
                inclusion: inclusion.to_owned(),
                pattern,
                text: body.to_owned(),
            })
        })
        .collect();
    Ok(Json(documents))
}
