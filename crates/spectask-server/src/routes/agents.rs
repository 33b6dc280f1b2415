//! Agent profiles with their availability, and pending permission approvals.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_agent::{ApprovalError, PendingApproval};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{AgentDto, ApprovalBody, ApprovalDto};
use crate::extract::{ApiJson, ApiPath};
use crate::params::ApprovalPath;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents))
        .routes(routes!(list_approvals))
        .routes(routes!(resolve_approval))
}

/// The configured agent profiles and whether each can run on this machine.
#[utoipa::path(get, path = "/agents", tag = "agents",
    responses((status = 200, description = "The profiles", body = Vec<AgentDto>)))]
async fn list_agents(State(state): State<AppState>) -> Json<Vec<AgentDto>> {
    let path = std::env::var("PATH").ok();
    let availability = state.profiles.availability(path.as_deref(), |var| std::env::var(var).ok());
    Json(availability.into_iter().map(AgentDto::from).collect())
}

/// Permission requests of agents waiting for a person, oldest first.
#[utoipa::path(get, path = "/approvals", tag = "agents",
    responses((status = 200, description = "The pending approvals", body = Vec<ApprovalDto>)))]
async fn list_approvals(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApprovalDto>>, ApiError> {
    Ok(Json(visible_approvals(&state, &caller).await?.into_iter().map(ApprovalDto::from).collect()))
}

/// The pending approvals of the caller's SpecTasks' threads (all of them for an open server's user).
async fn visible_approvals(state: &AppState, caller: &Caller) -> Result<Vec<PendingApproval>, ApiError> {
    let pending = state.runtime.broker().list();
    let Some(owner) = caller.owner_filter() else { return Ok(pending) };
    let theirs = state.store.acp_sessions_of_owner(owner).await?;
    Ok(pending.into_iter().filter(|a| theirs.contains(&a.session_id)).collect())
}

/// Answer a pending approval with one of its options.
#[utoipa::path(post, path = "/approvals/{id}", tag = "agents", params(ApprovalPath),
    request_body = ApprovalBody,
    responses((status = 204, description = "Answered")))]
async fn resolve_approval(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ApprovalPath { id }): ApiPath<ApprovalPath>,
    ApiJson(body): ApiJson<ApprovalBody>,
) -> Result<StatusCode, ApiError> {
    if !visible_approvals(&state, &caller).await?.iter().any(|a| a.id == id) {
        return Err(ApiError::not_found(ApprovalError::UnknownApproval(id).to_string()));
    }
    match state.runtime.broker().resolve(&id, &body.option_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(err @ ApprovalError::UnknownApproval(_)) => Err(ApiError::not_found(err.to_string())),
        Err(err) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_option", err.to_string())),
    }
}
