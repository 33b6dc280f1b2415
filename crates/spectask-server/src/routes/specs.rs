//! The spec review loop: documents by version, approve / request changes / reject, regenerate.

use axum::Json;
use axum::extract::State;
use spectask_core::{ReviewDecision, SpecDocument, SpecTaskCommand, SpecTaskStatus};
use spectask_store::NewSpecReview;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    AnswerBody, ChangesRequestBody, DocumentDto, DocumentQuery, ReviewBody, ReviewDto, ReviewedDto,
    SpecTaskDto, SpecVersionDto, lint_errors,
};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{DocumentPath, TaskPath};
use crate::routes::spec_tasks::{load, task_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(approve_specs))
        .routes(routes!(approve_with_handoff))
        .routes(routes!(request_changes))
        .routes(routes!(reject))
        .routes(routes!(generate_documents))
        .routes(routes!(retry_spec_task))
        .routes(routes!(get_document))
        .routes(routes!(list_spec_versions))
        .routes(routes!(list_reviews))
}

/// Approve the spec under review: it is committed to the design-docs branch and implementation is
/// queued.
#[utoipa::path(post, path = "/spec-tasks/{id}/approve-specs", tag = "specs", params(TaskPath),
    request_body(content = Option<ReviewBody>, description = "Optional comments"),
    responses((status = 200, description = "The task and the review", body = ReviewedDto)))]
async fn approve_specs(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    body: Option<ApiJson<ReviewBody>>,
) -> Result<Json<ReviewedDto>, ApiError> {
    review(state, caller, id, ReviewDecision::Approve, body.map(|b| b.0).unwrap_or_default()).await
}

/// An alias of `approve-specs`: approve and hand the spec off through git.
#[utoipa::path(post, path = "/spec-tasks/{id}/approve-with-handoff", tag = "specs", params(TaskPath),
    request_body(content = Option<ReviewBody>, description = "Optional comments"),
    responses((status = 200, description = "The task and the review", body = ReviewedDto)))]
async fn approve_with_handoff(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    body: Option<ApiJson<ReviewBody>>,
) -> Result<Json<ReviewedDto>, ApiError> {
    approve_specs(state, caller, id, body).await
}

/// Ask for a revised spec: the planner writes a new version with the comments.
#[utoipa::path(post, path = "/spec-tasks/{id}/request-changes", tag = "specs", params(TaskPath),
    request_body = ChangesRequestBody,
    responses((status = 200, description = "The task and the review", body = ReviewedDto)))]
async fn request_changes(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    ApiJson(body): ApiJson<ChangesRequestBody>,
) -> Result<Json<ReviewedDto>, ApiError> {
    if body.comments.trim().is_empty() && body.line_comments.is_empty() && body.answers.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_review",
            "request-changes needs comments, line comments or answers saying what to change",
        ));
    }
    let comments = with_answers(&state, &caller, &id.0.id, body.comments, &body.answers).await?;
    let body = ReviewBody { comments, line_comments: body.line_comments, despite_lint: None };
    review(state, caller, id, ReviewDecision::RequestChanges, body).await
}

/// Reject the spec: the task ends as `rejected`.
#[utoipa::path(post, path = "/spec-tasks/{id}/reject", tag = "specs", params(TaskPath),
    request_body(content = Option<ReviewBody>, description = "Optional comments"),
    responses((status = 200, description = "The task and the review", body = ReviewedDto)))]
async fn reject(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    body: Option<ApiJson<ReviewBody>>,
) -> Result<Json<ReviewedDto>, ApiError> {
    review(state, caller, id, ReviewDecision::Reject, body.map(|b| b.0).unwrap_or_default()).await
}

/// The comments with the person's answers to the planner's questions written out after them, each
/// under its question, so the planner's next version and the spec's history in git both hold them.
async fn with_answers(
    state: &AppState,
    caller: &Caller,
    id: &str,
    comments: String,
    answers: &[AnswerBody],
) -> Result<String, ApiError> {
    if answers.is_empty() {
        return Ok(comments);
    }
    let task = load(state, caller, id).await?;
    let questions = state.store.spec_version(task.id, None).await?.questions;
    let mut text = comments.trim().to_owned();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str("Answers to the planner's questions:\n");
    for answer in answers {
        let question = usize::try_from(answer.question).ok().and_then(|n| questions.get(n.checked_sub(1)?));
        let Some(question) = question else {
            return Err(ApiError::bad_request(
                "invalid_review",
                format!(
                    "answer to question {}: the spec version asks {} questions",
                    answer.question,
                    questions.len()
                ),
            ));
        };
        if answer.answer.trim().is_empty() {
            return Err(ApiError::bad_request(
                "invalid_review",
                format!("the answer to question {} is blank", answer.question),
            ));
        }
        text.push_str(&format!("\n{}. {question}\n   Answer: {}\n", answer.question, answer.answer.trim()));
    }
    Ok(text)
}

async fn review(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    decision: ReviewDecision,
    body: ReviewBody,
) -> Result<Json<ReviewedDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    if !body.line_comments.is_empty() && state.store.spec_version(task.id, None).await?.is_questions_only() {
        return Err(ApiError::bad_request(
            "invalid_review",
            "line comments need a document, and this spec version holds only the planner's questions: \
             answer them instead",
        ));
    }
    if let Some(bad) = body.line_comments.iter().find(|c| c.line == Some(0)) {
        return Err(ApiError::bad_request(
            "invalid_review",
            format!("line comment on {} names line 0; lines start at 1", bad.document.file_name()),
        ));
    }
    if body.despite_lint.is_some() && decision != ReviewDecision::Approve {
        return Err(ApiError::bad_request("invalid_review", "despite_lint is for an approval only"));
    }
    // Lint errors gate the approval (the task must be in spec review: the store says so otherwise).
    let comments = if decision == ReviewDecision::Approve && task.status() == SpecTaskStatus::SpecReview {
        let version = state.store.spec_version(task.id, None).await?;
        let route = "`despite_lint` in the body; `spectask task approve --despite-lint REASON`";
        crate::dto::gate_approval(
            &lint_errors(&version.lint),
            body.despite_lint.as_deref(),
            &body.comments,
            route,
        )?
    } else {
        body.comments
    };
    let (applied, review) = state
        .store
        .review_spec(
            &task,
            NewSpecReview {
                decision,
                comments: comments.trim().to_owned(),
                line_comments: body.line_comments,
                reviewer: caller.signature(),
            },
        )
        .await?;
    Ok(Json(ReviewedDto { task: task_dto(&state, &applied.value).await?, review: ReviewDto::from(&review) }))
}

/// Re-run planning: a spec in review goes back for a new version; a task whose planning failed is
/// retried.
#[utoipa::path(post, path = "/spec-tasks/{id}/generate-documents", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn generate_documents(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let command = match (task.status(), task.state.failure()) {
        (SpecTaskStatus::Failed, Some(f)) if f.from == SpecTaskStatus::SpecGeneration => {
            SpecTaskCommand::Retry
        }
        _ => SpecTaskCommand::RequestChanges,
    };
    let applied = state.store.transition_spec_task(&task, &command).await?;
    Ok(Json(task_dto(&state, &applied.value).await?))
}

/// Retry a failed task from the step that failed.
#[utoipa::path(post, path = "/spec-tasks/{id}/retry", tag = "spec-tasks", params(TaskPath),
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn retry_spec_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let applied = state.store.transition_spec_task(&task, &SpecTaskCommand::Retry).await?;
    Ok(Json(task_dto(&state, &applied.value).await?))
}

/// One spec document of a version (default the latest).
#[utoipa::path(get, path = "/spec-tasks/{id}/documents/{document}", tag = "specs",
    params(DocumentPath, DocumentQuery),
    responses((status = 200, description = "The document", body = DocumentDto)))]
async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(DocumentPath { id, document }): ApiPath<DocumentPath>,
    ApiQuery(query): ApiQuery<DocumentQuery>,
) -> Result<Json<DocumentDto>, ApiError> {
    // A bugfix spec's first document is bugfix.md: the same document by its other name.
    let document: SpecDocument = match document.trim_end_matches(".md") {
        "bugfix" => SpecDocument::Requirements,
        name => {
            name.parse().map_err(|e: spectask_core::ParseEnumError| ApiError::not_found(e.to_string()))?
        }
    };
    let task = load(&state, &caller, &id).await?;
    let version = state.store.spec_version(task.id, query.version).await?;
    Ok(Json(DocumentDto {
        spec_task_id: task.id,
        document,
        file_name: match document {
            SpecDocument::Requirements => crate::dto::requirements_file(&task.workflow_base),
            other => other.file_name(),
        },
        version: version.version,
        content: version.documents.get(document).to_owned(),
    }))
}

/// Every spec version of a task, oldest first.
#[utoipa::path(get, path = "/spec-tasks/{id}/spec-versions", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The versions", body = Vec<SpecVersionDto>)))]
async fn list_spec_versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<SpecVersionDto>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let first = crate::dto::requirements_file(&task.workflow_base);
    Ok(Json(state.store.spec_versions(task.id).await?.iter().map(|v| SpecVersionDto::of(v, first)).collect()))
}

/// Every review of a task's spec, oldest first.
#[utoipa::path(get, path = "/spec-tasks/{id}/reviews", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The reviews", body = Vec<ReviewDto>)))]
async fn list_reviews(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<ReviewDto>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    Ok(Json(state.store.reviews_of(task.id).await?.iter().map(ReviewDto::from).collect()))
}
