//! The scripted agent as an MCP client, the way real agents are: it launches the stdio MCP servers
//! a session was given (`mcpServers` in `session/new` / `session/load`) on first use, keeps each
//! connection for the session's life, and calls their tools for `mcp` steps.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use agent_client_protocol::v1::schema::McpServer;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ContentBlock};
use rmcp::service::{RoleClient, RunningService};
use serde::Deserialize;
use tokio::sync::Mutex;

/// An `mcp` step: call `tool` on the server named `server` (default: the session's first).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpStep {
    pub server: Option<String>,
    pub tool: String,
    #[serde(default)]
    pub arguments: serde_json::Map<String, serde_json::Value>,
    /// Call again (every 200 ms, a named backon policy) until the result's text contains this, as
    /// an agent polling `read_coordination` would; gives up after about `timeout_ms`.
    pub until: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
}

fn default_timeout() -> u64 {
    60_000
}

/// What one call answered: the text of its content, and whether the tool reported an error.
#[derive(Clone, Debug)]
pub(super) struct ToolAnswer {
    pub(super) text: String,
    pub(super) is_error: bool,
}

/// A stdio server as the session was given it.
#[derive(Clone, Debug)]
struct Launch {
    name: String,
    command: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

struct Connection {
    client: RunningService<RoleClient, ()>,
    /// Killed when the connection is dropped (the session closed, or the agent exits).
    _child: tokio::process::Child,
}

/// The MCP servers of one session, connected on first use.
#[derive(Clone, Default)]
pub(super) struct ThreadServers {
    launches: Vec<Launch>,
    connections: Arc<Mutex<HashMap<String, Arc<Connection>>>>,
}

impl ThreadServers {
    /// The stdio servers among those given (agents may ignore transports they do not support).
    pub(super) fn new(given: &[McpServer]) -> Self {
        let launches = given
            .iter()
            .filter_map(|server| match server {
                McpServer::Stdio(stdio) => Some(Launch {
                    name: stdio.name.clone(),
                    command: stdio.command.clone(),
                    args: stdio.args.clone(),
                    env: stdio.env.iter().map(|v| (v.name.clone(), v.value.clone())).collect(),
                }),
                _ => None,
            })
            .collect();
        ThreadServers { launches, connections: Arc::default() }
    }

    /// Calls one tool; `Err` when the server cannot be launched or the call fails in MCP itself.
    pub(super) async fn call(&self, step: &McpStep) -> Result<ToolAnswer, String> {
        let connection = self.connect(step.server.as_deref()).await?;
        let mut params = CallToolRequestParams::new(step.tool.clone());
        params.arguments = Some(step.arguments.clone());
        let result =
            connection.client.call_tool(params).await.map_err(|e| format!("{} failed: {e}", step.tool))?;
        let text = result
            .content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => Some(text.text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ToolAnswer { text, is_error: result.is_error == Some(true) })
    }

    async fn connect(&self, server: Option<&str>) -> Result<Arc<Connection>, String> {
        let launch = match server {
            Some(name) => self.launches.iter().find(|l| l.name == name),
            None => self.launches.first(),
        }
        .ok_or_else(|| match server {
            Some(name) => format!("no MCP server {name:?} was given to this session"),
            None => "no MCP server was given to this session".to_owned(),
        })?;
        let mut connections = self.connections.lock().await;
        if let Some(live) = connections.get(&launch.name).filter(|c| !c.client.is_closed()) {
            return Ok(live.clone());
        }
        let mut child = tokio::process::Command::new(&launch.command)
            .args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!("cannot launch MCP server {} ({}): {e}", launch.name, launch.command.display())
            })?;
        let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
            return Err(format!("MCP server {} has no stdio", launch.name));
        };
        let client =
            ().serve((stdout, stdin))
                .await
                .map_err(|e| format!("MCP server {} did not initialize: {e}", launch.name))?;
        let connection = Arc::new(Connection { client, _child: child });
        connections.insert(launch.name.clone(), connection.clone());
        Ok(connection)
    }
}
