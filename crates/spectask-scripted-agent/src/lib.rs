//! The scripted agent: a real ACP agent that follows a script, for tests and the offline demo.
//! It runs as `spectask agent scripted`, and as `spectask-scripted-agent` in `spectask-agent`'s own
//! tests. A crate of its own, so the agent runtime does not carry it or its MCP client.
//!
//! # Script format (TOML; the same structure in JSON also parses)
//!
//! ```toml
//! auth_env = "SCRIPTED_API_KEY"   # optional: demand `authenticate` with this env-var method first
//! load_session = true             # default; `false` offers only `session/resume` (no replay)
//! modes = ["yolo", "default"]     # optional session modes (the first is current): see `modes`
//! match_on = "conversation"       # match rules against the whole conversation, not the latest prompt
//!
//! [[rule]]
//! match = "*plan*"                # glob (`*`, `?`) over the whole prompt; without wildcards: substring
//! steps = [
//!   { plan = [{ content = "read", status = "completed" }, { content = "write", status = "in_progress" }] },
//!   { thought = "thinking" },
//!   { message = "hello" },
//!   { tool_call = { id = "t1", title = "edit a.txt", path = "a.txt", new_text = "x", old_text = "" } },
//!   { write_file = { path = "a.txt", content = "x" } },   # relative paths join the session cwd
//!   { read_file = { path = "a.txt" } },
//!   { run = { command = "echo", args = ["hi"] } },         # terminal/create, wait_for_exit, output, release
//!   { permission = { title = "rm -rf", path = "/etc" } },
//!   { permission = { title = "edit this task's files", kind = "edit" } },  # no path: any file
//!   { usage = { used = 10, size = 100 } },                 # context fill (usage_update)
//!   # the turn's tokens (summed into its PromptResponse.usage) and the thread's cost so far
//!   { usage = { used = 10, size = 100, input = 1200, output = 300, cached = 200, cost = 0.01, currency = "USD" } },
//!   { sleep = 50 },                                        # milliseconds, cut short by session/cancel
//!   { crash = 3 },                                         # exit the process with this code
//!   { stop = "cancelled" },                                # end the turn now with this stop reason
//!   "hang",                                                # never answer the prompt
//!   { garbage = "not json" },                              # print a raw line to stdout
//!   { oversize = 2000000 },                                # print one valid line of this many bytes
//!   { permission_flood = 500 },                            # send this many permission requests at once
//!   # call a tool of an MCP server the session was given (`mcpServers`; launched on first use and
//!   # kept for the session), reported as a tool call; `until` repeats it until the answer contains
//!   # the text (every 200 ms, up to `timeout_ms`, default 60000)
//!   { mcp = { tool = "send_message", arguments = { to_session = "2", text = "ready" } } },
//!   { mcp = { server = "spectask", tool = "read_coordination", until = "ready", timeout_ms = 30000 } },
//!   { os_write = { path = "~/x", content = "x" } },        # its own system calls: see `os_steps`
//!   { os_read = { path = "~/.ssh/id_rsa" } },
//!   { switch_mode = "yolo" }, "report_mode",               # session modes: see `modes`
//! ]
//! ```
//!
//! A prompt matching no rule is answered with `echo: <prompt>`. With `--state-dir` the conversation is
//! saved as it goes (the prompt before the turn runs, the reply after every step), as real agents do. Every step's outcome that the client
//! decides (fs errors, permission outcomes, command output) is reported back as a message chunk.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod history;
mod mcp;
mod modes;
mod os_steps;
mod script;
mod steps;

pub use script::{
    MatchOn, McpStep, PlanItem, Rule, RunStep, Script, ScriptError, Step, ToolCallStep, pattern_matches,
};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::Responder;
use agent_client_protocol::v1::schema::{
    AgentCapabilities, AuthenticateRequest, AuthenticateResponse, CancelNotification, CloseSessionRequest,
    CloseSessionResponse, ContentBlock, Implementation, InitializeResponse, LoadSessionRequest,
    LoadSessionResponse, NewSessionRequest, NewSessionResponse, PromptRequest, PromptResponse,
    ResumeSessionRequest, ResumeSessionResponse, SessionCapabilities, SessionCloseCapabilities, SessionId,
    SessionResumeCapabilities, SetSessionModeRequest, SetSessionModeResponse,
};
use agent_client_protocol::{Agent, Error as AcpError, ErrorCode, Handled, Stdio, UntypedMessage};
use tokio_util::sync::CancellationToken;

use self::history::{History, HistoryStore};
use self::mcp::ThreadServers;
use self::modes::CurrentMode;

/// One session of the scripted agent.
struct ScriptedThread {
    cwd: PathBuf,
    history: History,
    cancel: CancellationToken,
    /// The MCP servers the client gave this session.
    servers: ThreadServers,
    mode: CurrentMode,
}

/// State shared by every handler of one scripted agent process.
struct AgentState {
    script: Script,
    store: HistoryStore,
    authenticated: AtomicBool,
    sessions: Mutex<HashMap<String, ScriptedThread>>,
}

impl AgentState {
    fn check_auth(&self) -> Result<(), AcpError> {
        if self.script.auth_env.is_some() && !self.authenticated.load(Ordering::SeqCst) {
            return Err(AcpError::auth_required());
        }
        Ok(())
    }

    /// Makes a session known to an earlier process (or this one) live again, in `cwd`.
    fn reopen(
        &self,
        session_id: &SessionId,
        cwd: PathBuf,
        servers: ThreadServers,
    ) -> Result<History, AcpError> {
        let id = session_id.0.to_string();
        let known = self.sessions().get(&id).map(|s| s.history.clone());
        let Some(mut history) = known.or_else(|| self.store.load(&id)) else {
            return Err(AcpError::new(ErrorCode::RESOURCE_NOT_FOUND, format!("unknown session {id:?}")));
        };
        history.cwd = cwd.clone();
        let mode = CurrentMode::new(&self.script.modes);
        let session =
            ScriptedThread { cwd, history: history.clone(), cancel: CancellationToken::new(), servers, mode };
        self.sessions().insert(id, session);
        Ok(history)
    }

    /// Records the reply of the turn that began at history entry `start` (so far or in full) and
    /// saves the history.
    fn save_reply(&self, id: &str, start: usize, reply: &str) {
        let mut sessions = self.sessions();
        if let Some(session) = sessions.get_mut(id) {
            session.history.set_reply(start, reply);
            self.store.save(id, &session.history);
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, ScriptedThread>> {
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn initialize_response(script: &Script) -> Result<serde_json::Value, AcpError> {
    let typed = InitializeResponse::new(ProtocolVersion::V1)
        .agent_capabilities(
            AgentCapabilities::new().load_session(script.load_session).session_capabilities(
                SessionCapabilities::new()
                    .resume(SessionResumeCapabilities::new())
                    .close(SessionCloseCapabilities::new()),
            ),
        )
        .agent_info(Implementation::new("spectask-scripted-agent", env!("CARGO_PKG_VERSION")));
    let mut value = serde_json::to_value(typed).map_err(AcpError::into_internal_error)?;
    if let Some(var) = &script.auth_env {
        // The typed schema cannot express env-var auth methods (as codex-acp sends them): write raw JSON.
        value["authMethods"] = serde_json::json!([{
            "type": "env_var",
            "id": "scripted-api-key",
            "name": format!("Use {var}"),
            "vars": [{ "name": var }],
        }]);
    }
    Ok(value)
}

fn prompt_text(prompt: &[ContentBlock]) -> String {
    prompt
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => Some(text.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Serves ACP on this process's stdin/stdout until stdin closes.
///
/// `state_dir` keeps each session's history as `<dir>/<session id>.json`, so a new process can
/// `session/load` a session created by an earlier one.
pub async fn run_scripted_agent(script: Script, state_dir: Option<PathBuf>) -> Result<(), ScriptError> {
    let state = Arc::new(AgentState {
        script,
        store: HistoryStore::new(state_dir),
        authenticated: AtomicBool::new(false),
        sessions: Mutex::new(HashMap::new()),
    });
    let [s1, s2, s3, s4, s5, s6, s7, s8, s9] = [(); 9].map(|()| state.clone());
    Agent
        .v1()
        .name("spectask-scripted-agent")
        .on_receive_request(
            // Untyped, so that the raw JSON (env-var auth methods) is not re-typed by the schema.
            async move |request: UntypedMessage, responder: Responder<serde_json::Value>, _cx| {
                if request.method() != "initialize" {
                    return Ok(Handled::No { message: (request, responder), retry: false });
                }
                responder.respond(initialize_response(&s1.script)?)?;
                Ok(Handled::Yes)
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: AuthenticateRequest, responder, _cx| {
                let Some(var) = &s2.script.auth_env else {
                    return responder.respond(AuthenticateResponse::new());
                };
                if request.method_id.0.as_ref() != "scripted-api-key" {
                    let message = format!("unknown auth method {:?}", request.method_id.0);
                    return responder.respond_with_error(AcpError::invalid_params().data(message));
                }
                if std::env::var(var).is_ok_and(|value| !value.is_empty()) {
                    s2.authenticated.store(true, Ordering::SeqCst);
                    responder.respond(AuthenticateResponse::new())
                } else {
                    responder.respond_with_error(AcpError::internal_error().data(format!("{var} is not set")))
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: NewSessionRequest, responder, _cx| {
                if let Err(error) = s3.check_auth() {
                    return responder.respond_with_error(error);
                }
                let id = uuid::Uuid::now_v7().to_string();
                let history = History::new(request.cwd.clone());
                s3.store.save(&id, &history);
                let mode = CurrentMode::new(&s3.script.modes);
                let modes = mode.state(&s3.script.modes);
                let session = ScriptedThread {
                    cwd: request.cwd,
                    history,
                    cancel: CancellationToken::new(),
                    servers: ThreadServers::new(&request.mcp_servers),
                    mode,
                };
                s3.sessions().insert(id.clone(), session);
                responder.respond(NewSessionResponse::new(SessionId::new(id)).modes(modes))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: LoadSessionRequest, responder, cx| {
                if let Err(error) = s4.check_auth() {
                    return responder.respond_with_error(error);
                }
                let servers = ThreadServers::new(&request.mcp_servers);
                let history = match s4.reopen(&request.session_id, request.cwd, servers) {
                    Ok(history) => history,
                    Err(error) => return responder.respond_with_error(error),
                };
                history.replay(&cx, &request.session_id)?;
                responder.respond(LoadSessionResponse::new())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ResumeSessionRequest, responder, _cx| {
                let servers = ThreadServers::new(&request.mcp_servers);
                let reopened =
                    s8.check_auth().and_then(|()| s8.reopen(&request.session_id, request.cwd, servers));
                responder.respond_with_result(reopened.map(|_| ResumeSessionResponse::new()))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: PromptRequest, responder, cx| {
                if let Err(error) = s5.check_auth() {
                    return responder.respond_with_error(error);
                }
                let id = request.session_id.0.to_string();
                let text = prompt_text(&request.prompt);
                let cancel = CancellationToken::new();
                let (cwd, servers, mode, start, matched) = {
                    let mut sessions = s5.sessions();
                    let Some(session) = sessions.get_mut(&id) else {
                        drop(sessions);
                        let message = format!("unknown session {id:?}");
                        return responder.respond_with_error(AcpError::invalid_params().data(message));
                    };
                    session.cancel = cancel.clone();
                    session.history.push_user(&text);
                    // Saved before the turn runs, as real agents do: a crash mid-turn loses nothing said.
                    s5.store.save(&id, &session.history);
                    let matched = match s5.script.match_on {
                        MatchOn::Prompt => text.clone(),
                        MatchOn::Conversation => session.history.text(),
                    };
                    let start = session.history.len();
                    (session.cwd.clone(), session.servers.clone(), session.mode.clone(), start, matched)
                };
                let saver = s5.clone();
                let saving = id.clone();
                let progress = Box::new(move |reply: &str| saver.save_reply(&saving, start, reply));
                let turn = steps::Turn {
                    cx: cx.clone(),
                    session_id: request.session_id,
                    cwd,
                    cancel,
                    servers,
                    reply: String::new(),
                    mode,
                    progress,
                    usage: None,
                };
                let steps = s5.script.steps_for(&matched);
                let state = s5.clone();
                cx.spawn(async move {
                    let (stop_reason, reply, usage) = turn.run(steps).await;
                    state.save_reply(&id, start, &reply);
                    responder.respond(PromptResponse::new(stop_reason).usage(usage))
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: SetSessionModeRequest, responder, _cx| {
                let mode = request.mode_id.0.to_string();
                let known = s9.script.modes.contains(&mode);
                let sessions = s9.sessions();
                match sessions.get(request.session_id.0.as_ref()) {
                    Some(session) if known => {
                        session.mode.set(&mode);
                        responder.respond(SetSessionModeResponse::new())
                    }
                    _ => {
                        let message = format!("unknown session or mode {mode:?}");
                        responder.respond_with_error(AcpError::invalid_params().data(message))
                    }
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: CloseSessionRequest, responder, _cx| {
                if let Some(session) = s7.sessions().remove(request.session_id.0.as_ref()) {
                    session.cancel.cancel();
                }
                responder.respond(CloseSessionResponse::new())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_notification(
            async move |notification: CancelNotification, _cx| {
                if let Some(session) = s6.sessions().get(notification.session_id.0.as_ref()) {
                    session.cancel.cancel();
                }
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .connect_to(Stdio::new())
        .await
        .map_err(ScriptError::Connection)
}
