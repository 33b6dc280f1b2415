//! Permissions. `session/request_permission` is answered by policy here, or held open as a pending
//! approval in the [`PermissionBroker`] until a person resolves it (or the session is cancelled).
//! The broker also holds the writes and commands spectask would serve under `ask`.
//!
//! - [`approval`]: the agent's own approval mode, selected so that it asks spectask first.
//! - `served`: the same policy applied to the writes and commands spectask serves the agent.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use agent_client_protocol::v1::Responder;
use agent_client_protocol::v1::schema::{
    PermissionOption, PermissionOptionKind, RequestPermissionOutcome, RequestPermissionRequest,
    RequestPermissionResponse, SelectedPermissionOutcome,
};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::confinement::fs::confine;
use crate::events::{
    AgentEvent, DecidedBy, Decision, PermissionChoice, ToolCallEvent, tool_call_update, wire_name,
};
use crate::permission::served::Grants;

pub mod approval;
pub(crate) mod served;

/// Errors of the approval API.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("unknown approval {0:?}")]
    UnknownApproval(String),
    #[error("approval {approval} has no option {option:?}; options: {known}")]
    UnknownOption { approval: String, option: String, known: String },
}

/// A permission request waiting for a person, as listed by `GET /api/v1/approvals`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PendingApproval {
    pub id: String,
    pub session_id: String,
    pub tool_call: ToolCallEvent,
    pub options: Vec<PermissionChoice>,
}

struct Pending {
    approval: PendingApproval,
    options: Vec<PermissionOption>,
    reply: Reply,
    events: mpsc::Sender<AgentEvent>,
}

/// The agent's request held for a person.
struct AgentReply {
    request: RequestPermissionRequest,
    responder: Responder<RequestPermissionResponse>,
    grants: Arc<Mutex<Grants>>,
}

/// Where a person's answer goes.
enum Reply {
    /// The agent's own request; an allowed one is recorded in the thread's grants.
    Agent(Box<AgentReply>),
    /// A write or command spectask holds for the agent until a person decides.
    Served(oneshot::Sender<Decision>),
}

/// Pending approvals of every agent instance; cheap to clone (shared state).
#[derive(Clone, Default)]
pub struct PermissionBroker {
    pending: Arc<Mutex<BTreeMap<String, Pending>>>,
}

impl std::fmt::Debug for PermissionBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PermissionBroker").field("pending", &self.list().len()).finish()
    }
}

impl PermissionBroker {
    pub fn new() -> Self {
        Self::default()
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Pending approvals, oldest first (ids are UUIDv7).
    pub fn list(&self) -> Vec<PendingApproval> {
        self.pending().values().map(|p| p.approval.clone()).collect()
    }

    /// The pending approval `id`, if it still waits.
    pub fn find(&self, id: &str) -> Option<PendingApproval> {
        self.pending().get(id).map(|p| p.approval.clone())
    }

    /// Whether `session_id` has a pending approval (a waiting turn is not a stalled one).
    pub(crate) fn has_pending(&self, session_id: &str) -> bool {
        self.pending().values().any(|p| p.approval.session_id == session_id)
    }

    /// Answers approval `id` with `option_id` (one of the agent's offered options).
    pub async fn resolve(&self, id: &str, option_id: &str) -> Result<(), ApprovalError> {
        let pending = {
            let mut map = self.pending();
            let entry = map.get(id).ok_or_else(|| ApprovalError::UnknownApproval(id.to_owned()))?;
            let Some(option) = entry.options.iter().find(|o| o.option_id.0.as_ref() == option_id) else {
                return Err(ApprovalError::UnknownOption {
                    approval: id.to_owned(),
                    option: option_id.to_owned(),
                    known: entry
                        .options
                        .iter()
                        .map(|o| o.option_id.0.as_ref())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let decision = decision_for(option);
            let kind = option.kind;
            map.remove(id).map(|p| (p, decision, kind))
        };
        if let Some((pending, decision, kind)) = pending {
            if let Reply::Agent(reply) = &pending.reply {
                reply.grants.lock().unwrap_or_else(PoisonError::into_inner).record(&reply.request, &kind);
            }
            answer(pending, decision, DecidedBy::User).await;
        }
        Ok(())
    }

    /// Answers every pending approval of `session_id` with `cancelled`.
    pub async fn cancel_session(&self, session_id: &str) {
        let cancelled: Vec<Pending> = {
            let mut map = self.pending();
            let ids: Vec<String> = map
                .iter()
                .filter(|(_, p)| p.approval.session_id == session_id)
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| map.remove(id)).collect()
        };
        for pending in cancelled {
            answer(pending, Decision::Cancelled, DecidedBy::SessionCancelled).await;
        }
    }

    /// Drops the pending approvals of `session_id` without answering (its agent is gone).
    pub(crate) fn discard_session(&self, session_id: &str) {
        self.pending().retain(|_, p| p.approval.session_id != session_id);
    }

    /// Holds `request` open; emits `PermissionRequested` with the approval id. An allowed answer
    /// is recorded in `grants`.
    pub(crate) async fn hold(
        &self,
        request: RequestPermissionRequest,
        responder: Responder<RequestPermissionResponse>,
        events: mpsc::Sender<AgentEvent>,
        grants: Arc<Mutex<Grants>>,
    ) {
        let session_id = request.session_id.0.to_string();
        let tool_call = tool_call_update(&request.tool_call);
        let options = request.options.clone();
        let reply = Reply::Agent(Box::new(AgentReply { request, responder, grants }));
        self.insert(session_id, tool_call, options, reply, events).await;
    }

    /// Holds a write or command spectask would serve (`tool_call` describes it) until a person
    /// answers; the answer arrives on the returned channel (dropped: the session is gone).
    pub(crate) async fn hold_served(
        &self,
        session_id: &str,
        tool_call: ToolCallEvent,
        events: mpsc::Sender<AgentEvent>,
    ) -> oneshot::Receiver<Decision> {
        let (tx, rx) = oneshot::channel();
        let options = crate::permission::served::choices()
            .into_iter()
            .map(|c| {
                let kind = if c.kind == "allow_once" {
                    PermissionOptionKind::AllowOnce
                } else {
                    PermissionOptionKind::RejectOnce
                };
                PermissionOption::new(c.option_id, c.name, kind)
            })
            .collect();
        self.insert(session_id.to_owned(), tool_call, options, Reply::Served(tx), events).await;
        rx
    }

    async fn insert(
        &self,
        session_id: String,
        tool_call: ToolCallEvent,
        options: Vec<PermissionOption>,
        reply: Reply,
        events: mpsc::Sender<AgentEvent>,
    ) {
        let id = uuid::Uuid::now_v7().to_string();
        let approval = PendingApproval { id: id.clone(), session_id, tool_call, options: choices(&options) };
        let event = AgentEvent::PermissionRequested(crate::events::PermissionRequest {
            approval_id: Some(id.clone()),
            tool_call: approval.tool_call.clone(),
            options: approval.options.clone(),
        });
        self.pending().insert(id, Pending { approval, options, reply, events: events.clone() });
        let _ = events.send(event).await;
    }
}

pub(crate) fn choices(options: &[PermissionOption]) -> Vec<PermissionChoice> {
    options
        .iter()
        .map(|o| PermissionChoice {
            option_id: o.option_id.0.to_string(),
            name: o.name.clone(),
            kind: wire_name(&o.kind),
        })
        .collect()
}

pub(crate) fn decision_for(option: &PermissionOption) -> Decision {
    let option_id = option.option_id.0.to_string();
    match option.kind {
        PermissionOptionKind::AllowOnce | PermissionOptionKind::AllowAlways => {
            Decision::Allowed { option_id }
        }
        _ => Decision::Rejected { option_id },
    }
}

fn outcome(decision: &Decision) -> RequestPermissionOutcome {
    match decision {
        Decision::Allowed { option_id } | Decision::Rejected { option_id } => {
            RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(option_id.clone()))
        }
        Decision::Cancelled => RequestPermissionOutcome::Cancelled,
    }
}

async fn answer(pending: Pending, decision: Decision, by: DecidedBy) {
    match pending.reply {
        Reply::Agent(reply) => {
            let _ = reply.responder.respond(RequestPermissionResponse::new(outcome(&decision)));
        }
        Reply::Served(tx) => {
            let _ = tx.send(decision.clone());
        }
    }
    let event = AgentEvent::PermissionDecided {
        tool_call_id: pending.approval.tool_call.id.clone(),
        approval_id: Some(pending.approval.id.clone()),
        decision,
        by,
    };
    let _ = pending.events.send(event).await;
}

/// The policy's decision (`auto` or `deny`): options are chosen by kind, never by position; with no
/// fitting option the answer is `cancelled`.
pub(crate) fn policy_decision(request: &RequestPermissionRequest, allow: bool) -> Decision {
    let preferred: &[PermissionOptionKind] = if allow {
        &[PermissionOptionKind::AllowOnce, PermissionOptionKind::AllowAlways]
    } else {
        &[PermissionOptionKind::RejectOnce, PermissionOptionKind::RejectAlways]
    };
    preferred
        .iter()
        .find_map(|kind| request.options.iter().find(|o| o.kind == *kind))
        .map_or(Decision::Cancelled, decision_for)
}

/// The `auto` policy: allow when every location of the tool call lies inside `root`.
pub(crate) fn auto_allows(request: &RequestPermissionRequest, root: &Path) -> bool {
    request.tool_call.fields.locations.iter().flatten().all(|location| confine(root, &location.path).is_ok())
}

/// Answers `request` right away with a policy decision and reports it; an allowed tool call is
/// recorded in `grants`.
pub(crate) async fn answer_by_policy(
    request: &RequestPermissionRequest,
    responder: Responder<RequestPermissionResponse>,
    allow: bool,
    events: &mpsc::Sender<AgentEvent>,
    grants: &Mutex<Grants>,
) {
    let decision = policy_decision(request, allow);
    if let Decision::Allowed { option_id } = &decision
        && let Some(option) = request.options.iter().find(|o| o.option_id.0.as_ref() == option_id.as_str())
    {
        grants.lock().unwrap_or_else(PoisonError::into_inner).record(request, &option.kind);
    }
    let _ = responder.respond(RequestPermissionResponse::new(outcome(&decision)));
    let event = AgentEvent::PermissionDecided {
        tool_call_id: request.tool_call.tool_call_id.0.to_string(),
        approval_id: None,
        decision,
        by: DecidedBy::Policy,
    };
    let _ = events.send(event).await;
}
