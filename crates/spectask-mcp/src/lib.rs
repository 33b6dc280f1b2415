//! spectask's MCP server for one work session, through the official Rust SDK (`rmcp`).
//!
//! An agent launches it for a session (spectask passes it in ACP `session/new` / `session/load` as
//! an `mcpServers` entry: `spectask mcp --server URL`, the session credential in
//! [`CREDENTIAL_ENV`]) and speaks MCP with it on stdio. Each tool ([`tools`]) is one call of the
//! running server's coordination API ([`api`]) with that credential, which names the session and
//! allows nothing beyond its own SpecTask's coordination: spawning children under the task's limits,
//! messages, blocked and handoff reports, and reading the log and the plan.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod tools;

pub use api::{ApiError, CoordinationApi};
pub use tools::SessionTools;

use rmcp::ServiceExt;

/// The environment variable that carries the session credential to `spectask mcp`.
pub const CREDENTIAL_ENV: &str = "SPECTASK_SESSION_TOKEN";

/// The server's name in `mcpServers` and in MCP `initialize`; agents prefix tool names with it.
pub const SERVER_NAME: &str = "spectask";

/// Why the MCP server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    #[error("the session credential is missing: set {CREDENTIAL_ENV} (spectask passes it to the agent)")]
    NoCredential,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("MCP on stdio failed: {0}")]
    Protocol(String),
}

/// Serves the session's tools on stdin/stdout until the client closes the connection.
pub async fn serve_stdio(server: &str, credential: Option<String>) -> Result<(), McpError> {
    let credential = credential.filter(|c| !c.trim().is_empty()).ok_or(McpError::NoCredential)?;
    let tools = SessionTools::new(CoordinationApi::new(server, credential)?);
    let running =
        tools.serve(rmcp::transport::stdio()).await.map_err(|e| McpError::Protocol(e.to_string()))?;
    running.waiting().await.map_err(|e| McpError::Protocol(e.to_string()))?;
    Ok(())
}
