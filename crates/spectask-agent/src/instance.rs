//! An agent instance: one agent process (per SpecTask) whose ACP sessions are the threads of its work
//! sessions. Every request has a time limit; every failure of the process is a typed fault.
//!
//! - `threads`: opening and reopening the instance's threads, in the profile's approval mode.
//! - `handlers`: the client side of the connection, everything the agent may send to spectask.
//! - `unserved`: the agent's requests spectask does not serve.
//! - `rpc`: requests to the agent with a time limit, and their failures.
//! - [`info`]: what the agent said about itself in `initialize`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    AuthenticateRequest, CancelNotification, ClientCapabilities, CloseSessionRequest, FileSystemCapabilities,
    Implementation, InitializeRequest, SessionId,
};
use agent_client_protocol::{Agent, Error as AcpError};
use spectask_sandbox::{Confinement, SandboxMode, SandboxReport, Workspace};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::config::RuntimeConfig;
use crate::confinement::terminal::CheckRun;
use crate::editor::relay::EditorRelay;
use crate::error::AgentError;
use crate::events::AgentEvent;
use crate::instance::handlers::{InstanceState, serve};
use crate::instance::info::AgentInfo;
use crate::permission::PermissionBroker;
use crate::process::fault::{Fault, FaultKind, kill_group, signal_group};
use crate::process::transport::{SpawnSpec, spawn};
use crate::profiles::{AgentProfile, PermissionPolicy, ProfileKind};
use crate::rpc::call;
use crate::thread::prompt::PromptContent;
use crate::thread::{AcpSessionId, run_turn};

pub(crate) mod handlers;
pub mod info;
mod threads;
mod unserved;

/// Kept here, where it was first public; profiles own it.
pub use crate::profiles::LOOPBACK_PORT;

/// What an instance needs besides its profile.
#[derive(Clone, Debug)]
pub struct InstanceOptions {
    pub config: Arc<RuntimeConfig>,
    pub broker: PermissionBroker,
    /// Where the agent works: its working directory (the task's worktree), what else it may read,
    /// and for a planning agent the only folder it may write.
    pub workspace: Workspace,
}

/// One live agent process.
pub struct AgentInstance {
    profile: AgentProfile,
    pid: u32,
    info: AgentInfo,
    env: Vec<(String, String)>,
    cx: ConnectionTo<Agent>,
    shared: Arc<InstanceState>,
    shutdown: CancellationToken,
    exited: watch::Receiver<bool>,
    stopping: Arc<AtomicBool>,
    authenticated: AtomicBool,
    active_prompts: AtomicUsize,
    last_used: Mutex<Instant>,
    permit: Mutex<Option<OwnedSemaphorePermit>>,
}

impl std::fmt::Debug for AgentInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentInstance").field("profile", &self.profile.name).field("pid", &self.pid).finish()
    }
}

impl AgentInstance {
    /// Spawns the profile's agent and runs `initialize` (and `authenticate` when an env-var method's
    /// variables are set in the agent's environment).
    pub async fn start(profile: &AgentProfile, options: InstanceOptions) -> Result<Self, AgentError> {
        let ProfileKind::Acp { command, args, env: profile_env, .. } = &profile.kind else {
            return Err(AgentError::NotAcp(profile.name.clone()));
        };
        let config = options.config;
        let mut env = config.base_env();
        env.extend(profile_env.iter().map(|(k, v)| (k.clone(), v.clone())));
        expand_home(&mut env);
        let mut settings = profile.sandbox().unwrap_or_default();
        let (args, loopback) = with_loopback_port(args)?;
        let args = &args;
        settings.connect_ports.extend(loopback);
        // Under `deny` the kernel holds the agent's own writes too: the worktree is read-only.
        if profile.permission_policy() == PermissionPolicy::Deny
            && settings.mode == SandboxMode::WorkspaceWrite
        {
            settings.mode = SandboxMode::ReadOnly;
        }
        let confinement = Arc::new(Confinement::prepare(
            &profile.name,
            &settings,
            &options.workspace,
            &env,
            (command, args),
            &config.sandbox,
        )?);
        if !confinement.is_enforced() {
            let warnings = confinement.report().warnings.join("; ");
            tracing::warn!(profile = %profile.name, "agent runs without a sandbox: {warnings}");
        }
        env.extend(confinement.env());
        let (program, program_args) = confinement.wrap(command, args)?;
        let update_credits = Arc::new(Semaphore::new(config.event_buffer.max(1)));
        let spec = SpawnSpec {
            program: &program,
            args: &program_args,
            env: &env,
            cwd: &options.workspace.worktree,
            max_line_bytes: config.max_line_bytes,
            stderr_tail_bytes: config.stderr_tail_bytes,
            update_credits: update_credits.clone(),
            record: config.process_record.as_ref(),
        };
        let spawned =
            spawn(&spec).map_err(|source| AgentError::Spawn { command: command.clone(), source })?;
        let pid = spawned.pid;
        // Until an `AgentInstance` owns the process (its Drop kills it), a start given up here (its
        // job cancelled or aborted) must not leave the agent running behind a detached connection.
        let mut unowned = UnownedAgent(Some(pid));
        let latch = spawned.latch.clone();
        let shared = Arc::new(InstanceState::new(
            config.clone(),
            profile.permission_policy(),
            options.broker,
            latch.clone(),
            update_credits,
            confinement,
            profile.approval_mode().map(str::to_owned),
        ));
        let shutdown = CancellationToken::new();
        let (cx_tx, cx_rx) = oneshot::channel();
        let serve_task = serve(shared.clone(), spawned.sink, spawned.stream, cx_tx, shutdown.clone());
        tokio::spawn(async move {
            if let Err(error) = serve_task.await {
                tracing::debug!(pid, %error, "agent connection ended with an error");
            }
        });
        let Ok(cx) = cx_rx.await else {
            return Err(AgentError::Stopped(pid));
        };
        let instance = AgentInstance {
            profile: profile.clone(),
            pid,
            info: AgentInfo::from_raw(&serde_json::Value::Null),
            env,
            cx,
            shared,
            shutdown,
            exited: spawned.exited,
            stopping: spawned.stopping,
            authenticated: AtomicBool::new(false),
            active_prompts: AtomicUsize::new(0),
            last_used: Mutex::new(Instant::now()),
            permit: Mutex::new(None),
        };
        unowned.0 = None;
        instance.initialize(spawned.raw_initialize).await
    }

    async fn initialize(
        mut self,
        raw: Arc<std::sync::OnceLock<serde_json::Value>>,
    ) -> Result<Self, AgentError> {
        let capabilities = ClientCapabilities::new()
            .fs(FileSystemCapabilities::new().read_text_file(true).write_text_file(true))
            .terminal(true);
        let request = InitializeRequest::new(ProtocolVersion::V1)
            .client_capabilities(capabilities)
            .client_info(Implementation::new("spectask", env!("CARGO_PKG_VERSION")));
        let typed = self.request("initialize", self.cx.send_request(request).block_task()).await;
        let typed = match typed {
            Ok(typed) => typed,
            // Exited with an error code before answering: a missing file, a refused path, a bad
            // flag — the same on every start. A signal (the OOM killer, a stop) may not recur.
            Err(AgentError::Fault(
                fault @ Fault { kind: FaultKind::ProcessExited { code: Some(1..), signal: None }, .. },
            )) => {
                self.shutdown().await;
                return Err(AgentError::StartFailed { profile: self.profile.name.clone(), fault });
            }
            Err(error) => {
                self.shutdown().await;
                return Err(error);
            }
        };
        let raw = raw.get().cloned().unwrap_or_else(|| serde_json::to_value(&typed).unwrap_or_default());
        self.info = AgentInfo::from_raw(&raw);
        if self.env_auth_method_id().is_some() {
            // codex-acp wants `authenticate` even when its variable is set; failures surface at session/new.
            let _ = self.authenticate().await;
        }
        Ok(self)
    }

    async fn request<T>(
        &self,
        method: &'static str,
        request: impl Future<Output = Result<T, AcpError>>,
    ) -> Result<T, AgentError> {
        call(&self.shared.latch, method, self.shared.config.request_timeout, request).await
    }

    /// `message`, followed by what the sandbox may have refused the agent according to its error
    /// output so far, and the profile key that would allow it.
    pub(crate) async fn with_sandbox_advice(&self, message: String) -> String {
        if !self.shared.confinement.is_enforced() {
            return message;
        }
        let stderr = self.shared.latch.stderr.snapshot(Duration::from_millis(100)).await;
        match spectask_sandbox::diagnose::advice(&stderr) {
            Some(advice) => format!("{message}; {advice}"),
            None => message,
        }
    }

    fn env_auth_method_id(&self) -> Option<String> {
        let is_set = |var: &str| self.env.iter().any(|(k, v)| k == var && !v.is_empty());
        self.info.env_auth_method(&self.profile.credentials, is_set).map(|m| m.id.clone())
    }

    /// `authenticate` with the env-var method; `Ok(false)` when there is none to use.
    async fn authenticate(&self) -> Result<bool, AgentError> {
        let Some(method) = self.env_auth_method_id() else {
            return Ok(false);
        };
        self.request("authenticate", self.cx.send_request(AuthenticateRequest::new(method)).block_task())
            .await?;
        self.authenticated.store(true, Ordering::SeqCst);
        Ok(true)
    }

    fn auth_required(&self, detail: Option<&str>) -> AgentError {
        let mut advice = self.info.auth_advice(&self.profile.credentials);
        if let Some(detail) = detail {
            advice = format!("{advice} ({detail})");
        }
        AgentError::AuthRequired { profile: self.profile.name.clone(), advice }
    }

    /// The agent process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn profile(&self) -> &AgentProfile {
        &self.profile
    }

    /// What the agent reported in `initialize`.
    pub fn info(&self) -> &AgentInfo {
        &self.info
    }

    /// The OS sandbox the agent (and its terminals) run in.
    pub fn sandbox(&self) -> SandboxReport {
        self.shared.confinement.report()
    }

    /// A channel with the configured bound, for [`Self::new_thread`] and [`Self::load_thread`].
    pub fn event_channel(&self) -> (mpsc::Sender<AgentEvent>, mpsc::Receiver<AgentEvent>) {
        mpsc::channel(self.shared.config.event_buffer.max(1))
    }

    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn root(cwd: &Path) -> Result<PathBuf, AgentError> {
        cwd.canonicalize().map_err(|source| AgentError::Worktree { path: cwd.to_path_buf(), source })
    }

    /// Requests of methods spectask does not serve (a vendor's own), counted per method; each was
    /// answered "method not found".
    pub fn unserved_requests(&self) -> std::collections::BTreeMap<String, u64> {
        self.shared.unserved.counts()
    }

    /// Runs the repository's check command in `worktree`, inside this agent's sandbox and with its
    /// terminals' environment (see [`crate::confinement::terminal`]), and waits for it.
    pub async fn run_check(
        &self,
        worktree: &Path,
        command: &str,
        time_limit: Duration,
        output_limit: usize,
    ) -> Result<CheckRun, AgentError> {
        let root = Self::root(worktree)?;
        self.touch();
        let run = self.shared.terminals.run_check(&root, command, time_limit, output_limit).await;
        run.map_err(|e| AgentError::Check { command: command.to_owned(), reason: e.to_string() })
    }

    /// Sends a live thread's events to a new channel (the next turn's consumer); false when this
    /// instance does not hold the thread (it was started again since), so it must be loaded.
    pub fn attach_thread(&self, session: &AcpSessionId, events: mpsc::Sender<AgentEvent>) -> bool {
        match self.shared.sessions.get(&session.0) {
            Some(entry) => {
                self.shared.sessions.insert(&session.0, Arc::new(entry.with_events(events)));
                true
            }
            None => false,
        }
    }

    /// One prompt turn. Events stream to the thread's channel, ending with `TurnEnded`; returns the
    /// stop reason (`end_turn`, `cancelled` …). A turn with no message from the agent for
    /// `stall_timeout` (while nothing waits on spectask's side) is a stall fault.
    pub async fn prompt(&self, session: &AcpSessionId, text: &str) -> Result<String, AgentError> {
        self.prompt_content(session, PromptContent::text(text)).await
    }

    /// [`Self::prompt`] with content blocks (an editor's prompt: text, linked and embedded files …).
    /// The content moves into the request: nothing keeps it while the turn runs.
    pub async fn prompt_content(
        &self,
        session: &AcpSessionId,
        prompt: PromptContent,
    ) -> Result<String, AgentError> {
        let entry = self
            .shared
            .sessions
            .get(&session.0)
            .ok_or_else(|| AgentError::UnknownThread(session.0.clone()))?;
        self.active_prompts.fetch_add(1, Ordering::SeqCst);
        let result = {
            let shared = &self.shared;
            run_turn(
                &self.cx,
                &shared.latch,
                shared.config.stall_timeout,
                &shared.broker,
                session,
                &entry,
                prompt,
            )
            .await
        };
        self.active_prompts.fetch_sub(1, Ordering::SeqCst);
        self.touch();
        if matches!(result, Err(AgentError::Fault(_))) {
            // The process is gone: nothing it asked for can be answered any more.
            for id in self.shared.sessions.ids() {
                self.shared.broker.discard_session(&id);
            }
            self.shared.terminals.release_all(None);
        }
        let (stop_reason, usage) = result?;
        entry.emit(AgentEvent::TurnEnded { stop_reason: stop_reason.clone(), usage }).await;
        Ok(stop_reason)
    }

    /// `session/cancel`, then every pending approval of the thread is answered `cancelled`.
    pub async fn cancel(&self, session: &AcpSessionId) -> Result<(), AgentError> {
        let notification = CancelNotification::new(SessionId::new(session.0.clone()));
        self.cx.send_notification(notification).map_err(|_| AgentError::Stopped(self.pid))?;
        self.shared.broker.cancel_session(&session.0).await;
        Ok(())
    }

    /// Forgets a thread: pending approvals are cancelled and its terminals released; then
    /// Sends `session/close` when the agent supports it (the agent frees the session).
    pub async fn close_thread(&self, session: &AcpSessionId) -> Result<(), AgentError> {
        self.shared.broker.cancel_session(&session.0).await;
        self.shared.terminals.release_all(Some(&session.0));
        self.shared.sessions.remove(&session.0);
        self.shared.relays.remove(&session.0);
        if self.info.supports_close() {
            let request = CloseSessionRequest::new(SessionId::new(session.0.clone()));
            self.request("session/close", self.cx.send_request(request).block_task()).await?;
        }
        Ok(())
    }

    /// Hands the thread to an editor (see [`crate::editor::relay`]) until [`Self::unrelay_thread`]:
    /// set it before [`Self::load_thread`] and the load's replay goes to the editor too.
    pub fn relay_thread(&self, session: &AcpSessionId, relay: EditorRelay) {
        self.shared.relays.insert(&session.0, relay);
    }

    /// The editor no longer holds the thread: spectask answers its requests again.
    pub fn unrelay_thread(&self, session: &AcpSessionId) {
        self.shared.relays.remove(&session.0);
    }

    /// How long the agent has said nothing on `session`'s thread (no message, no tool call, no
    /// plan); `None` while spectask or a person has it wait (an approval, a terminal wait), and for
    /// a thread this instance does not have.
    pub fn silent_for(&self, session: &AcpSessionId) -> Option<Duration> {
        let entry = self.shared.sessions.get(&session.0)?;
        if entry.is_busy() || self.shared.broker.has_pending(&session.0) {
            return None;
        }
        Some(entry.last_activity().elapsed())
    }

    /// The fault that ended this instance, if any.
    pub fn fault(&self) -> Option<FaultKind> {
        self.shared.latch.kind()
    }

    /// Running (not stopped, not faulted).
    pub fn is_alive(&self) -> bool {
        !self.stopping.load(Ordering::SeqCst) && !*self.exited.borrow() && self.fault().is_none()
    }

    /// How long no prompt has been running; `None` while one is.
    pub fn idle_for(&self) -> Option<Duration> {
        (self.active_prompts.load(Ordering::SeqCst) == 0)
            .then(|| self.last_used.lock().unwrap_or_else(PoisonError::into_inner).elapsed())
    }

    pub(crate) fn hold_permit(&self, permit: OwnedSemaphorePermit) {
        *self.permit.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
    }

    /// Stops the agent: approvals cancelled, terminals released, stdin closed, then SIGTERM and
    /// SIGKILL to the process group if it does not exit; waits until the process is reaped.
    pub async fn shutdown(&self) {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return self.wait_exit(Duration::from_secs(3)).await;
        }
        for id in self.shared.sessions.ids() {
            self.shared.broker.cancel_session(&id).await;
        }
        self.shared.terminals.release_all(None);
        self.shutdown.cancel();
        if !self.wait_exit_bool(Duration::from_secs(1)).await {
            signal_group(self.pid, rustix::process::Signal::TERM);
            if !self.wait_exit_bool(Duration::from_secs(2)).await {
                kill_group(self.pid);
                self.wait_exit(Duration::from_secs(2)).await;
            }
        }
        self.permit.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    async fn wait_exit(&self, limit: Duration) {
        self.wait_exit_bool(limit).await;
    }

    async fn wait_exit_bool(&self, limit: Duration) -> bool {
        let mut exited = self.exited.clone();
        tokio::time::timeout(limit, exited.wait_for(|e| *e)).await.is_ok_and(|r| r.is_ok())
    }
}

/// An agent process no [`AgentInstance`] owns yet: its process group is killed when this drops
/// still holding it.
struct UnownedAgent(Option<u32>);

impl Drop for UnownedAgent {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            kill_group(pid);
        }
    }
}

impl Drop for AgentInstance {
    fn drop(&mut self) {
        for id in self.shared.sessions.ids() {
            self.shared.broker.discard_session(&id);
        }
        if !self.stopping.swap(true, Ordering::SeqCst) {
            self.shared.terminals.release_all(None);
            if !*self.exited.borrow() {
                kill_group(self.pid);
            }
        }
        self.shutdown.cancel();
    }
}

/// A value starting with `~/` names a path in the agent's home (its `HOME`), as sandbox paths do:
/// presets point agents' state there (`CLAUDE_CONFIG_DIR = "~/.claude"`).
fn expand_home(env: &mut [(String, String)]) {
    let Some(home) = env.iter().rev().find(|(k, _)| k == "HOME").map(|(_, v)| v.clone()) else { return };
    for (_, value) in env.iter_mut() {
        if let Some(rest) = value.strip_prefix("~/") {
            *value = Path::new(&home).join(rest).display().to_string();
        }
    }
}

/// `args` with [`LOOPBACK_PORT`] replaced by a free port on 127.0.0.1, which the sandbox then lets
/// the agent connect to: for an agent that talks to a server of its own (OpenCode's ACP layer
/// serves its own HTTP API), which Landlock can allow by port only, not by address.
fn with_loopback_port(args: &[String]) -> Result<(Vec<String>, Option<u16>), AgentError> {
    if !args.iter().any(|a| a.contains(LOOPBACK_PORT)) {
        return Ok((args.to_vec(), None));
    }
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map_err(|source| AgentError::Spawn { command: "a free loopback port".to_owned(), source })?
        .port();
    let filled = args.iter().map(|a| a.replace(LOOPBACK_PORT, &port.to_string())).collect();
    Ok((filled, Some(port)))
}
