//! `GET /api/v1/metrics`: the process's metrics for Prometheus (see [`crate::metrics`]). Read like
//! every other API route: with a user's token on a server with users. The counts cover the whole
//! database (every user's SpecTasks), the agent instances and latencies this node.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::metrics::OPENMETRICS_TEXT;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_metrics))
}

/// SpecTasks and work sessions by status, the job queue's depth and its oldest due job's age, this
/// node's live agent instances, the orchestrator's reaction latency per job kind, the API's
/// latency per route template, and each forge connection's requests and quota, in the OpenMetrics
/// text format.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "The metrics (OpenMetrics text)", body = String,
        content_type = "application/openmetrics-text")))]
async fn get_metrics(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let census = state.store.census().await?;
    let usage = state.store.usage_census().await?;
    let live_agents = state.runtime.live_count().await;
    let text = state
        .metrics
        .render(census, usage, live_agents, &state.forges)
        .await
        .map_err(|err| ApiError::internal(&err))?;
    Ok(([(CONTENT_TYPE, OPENMETRICS_TEXT)], text).into_response())
}
