//! Path parameters, shared by the handlers that extract them and the OpenAPI document that
//! describes them.

use serde::Deserialize;
use utoipa::IntoParams;

/// `{id}` of a SpecTask route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TaskPath {
    /// A SpecTask: its id, an abbreviated id (at least 4 hex digits) or its `<short-id>-<slug>` handle.
    #[param(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub id: String,
}

/// `{id}` of a work-session route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SessionPath {
    /// A work session id.
    #[param(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    pub id: String,
}

/// `{id}/work-sessions/{session}` of a SpecTask route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TaskSessionPath {
    /// A SpecTask reference (id, abbreviated id or handle).
    #[param(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub id: String,
    /// A work session id of that task.
    #[param(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    pub session: String,
}

/// `{id}/documents/{document}` of a SpecTask route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DocumentPath {
    /// A SpecTask reference (id, abbreviated id or handle).
    #[param(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub id: String,
    /// `requirements` (`bugfix` names it too), `design` or `tasks` (a `.md` suffix is allowed).
    #[param(pattern = r"^(requirements|bugfix|design|tasks)(\.md)?$")]
    pub document: String,
}

/// `{id}` of an approval route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ApprovalPath {
    /// A pending approval id.
    #[param(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    pub id: String,
}

/// `{task_id}` of the generic task view's work-session routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TaskIdPath {
    /// A SpecTask reference (id, abbreviated id or handle).
    #[param(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub task_id: String,
}

/// `{id}` of a repository route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RepoPath {
    /// The repository's id.
    pub id: spectask_core::RepositoryId,
}

/// `{id}` and `{user}` of a repository member route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RepoMemberPath {
    /// The repository's id.
    pub id: spectask_core::RepositoryId,
    /// The member's user name.
    #[param(pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    pub user: String,
}
