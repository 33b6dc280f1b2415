//! Agent profiles with their availability, and pending permission approvals.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
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
    let mut unserved = state.runtime.unserved_requests_by_profile().await;
    let agents = availability.into_iter().map(|a| {
        let counts = unserved.remove(&a.name).unwrap_or_default();
        AgentDto::new(a, counts)
    });
    Json(agents.collect())
}

/// Permission requests of agents waiting for a person, oldest first, on whichever node their agent
/// runs (the caller's SpecTasks' only; all of them for an open server's user).
#[utoipa::path(get, path = "/approvals", tag = "agents",
    responses((status = 200, description = "The pending approvals", body = Vec<ApprovalDto>)))]
async fn list_approvals(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApprovalDto>>, ApiError> {
    let pending = state.store.pending_approvals(caller.owner_filter()).await?;
    Ok(Json(pending.into_iter().map(ApprovalDto::from).collect()))
}

/// Answer a pending approval with one of its options. The answer is stored, and the node whose
/// agent asks gives it to the agent (this one or another sharing the database).
#[utoipa::path(post, path = "/approvals/{id}", tag = "agents", params(ApprovalPath),
    request_body = ApprovalBody,
    responses((status = 204, description = "Answered")))]
async fn resolve_approval(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ApprovalPath { id }): ApiPath<ApprovalPath>,
    ApiJson(body): ApiJson<ApprovalBody>,
) -> Result<StatusCode, ApiError> {
    let unknown = || ApiError::not_found(format!("no pending approval {id:?}"));
    let approval = state.store.pending_approval(&id, caller.owner_filter()).await?.ok_or_else(unknown)?;
    if !approval.offers(&body.option_id) {
        let known: Vec<&str> = approval.request.options.iter().map(|o| o.option_id.as_str()).collect();
        let message =
            format!("approval {id} has no option {:?}; options: {}", body.option_id, known.join(", "));
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_option", message));
    }
    if state.store.answer_approval(&id, &body.option_id, &caller.signature()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unknown())
    }
}
