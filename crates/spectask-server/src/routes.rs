//! The `/api/v1` router, one module per resource.

mod health;
mod spec_tasks;
mod specs;

use axum::Router;
use axum::http::{Method, Uri};

use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().merge(health::router()).merge(spec_tasks::router()).merge(specs::router())
}

/// Unknown paths answer in the API's error shape too.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}
