//! Running the binary: a server process per test and CLI invocations against it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn spectask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spectask"));
    spectask_env(&mut cmd);
    cmd
}

/// `spectask` in a mount namespace of its own where `hidden` is an empty directory (a tmpfs
/// mounted over it): a process on a machine that does not share that disk. Needs root, as the
/// test suite runs.
pub fn spectask_hiding(hidden: &Path) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=1m spectask-hidden "$0" && exec "$@""#)
        .arg(hidden)
        .arg(env!("CARGO_BIN_EXE_spectask"));
    spectask_env(&mut cmd);
    cmd
}

/// What every spectask process of the tests runs with: nothing from the caller's environment.
fn spectask_env(cmd: &mut Command) {
    cmd.env_remove("SPECTASK_SERVER")
        .env_remove("SPECTASK_DATABASE_URL")
        .env_remove("SPECTASK_DATA_DIR")
        .env_remove("SPECTASK_TOKEN")
        .env("RUST_BACKTRACE", "0");
}

/// A `spectask serve` process on a free port; killed (if still running) and reaped on drop, and then
/// the agents it left running are stopped, as a node started again on its data dir would. Its log
/// (stderr) is kept, the last [`LOG_KEPT`] lines of it, and printed when the test fails.
pub struct Server {
    child: Child,
    pub url: String,
    log: ServerLog,
    data_dir: PathBuf,
}

/// How many of a server's last log lines a failing test prints.
const LOG_KEPT: usize = 200;

/// The last lines a server wrote to stderr.
#[derive(Clone, Default)]
struct ServerLog(Arc<Mutex<VecDeque<String>>>);

impl ServerLog {
    /// Keeps reading `stderr` until the server closes it.
    fn follow(&self, stderr: impl Read + Send + 'static) {
        let lines = self.0.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
                if lines.len() == LOG_KEPT {
                    lines.pop_front();
                }
                lines.push_back(line);
            }
        });
    }

    fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().map(|line| format!("  | {line}\n")).collect()
    }
}

impl Server {
    pub fn start(data_dir: &Path, database_url: Option<&str>) -> Self {
        let mut args = vec!["serve".to_owned()];
        if let Some(url) = database_url {
            args.extend(["--database-url".to_owned(), url.to_owned()]);
        }
        Self::spawn(&args, data_dir)
    }

    /// `spectask serve` under a fixed node name (a restarted node takes back its own jobs at once).
    pub fn start_node(data_dir: &Path, database_url: Option<&str>, node: &str) -> Self {
        let mut args = vec!["serve".to_owned(), "--node".to_owned(), node.to_owned()];
        if let Some(url) = database_url {
            args.extend(["--database-url".to_owned(), url.to_owned()]);
        }
        Self::spawn(&args, data_dir)
    }

    /// `spectask serve` with `dir` first on its PATH (where the agents it starts are found).
    pub fn start_with_path(data_dir: &Path, dir: &Path) -> Self {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path =
            std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path)));
        Self::spawn_with(&["serve".to_owned()], data_dir, &[("PATH", path.unwrap().as_os_str())])
    }

    /// `spectask <args> --addr 127.0.0.1:0 --data-dir DIR`, for `serve` and `demo`.
    pub fn spawn(args: &[String], data_dir: &Path) -> Self {
        Self::spawn_with(args, data_dir, &[])
    }

    /// `spectask serve` under a node name on a machine that does not see `hidden` (see
    /// [`spectask_hiding`]): its process id is the server's.
    pub fn start_node_hiding(data_dir: &Path, database_url: &str, node: &str, hidden: &Path) -> Self {
        let args = ["serve", "--node", node, "--database-url", database_url].map(str::to_owned);
        Self::launch(spectask_hiding(hidden), &args, data_dir, &[])
    }

    /// [`Self::spawn`] with more environment variables.
    pub fn spawn_with(args: &[String], data_dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        Self::launch(spectask(), args, data_dir, env)
    }

    /// `cmd <args> --addr 127.0.0.1:0 --data-dir DIR` with more environment variables.
    fn launch(mut cmd: Command, args: &[String], data_dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        cmd.envs(env.iter().copied());
        cmd.args(args)
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            // Its log is read as text (printed when a test fails), not shown on a terminal.
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn spectask serve");
        let log = ServerLog::default();
        log.follow(child.stderr.take().expect("stderr"));
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read the ready line");
        // Keep draining: the process may print more, and a closed pipe would fail its writes.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line
            .trim()
            .strip_prefix("spectask listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}; the server's log:\n{}", log.text()))
            .to_owned();
        Self { child, url, log, data_dir: data_dir.to_path_buf() }
    }

    /// Runs `spectask task <args>` against this server.
    pub fn task(&self, args: &[&str]) -> Output {
        spectask().arg("task").arg("--server").arg(&self.url).args(args).output().expect("run spectask task")
    }

    /// Runs `spectask task <args>` (a `--json` one) and parses what it printed. A failure names the
    /// command, its exit status and error; the server's last log lines (where an internal error's
    /// cause is) follow it, printed when the failing test drops the server.
    pub fn task_json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.task(args);
        assert!(
            output.status.success(),
            "`spectask task {}` failed ({}): {}",
            args.join(" "),
            output.status,
            stderr(&output).trim()
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("`spectask task {}` printed no JSON ({e}): {}", args.join(" "), stdout(&output))
        })
    }

    /// Creates a coding-session task on `repo` through the CLI; returns its id.
    pub fn coding_session(&self, repo: &Path, title: &str, prompt: &str) -> String {
        let created = self.task(&[
            "create",
            "--repo",
            repo.to_str().unwrap(),
            "--kind",
            "coding_session",
            "--title",
            title,
            prompt,
            "--json",
        ]);
        json(&created)["id"].as_str().unwrap_or_else(|| panic!("{}", stderr(&created))).to_owned()
    }

    /// Creates an interactive task on `repo`; returns its id.
    pub fn interactive(&self, repo: &Path, prompt: &str) -> String {
        let created = self.task(&[
            "create",
            "--repo",
            repo.to_str().unwrap(),
            "--kind",
            "interactive",
            prompt,
            "--json",
        ]);
        json(&created)["id"].as_str().unwrap_or_else(|| panic!("{}", stderr(&created))).to_owned()
    }

    /// Runs any `spectask <args>` subcommand that talks to this server (`repo …` and the like).
    pub fn task_like(&self, args: &[&str]) -> Output {
        spectask()
            .args(&args[..1])
            .arg("--server")
            .arg(&self.url)
            .args(&args[1..])
            .output()
            .expect("run spectask")
    }

    pub fn stop(mut self) {
        self.terminate();
    }

    /// SIGKILL: the process dies at once, mid-write if it was writing.
    pub fn kill(&self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-KILL", &pid]).status().expect("run kill");
        assert!(status.success(), "kill -KILL {pid} failed");
    }

    /// SIGKILL, then reap: the server dies at once, mid-write if it was writing.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().expect("wait for the server");
        assert!(status.success(), "server exited with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the server at {} wrote last:\n{}", self.url, self.log.text());
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // What a killed server leaves (agents that do not notice their client died) dies with it.
        let _ = spectask_agent::ProcessRecord::in_data_dir(&self.data_dir).stop_orphans();
    }
}

/// A git repository with one commit.
pub fn git_repo(parent: &Path, name: &str) -> PathBuf {
    let path = parent.join(name);
    spectask_git::init_repository(&path, &[], "init").unwrap();
    path
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "command failed: {}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("json output")
}

/// One HTTP/1.1 request over a plain TCP connection; returns the status and the (de-chunked) body.
/// For the few API calls the CLI does not cover.
pub fn http(base: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    http_as(base, None, method, path, body)
}

/// [`http`] with the API token `token`, when given.
pub fn http_as(
    base: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, String) {
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{authorization}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let chunked = head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding: chunked"));
    (status, if chunked { dechunk(body) } else { body.to_owned() })
}

pub fn http_json(base: &str, path: &str) -> serde_json::Value {
    let (status, body) = http(base, "GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// Live processes (pid, command line) whose command line contains `needle`, this process excluded.
pub fn processes_with(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == std::process::id() {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        // A zombie has an empty command line: it is dead, only not yet reaped by its parent.
        if cmdline.contains(needle) {
            found.push((pid, cmdline.trim().to_owned()));
        }
    }
    found
}

/// The parent pid of `pid`, from /proc (None once it is gone).
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so split after the last `)`.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// A data dir whose config implements with the scripted ACP agent following `script` (no planner:
/// for interactive and coding-session tasks).
pub fn scripted_coder_data(dir: &Path, script: &str) -> PathBuf {
    coder_data(dir, script, &CoderConfig::default()).0
}

/// What a data dir's config says around the scripted coder (profile `coder`, the default
/// implementation agent); the default is the scripted coder alone.
#[derive(Default)]
pub struct CoderConfig<'a> {
    /// The base URL of the fake OpenAI-compatible server that plans (profile `planner`, model `m`).
    pub planner: Option<&'a str>,
    /// More arguments of the scripted agent.
    pub agent_args: &'a [&'a str],
    /// More lines of the coder's profile (`permission_policy = "ask"`).
    pub profile: &'a str,
    /// More lines of `[orchestrator]`.
    pub orchestrator: &'a str,
}

/// A data dir (`dir/data`) configured as `config` says, the scripted coder following `script`
/// (written to `dir/coder.toml`). Returns the data dir and the script's path, which names the agent
/// processes.
pub fn coder_data(dir: &Path, script: &str, config: &CoderConfig) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let script_path = dir.join("coder.toml");
    std::fs::write(&script_path, script).unwrap();
    let args: String = config.agent_args.iter().map(|arg| format!(", \"{arg}\"")).collect();
    let mut text = repository_roots(dir);
    text += &format!(
        "[agents.coder]\nkind = \"acp\"\ncommand = \"spectask\"\n\
         args = [\"agent\", \"scripted\", \"--script\", \"{}\"{args}]\n{}\n",
        script_path.display(),
        config.profile
    );
    if let Some(base_url) = config.planner {
        text.push_str(&format!(
            "[agents.planner]\nkind = \"llm\"\nprovider = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"m\"\n\n"
        ));
    }
    text.push_str("[orchestrator]\ndefault_implementation_agent = \"coder\"\n");
    if config.planner.is_some() {
        text.push_str("default_planning_agent = \"planner\"\n");
    }
    text.push_str(config.orchestrator);
    std::fs::write(data.join("config.toml"), text).unwrap();
    (data, script_path)
}

/// `[repositories]` letting the users of a server register repositories under `dir` (a test's
/// own directory) by path.
pub fn repository_roots(dir: &Path) -> String {
    format!("[repositories]\nroots = [\"{}\"]\n\n", dir.display())
}

/// A data dir whose config plans with the fake OpenAI-compatible server at `llm_base_url` (profile
/// `fake-openai`, model `m`; no coding agent), with `extra` lines appended to `[orchestrator]`.
pub fn planner_data(dir: &Path, llm_base_url: &str, extra: &str) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let config = repository_roots(dir)
        + &format!(
            "[agents.fake-openai]\nkind = \"llm\"\nprovider = \"openai\"\nbase_url = \"{llm_base_url}\"\nmodel = \"m\"\n\n\
         [orchestrator]\ndefault_planning_agent = \"fake-openai\"\n{extra}"
        );
    std::fs::write(data.join("config.toml"), config).unwrap();
    data
}

/// A fresh schema of the test PostgreSQL database, for servers that share it.
pub fn postgres_url() -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(spectask_store::testing::isolated_postgres_url())
        .expect("PostgreSQL must be reachable for this test")
}

/// A stand-in person who allows, through the API, every write spectask holds for an agent under
/// `permission_policy = "ask"` (its approvals' tool calls are spectask's own, `spectask-…`), so a
/// test meets only the questions the agent asks itself. Stops when dropped.
pub struct AllowServedWrites {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AllowServedWrites {
    pub fn start(url: &str) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, url) = (stop.clone(), url.to_owned());
        let thread = std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let (status, body) = http(&url, "GET", "/api/v1/approvals", None);
                let pending: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                for approval in pending.as_array().filter(|_| status == 200).into_iter().flatten() {
                    let served =
                        approval["tool_call"]["id"].as_str().is_some_and(|id| id.starts_with("spectask-"));
                    if let (true, Some(id)) = (served, approval["id"].as_str()) {
                        let path = format!("/api/v1/approvals/{id}");
                        http(&url, "POST", &path, Some(r#"{"option_id":"allow"}"#));
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        AllowServedWrites { stop, thread: Some(thread) }
    }
}

impl Drop for AllowServedWrites {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
