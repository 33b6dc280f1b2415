//! Agent profiles and permission approvals on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spectask_core::{SpecTaskId, Timestamp, WorkSessionId};
use utoipa::ToSchema;

/// `POST /approvals/{id}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    /// One of the approval's `options[].option_id`.
    pub option_id: String,
}

/// An agent profile and whether it can run on this machine.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDto {
    pub name: String,
    /// `acp` or `llm`.
    pub kind: &'static str,
    /// The command, for ACP profiles.
    pub command: Option<String>,
    /// Where the command was found on PATH.
    pub command_path: Option<String>,
    pub command_found: bool,
    /// `null` when spectask does not know which credentials the agent needs.
    pub credentials_present: Option<bool>,
    /// What to do when credentials are missing.
    pub credentials_advice: Option<String>,
    /// Command found and credentials not known to be missing.
    pub available: bool,
    /// What the agent needs besides credentials (the `qwen` preset: Node.js 22 or newer).
    pub requires: Option<String>,
    /// The OS sandbox of an ACP profile: `workspace-write`, `read-only` or `off`.
    pub sandbox: Option<String>,
    /// What people should know before using the profile (for example that its sandbox is off).
    pub warnings: Vec<String>,
    /// Requests this node's live agents of the profile sent that spectask does not serve (a
    /// vendor's own methods, answered "method not found"), per method; counted while they live.
    pub unserved_requests: BTreeMap<String, u64>,
}

impl AgentDto {
    /// The profile's availability, with the unserved requests of its live agents on this node.
    pub fn new(a: spectask_agent::profiles::Availability, unserved_requests: BTreeMap<String, u64>) -> Self {
        Self {
            name: a.name,
            kind: a.kind,
            command: a.command,
            command_path: a.command_path.map(|p| p.display().to_string()),
            command_found: a.command_found,
            credentials_present: a.credentials_present,
            credentials_advice: a.credentials_advice,
            available: a.available,
            requires: a.requires,
            sandbox: a.sandbox.map(|mode| mode.as_str().to_owned()),
            warnings: a.warnings,
            unserved_requests,
        }
    }
}

/// One option a person may choose to answer a permission request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalOptionDto {
    pub option_id: String,
    pub name: String,
    /// `allow_once`, `allow_always`, `reject_once` or `reject_always`.
    pub kind: String,
}

/// What an agent asks permission for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalToolCallDto {
    pub id: String,
    pub title: Option<String>,
    pub kind: Option<String>,
    /// Files the tool call touches.
    pub locations: Vec<String>,
}

/// A permission request waiting for a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalDto {
    pub id: String,
    /// The agent's session (thread) that asks.
    pub session_id: String,
    pub work_session_id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    /// The node whose agent asks (it gives the agent the answer, wherever it was given).
    pub node: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    pub tool_call: ApprovalToolCallDto,
    pub options: Vec<ApprovalOptionDto>,
}

impl From<spectask_store::Approval> for ApprovalDto {
    fn from(a: spectask_store::Approval) -> Self {
        let r = a.request;
        Self {
            id: r.id,
            session_id: r.acp_session_id,
            work_session_id: r.work_session_id,
            spec_task_id: r.spec_task_id,
            node: r.node,
            requested_at: a.requested_at,
            tool_call: ApprovalToolCallDto {
                id: r.tool_call_id,
                title: r.title,
                kind: r.kind,
                locations: r.locations,
            },
            options: r
                .options
                .into_iter()
                .map(|o| ApprovalOptionDto { option_id: o.option_id, name: o.name, kind: o.kind })
                .collect(),
        }
    }
}
