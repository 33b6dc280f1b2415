//! `spectask agent probe PROFILE`: start an agent (in its sandbox), report what `initialize` said and
//! the sandbox it runs in, try `session/new` in an empty temporary directory, shut the agent down.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use spectask_sandbox::SandboxReport;

use crate::config::RuntimeConfig;
use crate::error::AgentError;
use crate::instance::info::AgentInfo;
use crate::instance::{AgentInstance, InstanceOptions};
use crate::permission::PermissionBroker;
use crate::permission::approval::ApprovalCheck;
use crate::permission::served::Enforcement;
use crate::profiles::AgentProfile;

/// How probing is done.
#[derive(Clone, Debug, Default)]
pub struct ProbeOptions {
    /// Timeouts and limits (a short `request_timeout` suits probing).
    pub config: RuntimeConfig,
}

/// The result of `session/new`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AcpSessionProbe {
    Created {
        session_id: String,
    },
    /// `message` names what to set or the login step.
    AuthRequired {
        message: String,
    },
    Failed {
        message: String,
    },
}

/// What the probe found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeReport {
    pub profile: String,
    pub pid: u32,
    #[serde(flatten)]
    pub agent: AgentInfo,
    pub session: AcpSessionProbe,
    /// The OS sandbox the agent ran in (with warnings when it is off or partial).
    pub sandbox: SandboxReport,
    /// Whether the agent's own approval mode took spectask's policy (for a created session).
    pub approval: Option<ApprovalCheck>,
    /// How the profile's permission policy holds for this agent.
    pub enforcement: Enforcement,
    /// Requests the agent sent that spectask does not serve (answered "method not found"), per
    /// method: a vendor's own methods show here.
    pub unserved_requests: BTreeMap<String, u64>,
}

/// Starts the agent; `Err` when it cannot be started or initialized (exit non-zero then).
pub async fn probe(profile: &AgentProfile, options: ProbeOptions) -> Result<ProbeReport, AgentError> {
    let dir = std::env::temp_dir().join(format!("spectask-probe-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|source| AgentError::Worktree { path: dir.clone(), source })?;
    let result = probe_in(profile, options, dir.clone()).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn probe_in(
    profile: &AgentProfile,
    options: ProbeOptions,
    dir: PathBuf,
) -> Result<ProbeReport, AgentError> {
    let instance_options = InstanceOptions {
        config: Arc::new(options.config),
        broker: PermissionBroker::new(),
        workspace: spectask_sandbox::Workspace::worktree(dir.clone()),
    };
    let instance = AgentInstance::start(profile, instance_options).await?;
    let (events, _receiver) = instance.event_channel();
    let mut approval = None;
    let session = match instance.new_thread(&dir, events).await {
        Ok(id) => {
            approval = instance.approval(&id);
            AcpSessionProbe::Created { session_id: id.0 }
        }
        Err(AgentError::AuthRequired { advice, .. }) => AcpSessionProbe::AuthRequired { message: advice },
        Err(error @ AgentError::ApprovalMode { .. }) => {
            let message = error.to_string();
            if let AgentError::ApprovalMode { check, .. } = error {
                approval = Some(*check);
            }
            AcpSessionProbe::Failed { message }
        }
        Err(error) => AcpSessionProbe::Failed { message: error.to_string() },
    };
    let sandbox = instance.sandbox();
    let enforcement = Enforcement::describe(profile.permission_policy(), &sandbox, approval.as_ref());
    let report = ProbeReport {
        profile: profile.name.clone(),
        pid: instance.pid(),
        agent: instance.info().clone(),
        session,
        sandbox,
        approval,
        enforcement,
        unserved_requests: instance.unserved_requests(),
    };
    instance.shutdown().await;
    Ok(report)
}
