//! Per-session history of the scripted agent, kept in memory and optionally as JSON files so that a new
//! agent process can `session/load` a session created by an earlier one.

use std::path::PathBuf;

use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, SessionId, SessionNotification, SessionUpdate, TextContent,
};
use agent_client_protocol::{Client, Error as AcpError};
use serde::{Deserialize, Serialize};

/// Who said something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Role {
    User,
    Agent,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    role: Role,
    text: String,
}

/// The recorded conversation of one session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct History {
    pub(super) cwd: PathBuf,
    entries: Vec<Entry>,
}

impl History {
    pub(super) fn new(cwd: PathBuf) -> Self {
        History { cwd, entries: Vec::new() }
    }

    pub(super) fn push_user(&mut self, text: &str) {
        self.entries.push(Entry { role: Role::User, text: text.to_owned() });
    }

    /// Sets what the agent said in the turn that began when the history had `start` entries (so far
    /// or in full): saved as it goes, a turn cut off by a crash keeps what was said before it.
    pub(super) fn set_reply(&mut self, start: usize, text: &str) {
        self.entries.truncate(start);
        if !text.is_empty() {
            self.entries.push(Entry { role: Role::Agent, text: text.to_owned() });
        }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Everything said so far, in order, one message after another.
    pub(super) fn text(&self) -> String {
        self.entries.iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("\n")
    }

    /// Sends the whole history as `session/update` notifications (before the load response).
    pub(super) fn replay(&self, cx: &ConnectionTo<Client>, session_id: &SessionId) -> Result<(), AcpError> {
        for entry in &self.entries {
            let chunk = ContentChunk::new(ContentBlock::Text(TextContent::new(entry.text.clone())));
            let update = match entry.role {
                Role::User => SessionUpdate::UserMessageChunk(chunk),
                Role::Agent => SessionUpdate::AgentMessageChunk(chunk),
            };
            cx.send_notification(SessionNotification::new(session_id.clone(), update))?;
        }
        Ok(())
    }
}

/// Where histories are persisted: nowhere, or `<dir>/<session id>.json`.
pub(super) struct HistoryStore {
    dir: Option<PathBuf>,
}

impl HistoryStore {
    pub(super) fn new(dir: Option<PathBuf>) -> Self {
        HistoryStore { dir }
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        // Session ids are generated here (uuids); refuse anything that could leave the directory.
        let safe = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        self.dir.as_ref().filter(|_| safe).map(|dir| dir.join(format!("{id}.json")))
    }

    /// Best effort: a failure is logged to stderr and the session lives on in memory.
    pub(super) fn save(&self, id: &str, history: &History) {
        let Some(path) = self.path(id) else { return };
        // The state dir is made on first use.
        let written = serde_json::to_vec(history).map_err(std::io::Error::other).and_then(|bytes| {
            path.parent().map_or(Ok(()), std::fs::create_dir_all)?;
            std::fs::write(&path, bytes)
        });
        if let Err(error) = written {
            eprintln!("scripted agent: cannot save history {}: {error}", path.display());
        }
    }

    pub(super) fn load(&self, id: &str) -> Option<History> {
        let bytes = std::fs::read(self.path(id)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}
