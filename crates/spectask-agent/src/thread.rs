//! Threads: one ACP session per work session, and the registry that routes the agent's messages to
//! each thread's event channel by session id.
//!
//! - [`prompt`]: the content of one turn's prompt.
//! - [`mcp_servers`]: the MCP servers a thread is opened with, which the agent launches.
//! - [`sandbox_audit`]: what the thread's tool calls show about the sandbox.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use agent_client_protocol::Agent;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{PromptRequest, SessionId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::error::AgentError;
use crate::events::{AgentEvent, TurnUsage, wire_name};
use crate::permission::PermissionBroker;
use crate::permission::served::Grants;
use crate::process::fault::{FaultKind, FaultLatch};
use crate::rpc::{classify, fault_error};
use crate::thread::prompt::PromptContent;
use crate::thread::sandbox_audit::ToolCallAudit;

pub mod mcp_servers;
pub mod prompt;
pub mod sandbox_audit;

/// The agent's id of an ACP session (a thread); recorded on the Thread so it can be loaded later.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AcpSessionId(pub String);

impl std::fmt::Display for AcpSessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the runtime knows about one live session.
#[derive(Debug)]
pub(crate) struct ThreadEntry {
    /// The canonical worktree root every fs and terminal request is confined to.
    pub(crate) root: PathBuf,
    pub(crate) events: mpsc::Sender<AgentEvent>,
    last_activity: Mutex<Instant>,
    /// Client-side waits in progress (terminal waits): the agent is not stalled meanwhile.
    busy: AtomicUsize,
    /// The thread's tool calls as the sandbox audit tracks them (kept across turns).
    pub(crate) audit: Arc<Mutex<ToolCallAudit>>,
    /// What was allowed in the thread, which its writes and commands may carry out (kept across
    /// turns).
    pub(crate) grants: Arc<Mutex<Grants>>,
}

impl ThreadEntry {
    pub(crate) fn new(root: PathBuf, events: mpsc::Sender<AgentEvent>) -> Self {
        ThreadEntry {
            root,
            events,
            last_activity: Mutex::new(Instant::now()),
            busy: AtomicUsize::new(0),
            audit: Arc::default(),
            grants: Arc::default(),
        }
    }

    /// The same thread, its events sent to a new channel (the next turn's consumer).
    pub(crate) fn with_events(&self, events: mpsc::Sender<AgentEvent>) -> Self {
        ThreadEntry {
            audit: self.audit.clone(),
            grants: self.grants.clone(),
            ..ThreadEntry::new(self.root.clone(), events)
        }
    }

    pub(crate) fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    pub(crate) fn last_activity(&self) -> Instant {
        *self.last_activity.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst) > 0
    }

    /// Marks the session busy until the guard drops.
    pub(crate) fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::SeqCst);
        BusyGuard(self.clone())
    }

    /// Sends `event`, waiting while the thread's channel is full (back-pressure onto the agent).
    pub(crate) async fn emit(&self, event: AgentEvent) {
        self.touch();
        // A dropped receiver means nobody listens to this thread any more; the event is not needed.
        let _ = self.events.send(event).await;
    }
}

pub(crate) struct BusyGuard(Arc<ThreadEntry>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

/// Live sessions of one agent instance, by session id.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    map: Mutex<HashMap<String, Arc<ThreadEntry>>>,
}

impl Registry {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ThreadEntry>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<ThreadEntry>> {
        self.map().get(id).cloned()
    }

    pub(crate) fn insert(&self, id: &str, entry: Arc<ThreadEntry>) {
        self.map().insert(id.to_owned(), entry);
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Arc<ThreadEntry>> {
        self.map().remove(id)
    }

    pub(crate) fn ids(&self) -> Vec<String> {
        self.map().keys().cloned().collect()
    }
}

/// One prompt turn on `session`: returns the stop reason. A turn with no message from the agent for
/// `stall` (while no approval in `broker` or terminal wait is pending) trips a stall fault on
/// `latch`, the agent process's.
///
/// Nothing polls while the agent works: the turn wakes when the agent answers, or once when the
/// thread would have been quiet for `stall_timeout`. Only while an approval or a terminal wait is
/// pending does it look again every `tick`, so the quiet time counts from when that wait ended.
pub(crate) async fn run_turn(
    cx: &ConnectionTo<Agent>,
    latch: &FaultLatch,
    stall: Duration,
    broker: &PermissionBroker,
    session: &AcpSessionId,
    entry: &ThreadEntry,
    prompt: PromptContent,
) -> Result<(String, Option<TurnUsage>), AgentError> {
    let tick = (stall / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
    entry.touch();
    let request = PromptRequest::new(SessionId::new(session.0.clone()), prompt.0);
    let request = cx.send_request(request).block_task();
    tokio::pin!(request);
    let mut look_at = entry.last_activity() + stall;
    loop {
        tokio::select! {
            result = &mut request => {
                return match result {
                    Ok(response) => {
                        Ok((wire_name(&response.stop_reason), response.usage.as_ref().map(TurnUsage::of)))
                    }
                    Err(error) => Err(classify(latch, "session/prompt", error).await),
                };
            }
            () = latch.tripped() => return Err(fault_error(latch).await),
            () = tokio::time::sleep_until(look_at.into()) => {
                if entry.is_busy() || broker.has_pending(&session.0) {
                    entry.touch();
                    look_at = Instant::now() + tick;
                } else if entry.last_activity().elapsed() >= stall {
                    latch.trip(FaultKind::Stalled { after: stall });
                    look_at = Instant::now() + stall;
                } else {
                    look_at = entry.last_activity() + stall;
                }
            }
        }
    }
}
