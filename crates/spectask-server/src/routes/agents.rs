//! Agent profiles with their availability, and pending permission approvals.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use spectask_agent::ApprovalError;

use crate::dto::ApprovalBody;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agents", get(agents))
        .route("/approvals", get(approvals))
        .route("/approvals/{id}", post(resolve))
}

async fn agents(State(state): State<AppState>) -> Json<serde_json::Value> {
    let path = std::env::var("PATH").ok();
    let availability = state.profiles.availability(path.as_deref(), |var| std::env::var(var).ok());
    Json(serde_json::to_value(availability).unwrap_or_default())
}

async fn approvals(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.runtime.broker().list()).unwrap_or_default())
}

async fn resolve(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    ApiJson(body): ApiJson<ApprovalBody>,
) -> Result<StatusCode, ApiError> {
    match state.runtime.broker().resolve(&id, &body.option_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(err @ ApprovalError::UnknownApproval(_)) => Err(ApiError::not_found(err.to_string())),
        Err(err) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_option", err.to_string())),
    }
}
