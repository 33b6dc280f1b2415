//! The agent runtime: one [`AgentInstance`] per SpecTask, started on demand, under a global cap on live
//! agent processes (starts beyond it wait in FIFO order), stopped when idle or on request.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use spectask_core::SpecTaskId;
use spectask_sandbox::Workspace;
use tokio::sync::{Mutex, Semaphore};

use crate::config::RuntimeConfig;
use crate::editor::turns::EditorTurns;
use crate::error::AgentError;
use crate::instance::{AgentInstance, InstanceOptions};
use crate::permission::PermissionBroker;
use crate::process::fault::Fault;
use crate::profiles::AgentProfile;

struct Inner {
    config: Arc<RuntimeConfig>,
    broker: PermissionBroker,
    /// One permit per live agent process; `Semaphore` hands permits out in FIFO order.
    slots: Arc<Semaphore>,
    instances: Mutex<HashMap<SpecTaskId, Arc<AgentInstance>>>,
    /// Per-task start locks, present while a start is in progress.
    starting: Mutex<HashMap<SpecTaskId, Arc<Mutex<()>>>>,
    /// A start that failed for good ([`AgentError::StartFailed`]) just now, per task: the next
    /// caller for the same profile gets it instead of starting the agent again.
    failed_starts: Mutex<HashMap<SpecTaskId, FailedStart>>,
    editor_turns: EditorTurns,
}

/// How long a start that failed for good is answered for without trying again.
const FAILED_START_HELD: Duration = Duration::from_secs(60);

struct FailedStart {
    profile: String,
    fault: Fault,
    at: Instant,
}

/// Live agent instances by SpecTask. Cheap to clone.
#[derive(Clone)]
pub struct AgentRuntime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AgentRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRuntime").field("config", &self.inner.config).finish()
    }
}

impl AgentRuntime {
    /// A runtime with its idle reaper task (which ends when the last runtime handle drops).
    /// Must be called inside a tokio runtime.
    pub fn new(config: RuntimeConfig) -> Self {
        let inner = Arc::new(Inner {
            slots: Arc::new(Semaphore::new(config.max_live_instances.max(1))),
            config: Arc::new(config),
            broker: PermissionBroker::new(),
            instances: Mutex::new(HashMap::new()),
            starting: Mutex::new(HashMap::new()),
            failed_starts: Mutex::new(HashMap::new()),
            editor_turns: EditorTurns::default(),
        });
        tokio::spawn(reap_idle(Arc::downgrade(&inner)));
        AgentRuntime { inner }
    }

    /// The approvals of every instance of this runtime (for `GET/POST /api/v1/approvals`).
    pub fn broker(&self) -> PermissionBroker {
        self.inner.broker.clone()
    }

    /// Prompts from editors waiting for, or running, their turn on this node.
    pub fn editor_turns(&self) -> &EditorTurns {
        &self.inner.editor_turns
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// The live instance of `task`, or a new one of `profile` in `workspace`, waiting for a free
    /// slot. A faulted or stopped instance is replaced.
    pub async fn instance(
        &self,
        task: SpecTaskId,
        profile: &AgentProfile,
        workspace: &Workspace,
    ) -> Result<Arc<AgentInstance>, AgentError> {
        if let Some(live) = self.live_instance(task).await {
            return Ok(live);
        }
        // One start per task at a time: two callers must not both start an agent for it.
        let task_lock = self.inner.starting.lock().await.entry(task).or_default().clone();
        let result = {
            let _starting = task_lock.lock().await;
            self.start(task, profile, workspace).await
        };
        self.inner.starting.lock().await.remove(&task);
        result
    }

    async fn start(
        &self,
        task: SpecTaskId,
        profile: &AgentProfile,
        workspace: &Workspace,
    ) -> Result<Arc<AgentInstance>, AgentError> {
        if let Some(live) = self.live_instance(task).await {
            return Ok(live);
        }
        // A start that failed for good a moment ago (the warm-up before a session's drive) is
        // answered once more as it was, not tried again.
        let failed = self.inner.failed_starts.lock().await.remove(&task);
        if let Some(failed) =
            failed.filter(|f| f.profile == profile.name && f.at.elapsed() < FAILED_START_HELD)
        {
            return Err(AgentError::StartFailed { profile: failed.profile, fault: failed.fault });
        }
        let permit = self.inner.slots.clone().acquire_owned().await.map_err(|_| AgentError::RuntimeClosed)?;
        let options = InstanceOptions {
            config: self.inner.config.clone(),
            broker: self.inner.broker.clone(),
            workspace: workspace.clone(),
        };
        let instance = match AgentInstance::start(profile, options).await {
            Ok(instance) => Arc::new(instance),
            Err(AgentError::StartFailed { profile, fault }) => {
                let held = FailedStart { profile: profile.clone(), fault: fault.clone(), at: Instant::now() };
                self.inner.failed_starts.lock().await.insert(task, held);
                return Err(AgentError::StartFailed { profile, fault });
            }
            Err(other) => return Err(other),
        };
        instance.hold_permit(permit);
        self.inner.instances.lock().await.insert(task, instance.clone());
        Ok(instance)
    }

    async fn live_instance(&self, task: SpecTaskId) -> Option<Arc<AgentInstance>> {
        let mut instances = self.inner.instances.lock().await;
        match instances.get(&task) {
            Some(instance) if instance.is_alive() => Some(instance.clone()),
            Some(_) => {
                if let Some(dead) = instances.remove(&task) {
                    tokio::spawn(async move { dead.shutdown().await });
                }
                None
            }
            None => None,
        }
    }

    /// Stops the instance of `task` (when the task ends).
    pub async fn stop(&self, task: SpecTaskId) {
        let instance = self.inner.instances.lock().await.remove(&task);
        if let Some(instance) = instance {
            instance.shutdown().await;
        }
    }

    /// Stops every instance (graceful shutdown of the server).
    pub async fn stop_all(&self) {
        let all: Vec<_> = self.inner.instances.lock().await.drain().map(|(_, i)| i).collect();
        futures::future::join_all(all.iter().map(|i| i.shutdown())).await;
    }

    /// The tasks whose agent instance lives in this runtime.
    pub async fn live_tasks(&self) -> Vec<SpecTaskId> {
        self.inner.instances.lock().await.keys().copied().collect()
    }

    /// Requests the live instance of `task` on this node sent that spectask does not serve
    /// (answered "method not found"), per method; `None` when no instance of it lives here.
    pub async fn unserved_requests(&self, task: SpecTaskId) -> Option<BTreeMap<String, u64>> {
        self.inner.instances.lock().await.get(&task).map(|instance| instance.unserved_requests())
    }

    /// [`Self::unserved_requests`] of every live instance on this node, added up per profile.
    pub async fn unserved_requests_by_profile(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let mut totals: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for instance in self.inner.instances.lock().await.values() {
            let profile = totals.entry(instance.profile().name.clone()).or_default();
            for (method, count) in instance.unserved_requests() {
                *profile.entry(method).or_default() += count;
            }
        }
        totals
    }

    /// Number of instances holding a slot.
    pub async fn live_count(&self) -> usize {
        self.inner.instances.lock().await.len()
    }
}

async fn reap_idle(inner: Weak<Inner>) {
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let limit = inner.config.idle_timeout;
        let idle: Vec<Arc<AgentInstance>> = {
            let mut instances = inner.instances.lock().await;
            let ids: Vec<SpecTaskId> = instances
                .iter()
                .filter(|(_, i)| !i.is_alive() || i.idle_for().is_some_and(|d| d >= limit))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| instances.remove(id)).collect()
        };
        for instance in idle {
            tracing::info!(pid = instance.pid(), "stopping idle or dead agent instance");
            instance.shutdown().await;
        }
        let tick = (limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
        drop(inner);
        tokio::time::sleep(tick).await;
    }
}
