//! SpecTasks taken up from forge issues: `POST /spec-tasks/import` with an issue's URL makes a
//! task of it in the caller's repository registered by a URL of the same forge repository, says so
//! on the issue, and links the two; the task's pull request then closes it when it merges.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use spectask_core::{Complexity, Priority, TaskKind};
use spectask_forge::{ForgeClient, ForgeError};
use spectask_orchestrator::{TakeUp, take_up};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::SpecTaskDto;
use crate::extract::ApiJson;
use crate::routes::spec_tasks::task_dto;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_issue))
}

/// `POST /api/v1/spec-tasks/import`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportIssue {
    /// The issue's page: `https://github.com/<owner>/<name>/issues/<number>`.
    #[schema(
        pattern = r"^\s*https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/issues/[0-9]{1,18}/?\s*$"
    )]
    pub url: String,
    pub kind: Option<TaskKind>,
    pub complexity: Option<Complexity>,
    pub priority: Option<Priority>,
}

/// Make a SpecTask of a forge issue: its title and text become the task's, in the caller's
/// repository (owned, or of which the caller is a member) registered by a URL of the issue's
/// repository, which the forge connection must serve; the issue is told, and closed when the
/// task's pull request merges. An issue becomes one task per registered repository.
#[utoipa::path(post, path = "/spec-tasks/import", tag = "spec-tasks", request_body = ImportIssue,
    responses((status = 201, description = "The task, in backlog", body = SpecTaskDto),
        (status = 400, description = "Not an issue's page", body = crate::error::ErrorBody),
        (status = 403, description = "The forge connection does not serve the issue's repository, or none of the caller's repositories is registered by a URL of it", body = crate::error::ErrorBody),
        (status = 404, description = "No such issue", body = crate::error::ErrorBody),
        (status = 409, description = "No forge connection names its host", body = crate::error::ErrorBody),
        (status = 502, description = "The forge refused", body = crate::error::ErrorBody),
        (status = 503, description = "The forge is down or rate limiting", body = crate::error::ErrorBody)))]
async fn import_issue(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ImportIssue>,
) -> Result<(StatusCode, Json<SpecTaskDto>), ApiError> {
    let url = body.url.trim();
    let Some((host, forge_repo, number)) = spectask_forge::parse_issue_url(url) else {
        return Err(ApiError::bad_request(
            "invalid_issue_url",
            format!("{url} is no issue's page (https://<host>/<owner>/<name>/issues/<number>)"),
        ));
    };
    let Some(forge) = state.forges.iter().find(|f| f.host == host) else {
        return Err(ApiError::conflict(
            "no_forge",
            format!("no forge connection names {host}: add a [forges.<name>] table with its host"),
        ));
    };
    // The operator's token serves the repositories its connection names, and no other.
    if !forge.serves(&forge_repo) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forge_not_serving",
            format!(
                "forge connection {} serves {}, not {forge_repo}: its repositories in the server's \
                 configuration decide",
                forge.name,
                forge.serving()
            ),
        ));
    }
    // Only into a repository the caller may use (owns, or is a member of), registered by a URL of
    // the issue's repository: whether anyone else registered one is not said.
    let repositories = crate::repositories::access::callers_repositories(&state, &caller).await?;
    let same = |url: &str| spectask_forge::parse_remote(url) == Some((host.clone(), forge_repo.clone()));
    let Some(repository) = repositories.into_iter().find(|r| r.remote_url.as_deref().is_some_and(same))
    else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_your_repository",
            format!(
                "an issue is imported into a repository you own or are a member of, registered by a URL \
                 of {forge_repo} on {host}; you have none: repo add its URL first, or ask its owner to \
                 make you a member"
            ),
        ));
    };
    let client = ForgeClient::new(forge);
    let issue = client.issue(&forge_repo, number).await.map_err(forge_api_error)?;
    if issue.is_pull_request {
        return Err(ApiError::bad_request(
            "invalid_issue_url",
            format!("{url} is a pull request, not an issue"),
        ));
    }
    let how = TakeUp {
        kind: body.kind,
        complexity: body.complexity,
        priority: body.priority,
        created_by: caller.name.clone(),
    };
    let task = take_up(&state.store, forge, &client, &repository, &forge_repo, &issue, &how).await?;
    Ok((StatusCode::CREATED, Json(task_dto(&state, &task).await?)))
}

/// A forge's refusal in the API's error shape: what it does not show is 404, what it refuses (or
/// lists past what spectask reads) 502, and what is down or rate limiting 503.
pub(crate) fn forge_api_error(err: ForgeError) -> ApiError {
    match &err {
        ForgeError::NotFound { .. } => ApiError::not_found(err.to_string()),
        ForgeError::RateLimited { .. } | ForgeError::Unavailable { .. } => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "forge_unavailable", err.to_string())
        }
        ForgeError::Config { .. }
        | ForgeError::Unauthorized { .. }
        | ForgeError::Refused { .. }
        | ForgeError::TooLong { .. } => {
            ApiError::new(StatusCode::BAD_GATEWAY, "forge_refused", err.to_string())
        }
    }
}
