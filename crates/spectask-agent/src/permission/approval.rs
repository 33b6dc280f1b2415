//! The agent's own approval system, set through ACP session modes so that the agent asks spectask
//! (and so its permission policy) before every edit and command: after `session/new` spectask selects
//! the profile's `approval_mode` when the agent offers it, and puts it back when the agent switches
//! away on its own (a mode switch is a privilege escalation). Presets configure the same natively
//! where an agent has no such mode (an environment variable or a flag the preset sets).

use std::time::Duration;

use agent_client_protocol::Agent;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{SessionId, SessionModeState, SetSessionModeRequest};

pub use crate::events::{ApprovalCheck, ApprovalStatus};
use crate::process::fault::FaultLatch;
use crate::rpc::call;

/// Selects `want` for `session` given the modes the agent reported for it.
pub(crate) async fn select(
    cx: &ConnectionTo<Agent>,
    latch: &FaultLatch,
    limit: Duration,
    session: &str,
    want: Option<&str>,
    modes: Option<&SessionModeState>,
) -> ApprovalCheck {
    let available: Vec<String> = modes
        .map(|m| m.available_modes.iter().map(|mode| mode.id.0.to_string()).collect())
        .unwrap_or_default();
    let current = modes.map(|m| m.current_mode_id.0.to_string());
    let check = |status, current_mode: Option<String>, detail: Option<String>| ApprovalCheck {
        mode: want.map(str::to_owned),
        current_mode,
        available_modes: available.clone(),
        status,
        detail,
    };
    let Some(want) = want else {
        return check(ApprovalStatus::NotConfigured, current, None);
    };
    let Some(current) = current else {
        return check(ApprovalStatus::NotReported, None, None);
    };
    if current == want {
        return check(ApprovalStatus::AlreadySelected, Some(current), None);
    }
    if !available.iter().any(|m| m == want) {
        let detail = format!("the agent offers {}", available.join(", "));
        return check(ApprovalStatus::NotOffered, Some(current), Some(detail));
    }
    match set_mode(cx, latch, limit, session, want).await {
        Ok(()) => check(ApprovalStatus::Set, Some(want.to_owned()), None),
        Err(error) => check(ApprovalStatus::Failed, Some(current), Some(error)),
    }
}

/// `session/set_mode`.
pub(crate) async fn set_mode(
    cx: &ConnectionTo<Agent>,
    latch: &FaultLatch,
    limit: Duration,
    session: &str,
    mode: &str,
) -> Result<(), String> {
    let request = SetSessionModeRequest::new(SessionId::new(session.to_owned()), mode.to_owned());
    call(latch, "session/set_mode", limit, cx.send_request(request).block_task())
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
