//! Shared fixtures: a temporary worktree, a script file, the scripted agent's profile, event helpers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use spectask_agent::profiles::ProfileKind;
use spectask_agent::{
    AgentEvent, AgentInstance, AgentProfile, InstanceOptions, PermissionBroker, PermissionPolicy,
    RuntimeConfig, Workspace,
};
use spectask_sandbox::{Launcher, SandboxConfig};
use tokio::sync::mpsc;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub worktree: PathBuf,
    pub script: PathBuf,
    pub state: PathBuf,
}

impl Fixture {
    /// `script` may use `{outside}` for a directory next to (not inside) the worktree.
    pub fn new(script: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let worktree = base.join("worktree");
        std::fs::create_dir_all(worktree.join(".git")).unwrap();
        std::fs::write(worktree.join(".git/config"), "[core]\n").unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::create_dir_all(base.join("state")).unwrap();
        let script_path = base.join("script.toml");
        let outside = base.join("outside");
        std::fs::write(&script_path, script.replace("{outside}", outside.to_str().unwrap())).unwrap();
        Fixture { dir, worktree, script: script_path, state: base.join("state") }
    }

    pub fn outside(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap().join("outside")
    }

    /// The scripted agent, sandboxed (`workspace-write`) with its state directory declared writable.
    pub fn profile(&self, policy: PermissionPolicy, env: &[(&str, &str)]) -> AgentProfile {
        let args = ["--script", self.script.to_str().unwrap(), "--state-dir", self.state.to_str().unwrap()];
        let mut profile = AgentProfile::acp(
            "scripted",
            env!("CARGO_BIN_EXE_spectask-scripted-agent"),
            args.map(str::to_owned).to_vec(),
        );
        if let ProfileKind::Acp { env: profile_env, permission_policy, sandbox_write, .. } = &mut profile.kind
        {
            *profile_env =
                env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>();
            *permission_policy = policy;
            *sandbox_write = Some(vec![self.state.display().to_string()]);
        }
        profile
    }

    pub fn workspace(&self) -> Workspace {
        Workspace::worktree(&self.worktree)
    }

    pub async fn start(&self, config: RuntimeConfig, policy: PermissionPolicy) -> AgentInstance {
        self.start_with(config, policy, PermissionBroker::new(), &[]).await
    }

    pub async fn start_with(
        &self,
        config: RuntimeConfig,
        policy: PermissionPolicy,
        broker: PermissionBroker,
        env: &[(&str, &str)],
    ) -> AgentInstance {
        let options = InstanceOptions { config: Arc::new(config), broker, workspace: self.workspace() };
        AgentInstance::start(&self.profile(policy, env), options).await.unwrap()
    }
}

/// Short limits so that fault tests are fast; agents run in the sandbox, through this crate's launcher.
pub fn config() -> RuntimeConfig {
    RuntimeConfig {
        request_timeout: Duration::from_secs(10),
        stall_timeout: Duration::from_secs(10),
        sandbox: sandbox_config(),
        ..RuntimeConfig::default()
    }
}

/// The sandbox with the `spectask-sandbox` launcher of this crate.
pub fn sandbox_config() -> SandboxConfig {
    let launcher = Launcher { program: env!("CARGO_BIN_EXE_spectask-sandbox").into(), args: Vec::new() };
    SandboxConfig { launcher: Some(launcher), ..SandboxConfig::default() }
}

/// Drains `rx` until `TurnEnded` (or the channel closes).
pub async fn until_turn_end(rx: &mut mpsc::Receiver<AgentEvent>) -> Vec<AgentEvent> {
    let mut events = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await {
        let end = matches!(event, AgentEvent::TurnEnded { .. });
        events.push(event);
        if end {
            break;
        }
    }
    events
}

/// Everything currently in `rx`, waiting briefly for stragglers.
pub async fn drain(rx: &mut mpsc::Receiver<AgentEvent>) -> Vec<AgentEvent> {
    let mut events = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
        events.push(event);
    }
    events
}

pub fn messages(events: &[AgentEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::MessageChunk { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Pids whose process group is `pgid` (from /proc).
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().is_some_and(|stat| {
                // Fields after the `(comm)`: state, ppid, pgrp.
                let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
                rest.split_whitespace().nth(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid)
            })
        })
        .collect()
}

/// The agent process is reaped (no /proc entry, so no zombie) and its process group is empty.
pub async fn assert_gone(pid: u32) {
    for _ in 0..100 {
        if !Path::new(&format!("/proc/{pid}")).exists() && group_members(pid).is_empty() {
            let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
            assert!(rustix::process::test_kill_process(pid).is_err(), "kill(pid, 0) still succeeds");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    panic!("agent {pid} still present: {state:?}, group {:?}", group_members(pid));
}
