//! The harness of the editor tests: it plays Zed against `spectask acp` (ACP over the child's stdin
//! and stdout, newline-delimited JSON-RPC) and sets up the server and repository the threads open in.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Server, git_repo, http, scripted_coder_data, spectask};

/// One `spectask acp` process and the editor's side of its connection.
pub struct Editor {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Value>,
    next_id: i64,
    /// Notifications and requests from the agent, in arrival order.
    pub seen: Vec<Value>,
}

impl Editor {
    pub fn start(server: &str, args: &[&str], cwd: &Path) -> Self {
        Self::start_with_env(server, args, cwd, &[])
    }

    /// [`Self::start`] with environment variables (Zed's `env` of the agent server).
    pub fn start_with_env(server: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = spectask()
            .envs(env.iter().copied())
            .arg("acp")
            .args(["--server", server])
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn spectask acp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Editor { child, stdin: Some(stdin), lines, next_id: 1, seen: Vec::new() }
    }

    fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_string(message).unwrap();
        line.push('\n');
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and waits for its answer (`Ok(result)` or `Err(error)`), answering the agent's
    /// requests meanwhile with `answer`.
    pub fn call_with(
        &mut self,
        method: &str,
        params: Value,
        answer: impl FnMut(&str, &Value) -> Value,
    ) -> Result<Value, Value> {
        let id = self.start_call(method, params);
        self.finish_call(id, answer)
    }

    /// Sends a request without waiting for its answer; returns its id.
    pub fn start_call(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the agent (recorded in `seen` unless it answers request `id`), with the
    /// agent's requests answered by `answer`.
    fn next(
        &mut self,
        id: i64,
        answer: &mut impl FnMut(&str, &Value) -> Value,
    ) -> Option<Result<Value, Value>> {
        let message = self
            .lines
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no answer to request {id}; seen so far: {:#?}", self.seen));
        if message["id"] == id && message.get("method").is_none() {
            return Some(match message.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(message["result"].clone()),
            });
        }
        if let (Some(request_id), Some(m)) = (message.get("id"), message["method"].as_str()) {
            let result = answer(m, &message["params"]);
            let reply = json!({"jsonrpc": "2.0", "id": request_id, "result": result});
            self.seen.push(message.clone());
            self.send(&reply);
        } else {
            self.seen.push(message);
        }
        None
    }

    /// Waits for the answer to request `id`, answering the agent's requests with `answer`.
    pub fn finish_call(
        &mut self,
        id: i64,
        mut answer: impl FnMut(&str, &Value) -> Value,
    ) -> Result<Value, Value> {
        loop {
            if let Some(result) = self.next(id, &mut answer) {
                return result;
            }
        }
    }

    /// Reads the agent's messages until one in `seen` satisfies `what` (request `id` must not end first).
    pub fn until_seen(&mut self, id: i64, what: impl Fn(&Value) -> bool) {
        let mut answer = |m: &str, _: &Value| panic!("unexpected request {m} from the agent");
        while !self.seen.iter().any(&what) {
            if let Some(result) = self.next(id, &mut answer) {
                panic!("request {id} ended first ({result:?}); seen: {:#?}", self.seen);
            }
        }
    }

    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.call_with(method, params, |m, _| panic!("unexpected request {m} from the agent"))
    }

    /// [`Self::start`], initialized as Zed does ([`Self::initialize`]).
    pub fn zed(server: &str, args: &[&str], cwd: &Path) -> Self {
        let mut editor = Self::start(server, args, cwd);
        editor.initialize();
        editor
    }

    /// `initialize` as Zed sends it: it serves files and terminals itself.
    pub fn initialize(&mut self) -> Value {
        let capabilities = json!({"fs": {"readTextFile": true, "writeTextFile": true}, "terminal": true});
        self.initialize_with(capabilities)
    }

    /// `initialize` from an editor with these client capabilities.
    pub fn initialize_with(&mut self, capabilities: Value) -> Value {
        let params = json!({
            "protocolVersion": 1,
            "clientCapabilities": capabilities,
            "clientInfo": {"name": "zed", "version": "0.200.0"},
        });
        self.call("initialize", params).expect("initialize")
    }

    pub fn new_session(&mut self, cwd: &Path) -> Result<String, Value> {
        self.new_session_with(cwd, json!([]))
    }

    /// `session/new` giving the thread the editor's own MCP servers (ACP `mcpServers`).
    pub fn new_session_with(&mut self, cwd: &Path, mcp_servers: Value) -> Result<String, Value> {
        let params = json!({"cwd": cwd, "mcpServers": mcp_servers});
        self.call("session/new", params).map(|r| r["sessionId"].as_str().unwrap().to_owned())
    }

    /// `session/prompt` of `text` on `thread` (the agent's requests refused as unexpected), which must
    /// end its turn.
    pub fn turn(&mut self, thread: &str, text: &str) {
        self.turn_with(thread, text, |m, _| panic!("unexpected request {m} from the agent"));
    }

    /// [`Self::turn`] with the agent's requests answered by `answer`.
    pub fn turn_with(&mut self, thread: &str, text: &str, answer: impl FnMut(&str, &Value) -> Value) {
        let ended = self.call_with("session/prompt", prompt(thread, text), answer);
        let ended = ended.unwrap_or_else(|e| panic!("prompt {text:?}: {e}; seen: {:#?}", self.seen));
        assert_eq!(ended["stopReason"], "end_turn", "{:#?}", self.seen);
    }

    /// `session/load` of `thread` in `cwd`, giving the editor's MCP servers again.
    pub fn load(&mut self, thread: &str, cwd: &Path, mcp_servers: Value) {
        let params = json!({"sessionId": thread, "cwd": cwd, "mcpServers": mcp_servers});
        self.call("session/load", params).unwrap_or_else(|e| panic!("session/load: {e}"));
    }

    /// Closes stdin (Zed quitting) and waits for the process to end.
    pub fn quit(mut self) -> std::process::ExitStatus {
        self.stdin.take();
        self.child.wait().unwrap()
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server whose coding agent is the scripted agent following `script`, and a registered repository
/// `app` for the threads: what every editor test starts from. The fields are meant to be taken apart
/// (`let ZedSetup { dir: _dir, .. }` keeps the directory alive).
pub struct ZedSetup {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub data: PathBuf,
    pub server: Server,
}

impl ZedSetup {
    pub fn start(script: &str, database_url: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = git_repo(dir.path(), "app");
        let data = scripted_coder_data(dir.path(), script);
        let server = Server::start(&data, database_url);
        register(&server, &repo);
        Self { dir, repo, data, server }
    }
}

pub(crate) fn register(server: &Server, repo: &Path) {
    let body = json!({"path": repo}).to_string();
    let (status, answer) = http(&server.url, "POST", "/api/v1/repos", Some(&body));
    assert!(status == 200 || status == 201, "{status}: {answer}");
}

pub(crate) fn prompt(session: &str, text: &str) -> Value {
    json!({"sessionId": session, "prompt": [{"type": "text", "text": text}]})
}

/// The `session/update`s of `session` seen so far: (kind, text).
pub(crate) fn updates(seen: &[Value], session: &str) -> Vec<(String, String)> {
    seen.iter()
        .filter(|m| m["method"] == "session/update" && m["params"]["sessionId"] == session)
        .map(|m| {
            let update = &m["params"]["update"];
            let text = update["content"]["text"].as_str().or(update["title"].as_str()).unwrap_or_default();
            (update["sessionUpdate"].as_str().unwrap_or_default().to_owned(), text.to_owned())
        })
        .collect()
}

/// The agent's messages to `thread` seen so far.
pub(crate) fn agent_messages(seen: &[Value], thread: &str) -> Vec<String> {
    updates(seen, thread)
        .into_iter()
        .filter(|(kind, _)| kind == "agent_message_chunk")
        .map(|(_, t)| t)
        .collect()
}

/// The recorded history of work session `session`, as the API answers it.
pub(crate) fn history(server: &Server, session: &str) -> String {
    let (status, body) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{session}/history"), None);
    assert_eq!(status, 200, "{body}");
    body
}

/// The id of the SpecTask whose work session the editor's `thread` is.
pub(crate) fn task_of(server: &Server, thread: &str) -> String {
    let (status, body) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{thread}"), None);
    assert_eq!(status, 200, "the ACP session id is the work session's id: {body}");
    let session: Value = serde_json::from_str(&body).unwrap();
    session["spec_task_id"].as_str().unwrap().to_owned()
}
