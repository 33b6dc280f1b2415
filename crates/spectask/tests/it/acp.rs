//! `spectask acp` driven by a harness that plays the editor (Zed): ACP over the child's stdin and
//! stdout, newline-delimited JSON-RPC, against a real server.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::implementation::sessions;
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

const SCRIPT: &str = r#"
[[rule]]
match = "hello"
steps = [{ message = "hi from the agent" }]
"#;

pub(crate) fn register(server: &Server, repo: &Path) {
    let body = json!({"path": repo}).to_string();
    let (status, answer) = http(&server.url, "POST", "/api/v1/repos", Some(&body));
    assert!(status == 200 || status == 201, "{status}: {answer}");
}

#[test]
fn each_editor_thread_is_a_work_session_of_one_task() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&scripted_coder_data(dir.path(), SCRIPT), None);
    register(&server, &repo);

    let mut zed = Editor::start(&server.url, &[], &repo);
    let init = zed.initialize();
    assert_eq!(init["protocolVersion"], 1);
    assert_eq!(init["agentInfo"]["name"], "spectask");
    assert_eq!(init["agentInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(init["agentCapabilities"]["promptCapabilities"]["embeddedContext"], true, "{init}");
    assert!(init["agentCapabilities"]["sessionCapabilities"]["list"].is_object(), "{init}");
    assert!(init["agentCapabilities"]["sessionCapabilities"]["close"].is_object(), "{init}");
    assert!(init["authMethods"].as_array().is_none_or(Vec::is_empty), "no login inside the editor: {init}");

    // Two threads in one process: two work sessions of one (new, interactive) task.
    let first = zed.new_session(&repo).expect("first thread");
    let second = zed.new_session(&repo).expect("second thread");
    assert_ne!(first, second);
    let (status, body) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{first}"), None);
    assert_eq!(status, 200, "the ACP session id is the work session's id: {body}");
    let session: Value = serde_json::from_str(&body).unwrap();
    let task = session["spec_task_id"].as_str().unwrap().to_owned();
    let shown = crate::support::json(&server.task(&["show", &task, "--json"]));
    assert_eq!(shown["kind"], "interactive", "{shown}");
    let all = sessions(&server, &task);
    let ids: Vec<&str> = all.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "{all:#?}");
    assert!(all.iter().all(|s| s["opened_from_editor"] == "zed"), "{all:#?}");

    // The threads start and wait for the editor: spectask prompts neither.
    crate::implementation::wait_until("both threads run", || {
        sessions(&server, &task).iter().all(|s| s["status"] == "running")
    });
    let all = sessions(&server, &task);
    assert!(all.iter().all(|s| s["summary"].is_null()), "no turn ran: {all:#?}");

    // session/list: the task's threads.
    let listed = zed.call("session/list", json!({"cwd": repo})).expect("session/list");
    let listed: Vec<&str> =
        listed["sessions"].as_array().unwrap().iter().map(|s| s["sessionId"].as_str().unwrap()).collect();
    assert_eq!(listed, [first.as_str(), second.as_str()]);

    // Bad input answers with an error naming the problem.
    let outside = tempfile::tempdir().unwrap();
    let refused = zed.new_session(outside.path()).expect_err("a directory outside every repository");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(message.contains("not inside any registered repository"), "{refused}");
    assert_eq!(refused["code"], -32602, "{refused}");

    // session/close ends the thread's work session.
    zed.call("session/close", json!({"sessionId": second})).expect("session/close");
    let closed = sessions(&server, &task).into_iter().find(|s| s["id"] == second.as_str()).unwrap();
    assert_eq!(closed["status"], "completed", "{closed:#}");

    let status = zed.quit();
    assert!(status.success(), "stdin closed: spectask acp ends ({status})");
    // Zed closing leaves its open thread interrupted (resumable); the closed one stays completed.
    let after = sessions(&server, &task);
    let first_after = after.iter().find(|s| s["id"] == first.as_str()).unwrap();
    assert_eq!(first_after["status"], "interrupted", "{after:#?}");
    assert_eq!(first_after["state"]["reason"], "the editor closed", "{after:#?}");
    let listed = crate::support::stdout(&server.task(&["sessions", &task]));
    assert!(listed.contains("zed thread 1 [from zed]"), "{listed}");

    let mut unknown = Editor::zed(&server.url, &["--task", "deadbeef-nothing"], &repo);
    let refused = unknown.new_session(&repo).expect_err("an unknown task");
    assert!(refused["message"].as_str().unwrap_or_default().contains("deadbeef-nothing"), "{refused}");
    server.stop();

    let mut down = Editor::zed(&server_url_down(), &[], &repo);
    let refused = down.new_session(&repo).expect_err("the server is down");
    assert!(
        refused["message"].as_str().unwrap_or_default().contains("cannot reach the spectask server"),
        "{refused}"
    );
}

/// An address where nothing listens.
fn server_url_down() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}
