//! The `/api/v1` router, one module per resource.

mod agents;
mod design_docs;
mod events;
mod health;
mod history;
mod repos;
mod spec_tasks;
mod specs;
mod work_sessions;

use axum::Router;
use axum::http::{Method, Uri};

use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(spec_tasks::router())
        .merge(specs::router())
        .merge(repos::router())
        .merge(history::router())
        .merge(design_docs::router())
        .merge(work_sessions::router())
        .merge(agents::router())
        .merge(events::router())
}

/// Unknown paths answer in the API's error shape too.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}
