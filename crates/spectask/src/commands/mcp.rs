//! `spectask mcp`: the MCP server of one work session on stdio, launched by the session's agent.
//! stdout carries only MCP; logs go to stderr, and the credential is read from the environment only
//! (never a flag, so it does not show in the process list).

use std::process::ExitCode;

use crate::cli::McpArgs;

pub async fn run(args: McpArgs) -> anyhow::Result<ExitCode> {
    crate::serve::init_logging("warn");
    let credential = std::env::var(spectask_mcp::CREDENTIAL_ENV).ok();
    spectask_mcp::serve_stdio(&args.server, credential).await?;
    Ok(ExitCode::SUCCESS)
}
