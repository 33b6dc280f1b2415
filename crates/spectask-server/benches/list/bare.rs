//! The baseline: a bare axum handler over a bare sqlx pool answering the same page from the same
//! rows (the count and the page's columns, in the same SQL and order), as JSON. No middleware, no
//! domain types, no repository or wait reasons: the least a list endpoint can do.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use serde::Serialize;
use spectask_store::DatabaseUrl;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

#[derive(Serialize)]
struct Page {
    items: Vec<Task>,
    total: i64,
}

#[derive(Serialize)]
struct Task {
    id: String,
    short_id: String,
    slug: String,
    title: String,
    prompt: String,
    kind: String,
    status: String,
    repository_id: String,
    planning_agent: Option<String>,
    implementation_agent: Option<String>,
    priority: i64,
    spec_version: i64,
    queue_reason: Option<String>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    completed_at: Option<i64>,
    version: i64,
}

fn task(row: &AnyRow) -> Result<Task, sqlx::Error> {
    Ok(Task {
        id: row.try_get("id")?,
        short_id: row.try_get("short_id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        prompt: row.try_get("prompt")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        repository_id: row.try_get("repository_id")?,
        planning_agent: row.try_get("planning_agent")?,
        implementation_agent: row.try_get("implementation_agent")?,
        priority: row.try_get("priority")?,
        spec_version: row.try_get("spec_version")?,
        queue_reason: row.try_get("queue_reason")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        started_at: row.try_get("started_at")?,
        completed_at: row.try_get("completed_at")?,
        version: row.try_get("version")?,
    })
}

async fn list(State(pool): State<AnyPool>) -> Result<Json<Page>, StatusCode> {
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS total FROM spec_tasks WHERE hidden_at IS NULL")
        .fetch_one(&pool)
        .await
        .and_then(|row| row.try_get("total"))
        .map_err(failed)?;
    let rows = sqlx::query(
        "SELECT id, short_id, slug, title, prompt, kind, status, failed_from, error, repository_id, \
         planning_agent, implementation_agent, priority, spec_version, created_by, created_at, \
         updated_at, started_at, completed_at, version, queue_reason FROM spec_tasks \
         WHERE hidden_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(50_i64)
    .bind(0_i64)
    .fetch_all(&pool)
    .await
    .map_err(failed)?;
    let items = rows.iter().map(task).collect::<Result<_, _>>().map_err(failed)?;
    Ok(Json(Page { items, total }))
}

/// Serves the bare handler at `/spec-tasks` on a free loopback port of `runtime`, over a pool of
/// its own of the store's size (4 connections on SQLite, 10 on PostgreSQL).
pub fn serve(runtime: &tokio::runtime::Runtime, url: &DatabaseUrl) -> SocketAddr {
    let (connect, size) = match url {
        DatabaseUrl::Sqlite { path } => (format!("sqlite://{}", path.display()), 4),
        DatabaseUrl::Postgres { url } => (url.clone(), 10),
    };
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new().max_connections(size).connect(&connect).await.unwrap();
        let app = Router::new().route("/spec-tasks", axum::routing::get(list)).with_state(pool);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    })
}
