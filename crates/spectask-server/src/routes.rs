//! The `/api/v1` router, one module per resource. Every route is registered through utoipa-axum's
//! `routes!`, so the router and the OpenAPI document come from the same `#[utoipa::path]`.

mod adopt;
mod agents;
mod attention;
mod auth;
mod budget;
mod coordination;
mod demo;
mod design_docs;
mod editor;
mod events;
mod export;
mod forges;
mod health;
mod history;
mod implementation;
mod issues;
mod metrics;
mod notifications;
mod progress;
mod repo_settings;
mod repos;
mod review;
mod review_report;
mod session_moves;
mod session_spawn;
mod spec_tasks;
mod specs;
mod steering;
mod tasks;
mod work_sessions;
mod workflows;

use axum::http::{Method, Uri};
use utoipa_axum::router::OpenApiRouter;

use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(spec_tasks::router())
        .merge(attention::router())
        .merge(budget::router())
        .merge(adopt::router())
        .merge(workflows::router())
        .merge(issues::router())
        .merge(demo::router())
        .merge(export::router())
        .merge(specs::router())
        .merge(steering::router())
        .merge(tasks::router())
        .merge(repos::router())
        .merge(repo_settings::router())
        .merge(forges::router())
        .merge(history::router())
        .merge(design_docs::router())
        .merge(work_sessions::router())
        .merge(session_spawn::router())
        .merge(session_moves::router())
        .merge(implementation::router())
        .merge(review::router())
        .merge(review_report::router())
        .merge(progress::router())
        .merge(editor::router())
        .merge(coordination::router())
        .merge(agents::router())
        .merge(events::router())
        .merge(notifications::router())
        .merge(metrics::router())
}

/// Unknown paths answer in the API's error shape too.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

/// A known path with a method it does not serve: 405 in the API's error shape (axum adds `Allow`).
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
