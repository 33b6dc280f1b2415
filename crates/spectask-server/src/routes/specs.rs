//! The spec review loop: documents by version, approve / request changes / reject, regenerate.

use axum::extract::{Path as UrlPath, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use spectask_core::{ReviewDecision, SpecDocument, SpecTaskCommand, SpecTaskStatus};
use spectask_store::NewSpecReview;

use crate::dto::{
    DocumentDto, DocumentQuery, ReviewBody, ReviewDto, ReviewedDto, SpecTaskDto, SpecVersionDto,
};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::spec_tasks::{load, task_dto};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/spec-tasks/{id}/approve-specs", post(approve))
        .route("/spec-tasks/{id}/approve-with-handoff", post(approve))
        .route("/spec-tasks/{id}/request-changes", post(request_changes))
        .route("/spec-tasks/{id}/reject", post(reject))
        .route("/spec-tasks/{id}/generate-documents", post(generate))
        .route("/spec-tasks/{id}/retry", post(retry))
        .route("/spec-tasks/{id}/documents/{document}", get(document))
        .route("/spec-tasks/{id}/spec-versions", get(versions))
        .route("/spec-tasks/{id}/reviews", get(reviews))
}

async fn approve(
    state: State<AppState>,
    id: UrlPath<String>,
    body: Option<ApiJson<ReviewBody>>,
) -> Result<Json<ReviewedDto>, ApiError> {
    review(state, id, ReviewDecision::Approve, body.map(|b| b.0).unwrap_or_default()).await
}

async fn request_changes(
    state: State<AppState>,
    id: UrlPath<String>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<ReviewedDto>, ApiError> {
    if body.comments.trim().is_empty() && body.line_comments.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_review",
            "request-changes needs comments (or line comments) saying what to change",
        ));
    }
    review(state, id, ReviewDecision::RequestChanges, body).await
}

async fn reject(
    state: State<AppState>,
    id: UrlPath<String>,
    body: Option<ApiJson<ReviewBody>>,
) -> Result<Json<ReviewedDto>, ApiError> {
    review(state, id, ReviewDecision::Reject, body.map(|b| b.0).unwrap_or_default()).await
}

async fn review(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    decision: ReviewDecision,
    body: ReviewBody,
) -> Result<Json<ReviewedDto>, ApiError> {
    let task = load(&state, &id).await?;
    if let Some(bad) = body.line_comments.iter().find(|c| c.line == Some(0)) {
        return Err(ApiError::bad_request(
            "invalid_review",
            format!("line comment on {} names line 0; lines start at 1", bad.document.file_name()),
        ));
    }
    let (applied, review) = state
        .store
        .review_spec(
            &task,
            NewSpecReview {
                decision,
                comments: body.comments.trim().to_owned(),
                line_comments: body.line_comments,
                reviewer: body.reviewer.unwrap_or_else(|| "local".to_owned()),
            },
        )
        .await?;
    Ok(Json(ReviewedDto { task: task_dto(&state, &applied.value).await?, review: ReviewDto::from(&review) }))
}

/// Re-runs planning: a spec in review goes back for a new version; a task whose planning failed is
/// retried.
async fn generate(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &id).await?;
    let command = match (task.status(), task.state.failure()) {
        (SpecTaskStatus::Failed, Some(f)) if f.from == SpecTaskStatus::SpecGeneration => {
            SpecTaskCommand::Retry
        }
        _ => SpecTaskCommand::RequestChanges,
    };
    let applied = state.store.transition_spec_task(&task, &command).await?;
    Ok(Json(task_dto(&state, &applied.value).await?))
}

async fn retry(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &id).await?;
    let applied = state.store.transition_spec_task(&task, &SpecTaskCommand::Retry).await?;
    Ok(Json(task_dto(&state, &applied.value).await?))
}

async fn document(
    State(state): State<AppState>,
    UrlPath((id, document)): UrlPath<(String, String)>,
    ApiQuery(query): ApiQuery<DocumentQuery>,
) -> Result<Json<DocumentDto>, ApiError> {
    let document: SpecDocument = document
        .trim_end_matches(".md")
        .parse()
        .map_err(|e: spectask_core::ParseEnumError| ApiError::not_found(e.to_string()))?;
    let task = load(&state, &id).await?;
    let version = state.store.spec_version(task.id, query.version).await?;
    Ok(Json(DocumentDto {
        spec_task_id: task.id,
        document,
        file_name: document.file_name(),
        version: version.version,
        content: version.documents.get(document).to_owned(),
    }))
}

async fn versions(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Vec<SpecVersionDto>>, ApiError> {
    let task = load(&state, &id).await?;
    Ok(Json(state.store.spec_versions(task.id).await?.iter().map(SpecVersionDto::from).collect()))
}

async fn reviews(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Vec<ReviewDto>>, ApiError> {
    let task = load(&state, &id).await?;
    Ok(Json(state.store.reviews_of(task.id).await?.iter().map(ReviewDto::from).collect()))
}
