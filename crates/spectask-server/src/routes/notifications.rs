//! The caller's notifications: what spectask told them about their tasks, newest first.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::NotificationDto;
use crate::{ApiError, AppState, Caller};

/// Notifications listed at most.
const LIMIT: i64 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_notifications))
}

/// The newest notifications (at most 100) of the caller's SpecTasks (everyone's for an open
/// server's user), newest first, each with its webhook deliveries.
#[utoipa::path(get, path = "/notifications", tag = "notifications",
    responses((status = 200, description = "The notifications, newest first", body = Vec<NotificationDto>)))]
async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    let records = state.store.notifications(caller.owner_filter(), LIMIT).await?;
    Ok(Json(records.into_iter().map(NotificationDto::from).collect()))
}
