//! Requests to an agent with a time limit, and the mapping of their failures to [`AgentError`]s: an
//! error caused by a dying process is reported as that process's fault.

use std::time::Duration;

use agent_client_protocol::{Error as AcpError, is_connection_terminated, is_incoming_transport_closed};

use crate::error::AgentError;
use crate::process::fault::FaultLatch;

/// Awaits `request` within `limit`, turning agent errors and process faults into [`AgentError`]s.
pub(crate) async fn call<T>(
    latch: &FaultLatch,
    method: &'static str,
    limit: Duration,
    request: impl Future<Output = Result<T, AcpError>>,
) -> Result<T, AgentError> {
    tokio::select! {
        result = request => match result {
            Ok(value) => Ok(value),
            Err(error) => Err(classify(latch, method, error).await),
        },
        () = latch.tripped() => Err(fault_error(latch).await),
        () = tokio::time::sleep(limit) => Err(AgentError::Timeout { method, after: limit }),
    }
}

/// The agent's error answer, or, when the connection itself failed, the fault behind it (the reaper
/// notices the exit a moment after stdout closes, hence the grace period).
pub(crate) async fn classify(latch: &FaultLatch, method: &'static str, error: AcpError) -> AgentError {
    if latch.kind().is_some() {
        return fault_error(latch).await;
    }
    if is_incoming_transport_closed(&error) || is_connection_terminated(&error) {
        return match tokio::time::timeout(Duration::from_secs(2), latch.tripped()).await {
            Ok(()) => fault_error(latch).await,
            Err(_) => AgentError::Stopped(latch.pid()),
        };
    }
    let message = match &error.data {
        Some(serde_json::Value::String(data)) => format!("{}: {data}", error.message),
        Some(data) => format!("{}: {data}", error.message),
        None => error.message.clone(),
    };
    AgentError::Rejected { method, code: error.code.into(), message }
}

pub(crate) async fn fault_error(latch: &FaultLatch) -> AgentError {
    match latch.report().await {
        Some(fault) => AgentError::Fault(fault),
        None => AgentError::Stopped(latch.pid()),
    }
}
