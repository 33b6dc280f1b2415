//! spectask's HTTP API under `/api/v1`. Handlers are thin: they parse the request into domain
//! values, call the store (and, for repositories, the git crate) and map the result to wire types.
//! Wire types live only in [`dto`]; every error leaves as one JSON shape ([`ApiError`]); the
//! OpenAPI document is generated from the handlers ([`openapi`]).
//!
//! Codemap, by file (each file's own docs say more):
//! - The router: `app` here; `openapi` builds the router and the OpenAPI document together (every
//!   route registered from its handler's `#[utoipa::path]`); `state` (what handlers share).
//! - Every request: `security` (the browser guard: `Host`, state changes that carry JSON or an
//!   `Authorization` or `X-Spectask-Client` header, CORS only when configured), `auth` (the
//!   `Caller` from an API token or a login cookie; a server without users runs open for its local
//!   user), `idempotency` (a request repeated with its `Idempotency-Key` answered once), `error`
//!   (one error shape; `uniform_errors` rewrites axum's own), `extract` and `params`
//!   (extractors and path parameters), `dto` (every wire type, one file per resource).
//! - Ownership is checked in one place per kind: `routes::spec_tasks::load` (the caller's tasks
//!   only), `routes::work_sessions::load_session`, and `repositories`: every route naming a
//!   repository by id, path, cwd or URL resolves it there (`repositories::resolve`), judged by the
//!   operator's `repositories::policy` and admitted by `repositories::access` (owner and members)
//!   before any git command runs; listings, approvals and the event stream filter by owner in SQL.
//! - Routes: `spec_tasks`, `specs` (the spec review), `work_sessions`, `session_spawn`,
//!   `session_moves` (a person's moves of one session), `implementation`, `review` (the
//!   implementation review in one response), `progress` (the dashboard's read views),
//!   `design_docs`, `export`, `history`, `repos`, `repo_settings`, `agents` (profiles
//!   and approvals), `coordination` (the API behind `spectask mcp`, session credentials only),
//!   `editor` and `zed` (editor threads and turns), `events` (SSE from the node's event tail),
//!   `issues`, `forges`, `demo`, `tasks` (the generic `/tasks` view), `auth`, `health`, `metrics`.
//! - `metrics` (the gauges set at each scrape, request timings per route template, the engine's
//!   reaction times), `ui` (the embedded dashboard as the router's fallback).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod auth;
mod dto;
mod error;
mod extract;
mod idempotency;
mod metrics;
pub mod openapi;
mod params;
pub mod repositories;
mod routes;
mod security;
mod state;
mod ui;

pub use auth::{Auth, Caller, SESSION_COOKIE};
/// One line of an editor turn's stream, for the client that reads it (`spectask acp`).
pub use dto::{DailyBudgetDto, EditorTurnFrame};
pub use error::ApiError;
pub use idempotency::{IDEMPOTENCY_KEY, REPLAYED};
pub use metrics::Metrics;
pub use repositories::RepositoryPolicy;
pub use security::{CLIENT_HEADER, Security};
pub use state::AppState;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// [`app_with`] under the default [`Security`]: reached as localhost or by IP address, CORS closed.
pub fn app(state: AppState) -> Router {
    app_with(state, Security::default())
}

/// The whole application: the API, the web dashboard at `/`, JSON errors for unknown API routes
/// and methods, the browser guard ([`security`]), CORS when origins are configured, the security
/// headers on every answer ([`security::headers`]), body limit,
/// request tracing, latency per route ([`metrics`]), gzip where the client accepts it. Requests outside the API routes reach the one fallback ([`ui::fallback`]).
pub fn app_with(state: AppState, security: Security) -> Router {
    let (api, _) = openapi::api();
    let cors = security.cors();
    let metrics = state.metrics.clone();
    let authenticator = std::sync::Arc::new(auth::Authenticator::new(
        state.store.clone(),
        security.auth.clone(),
        security.secure_cookies,
    ));
    let router = api
        .fallback(ui::fallback)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn(error::uniform_errors))
        // Inside authentication (keys are per caller), outside the error shape (the kept answer
        // is the one the client got).
        .layer(axum::middleware::from_fn_with_state(state.store.clone(), idempotency::once))
        .layer(axum::middleware::from_fn_with_state(authenticator, auth::authenticate))
        .layer(axum::middleware::from_fn_with_state(std::sync::Arc::new(security), security::guard));
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn(security::headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // The path only, never the query string: a credential put there must not reach the log.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::observe_http))
        // gzip for a client that accepts it: the dashboard's bundle, JSON answers. Event streams
        // and small answers are left alone (tower-http's default predicate).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests (event
/// streams end at once so that draining does not wait for their clients).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    security: Security,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "serving the spectask API");
    let store = state.store.clone();
    let shutdown = async move {
        shutdown.await;
        store.end_event_streams();
    };
    // The peer's address marks a request that came over the network (see `security::guard`).
    let app = app_with(state, security).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
