//! `GET /api/v1/health`

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use spectask_store::Backend;

use crate::AppState;
use crate::dto::Health;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        database: match state.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        node: state.node.clone(),
    })
}
