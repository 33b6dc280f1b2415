//! `GET /attention`: what the caller's open tasks and their sessions wait for (the orchestrator's
//! attention view), the dashboard's "Needs you" inbox and `spectask task …`'s words. The event
//! stream carries it live as `attention` frames (`GET /events?attention=true`).

use axum::Json;
use axum::extract::State;
use spectask_orchestrator::views::attention;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{AttentionListDto, AttentionQuery};
use crate::extract::ApiQuery;
use crate::routes::spec_tasks::load;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_attention))
}

/// What waits for whom: a permission answer, a spec review or the planner's questions, an
/// implementation review, a budget that paused the work, a silent agent, a failure, or a
/// prerequisite holding a task (named down to the task at the root of the hold). Those that need a
/// person come first, longest waiting first.
#[utoipa::path(get, path = "/attention", tag = "spec-tasks", params(AttentionQuery),
    responses((status = 200, description = "What waits, and for whom", body = AttentionListDto)))]
async fn get_attention(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AttentionQuery>,
) -> Result<Json<AttentionListDto>, ApiError> {
    list(&state, &caller, query.spec_task.as_deref()).await.map(Json)
}

/// What the caller's open tasks wait for, or only the task `spec_task` names.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    spec_task: Option<&str>,
) -> Result<AttentionListDto, ApiError> {
    let items = match spec_task {
        Some(reference) => {
            let task = load(state, caller, reference).await?;
            let mut items = attention::attention_of(&state.store, &[task]).await?;
            attention::sort(&mut items);
            items
        }
        None => attention::open_attention(&state.store, caller.owner_filter()).await?,
    };
    Ok(AttentionListDto::of(&items))
}
