//! MCP servers spectask hands to a thread (ACP `mcpServers` in `session/new` and `session/load`):
//! the agent launches each one itself and speaks MCP with it for that thread.

use std::path::PathBuf;

use agent_client_protocol::v1::schema::{EnvVariable, McpServer, McpServerStdio};

/// A stdio MCP server the agent launches for one thread. Every agent must support stdio.
#[derive(Clone, PartialEq, Eq)]
pub struct McpServerSpec {
    /// The name the agent shows, and prefixes its tools with.
    pub name: String,
    /// An absolute path (ACP requires it).
    pub command: PathBuf,
    pub args: Vec<String>,
    /// May hold a credential: never logged (see the `Debug` impl).
    pub env: Vec<(String, String)>,
}

impl std::fmt::Debug for McpServerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.env.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("McpServerSpec")
            .field("name", &self.name)
            .field("command", &self.command)
            .field("args", &self.args)
            .field("env", &names)
            .finish()
    }
}

impl McpServerSpec {
    pub(crate) fn to_acp(&self) -> McpServer {
        let env = self.env.iter().map(|(name, value)| EnvVariable::new(name, value)).collect();
        McpServer::Stdio(McpServerStdio::new(&self.name, &self.command).args(self.args.clone()).env(env))
    }
}

pub(crate) fn to_acp(servers: &[McpServerSpec]) -> Vec<McpServer> {
    servers.iter().map(McpServerSpec::to_acp).collect()
}

/// The stdio servers of an editor's `mcpServers`; an HTTP or SSE one is left out (spectask hands
/// agents stdio servers only, which every agent supports), with a warning naming it.
pub(crate) fn from_acp(servers: Vec<McpServer>) -> Vec<McpServerSpec> {
    let (stdio, left_out) = stdio_only(servers);
    for name in left_out {
        tracing::warn!(server = %name, "an editor's MCP server that is not stdio is not passed on");
    }
    stdio
}

/// The stdio servers, and the names of the others.
fn stdio_only(servers: Vec<McpServer>) -> (Vec<McpServerSpec>, Vec<String>) {
    let mut left_out = Vec::new();
    let stdio = servers
        .into_iter()
        .filter_map(|server| match server {
            McpServer::Stdio(stdio) => Some(McpServerSpec {
                name: stdio.name,
                command: stdio.command,
                args: stdio.args,
                env: stdio.env.into_iter().map(|var| (var.name, var.value)).collect(),
            }),
            other => {
                let json = serde_json::to_value(&other).unwrap_or_default();
                left_out.push(json["name"].as_str().unwrap_or_default().to_owned());
                None
            }
        })
        .collect();
    (stdio, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdio_servers_go_out_in_acp_shape_and_debug_hides_env_values() {
        let spec = McpServerSpec {
            name: "spectask".into(),
            command: "/usr/bin/spectask".into(),
            args: vec!["mcp".into(), "--server".into(), "http://127.0.0.1:7070".into()],
            env: vec![("SPECTASK_SESSION_TOKEN".into(), "stc_secret".into())],
        };
        let json = serde_json::to_value(to_acp(std::slice::from_ref(&spec))).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "name": "spectask",
                "command": "/usr/bin/spectask",
                "args": ["mcp", "--server", "http://127.0.0.1:7070"],
                "env": [{"name": "SPECTASK_SESSION_TOKEN", "value": "stc_secret"}],
            }])
        );
        let debug = format!("{spec:?}");
        assert!(debug.contains("SPECTASK_SESSION_TOKEN") && !debug.contains("stc_secret"), "{debug}");
    }

    #[test]
    fn an_editors_http_and_sse_servers_are_left_out_by_name() {
        let servers: Vec<McpServer> = serde_json::from_value(serde_json::json!([
            {"type": "http", "name": "docs", "url": "https://example.com/mcp", "headers": []},
            {"name": "files", "command": "/usr/bin/files-mcp", "args": ["--ro"], "env": [{"name": "K", "value": "v"}]},
            {"type": "sse", "name": "events", "url": "https://example.com/sse", "headers": []},
        ]))
        .unwrap();
        let (stdio, left_out) = stdio_only(servers);
        assert_eq!(left_out, ["docs", "events"]);
        let files = McpServerSpec {
            name: "files".into(),
            command: "/usr/bin/files-mcp".into(),
            args: vec!["--ro".into()],
            env: vec![("K".into(), "v".into())],
        };
        assert_eq!(stdio, [files]);
    }
}
