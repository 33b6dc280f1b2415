//! The editor's routes, one concept under `/editor`: threads opened from an editor (`threads`),
//! their turns relayed to the editor (`turns`), and a task's agent instance and its sessions'
//! threads as an editor integration sees them (`instance`, `events`).
//!
//! The older `zed-…` paths are aliases: the same handlers, each documented as an alias of its
//! `/editor` path ([`with_alias`]). `POST /zed-threads/create-session` is the one older route with
//! a body of its own; it opens a thread as `POST /editor/threads` does.

mod events;
mod instance;
mod threads;
mod turns;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(threads::router())
        .merge(turns::router())
        .merge(instance::router())
        .merge(events::router())
}

/// Routes `routes` at their documented path and at `alias`, documented as an alias of it: the same
/// operations, each one's summary naming the path it aliases and its id reading `zed` for
/// `editor` (the ids the alias's clients know).
fn with_alias(
    router: OpenApiRouter<AppState>,
    (schemas, paths, method_router): UtoipaMethodRouter<AppState>,
    alias: &str,
) -> OpenApiRouter<AppState> {
    let mut aliased = paths.clone();
    aliased.paths = paths.paths.iter().map(|(path, item)| (alias.to_owned(), alias_of(path, item))).collect();
    router.routes((schemas.clone(), paths, method_router.clone())).routes((schemas, aliased, method_router))
}

/// `item`, at `path`, as its alias documents it.
fn alias_of(path: &str, item: &PathItem) -> PathItem {
    let mut alias = item.clone();
    let operations: [(&str, &mut Option<Operation>); 3] =
        [("GET", &mut alias.get), ("POST", &mut alias.post), ("DELETE", &mut alias.delete)];
    for (method, operation) in operations {
        if let Some(operation) = operation {
            operation.operation_id = operation.operation_id.as_ref().map(|id| id.replace("editor", "zed"));
            let summary = operation.summary.as_deref().unwrap_or_default();
            operation.summary = Some(format!("Alias of `{method} {path}`. {summary}"));
        }
    }
    alias
}
