//! Steps in which the scripted agent touches files with its own system calls, not through ACP, the
//! way agents with built-in tools do: it writes or reads, then reports what it did as a tool call
//! (`completed` with a diff, or `failed` with the OS error), like a real agent would.
//!
//! ```toml
//! { os_write = { path = "~/notes.txt", content = "x" } }                # ~ is the agent's HOME
//! { os_write = { path = "../x.txt", content = "x", child = true } }    # written by a `sh` it spawns
//! { os_read = { path = "~/.ssh/id_rsa" } }
//! ```
//!
//! Only the sandbox stands between these steps and the file system: they are how tests show that a
//! write outside the worktree fails in the kernel.

use std::path::{Path, PathBuf};

use agent_client_protocol::v1::schema::{
    ContentBlock, Diff, SessionUpdate, TextContent, ToolCall, ToolCallContent, ToolCallLocation,
    ToolCallStatus, ToolCallUpdate, ToolCallUpdateFields, ToolKind,
};
use serde::Deserialize;

use super::steps::Turn;

/// An `os_write` step.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsWriteStep {
    pub path: String,
    pub content: String,
    /// Written by a child process (`sh -c 'printf … > path'`) instead of the agent itself.
    #[serde(default)]
    pub child: bool,
}

impl Turn {
    /// `~/…` under the agent's HOME, relative paths under the session's cwd.
    fn os_path(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => self.resolve(path),
        }
    }

    fn start_tool_call(&self, id: &str, title: String, kind: ToolKind, path: &Path) {
        let call = ToolCall::new(id.to_owned(), title)
            .kind(kind)
            .status(ToolCallStatus::InProgress)
            .locations(vec![ToolCallLocation::new(path.to_path_buf())]);
        self.update(SessionUpdate::ToolCall(call));
    }

    fn end_tool_call(&self, id: &str, status: ToolCallStatus, content: ToolCallContent) {
        let fields = ToolCallUpdateFields::new().status(status).content(Some(vec![content]));
        self.update(SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(id.to_owned(), fields)));
    }

    pub(super) async fn os_write(&mut self, step: OsWriteStep) {
        let path = self.os_path(&step.path);
        let id = format!("os-write-{}", uuid::Uuid::now_v7());
        let how = if step.child { " (child process)" } else { "" };
        self.start_tool_call(&id, format!("write {}{how}", path.display()), ToolKind::Edit, &path);
        let written = if step.child {
            write_in_child(&path, &step.content).await
        } else {
            tokio::fs::write(&path, &step.content).await.map_err(|e| e.to_string())
        };
        match written {
            Ok(()) => {
                let diff = Diff::new(path.clone(), step.content);
                self.end_tool_call(&id, ToolCallStatus::Completed, ToolCallContent::Diff(diff));
                self.say(&format!("os_write {}: ok", path.display()));
            }
            Err(error) => {
                self.end_tool_call(&id, ToolCallStatus::Failed, text(&error));
                self.say(&format!("os_write {}: error: {error}", path.display()));
            }
        }
    }

    pub(super) async fn os_read(&mut self, path: &str) {
        let path = self.os_path(path);
        let id = format!("os-read-{}", uuid::Uuid::now_v7());
        self.start_tool_call(&id, format!("read {}", path.display()), ToolKind::Read, &path);
        match tokio::fs::read_to_string(&path).await {
            Ok(content) => {
                self.end_tool_call(&id, ToolCallStatus::Completed, text(&content));
                self.say(&format!("os_read {}: {content}", path.display()));
            }
            Err(error) => {
                self.end_tool_call(&id, ToolCallStatus::Failed, text(&error.to_string()));
                self.say(&format!("os_read {}: error: {error}", path.display()));
            }
        }
    }
}

fn text(text: &str) -> ToolCallContent {
    ToolCallContent::from(ContentBlock::Text(TextContent::new(text.to_owned())))
}

/// `sh -c 'printf %s "$1" > "$2"'`: the child's stderr is the error when it fails.
async fn write_in_child(path: &Path, content: &str) -> Result<(), String> {
    let output = tokio::process::Command::new("sh")
        .args(["-c", "printf %s \"$1\" > \"$2\"", "sh", content])
        .arg(path)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot start sh: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Script, Step};

    #[test]
    fn os_steps_parse() {
        let script = Script::parse(
            "[[rule]]\nmatch = \"x\"\nsteps = [\n  { os_write = { path = \"~/a\", content = \"c\", child = true } },\n  \
             { os_write = { path = \"b\", content = \"c\" } },\n  { os_read = { path = \"~/.ssh/id_rsa\" } },\n]\n",
            std::path::Path::new("s.toml"),
        )
        .unwrap();
        let steps = &script.rules[0].steps;
        assert!(matches!(&steps[0], Step::OsWrite(w) if w.child && w.path == "~/a"));
        assert!(matches!(&steps[1], Step::OsWrite(w) if !w.child));
        assert!(matches!(&steps[2], Step::OsRead { path } if path == "~/.ssh/id_rsa"));
    }
}
