//! `GET /spec-tasks/{id}/export`: the task's report (`views::export`) as a markdown download.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use spectask_orchestrator::views;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::spec_tasks::load;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_spec_task))
}

/// The task's report as one markdown document (a download: `<handle>.md`).
#[utoipa::path(get, path = "/spec-tasks/{id}/export", tag = "spec-tasks", params(TaskPath),
    responses((status = 200, description = "The report", body = String, content_type = "text/markdown")))]
async fn export_spec_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Response, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let report = views::export::report(&state.store, &task).await?;
    let disposition = format!("attachment; filename=\"{}.md\"", task.handle());
    Ok((
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        report,
    )
        .into_response())
}
