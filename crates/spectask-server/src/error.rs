//! One error shape for the whole API: `{"error": {"code": "...", "message": "..."}}`.
//!
//! Bad input is always 4xx with a message naming what is wrong; internal failures are logged and
//! answered with a generic 500 that shows no database or git details.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use spectask_core::TransitionError;
use spectask_git::GitError;
use spectask_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    fn internal(what: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %what, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
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
            StoreError::Transition(e) => e.into(),
            StoreError::InvalidUrl { .. }
            | StoreError::Corrupt(_)
            | StoreError::DataDir { .. }
            | StoreError::Database(_)
            | StoreError::Migrate(_) => Self::internal(&message),
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
            GitError::PathNotFound { .. }
            | GitError::NotARepository { .. }
            | GitError::BareRepository { .. }
            | GitError::NoCommits { .. }
            | GitError::NoDefaultBranch { .. } => Self::bad_request("invalid_repository", err.to_string()),
            other => Self::internal(&other),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::internal(&err)
    }
}
