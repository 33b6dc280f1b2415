//! One error shape for the whole API: `{"error": {"code": "...", "message": "..."}}`.
//!
//! Bad input is always 4xx with a message naming what is wrong; internal failures are logged and
//! answered with a generic 500 that shows no database or git details.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use spectask_core::TransitionError;
use spectask_git::GitError;
use spectask_orchestrator::repository_settings::{NoForge, SettingsError};
use spectask_orchestrator::{BudgetError, FollowUpError, NoFinding, ReportError};
use spectask_store::StoreError;

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable name of the error (`not_found`, `invalid_body`, `conflict` …).
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
    /// With `task_on_other_node`: the node where the request must go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<OtherNode>,
}

/// The node holding a task's agent instance, where what runs on that agent must be asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OtherNode {
    /// Its name among the nodes sharing the database.
    pub name: String,
    /// Its API's base URL (`http://host:port`), when it said at its start.
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub node: Option<OtherNode>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), node: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub(crate) fn internal(what: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %what, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = ErrorDetail { code: self.code.to_owned(), message: self.message, node: self.node };
        (self.status, Json(ErrorBody { error })).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let message = err.to_string();
        match err {
            StoreError::NotFound { .. } => Self::not_found(message),
            StoreError::Ambiguous { .. } => Self::bad_request("ambiguous_id", message),
            StoreError::InvalidReference { .. } => Self::bad_request("invalid_id", message),
            StoreError::Conflict { .. } => Self::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::InvalidInput(_) => Self::bad_request("invalid_input", message),
            StoreError::Taken(_) => Self::new(StatusCode::CONFLICT, "taken_up_already", message),
            StoreError::Refused { code, .. } => Self::new(StatusCode::CONFLICT, code, message),
            StoreError::Transition(e) => e.into(),
            StoreError::InvalidUrl { .. }
            | StoreError::Corrupt(_)
            | StoreError::DataDir { .. }
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Randomness(_) => Self::internal(&message),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::Illegal { .. } => {
                Self::new(StatusCode::CONFLICT, "illegal_transition", err.to_string())
            }
            TransitionError::InvalidState { .. } => Self::internal(&err),
        }
    }
}

impl From<GitError> for ApiError {
    fn from(err: GitError) -> Self {
        match err {
            // What a request names is not there: as for an unknown id.
            GitError::PathNotFound { .. } | GitError::NotARepository { .. } => {
                Self::new(StatusCode::NOT_FOUND, "repository_not_found", err.to_string())
            }
            GitError::InsideRepository { .. }
            | GitError::UnusableRepository { .. }
            | GitError::Remote { .. }
            | GitError::BareRepository { .. }
            | GitError::NoCommits { .. }
            | GitError::NoDefaultBranch { .. } => Self::bad_request("invalid_repository", err.to_string()),
            other => Self::internal(&other),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(err: SettingsError) -> Self {
        let message = err.to_string();
        match err {
            SettingsError::NoForge(no_forge) => no_forge.into(),
            SettingsError::EmptyBranch => Self::bad_request("invalid_branch", message),
            SettingsError::TooManyApprovals(_) => Self::bad_request("invalid_required_approvals", message),
            SettingsError::BranchNotFound(_) => Self::new(StatusCode::NOT_FOUND, "branch_not_found", message),
            SettingsError::InvalidBranch(_) => Self::conflict("invalid_branch", message),
            SettingsError::Git(err) => err.into(),
            SettingsError::Store(err) => err.into(),
            SettingsError::Blocking(err) => err.into(),
        }
    }
}

impl From<BudgetError> for ApiError {
    fn from(err: BudgetError) -> Self {
        let message = err.to_string();
        match err {
            BudgetError::Ended { .. } => Self::conflict("illegal_transition", message),
            BudgetError::OverCeiling { .. } => Self::bad_request("invalid_budget", message),
            BudgetError::Store(err) => err.into(),
        }
    }
}

impl From<NoFinding> for ApiError {
    fn from(err: NoFinding) -> Self {
        Self::bad_request("invalid_finding", err.to_string())
    }
}

impl From<ReportError> for ApiError {
    fn from(err: ReportError) -> Self {
        let message = err.to_string();
        match err {
            ReportError::NotReview { .. } | ReportError::NotWritten { .. } => Self::not_found(message),
            ReportError::Unreadable { .. } => Self::conflict("invalid_report", message),
            ReportError::InvalidTask(_) => Self::bad_request("invalid_task", message),
            ReportError::Git(err) => err.into(),
            ReportError::Store(err) => err.into(),
            ReportError::Blocking(err) => err.into(),
        }
    }
}

impl From<FollowUpError> for ApiError {
    fn from(err: FollowUpError) -> Self {
        let message = err.to_string();
        match err {
            FollowUpError::Report(err) => err.into(),
            FollowUpError::NoFinding(err) => err.into(),
            FollowUpError::PromptTooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "prompt_too_large", message)
            }
            FollowUpError::BudgetReached(_) => Self::conflict("budget_reached", message),
            FollowUpError::Store(err) => err.into(),
        }
    }
}

impl From<NoForge> for ApiError {
    fn from(err: NoForge) -> Self {
        Self::conflict("no_forge", err.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::internal(&err)
    }
}

/// axum's messages start with a capital; ours do not.
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The error code of a status, for error responses that did not name one.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// Rewrites every error response that is not in the API's shape yet (axum's own: 405, a body over
/// the limit, any rejection not wrapped by [`crate::extract`]) into `{"error": {"code", "message"}}`;
/// axum's plain-text explanation becomes the message. Headers such as `Allow` are kept.
pub(crate) async fn uniform_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = match (status, text.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            let allowed = parts.headers.get(axum::http::header::ALLOW).and_then(|v| v.to_str().ok());
            match allowed {
                Some(allowed) => format!("{method} is not allowed on {path}; allowed: {allowed}"),
                None => format!("{method} is not allowed on {path}"),
            }
        }
        (_, false) => lowercase_first(&text),
        (_, true) => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let mut out = ApiError::new(status, code_for(status), message).into_response();
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
