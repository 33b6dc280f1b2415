//! `spectask acp`: spectask as an ACP agent for an editor (Zed's `agent_servers`), on stdin/stdout.
//! stdout carries only ACP; logs go to stderr. Each thread the editor opens is a work session made
//! through the server's API (`POST /editor/threads`); the ACP session id is the work session's id.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::{Value, json};
use spectask_agent::editor::acp_agent::{
    BackendError, BackendErrorKind, EditorBackend, EditorPrompt, EditorThread, Said, TurnFrame, serve_editor,
};
use spectask_agent::{EditorRefusal, McpServerSpec};
use spectask_server::EditorTurnFrame;
use tokio::sync::mpsc;

use crate::cli::AcpArgs;
use crate::client::{ApiClient, ApiFailure};

pub async fn run(args: AcpArgs) -> anyhow::Result<ExitCode> {
    crate::serve::init_logging("warn");
    let api = ApiClient::new(&args.server, args.token.as_deref())?;
    let repo = match &args.repo {
        Some(path) => {
            let path = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
            let body = json!({ "path": path.display().to_string() });
            api.post("/repos", Some(body)).await.context("registering --repo")?;
            Some(path)
        }
        None => None,
    };
    let backend = Arc::new(ServerBackend {
        api: Arc::new(api),
        args,
        repo,
        tasks: Mutex::new(HashMap::new()),
        open: Mutex::new(Vec::new()),
        turn_nodes: Mutex::new(HashMap::new()),
        tools: Mutex::new(HashMap::new()),
    });
    let served = serve_editor(backend.clone()).await;
    // The editor went away (stdin closed): its open threads stay resumable, never lost.
    backend.interrupt_open("the editor closed").await;
    served.map_err(|e| anyhow::anyhow!("ACP connection with the editor failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

struct ServerBackend {
    api: Arc<ApiClient>,
    args: AcpArgs,
    /// `--repo`, absolute: stands for every thread's directory.
    repo: Option<PathBuf>,
    /// The task each directory's threads went to: later threads there join it.
    tasks: Mutex<HashMap<PathBuf, String>>,
    /// The threads this editor opened and has not closed.
    open: Mutex<Vec<String>>,
    /// The node running each thread's turns when it is not `--server` (the node holding the thread's
    /// task): the turn's answers and cancel go there too.
    turn_nodes: Mutex<HashMap<String, Arc<ApiClient>>>,
    /// The MCP servers the editor gives each thread's agent (as the API takes them), sent with every
    /// prompt: the server keeps them in the memory of the node running the thread only.
    tools: Mutex<HashMap<String, Value>>,
}

impl ServerBackend {
    fn open_threads(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Leaves every thread still open `interrupted` on the server.
    async fn interrupt_open(&self, reason: &str) {
        let open = std::mem::take(&mut *self.open_threads());
        for id in open {
            let body = json!({ "reason": reason });
            if let Err(error) = self.api.post(&format!("/work-sessions/{id}/interrupt"), Some(body)).await {
                tracing::warn!(%error, session = %id, "cannot leave the thread interrupted");
            }
        }
    }

    fn tools(&self) -> std::sync::MutexGuard<'_, HashMap<String, Value>> {
        self.tools.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn turn_nodes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ApiClient>>> {
        self.turn_nodes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The server running thread `id`'s turns.
    fn turn_node(&self, id: &str) -> Arc<ApiClient> {
        self.turn_nodes().get(id).cloned().unwrap_or_else(|| self.api.clone())
    }

    /// Starts the thread's turn on `--server`, or, when another node holds its task, on that node.
    async fn start_turn(&self, id: &str, body: Value) -> anyhow::Result<reqwest::Response> {
        let path = format!("/work-sessions/{id}/editor/turn");
        let error = match self.api.post_streaming(&path, body.clone()).await {
            Ok(response) => {
                self.turn_nodes().remove(id);
                return Ok(response);
            }
            Err(error) => error,
        };
        let address = match error.downcast_ref::<ApiFailure>() {
            Some(ApiFailure { code: Some(code), node_address: Some(address), .. })
                if code == "task_on_other_node" =>
            {
                address.clone()
            }
            _ => return Err(error),
        };
        let node = Arc::new(self.api.at(&address));
        let response = node
            .post_streaming(&path, body)
            .await
            .with_context(|| format!("{error:#}; relaying the turn to {address} failed"))?;
        self.turn_nodes().insert(id.to_owned(), node);
        Ok(response)
    }

    fn task_for(&self, cwd: &PathBuf) -> Option<String> {
        self.args.task.clone().or_else(|| self.tasks.lock().ok()?.get(cwd).cloned())
    }
}

/// What the editor is told of a refused request. A directory, repository or agent profile the
/// editor's own parameters name and spectask cannot find (404 in the API) is an invalid parameter
/// to the editor; anything else spectask cannot find is a missing resource.
fn backend_error(err: anyhow::Error) -> BackendError {
    let names_a_parameter =
        ["cwd_outside_repositories", "invalid_cwd", "repository_not_found", "unknown_agent"];
    let kind = match err.downcast_ref::<ApiFailure>() {
        Some(f) if f.code.as_deref().is_some_and(|code| names_a_parameter.contains(&code)) => {
            BackendErrorKind::Invalid
        }
        Some(f) if f.status == reqwest::StatusCode::NOT_FOUND => BackendErrorKind::NotFound,
        Some(f) if f.status.is_client_error() => BackendErrorKind::Invalid,
        _ => BackendErrorKind::Unavailable,
    };
    BackendError { kind, message: format!("spectask: {err:#}") }
}

fn thread(session: &Value, cwd: PathBuf, task_title: &str) -> EditorThread {
    EditorThread {
        id: session["id"].as_str().unwrap_or_default().to_owned(),
        cwd,
        title: format!("{} — {task_title}", session["name"].as_str().unwrap_or("thread")),
    }
}

impl EditorBackend for ServerBackend {
    async fn open_thread(
        &self,
        cwd: PathBuf,
        client: String,
        mcp_servers: Vec<McpServerSpec>,
    ) -> Result<EditorThread, BackendError> {
        let dir = self.repo.clone().unwrap_or_else(|| cwd.clone());
        let servers = api_servers(mcp_servers);
        let body = json!({
            "cwd": dir.display().to_string(),
            "task": self.task_for(&dir),
            "agent_profile": self.args.agent,
            "client": client,
            "mcp_servers": servers,
        });
        let opened = self.api.post("/editor/threads", Some(body)).await.map_err(backend_error)?;
        let task = &opened["spec_task"];
        if let (Some(id), Ok(mut tasks)) = (task["id"].as_str(), self.tasks.lock()) {
            tasks.insert(dir, id.to_owned());
        }
        let opened = thread(&opened["work_session"], cwd, task["title"].as_str().unwrap_or(""));
        self.open_threads().push(opened.id.clone());
        self.tools().insert(opened.id.clone(), servers);
        Ok(opened)
    }

    async fn list_threads(&self, cwd: Option<PathBuf>) -> Result<Vec<EditorThread>, BackendError> {
        let dir = self.repo.clone().or_else(|| cwd.clone());
        let task = match &dir {
            Some(dir) => self.task_for(dir),
            None => self.args.task.clone(),
        };
        let Some(task) = task else { return Ok(Vec::new()) };
        let shown = self.api.get(&format!("/spec-tasks/{task}"), &[]).await.map_err(backend_error)?;
        let title = shown["title"].as_str().unwrap_or("");
        let sessions =
            self.api.get(&format!("/spec-tasks/{task}/work-sessions"), &[]).await.map_err(backend_error)?;
        let cwd = cwd.or(dir).unwrap_or_default();
        Ok(sessions.as_array().into_iter().flatten().map(|s| thread(s, cwd.clone(), title)).collect())
    }

    async fn close_thread(&self, id: String) -> Result<(), BackendError> {
        self.api.post(&format!("/work-sessions/{id}/complete"), None).await.map_err(backend_error)?;
        self.open_threads().retain(|open| *open != id);
        Ok(())
    }

    async fn reopen_thread(
        &self,
        id: String,
        mcp_servers: Vec<McpServerSpec>,
    ) -> Result<Vec<Said>, BackendError> {
        let session = self.api.get(&format!("/work-sessions/{id}"), &[]).await.map_err(backend_error)?;
        if session["opened_from_editor"].is_null() {
            let name = session["name"].as_str().unwrap_or(&id);
            let message =
                format!("spectask: work session {name} was not opened from an editor; open a new thread");
            return Err(BackendError { kind: BackendErrorKind::Invalid, message });
        }
        // The conversation, page by page.
        let mut said = Vec::new();
        let mut after = 0;
        loop {
            let query = [("file", "conversation".to_owned()), ("after", after.to_string())];
            let page =
                self.api.get(&format!("/work-sessions/{id}/history"), &query).await.map_err(backend_error)?;
            said.extend(conversation(&page));
            match page["next_after"].as_i64() {
                Some(next) if next > after => after = next,
                _ => break,
            }
        }
        self.tools().insert(id.clone(), api_servers(mcp_servers));
        let mut open = self.open_threads();
        if !open.contains(&id) {
            open.push(id);
        }
        Ok(said)
    }

    async fn prompt(
        &self,
        id: String,
        prompt: EditorPrompt,
    ) -> Result<mpsc::Receiver<TurnFrame>, BackendError> {
        let body = json!({
            "prompt": prompt.content,
            "offers": prompt.offers,
            "roots": prompt.roots.iter().map(|root| root.display().to_string()).collect::<Vec<_>>(),
            "mcp_servers": self.tools().get(&id),
        });
        let response = self.start_turn(&id, body).await.map_err(backend_error)?;
        let (frames, received) = mpsc::channel(32);
        tokio::spawn(read_turn(response, frames));
        Ok(received)
    }

    async fn reply(
        &self,
        id: String,
        request: u64,
        answer: Result<Value, EditorRefusal>,
    ) -> Result<(), BackendError> {
        let body = match answer {
            Ok(result) => json!({ "request_id": request, "result": result }),
            Err(error) => json!({ "request_id": request, "error": error }),
        };
        self.turn_node(&id)
            .post(&format!("/work-sessions/{id}/editor/replies"), Some(body))
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    async fn cancel(&self, id: String) -> Result<(), BackendError> {
        let node = self.turn_node(&id);
        node.post(&format!("/work-sessions/{id}/editor/cancel"), None).await.map_err(backend_error)?;
        Ok(())
    }
}

/// MCP servers as the API takes them (`EditorMcpServer`).
fn api_servers(servers: Vec<McpServerSpec>) -> Value {
    let servers = servers.into_iter().map(|server| {
        let env: serde_json::Map<String, Value> =
            server.env.into_iter().map(|(name, value)| (name, Value::String(value))).collect();
        json!({
            "name": server.name,
            "command": server.command.display().to_string(),
            "args": server.args,
            "env": env,
        })
    });
    Value::Array(servers.collect())
}

/// A session's recorded conversation (`### <who>` and what was said, an entry each) as messages:
/// the editor's and the agent's, not what spectask told the agent (a spec slice, messages from
/// other sessions), which the editor never showed.
fn conversation(history: &Value) -> Vec<Said> {
    let entries = history["entries"].as_array().into_iter().flatten();
    entries
        .filter(|entry| entry["file"] == "conversation")
        .filter_map(|entry| {
            let content = entry["content"].as_str()?;
            let (who, text) = content.strip_prefix("### ")?.split_once('\n')?;
            let (who, text) = (who.trim(), text.trim());
            (!text.is_empty() && who != "spectask")
                .then(|| Said { by_agent: who == "agent", text: text.to_owned() })
        })
        .collect()
}

/// Reads a turn's stream (one JSON frame a line) into frames, until it ends or breaks.
async fn read_turn(mut response: reqwest::Response, frames: mpsc::Sender<TurnFrame>) {
    let mut buffer = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(error) => {
                let failed = TurnFrame::Failed(format!("the turn's stream broke: {error}"));
                drop(frames.send(failed).await);
                return;
            }
        };
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let frame = match serde_json::from_slice::<EditorTurnFrame>(&line) {
                Ok(EditorTurnFrame::Queued { .. }) => continue,
                Ok(EditorTurnFrame::Update { update }) => TurnFrame::Update(update),
                Ok(EditorTurnFrame::Request { request_id, method, params }) => {
                    TurnFrame::Request { number: request_id, method, params }
                }
                Ok(EditorTurnFrame::End { stop_reason }) => TurnFrame::End(stop_reason),
                Ok(EditorTurnFrame::Failed { message }) => TurnFrame::Failed(message),
                Err(error) => {
                    TurnFrame::Failed(format!("the server sent a frame spectask cannot read: {error}"))
                }
            };
            if frames.send(frame).await.is_err() {
                return;
            }
        }
    }
}
