//! `GET /api/v1/health`

use axum::Json;
use axum::extract::State;
use spectask_store::Backend;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::Health;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Whether the server answers, its version, its database and the newest event's sequence number.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "The server is up", body = Health)))]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        database: match state.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        node: state.node.clone(),
        last_event_seq: state.store.last_event_seq().await?,
    }))
}
