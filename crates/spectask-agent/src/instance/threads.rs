//! Opening an instance's threads: `session/new` (authenticating when the agent asks), reopening a
//! recorded one with `session/load` or `session/resume`, and selecting the profile's approval mode
//! in each.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use agent_client_protocol::ErrorCode;
use agent_client_protocol::v1::schema::{
    LoadSessionRequest, NewSessionRequest, ResumeSessionRequest, SessionId, SessionModeState,
};
use tokio::sync::mpsc;

use super::AgentInstance;
use crate::error::AgentError;
use crate::events::AgentEvent;
use crate::permission::approval::{self, ApprovalCheck, ApprovalStatus};
use crate::profiles::PermissionPolicy;
use crate::thread::mcp_servers::{self, McpServerSpec};
use crate::thread::{AcpSessionId, ThreadEntry};

impl AgentInstance {
    /// `session/new` in `cwd` (the worktree, also the confinement root); the thread's events go to
    /// `events`. Authenticates and retries once when the agent answers -32000.
    ///
    /// Back-pressure: the connection waits while `events` is full, which stops reading the agent's
    /// stdout and eventually blocks the agent. Drain every thread's receiver.
    pub async fn new_thread(
        &self,
        cwd: &Path,
        events: mpsc::Sender<AgentEvent>,
    ) -> Result<AcpSessionId, AgentError> {
        self.new_thread_with_tools(cwd, &[], events).await
    }

    /// [`Self::new_thread`] with MCP servers the agent launches for this thread (`mcpServers`).
    pub async fn new_thread_with_tools(
        &self,
        cwd: &Path,
        tools: &[McpServerSpec],
        events: mpsc::Sender<AgentEvent>,
    ) -> Result<AcpSessionId, AgentError> {
        self.touch();
        let root = Self::root(cwd)?;
        let new_session = || {
            let request = NewSessionRequest::new(root.clone()).mcp_servers(mcp_servers::to_acp(tools));
            self.request("session/new", self.cx.send_request(request).block_task())
        };
        let response = match new_session().await {
            Err(AgentError::Rejected { code, message, .. })
                if code == i32::from(ErrorCode::AUTH_REQUIRED) =>
            {
                if self.authenticated.load(Ordering::SeqCst) {
                    return Err(self.auth_required(Some(&message)));
                }
                match self.authenticate().await {
                    Ok(true) => new_session().await.map_err(|e| match e {
                        AgentError::Rejected { message, .. } => self.auth_required(Some(&message)),
                        other => other,
                    })?,
                    Ok(false) => return Err(self.auth_required(None)),
                    Err(AgentError::Rejected { message, .. }) => {
                        return Err(self.auth_required(Some(&message)));
                    }
                    Err(other) => return Err(other),
                }
            }
            Err(AgentError::Rejected { method, code, message }) => {
                // An agent refused something by the sandbox often fails here with a vague message
                // (OpenCode: "service failure"); its error output names what was refused.
                let message = self.with_sandbox_advice(message).await;
                return Err(AgentError::Rejected { method, code, message });
            }
            other => other?,
        };
        let id = response.session_id.0.to_string();
        self.shared.sessions.insert(&id, Arc::new(ThreadEntry::new(root, events)));
        if let Err(error) = self.select_approval_mode(&id, response.modes.as_ref()).await {
            let _ = self.close_thread(&AcpSessionId(id)).await;
            return Err(error);
        }
        Ok(AcpSessionId(id))
    }

    /// Re-opens a recorded session: `session/load` (the history is replayed into `events` first) when
    /// the agent supports it, else `session/resume`.
    pub async fn load_thread(
        &self,
        session: &AcpSessionId,
        cwd: &Path,
        events: mpsc::Sender<AgentEvent>,
    ) -> Result<(), AgentError> {
        self.load_thread_with_tools(session, cwd, &[], events).await
    }

    /// [`Self::load_thread`] with MCP servers the agent launches for this thread (`mcpServers`).
    pub async fn load_thread_with_tools(
        &self,
        session: &AcpSessionId,
        cwd: &Path,
        tools: &[McpServerSpec],
        events: mpsc::Sender<AgentEvent>,
    ) -> Result<(), AgentError> {
        self.touch();
        let root = Self::root(cwd)?;
        // Registered before the request: the replay arrives before the response.
        self.shared.sessions.insert(&session.0, Arc::new(ThreadEntry::new(root.clone(), events)));
        let sid = SessionId::new(session.0.clone());
        let result = if self.info.supports_load() {
            let request = LoadSessionRequest::new(sid, root).mcp_servers(mcp_servers::to_acp(tools));
            self.request("session/load", self.cx.send_request(request).block_task()).await.map(|r| r.modes)
        } else if self.info.supports_resume() {
            let request = ResumeSessionRequest::new(sid, root).mcp_servers(mcp_servers::to_acp(tools));
            self.request("session/resume", self.cx.send_request(request).block_task()).await.map(|r| r.modes)
        } else {
            Err(AgentError::Unsupported("session/load or session/resume"))
        };
        let selected = match result {
            Ok(modes) => self.select_approval_mode(&session.0, modes.as_ref()).await,
            Err(error) => Err(error),
        };
        if selected.is_err() {
            self.shared.sessions.remove(&session.0);
        }
        selected
    }

    /// Selects the profile's approval mode in a new or reopened session (see
    /// [`crate::permission::approval`]). Under a `deny` or `ask` policy, a session whose agent offers
    /// modes but not this one, or refuses to switch, is an error: the agent could act without asking.
    async fn select_approval_mode(
        &self,
        session: &str,
        modes: Option<&SessionModeState>,
    ) -> Result<(), AgentError> {
        let limit = self.shared.config.request_timeout;
        let want = self.profile.approval_mode();
        let check = approval::select(&self.cx, &self.shared.latch, limit, session, want, modes).await;
        self.shared
            .approvals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(session.to_owned(), check.clone());
        let policy = self.profile.permission_policy();
        let refused = matches!(check.status, ApprovalStatus::NotOffered | ApprovalStatus::Failed);
        if refused && policy != PermissionPolicy::Auto {
            return Err(AgentError::ApprovalMode {
                profile: self.profile.name.clone(),
                policy,
                check: Box::new(check),
            });
        }
        if !check.asks_first() && check.status != ApprovalStatus::NotConfigured {
            tracing::warn!(
                profile = %self.profile.name, session, status = ?check.status, detail = ?check.detail,
                "the agent's approval mode is not the profile's: it may act without asking spectask"
            );
        }
        Ok(())
    }

    /// What selecting the approval mode gave in `session`.
    pub fn approval(&self, session: &AcpSessionId) -> Option<ApprovalCheck> {
        self.shared.approvals.lock().unwrap_or_else(PoisonError::into_inner).get(&session.0).cloned()
    }
}
